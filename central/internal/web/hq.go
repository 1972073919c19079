package web

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"autogate/central/internal/auth"
	"autogate/central/internal/store"
)

// dashboardRoles may read the HQ dashboard; a supervisor sees their post only.
var dashboardRoles = []auth.Role{auth.RoleHQ, auth.RoleAdmin, auth.RoleSupervisor}

// routesDashboard registers the HQ dashboard under /dashboard.
func (s *Server) routesDashboard() {
	s.mux.HandleFunc("GET /dashboard", s.guard(s.handleDashboard, dashboardRoles...))
	s.mux.HandleFunc("GET /dashboard/partials/{part}", s.guard(s.handlePartial, dashboardRoles...))
	s.mux.HandleFunc("GET /dashboard/export.csv", s.guard(s.handleExport, dashboardRoles...))
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	d, err := s.build(r.Context(), v.User, sectionAll)
	if err != nil {
		s.pageError(w, r, "building dashboard", err)
		return
	}
	d.Nav = nav(r, "dashboard")
	s.render(w, r, "dashboard", d)
}

// pageError logs err and answers a page request with a 500 that says where
// to look.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "path", r.URL.Path, "error", err)
	http.Error(w, "internal error reading the store; see central's log", http.StatusInternalServerError)
}

// partials are the page sections the script can re-fetch, and what each reads.
var partials = map[string]section{
	"totals":     sectionGates,
	"gates":      sectionGates,
	"throughput": sectionThroughput,
	"timings":    sectionTimings,
	"referrals":  sectionReferrals,
	"crossings":  sectionCrossings,
}

func (s *Server) handlePartial(w http.ResponseWriter, r *http.Request) {
	part := r.PathValue("part")
	what, ok := partials[part]
	if !ok {
		http.Error(w, fmt.Sprintf("no section %q; sections: %s", part, strings.Join(slices.Sorted(maps.Keys(partials)), ", ")), http.StatusNotFound)
		return
	}
	v, _ := viewerFrom(r.Context())
	d, err := s.build(r.Context(), v.User, what)
	if err != nil {
		s.pageError(w, r, "building dashboard section "+part, err)
		return
	}
	s.render(w, r, "dash-"+part, d)
}

// exportKinds are the CSV exports, ?what= of /dashboard/export.csv.
var exportKinds = []string{"gates", "throughput", "timings", "reasons"}

// CSV headers, stable: spreadsheets and scripts key on them.
var (
	csvGatesHeader = []string{"post", "gate", "state", "mode", "alarms", "devices", "outbox_depth", "disk_free_bytes",
		"lists", "config_version", "latest_config_version", "behind", "status_received_at", "last_crossing_at", "crossings_total"}
	csvThroughputHeader = []string{"post", "gate", "hour_start_utc", "crossings", "passes", "refers"}
	csvTimingsHeader    = []string{"post", "gate", "crossings", "median_s", "p95_s", "device_mean_s", "software_mean_s", "stage_mean_s"}
	csvReasonsHeader    = []string{"post", "gate", "reason", "referrals"}
)

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	what := r.URL.Query().Get("what")
	if !slices.Contains(exportKinds, what) {
		http.Error(w, fmt.Sprintf("export what=%q: choose one of %s", what, strings.Join(exportKinds, ", ")), http.StatusBadRequest)
		return
	}
	v, _ := viewerFrom(r.Context())
	rows, err := s.exportRows(r, v.User, what)
	if err != nil {
		s.pageError(w, r, "exporting "+what, err)
		return
	}
	name := fmt.Sprintf("autogate-%s-%s.csv", what, s.cfg.Now().UTC().Format("20060102T1504Z"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i := range row {
			row[i] = CSVSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			s.log.Warn("csv export cut short", "what", what, "error", err)
			return
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.log.Warn("csv export cut short", "what", what, "error", err)
	}
}

// CSVSafe defuses a cell a spreadsheet would run as a formula (one that
// starts with = + - @, or a tab or carriage return that some strip first)
// by putting a ' in front: it then shows as text.
func CSVSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// exportRows reads one export, header first, for the posts v may see.
func (s *Server) exportRows(r *http.Request, v auth.User, what string) ([][]string, error) {
	ctx := r.Context()
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	i := strconv.Itoa
	switch what {
	case "throughput":
		rows, err := s.throughput(ctx, v)
		return csvRows(csvThroughputHeader, rows, err, func(h store.HourCount) []string {
			return []string{h.Post, h.Gate, h.Hour.UTC().Format(time.RFC3339), i(h.Crossings), i(h.Crossings - h.Refers), i(h.Refers)}
		})
	case "timings":
		rows, err := s.timings(ctx, v)
		return csvRows(csvTimingsHeader, rows, err, func(t store.Timing) []string {
			var stages []string
			for _, st := range sortedStages(t.StageMeanS) {
				stages = append(stages, st.Name+"="+f(st.Seconds))
			}
			return []string{t.Post, t.Gate, i(t.N), f(t.MedianS), f(t.P95S), f(t.DeviceMeanS), f(t.SoftwareMeanS), strings.Join(stages, "; ")}
		})
	case "reasons":
		rows, err := s.reasons(ctx, v)
		return csvRows(csvReasonsHeader, rows, err, func(r store.ReasonCount) []string {
			return []string{r.Post, r.Gate, r.Reason, i(r.N)}
		})
	}
	d, err := s.build(ctx, v, sectionGates)
	if err != nil {
		return nil, err
	}
	out := [][]string{csvGatesHeader}
	for _, p := range d.Posts {
		for _, g := range p.Gates {
			raw := g.gate
			var devices, lists []string
			for _, dv := range g.Devices {
				devices = append(devices, dv.Name+"="+dv.State)
			}
			latestConfig := ""
			for _, vv := range g.Versions {
				switch {
				case vv.Name == "config" && vv.Known:
					latestConfig = strconv.FormatInt(vv.Latest, 10)
				case vv.Name == "config":
				case vv.Known:
					lists = append(lists, fmt.Sprintf("%s=%d/%d", vv.Name, vv.Have, vv.Latest))
				default:
					lists = append(lists, fmt.Sprintf("%s=%d", vv.Name, vv.Have))
				}
			}
			out = append(out, []string{g.Post, g.ID, g.State, g.Mode, strings.Join(g.Alarms, "; "), strings.Join(devices, "; "),
				i(g.OutboxDepth), strconv.FormatInt(raw.DiskFreeBytes, 10), strings.Join(lists, "; "),
				strconv.FormatInt(raw.ConfigVersion, 10), latestConfig, strconv.FormatBool(g.Behind),
				csvTime(raw.StatusReceivedAt), csvTime(raw.LastCrossingAt), strconv.FormatInt(raw.Crossings, 10)})
		}
	}
	return out, nil
}

// csvRows turns a query's answer (rows, err) into CSV rows under header.
func csvRows[T any](header []string, rows []T, err error, format func(T) []string) ([][]string, error) {
	if err != nil {
		return nil, err
	}
	out := make([][]string, 0, len(rows)+1)
	out = append(out, header)
	for _, r := range rows {
		out = append(out, format(r))
	}
	return out, nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

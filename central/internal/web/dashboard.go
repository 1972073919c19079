package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// dashboard is everything the page shows.
type dashboard struct {
	Generated string
	Totals    totalsView
	Gates     []gateView
	Crossings []crossingView
}

type totalsView struct {
	Crossings   int64
	Today       int64
	TodayPass   int64
	TodayRefer  int64
	ReferRate   string // of today's crossings
	GatesOnline int
	Gates       int
	Duplicates  int64
	Rejected    int64
}

type gateView struct {
	ID, Post       string
	State          string // online, offline, unknown, stale
	StateTitle     string // why, for a stale gate
	Mode           string
	Alarms         []string
	DiskFree       string
	ModeAlert      bool // not "normal": the gate refers everyone or is locked
	Today          store.Counts
	Total          int64
	LastCrossing   string
	StatusAge      string
	OutboxDepth    int
	Devices        []deviceView
	DevicesUnknown bool
}

type deviceView struct {
	Name, State string
	OK          bool
}

type crossingView struct {
	ID          string
	Time        string
	Gate        string
	Nationality string
	DocType     string
	DocNumber   string // masked
	Decision    string
	Reasons     string
	DurationS   string
	SoftwareMS  string
}

// MaskDocumentNumber keeps only the last three characters, enough for an
// officer to match a traveller in front of them, useless to a bystander.
func MaskDocumentNumber(n string) string {
	r := []rune(n)
	if len(r) <= 3 {
		return "•••"
	}
	return "•••" + string(r[len(r)-3:])
}

// documentKinds names the ICAO 9303 document codes' first letter.
var documentKinds = map[byte]string{'P': "passport", 'I': "ID card", 'A': "ID card", 'C': "ID card", 'V': "visa"}

func documentType(d wire.Document) string {
	kind := ""
	if d.DocumentCode != "" {
		kind = documentKinds[d.DocumentCode[0]]
	}
	switch {
	case kind != "" && d.Format != "":
		return kind + " (" + d.Format + ")"
	case kind != "":
		return kind
	case d.DocumentCode != "" || d.Format != "":
		return strings.TrimSpace(d.DocumentCode + " " + d.Format)
	}
	return "—"
}

func (s *Server) formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(s.cfg.Location)
	if t.After(s.startOfToday()) {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// section names what build must read.
type section int

const (
	sectionGates     section = 1 << iota // gates and totals
	sectionCrossings                     // recent crossings
	sectionAll       = sectionGates | sectionCrossings
)

func (s *Server) build(ctx context.Context, what section) (dashboard, error) {
	var d dashboard
	now := s.cfg.Now()
	d.Generated = now.In(s.cfg.Location).Format("2006-01-02 15:04:05 MST")
	if what&sectionGates != 0 {
		if err := s.buildGates(ctx, now, &d); err != nil {
			return d, err
		}
	}
	if what&sectionCrossings != 0 {
		if err := s.buildCrossings(ctx, &d); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Server) buildGates(ctx context.Context, now time.Time, d *dashboard) error {
	gates, err := s.gatesWithToday(ctx)
	if err != nil {
		return err
	}
	stats, err := s.cfg.Store.Stats(ctx)
	if err != nil {
		return err
	}
	d.Totals = totalsView{
		Crossings: stats.TotalCrossings, Duplicates: stats.DuplicateDeliveries, Rejected: stats.RejectedTotal,
		Gates: len(gates), ReferRate: "—",
	}
	for _, g := range gates {
		d.Totals.Today += g.Today.Crossings
		d.Totals.TodayPass += g.Today.Passes
		d.Totals.TodayRefer += g.Today.Refers
		state := g.DisplayState(now)
		if state == wire.StateOnline {
			d.Totals.GatesOnline++
		}
		gv := gateView{
			ID: g.ID, Post: g.Post, State: state, Mode: g.Mode, Alarms: g.Alarms, DiskFree: diskSize(g.DiskFreeBytes),
			ModeAlert: g.Mode != "" && g.Mode != "normal",
			Today:     g.Today, Total: g.Crossings,
			LastCrossing: s.formatTime(g.LastCrossingAt), StatusAge: "never",
			OutboxDepth: g.OutboxDepth, DevicesUnknown: len(g.Devices) == 0,
		}
		if !g.StatusReceivedAt.IsZero() {
			gv.StatusAge = age(now.Sub(g.StatusReceivedAt))
		}
		if state == store.StateStale {
			hb := g.HeartbeatS
			if hb <= 0 {
				hb = store.DefaultHeartbeatS
			}
			gv.StateTitle = fmt.Sprintf("says online, but no status for %s (it sends one every %d s): hung, or its link died unnoticed",
				strings.TrimSuffix(gv.StatusAge, " ago"), hb)
		}
		for name, state := range g.Devices {
			gv.Devices = append(gv.Devices, deviceView{Name: name, State: state, OK: state == "ok"})
		}
		slices.SortFunc(gv.Devices, func(a, b deviceView) int { return strings.Compare(a.Name, b.Name) })
		d.Gates = append(d.Gates, gv)
	}
	if d.Totals.Today > 0 {
		d.Totals.ReferRate = fmt.Sprintf("%.1f%%", 100*float64(d.Totals.TodayRefer)/float64(d.Totals.Today))
	}
	return nil
}

func (s *Server) buildCrossings(ctx context.Context, d *dashboard) error {
	cs, err := s.cfg.Store.Crossings(ctx, store.Query{Limit: DashboardCrossings, Order: store.Desc})
	if err != nil {
		return err
	}
	for _, c := range cs {
		d.Crossings = append(d.Crossings, crossingView{
			ID:          c.ID,
			Time:        s.formatTime(c.StartedAt),
			Gate:        c.Gate,
			Nationality: orDash(c.Document.Nationality),
			DocType:     documentType(c.Document),
			DocNumber:   MaskDocumentNumber(c.Document.DocumentNumber),
			Decision:    c.Decision,
			Reasons:     strings.Join(store.ReferReasons(c), ", "),
			DurationS:   fmt.Sprintf("%.1f", c.EndedAt.Sub(c.StartedAt).Seconds()),
			SoftwareMS:  fmt.Sprintf("%.0f", c.SoftwareMS),
		})
	}
	return nil
}

// diskSize shows a byte count as MB or GB ("—" when the gate did not say).
func diskSize(b int64) string {
	switch {
	case b <= 0:
		return "—"
	case b < 10<<30:
		return fmt.Sprintf("%d MB", b>>20)
	}
	return fmt.Sprintf("%.0f GB", float64(b)/(1<<30))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	// Render to a buffer first: a template error must not leave half a page.
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("rendering", "template", name, "error", err)
		http.Error(w, "internal error rendering the page; see central's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.build(r.Context(), sectionAll)
	if err != nil {
		s.log.Error("building dashboard", "error", err)
		http.Error(w, "internal error reading the store; see central's log", http.StatusInternalServerError)
		return
	}
	s.render(w, r, "page", d)
}

// partials are the page sections the script can re-fetch, and what each reads.
var partials = map[string]section{"totals": sectionGates, "gates": sectionGates, "crossings": sectionCrossings}

func (s *Server) handlePartial(w http.ResponseWriter, r *http.Request) {
	part := r.PathValue("part")
	what, ok := partials[part]
	if !ok {
		http.Error(w, fmt.Sprintf("no section %q; sections: totals, gates, crossings", part), http.StatusNotFound)
		return
	}
	d, err := s.build(r.Context(), what)
	if err != nil {
		s.log.Error("building dashboard section", "part", part, "error", err)
		http.Error(w, "internal error reading the store; see central's log", http.StatusInternalServerError)
		return
	}
	s.render(w, r, part, d)
}

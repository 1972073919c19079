package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// hqSpec is one crossing of the HQ fixtures: when it started (relative to
// now), how long it took, and what was decided.
type hqSpec struct {
	gate, post string
	at         time.Duration // before now
	durS       float64
	reasons    []string // none: pass
}

// hqSpecs are two posts' crossings: post-a's gates a1 and a2 and post-b's
// b1, and one crossing of a1 older than the dashboard's 24 h.
var hqSpecs = []hqSpec{
	{"a1", "post-a", 55 * time.Minute, 10, nil},
	{"a1", "post-a", 40 * time.Minute, 12, nil},
	{"a1", "post-a", 20 * time.Minute, 14, nil},
	{"a1", "post-a", 170 * time.Minute, 11, nil},
	{"a1", "post-a", 150 * time.Minute, 30, []string{"watchlist_hit"}},
	{"a1", "post-a", 7 * time.Hour, 13, nil},
	{"a1", "post-a", 30 * time.Hour, 100, []string{"document_expired"}}, // outside the window
	{"a2", "post-a", 45 * time.Minute, 20, []string{"watchlist_hit", "face_mismatch"}},
	{"a2", "post-a", 15 * time.Minute, 25, []string{"watchlist_hit"}},
	{"a2", "post-a", 2 * time.Hour, 9, nil},
	{"b1", "post-b", 50 * time.Minute, 16, nil},
	{"b1", "post-b", 10 * time.Minute, 18, []string{"=HYPERLINK(\"http://evil\")"}},
}

// Fixed stage times of every fixture crossing; the door takes the rest.
var fixedStages = []struct {
	name string
	s    float64
}{{"document", 3}, {"checks", 1}, {"decision", 0.5}, {"record", 0.5}}

func hqCrossing(sp hqSpec, seq int64) wire.Crossing {
	start := now.Add(-sp.at)
	c := wire.Crossing{
		V: 1, ID: wire.NewID(), Gate: sp.gate, Post: sp.post, Seq: seq, Direction: "entry",
		StartedAt: start, EndedAt: start.Add(time.Duration(sp.durS * float64(time.Second))), Decision: wire.DecisionPass, Door: "exit",
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: fmt.Sprintf("DOC%06d", seq),
			Surname: "SECRETSURNAME", GivenNames: "HIDDEN", Nationality: "UTO", BirthDate: "1980-01-01", Sex: "F", ExpiryDate: "2030-01-01"},
		Checks:   []wire.Check{{Name: "mrz", Result: wire.ResultPass}},
		DeviceMS: sp.durS * 1000 * 0.8, SoftwareMS: sp.durS * 1000 * 0.2,
	}
	t := start
	add := func(name string, s float64) {
		end := t.Add(time.Duration(s * float64(time.Second)))
		c.Stages = append(c.Stages, wire.Stage{Name: name, Start: t, End: end})
		t = end
	}
	door := sp.durS
	for _, st := range fixedStages {
		door -= st.s
	}
	for _, st := range fixedStages[:3] {
		add(st.name, st.s)
	}
	add("door", door)
	add("record", fixedStages[3].s)
	if len(sp.reasons) > 0 {
		c.Decision, c.Door = wire.DecisionRefer, "entrance"
		for _, r := range sp.reasons {
			c.Checks = append(c.Checks, wire.Check{Name: "check-" + r, Result: wire.ResultRefer, Reason: r})
		}
	}
	return c
}

// latestVersions is what the fixtures' Config.Versions answers.
var latestVersions = map[string]int64{"documents": 42, "persons": 3, wire.ConfigList: 5}

// newSite starts a server over a store holding the HQ fixtures, with real
// accounts and audit log; edit changes the Config before New.
func newSite(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	var cs []wire.Crossing
	for i, sp := range hqSpecs {
		cs = append(cs, hqCrossing(sp, int64(i+1)))
	}
	if _, _, err := st.InsertCrossings(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, s := range []wire.Status{
		{V: 1, Gate: "a1", Post: "post-a", State: wire.StateOnline, Mode: "normal", At: now, OutboxDepth: 7, DiskFreeBytes: 2 << 30,
			Devices: map[string]string{"camera": "ok", "door": "fault"}, Lists: map[string]int64{"documents": 41, "persons": 3}, ConfigVersion: 5},
		{V: 1, Gate: "a2", Post: "post-a", State: wire.StateOnline, Mode: "refer_all", At: now,
			Alarms: []string{"=camera offline"}, Lists: map[string]int64{"documents": 42, "persons": 3}, ConfigVersion: 4},
		{V: 1, Gate: "b1", Post: "post-b", State: wire.StateOnline, Mode: "normal", At: now,
			Lists: map[string]int64{"documents": 42, "persons": 3}, ConfigVersion: 5},
	} {
		if err := st.UpsertStatus(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	accounts, auditLog := newAccounts(t, t.TempDir())
	cfg := Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: time.UTC,
		Now: func() time.Time { return now }, Auth: accounts, Audit: auditLog,
		Versions: func(context.Context) (map[string]int64, error) { return latestVersions, nil }}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: st, accounts: accounts, audit: auditLog, all: cs}
	e.start(t, srv)
	return e
}

// as logs a new user of the role (and post) in and makes e's requests
// theirs.
func (e *env) as(t *testing.T, name string, role auth.Role, post string) *env {
	t.Helper()
	pw := addUser(t, e.accounts, name, role, post)
	e.client, e.csrf = login(t, e.http.URL, name, pw)
	e.password = pw
	return e
}

// fixturesInWindow are the fixtures the dashboard's 24 h cover.
func fixturesInWindow(post, gate string) []hqSpec {
	var out []hqSpec
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	for _, sp := range hqSpecs {
		if now.Add(-sp.at).Before(start) || (post != "" && sp.post != post) || (gate != "" && sp.gate != gate) {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// medianP95 works the figures out the textbook way: the middle value (mean
// of the two middle ones), and the nearest-rank 95th percentile.
func medianP95(specs []hqSpec) (float64, float64) {
	var d []float64
	for _, sp := range specs {
		d = append(d, sp.durS)
	}
	slices.Sort(d)
	n := len(d)
	median := d[n/2]
	if n%2 == 0 {
		median = (d[n/2-1] + d[n/2]) / 2
	}
	return median, d[int(math.Ceil(0.95*float64(n)))-1]
}

func mustContain(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestHQDashboardFigures(t *testing.T) {
	e := newSite(t, nil).as(t, "director", auth.RoleHQ, "")
	res, body := get(t, e, "/dashboard")
	if res.StatusCode != 200 {
		t.Fatalf("/dashboard: %d %s", res.StatusCode, body)
	}
	page := string(body)

	// Crossings per hour: the chart's summary, worked out from the fixtures.
	for _, post := range []string{"post-a", "post-b"} {
		specs := fixturesInWindow(post, "")
		perHour := map[string]int{}
		for _, sp := range specs {
			perHour[now.Add(-sp.at).Format("15:00")]++
		}
		peak, peakAt := 0, ""
		for h, n := range perHour {
			if n > peak || (n == peak && h < peakAt) {
				peak, peakAt = n, h
			}
		}
		mustContain(t, "dashboard", page, fmt.Sprintf(`aria-label="post %s: %d crossings in 24 h, peak %d at %s"`, post, len(specs), peak, peakAt))
	}

	// Median and p95 per gate, and what the stages took on average.
	_, body = get(t, e, "/dashboard/partials/timings")
	timings := string(body)
	for _, gate := range []string{"a1", "a2", "b1"} {
		specs := fixturesInWindow("", gate)
		med, p95 := medianP95(specs)
		mean := 0.0
		for _, sp := range specs {
			mean += sp.durS
		}
		mean /= float64(len(specs))
		door := mean
		for _, st := range fixedStages {
			door -= st.s
		}
		row := rowOf(t, timings, gate)
		mustContain(t, "timings row "+gate, row,
			fmt.Sprintf(`<td class="num">%d</td><td class="num">%.1f</td><td class="num">%.1f</td>`, len(specs), med, p95),
			fmt.Sprintf("document 3.0 s · checks 1.0 s · decision 0.50 s · door %.1f s · record 0.50 s", door),
			fmt.Sprintf("device %.1f s · software %.1f s", mean*0.8, mean*0.2),
			`role="img"`)
	}
	// A post's median and p95 are over all its crossings, not its gates'.
	for _, post := range []string{"post-a", "post-b"} {
		specs := fixturesInWindow(post, "")
		med, p95 := medianP95(specs)
		mustContain(t, "timings of "+post, timings,
			fmt.Sprintf("post %s: median %.1f s, p95 %.1f s over %d crossings", post, med, p95, len(specs)))
	}
	if strings.Contains(timings, "100.0") {
		t.Error("timings count the crossing older than 24 h")
	}

	// Referral rates and reasons.
	_, body = get(t, e, "/dashboard/partials/referrals")
	refs := string(body)
	for _, gate := range []string{"a1", "a2"} {
		specs := fixturesInWindow("", gate)
		refers := 0
		reasons := map[string]int{}
		for _, sp := range specs {
			if len(sp.reasons) > 0 {
				refers++
			}
			for _, r := range sp.reasons {
				reasons[r]++
			}
		}
		row := rowOf(t, refs, gate)
		mustContain(t, "referrals row "+gate, row, fmt.Sprintf(`<td class="num">%d</td>
<td class="num">%d</td>
<td class="num">%.1f%%</td>`, len(specs), refers, 100*float64(refers)/float64(len(specs))))
		for r, n := range reasons {
			mustContain(t, "referrals row "+gate, row, fmt.Sprintf("%s %d (%.1f%%)", r, n, 100*float64(n)/float64(refers)))
		}
	}
	mustContain(t, "referrals", refs, "post post-a: 3 of 9 crossings referred (33.3%)", "watchlist_hit 3 (100.0%)")
	if strings.Contains(refs, "document_expired") {
		t.Error("referrals count the crossing older than 24 h")
	}

	// Gates: health, backlog, disk, versions against the latest.
	_, body = get(t, e, "/dashboard/partials/gates")
	gates := string(body)
	mustContain(t, "gate a1", rowOf(t, gates, "a1"), "door: fault", `<td class="num">7</td>`, "2048 MB",
		"documents v41 of 42 (behind)", "persons v3 of 3", "config v5 of 5")
	mustContain(t, "gate a2", rowOf(t, gates, "a2"), "config v4 of 5 (behind)", "alarm: =camera offline", `mode alert">refer_all`)
	if b1 := rowOf(t, gates, "b1"); strings.Contains(b1, "behind") {
		t.Errorf("b1 is up to date but shown behind: %s", b1)
	}
	mustContain(t, "dashboard", page, `id="gates-behind">2<`, `href="/dashboard/export.csv?what=gates"`,
		`href="/dashboard/export.csv?what=reasons"`, `aria-current="page">Dashboard`)
	for _, secret := range []string{"SECRETSURNAME", "HIDDEN", "DOC000011"} {
		if strings.Contains(page, secret) {
			t.Errorf("dashboard shows %q", secret)
		}
	}
}

// rowOf returns the table row of a gate in a section.
func rowOf(t *testing.T, section, gate string) string {
	t.Helper()
	i := strings.Index(section, `data-gate="`+gate+`"`)
	if i < 0 {
		t.Fatalf("no row for gate %s in:\n%s", gate, section)
	}
	end := strings.Index(section[i:], "</tr>")
	return section[i : i+end]
}

func TestDashboardSupervisorSeesOwnPostOnly(t *testing.T) {
	e := newSite(t, nil).as(t, "sup-a", auth.RoleSupervisor, "post-a")
	for _, path := range []string{"/dashboard", "/dashboard/partials/gates", "/dashboard/partials/throughput",
		"/dashboard/partials/timings", "/dashboard/partials/referrals", "/dashboard/partials/crossings", "/dashboard/partials/totals"} {
		res, body := get(t, e, path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		for _, other := range []string{"b1", "post-b", "HYPERLINK", e.all[10].ID} {
			if strings.Contains(string(body), other) {
				t.Errorf("%s shows post-b's %q to post-a's supervisor", path, other)
			}
		}
	}
	_, body := get(t, e, "/dashboard")
	mustContain(t, "supervisor's dashboard", string(body), `data-gate="a1"`, `data-gate="a2"`,
		`id="total-all">10<`, // post-a's 10 stored crossings, not all 12
		e.all[9].ID)
	if strings.Contains(string(body), "messages refused") {
		t.Error("a supervisor sees the store-wide refused messages")
	}
	for _, what := range exportKinds {
		res, body := get(t, e, "/dashboard/export.csv?what="+what)
		if res.StatusCode != 200 || strings.Contains(string(body), "b1") || !strings.Contains(string(body), "a1") {
			t.Errorf("export %s for post-a's supervisor: %d\n%s", what, res.StatusCode, body)
		}
	}
	// The JSON API reads every post: not for a supervisor.
	if res, _ := get(t, e, "/api/gates"); res.StatusCode != http.StatusForbidden {
		t.Errorf("supervisor GET /api/gates: %d, want 403", res.StatusCode)
	}
}

func TestDashboardRoles(t *testing.T) {
	e := newSite(t, nil)
	e.as(t, "off-a", auth.RoleOfficer, "post-a")
	for _, path := range []string{"/dashboard", "/dashboard/partials/gates", "/dashboard/export.csv?what=gates"} {
		if res, _ := get(t, e, path); res.StatusCode != http.StatusForbidden {
			t.Errorf("officer GET %s: %d, want 403", path, res.StatusCode)
		}
	}
	e.as(t, "root", auth.RoleAdmin, "")
	res, body := get(t, e, "/dashboard")
	if res.StatusCode != 200 || !strings.Contains(string(body), `data-gate="b1"`) || !strings.Contains(string(body), `data-gate="a1"`) {
		t.Errorf("admin GET /dashboard: %d", res.StatusCode)
	}
}

func readCSV(t *testing.T, e *env, what string) [][]string {
	t.Helper()
	res, body := get(t, e, "/dashboard/export.csv?what="+what)
	if res.StatusCode != 200 {
		t.Fatalf("export %s: %d %s", what, res.StatusCode, body)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, what) {
		t.Errorf("export %s: Content-Disposition %q", what, cd)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("export %s: Content-Type %q", what, ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("export %s is not RFC 4180 CSV: %v\n%s", what, err, body)
	}
	return rows
}

func TestDashboardExportCSV(t *testing.T) {
	e := newSite(t, nil).as(t, "director", auth.RoleHQ, "")
	headers := map[string]string{
		"gates":      "post,gate,state,mode,alarms,devices,outbox_depth,disk_free_bytes,lists,config_version,latest_config_version,behind,status_received_at,last_crossing_at,crossings_total",
		"throughput": "post,gate,hour_start_utc,crossings,passes,refers",
		"timings":    "post,gate,crossings,median_s,p95_s,device_mean_s,software_mean_s,stage_mean_s",
		"reasons":    "post,gate,reason,referrals",
	}
	byKey := func(rows [][]string, cols ...int) map[string][]string {
		m := map[string][]string{}
		for _, r := range rows[1:] {
			var k []string
			for _, c := range cols {
				k = append(k, r[c])
			}
			m[strings.Join(k, "/")] = r
		}
		return m
	}
	all := map[string][][]string{}
	for what, header := range headers {
		rows := readCSV(t, e, what)
		if len(rows) == 0 || strings.Join(rows[0], ",") != header {
			t.Fatalf("export %s header = %v, want %s", what, rows, header)
		}
		all[what] = rows
	}

	gates := byKey(all["gates"], 1)
	if a1 := gates["a1"]; a1[0] != "post-a" || a1[5] != "camera=ok; door=fault" || a1[6] != "7" || a1[8] != "documents=41/42; persons=3/3" ||
		a1[9] != "5" || a1[10] != "5" || a1[11] != "true" || a1[14] != "7" {
		t.Errorf("gates row a1 = %q", a1)
	}
	// The injection guard: an alarm that a spreadsheet would run.
	if a2 := gates["a2"]; a2[4] != "'=camera offline" || a2[11] != "true" {
		t.Errorf("gates row a2 = %q", a2)
	}
	if len(gates) != 3 {
		t.Errorf("%d gate rows", len(gates))
	}

	// Throughput: every (gate, hour) of the window, counted from the fixtures.
	want := map[string][3]int{}
	for _, sp := range fixturesInWindow("", "") {
		k := sp.gate + "/" + now.Add(-sp.at).Truncate(time.Hour).Format(time.RFC3339)
		c := want[k]
		c[0]++
		if len(sp.reasons) > 0 {
			c[2]++
		} else {
			c[1]++
		}
		want[k] = c
	}
	tp := byKey(all["throughput"], 1, 2)
	if len(tp) != len(want) {
		t.Errorf("throughput rows %v, want %v", tp, want)
	}
	for k, c := range want {
		if r := tp[k]; r == nil || r[3] != fmt.Sprint(c[0]) || r[4] != fmt.Sprint(c[1]) || r[5] != fmt.Sprint(c[2]) {
			t.Errorf("throughput %s = %q, want %v", k, r, c)
		}
	}

	tm := byKey(all["timings"], 1)
	med, p95 := medianP95(fixturesInWindow("", "a2"))
	if a2 := tm["a2"]; a2[2] != "3" || a2[3] != fmt.Sprintf("%.3f", med) || a2[4] != fmt.Sprintf("%.3f", p95) ||
		!strings.HasPrefix(a2[7], "document=3.000; checks=1.000; decision=0.500; door=") {
		t.Errorf("timings a2 = %q", a2)
	}

	rs := byKey(all["reasons"], 1, 2)
	if r := rs["a2/watchlist_hit"]; r == nil || r[3] != "2" {
		t.Errorf("reasons a2/watchlist_hit = %q", r)
	}
	found := false
	for _, r := range all["reasons"][1:] {
		if r[1] == "b1" {
			found = true
			if r[2] != `'=HYPERLINK("http://evil")` {
				t.Errorf("formula reason not defused: %q", r[2])
			}
		}
	}
	if !found {
		t.Error("b1's reason missing from the export")
	}

	if res, _ := get(t, e, "/dashboard/export.csv?what=passwords"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown export: %d", res.StatusCode)
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+33 1": "'+33 1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "a=b": "a=b", "watchlist_hit": "watchlist_hit", "12.5": "12.5",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDashboardEmpty(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.UpsertStatus(context.Background(), wire.Status{V: 1, Gate: "q1", Post: "post-q", State: wire.StateOnline, At: now}); err != nil {
		t.Fatal(err)
	}
	accounts, auditLog := newAccounts(t, t.TempDir())
	srv, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: time.UTC,
		Now: func() time.Time { return now }, Auth: accounts, Audit: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: st, accounts: accounts, audit: auditLog}
	e.start(t, srv)
	e.as(t, "director", auth.RoleHQ, "")
	res, body := get(t, e, "/dashboard")
	if res.StatusCode != 200 {
		t.Fatalf("/dashboard: %d", res.StatusCode)
	}
	mustContain(t, "empty dashboard", string(body), `aria-label="post post-q: no crossings in the last 24 h"`,
		">no crossings in the last 24 h</text>", "No crossing received yet.",
		"post post-q: 0 of 0 crossings referred (—)", "config v0")
	if strings.Contains(string(body), "NaN") || strings.Contains(string(body), "<rect") {
		t.Errorf("empty dashboard draws bars or NaN")
	}
}

package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	store    *store.Store
	accounts *auth.Store
	audit    *audit.Log
	srv      *Server
	http     *httptest.Server
	client   *http.Client // logged in as hq (sees every post, the API too)
	csrf     string
	password string          // the "hq" user's
	all      []wire.Crossing // in id order
}

func crossingAt(gate string, seq int64, start time.Time, decision, docNumber string) wire.Crossing {
	c := wire.Crossing{
		V: 1, ID: wire.NewID(), Gate: gate, Post: "post-" + gate, Seq: seq, Direction: "entry",
		StartedAt: start, EndedAt: start.Add(13500 * time.Millisecond), Decision: decision, Door: "exit",
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: docNumber,
			Surname: "SECRETSURNAME", GivenNames: "HIDDEN", Nationality: "UTO", BirthDate: "1980-01-01", Sex: "M", ExpiryDate: "2030-01-01"},
		Checks:   []wire.Check{{Name: "mrz", Result: wire.ResultPass}},
		DeviceMS: 13000, SoftwareMS: 123.4,
	}
	if decision == wire.DecisionRefer {
		c.Checks = append(c.Checks, wire.Check{Name: "watchlist", Result: wire.ResultAlert, Reason: "watchlist_hit"})
	}
	return c
}

func newEnv(t *testing.T, health func(context.Context) error) *env {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accounts, auditLog := newAccounts(t, t.TempDir())
	e := &env{store: st, accounts: accounts, audit: auditLog}
	yesterday := now.Add(-24 * time.Hour)
	specs := []struct {
		gate     string
		start    time.Time
		decision string
		doc      string
	}{
		{"g1", yesterday, wire.DecisionPass, "X1234567A"},
		{"g1", now.Add(-3 * time.Hour), wire.DecisionPass, "AB9876543"},
		{"g2", now.Add(-2 * time.Hour), wire.DecisionRefer, "ZZ5550001"},
		{"g1", now.Add(-1 * time.Hour), wire.DecisionRefer, "QQ1112223"},
	}
	for i, sp := range specs {
		c := crossingAt(sp.gate, int64(i+1), sp.start, sp.decision, sp.doc)
		e.all = append(e.all, c)
		time.Sleep(2 * time.Millisecond) // ULID order = creation order
	}
	if _, _, err := st.InsertCrossings(context.Background(), e.all); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertStatus(context.Background(), wire.Status{V: 1, Gate: "g1", Post: "post-g1", State: wire.StateOnline,
		Mode: "normal", At: now, Devices: map[string]string{"camera": "ok", "fingerprint": "fault"}, OutboxDepth: 2}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertStatus(context.Background(), wire.Status{V: 1, Gate: "g2", State: wire.StateOffline, At: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordRejects(context.Background(), []store.Reject{{Topic: "t", Reason: "malformed", Error: "x"}}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "autogate_test_counter", Help: "test"}))
	srv, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Gatherer: reg,
		Health: health, Location: time.UTC, Now: func() time.Time { return now }, Auth: accounts, Audit: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	e.password = addUser(t, accounts, "hq", auth.RoleHQ, "")
	e.serve(t, srv)
	return e
}

// start serves srv over HTTP as e's server.
func (e *env) start(t *testing.T, srv *Server) {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	e.srv, e.http = srv, hs
}

// serve points e at another server over the same store and accounts, and
// logs in to it as hq.
func (e *env) serve(t *testing.T, srv *Server) {
	t.Helper()
	e.start(t, srv)
	e.client, e.csrf = login(t, e.http.URL, "hq", e.password)
}

func get(t *testing.T, e *env, path string) (*http.Response, []byte) {
	t.Helper()
	res, err := e.client.Get(e.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func getJSON(t *testing.T, e *env, path string, wantStatus int, v any) {
	t.Helper()
	res, body := get(t, e, path)
	if res.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d; body %s", path, res.StatusCode, wantStatus, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func TestAPIGates(t *testing.T) {
	e := newEnv(t, nil)
	var raw struct {
		Gates []map[string]any `json:"gates"`
	}
	getJSON(t, e, "/api/gates", 200, &raw)
	if len(raw.Gates) != 2 {
		t.Fatalf("%d gates", len(raw.Gates))
	}
	for _, key := range []string{"id", "post", "state", "mode", "devices", "outbox_depth", "last_crossing_at",
		"status_received_at", "crossings", "passes", "refers", "duplicate_deliveries", "today"} {
		if _, ok := raw.Gates[0][key]; !ok {
			t.Errorf("gate JSON lacks %q: %v", key, raw.Gates[0])
		}
	}
	var typed struct {
		Gates []APIGate `json:"gates"`
	}
	getJSON(t, e, "/api/gates", 200, &typed)
	g1, g2 := typed.Gates[0], typed.Gates[1]
	if g1.ID != "g1" || g1.State != "online" || g1.Crossings != 3 || g1.Today.Crossings != 2 || g1.Today.Refers != 1 ||
		g1.Devices["fingerprint"] != "fault" || g1.OutboxDepth != 2 {
		t.Errorf("g1 = %+v", g1)
	}
	if g2.ID != "g2" || g2.State != "offline" || g2.Today.Crossings != 1 || g2.Post != "post-g2" {
		t.Errorf("g2 = %+v", g2)
	}
	var apiErr apiError
	getJSON(t, e, "/api/gates?x=1", 400, &apiErr)
}

func TestAPICrossings(t *testing.T) {
	e := newEnv(t, nil)
	type resp struct {
		Crossings []wire.Crossing `json:"crossings"`
	}
	ids := func(cs []wire.Crossing) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	want := func(cs ...wire.Crossing) []string { return ids(cs) }
	a := e.all
	cases := []struct {
		query string
		want  []string
	}{
		{"", want(a[3], a[2], a[1], a[0])},
		{"?order=asc", want(a[0], a[1], a[2], a[3])},
		{"?limit=2", want(a[3], a[2])},
		{"?gate=g2", want(a[2])},
		{"?gate=g1&order=asc&limit=2", want(a[0], a[1])},
		{"?since=" + url.QueryEscape(now.Add(-150*time.Minute).Format(time.RFC3339)), want(a[3], a[2])},
		{"?since=" + a[1].ID + "&order=asc", want(a[2], a[3])},
		{"?since=" + strings.ToLower(a[1].ID) + "&order=asc", want(a[2], a[3])},
		{"?gate=nobody", nil},
	}
	for _, tc := range cases {
		var r resp
		getJSON(t, e, "/api/crossings"+tc.query, 200, &r)
		if strings.Join(ids(r.Crossings), ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v, want %v", tc.query, ids(r.Crossings), tc.want)
		}
	}
	// Shape: wire.Crossing, an empty list is [] not null, the full record.
	_, body := get(t, e, "/api/crossings?gate=nobody")
	if !strings.Contains(string(body), `"crossings": []`) {
		t.Errorf("empty result is not []: %s", body)
	}
	var r resp
	getJSON(t, e, "/api/crossings?gate=g2", 200, &r)
	if got := r.Crossings[0]; got.Document.DocumentNumber != "ZZ5550001" || got.Checks[1].Reason != "watchlist_hit" || !got.StartedAt.Equal(a[2].StartedAt) {
		t.Errorf("crossing JSON = %+v", got)
	}

	bad := map[string]string{
		"?limit=0":          "limit",
		"?limit=10001":      "limit",
		"?limit=ten":        "limit",
		"?order=up":         "order",
		"?since=yesterday":  "since",
		"?gate=a%20b":       "gate",
		"?gate=a%2Fb":       "gate",
		"?colour=blue":      "colour",
		"?limit=1&limit=2":  "limit",
		"?since=2025-13-01": "since",
	}
	for q, mention := range bad {
		var e1 apiError
		getJSON(t, e, "/api/crossings"+q, 400, &e1)
		if !strings.Contains(e1.Error, mention) {
			t.Errorf("%s: error %q does not mention %q", q, e1.Error, mention)
		}
	}
}

func TestAPIStats(t *testing.T) {
	e := newEnv(t, nil)
	// One re-delivery.
	if _, _, err := e.store.InsertCrossings(context.Background(), e.all[:1]); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	getJSON(t, e, "/api/stats", 200, &raw)
	for _, key := range []string{"total_crossings", "per_gate", "duplicate_deliveries", "rejected_by_reason", "rejected_total"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("stats lack %q: %v", key, raw)
		}
	}
	var st store.Stats
	getJSON(t, e, "/api/stats", 200, &st)
	if st.TotalCrossings != 4 || st.PerGate["g1"] != 3 || st.PerGate["g2"] != 1 || st.DuplicateDeliveries != 1 ||
		st.RejectedByReason["malformed"] != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestErrorsAndMethods(t *testing.T) {
	e := newEnv(t, nil)
	var apiErr apiError
	getJSON(t, e, "/api/nothing", 404, &apiErr)
	if !strings.Contains(apiErr.Error, "/api/crossings") {
		t.Errorf("404 does not point at the real endpoints: %q", apiErr.Error)
	}
	res, err := e.client.Post(e.http.URL+"/api/crossings", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/crossings: %d", res.StatusCode)
	}
	if res, _ := get(t, e, "/dashboard/partials/secrets"); res.StatusCode != 404 {
		t.Errorf("/dashboard/partials/secrets: %d", res.StatusCode)
	}
	if res, _ := get(t, e, "/nope"); res.StatusCode != 404 {
		t.Errorf("/nope: %d", res.StatusCode)
	}

	// Without a session: the API answers 401, a page sends to the login.
	for _, path := range []string{"/api/gates", "/api/crossings", "/api/stats", "/events", "/dashboard/partials/gates"} {
		res, err := http.Get(e.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a session: %d, want 401", path, res.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/dashboard", nil)
	req.Header.Set("Accept", "text/html")
	res, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
		t.Errorf("GET /dashboard without a session: %d to %q, want 303 to /login", res.StatusCode, loc)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, nil)
	var h map[string]string
	getJSON(t, e, "/healthz", 200, &h)
	if h["status"] != "ok" {
		t.Errorf("healthz = %v", h)
	}
	res, body := get(t, e, "/metrics")
	if res.StatusCode != 200 || !strings.Contains(string(body), "autogate_test_counter") {
		t.Errorf("/metrics: %d %s", res.StatusCode, body)
	}

	sick := newEnv(t, func(context.Context) error { return errors.New("not subscribed on the MQTT broker") })
	getJSON(t, sick, "/healthz", 503, &h)
	if h["status"] != "unhealthy" || !strings.Contains(h["error"], "MQTT") {
		t.Errorf("unhealthy healthz = %v", h)
	}
}

func TestDashboard(t *testing.T) {
	e := newEnv(t, nil)
	res, body := get(t, e, "/dashboard")
	page := string(body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/dashboard: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`id="gate-g1"`, `data-state="online"`, `class="state offline"`, // gates with colour classes
		`•••223`, `•••001`, // masked numbers
		"watchlist_hit", "13.5", "123", // reasons, duration s, software ms
		"passport (TD3)", "UTO",
		`src="/static/dashboard.js"`,
		`id="total-today">3<`, // today: 3 of the 4 crossings
		"fingerprint: fault",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	for _, secret := range []string{"QQ1112223", "ZZ5550001", "SECRETSURNAME", "HIDDEN"} {
		if strings.Contains(page, secret) {
			t.Errorf("dashboard shows %q", secret)
		}
	}
	res, body = get(t, e, "/dashboard/partials/crossings")
	if res.StatusCode != 200 || !strings.Contains(string(body), e.all[3].ID) || strings.Contains(string(body), "<html") {
		t.Errorf("crossings section: %d %s", res.StatusCode, body)
	}
	res, body = get(t, e, "/static/dashboard.js")
	if res.StatusCode != 200 || !strings.Contains(string(body), "EventSource") {
		t.Errorf("script: %d", res.StatusCode)
	}
}

func TestMaskDocumentNumber(t *testing.T) {
	for in, want := range map[string]string{"L898902C3": "•••2C3", "AB1": "•••", "": "•••", "1234": "•••234", "ÄÖÜ12": "•••Ü12"} {
		if got := MaskDocumentNumber(in); got != want {
			t.Errorf("MaskDocumentNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEventsCoalesce checks the stream names what changed and merges bursts.
func TestEventsCoalesce(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.http.URL+"/events", nil)
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		close(events)
	}()
	for e.srv.hub.clientCount() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	e.srv.Notify(false, true, false)
	if got := <-events; got != EventGates {
		t.Fatalf("first event %q, want gates", got)
	}
	// A burst of 200 notices within one interval becomes at most one more
	// round of events.
	for range 200 {
		e.srv.Notify(true, false, false)
	}
	time.Sleep(2 * MinEventInterval)
	n := 0
drain:
	for {
		select {
		case ev := <-events:
			if ev != EventCrossings {
				t.Fatalf("unexpected event %q", ev)
			}
			n++
		default:
			break drain
		}
	}
	if n < 1 || n > 2 {
		t.Fatalf("%d crossings events for a burst of 200 notices, want 1 or 2", n)
	}
}

func TestGateCollector(t *testing.T) {
	e := newEnv(t, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewGateCollector(e.store, nil))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			gate := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "gate" {
					gate = l.GetValue()
				}
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			got[mf.GetName()+"/"+gate] = v
		}
	}
	want := map[string]float64{
		"autogate_central_gate_up/g1": 1, "autogate_central_gate_up/g2": 0,
		"autogate_central_gate_outbox_depth/g1":    2,
		"autogate_central_gate_crossings_total/g1": 3, "autogate_central_gate_crossings_total/g2": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if got["autogate_central_gate_last_status_timestamp_seconds/g1"] < float64(now.Add(-time.Hour).Unix()) {
		t.Errorf("last status timestamp missing: %v", got)
	}
}

// TestEventStreamOutlivesWriteTimeout: central's http.Server has a write
// timeout for ordinary requests; the event stream must lift it for itself.
func TestEventStreamOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t, nil)
	hs := httptest.NewUnstartedServer(e.srv)
	hs.Config.WriteTimeout = 200 * time.Millisecond
	hs.Start()
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/events", nil)
	client, _ := login(t, hs.URL, "hq", e.password)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	time.Sleep(3 * hs.Config.WriteTimeout)
	e.srv.Notify(true, false, false)
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if sc.Text() == "event: "+EventCrossings {
			return
		}
	}
	t.Fatalf("stream ended before the event: %v", sc.Err())
}

// TestStaleGate: a gate that says online but whose last status is older
// than three of its heartbeats is shown, served and counted as stale; one
// that gives no heartbeat is judged on 10 s. Its alarms and free disk are
// in the API and on the page.
func TestStaleGate(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.store.UpsertStatus(context.Background(), wire.Status{V: 1, Gate: "g3", State: wire.StateOnline, Mode: "normal",
		At: now, HeartbeatS: 5, ConfigVersion: 7, DiskFreeBytes: 123 << 20, Lists: map[string]int64{"persons": 12},
		Alarms: []string{"disk_low: 123 MB free on the data folder, below 200 MB"}}); err != nil {
		t.Fatal(err)
	}
	// 20 s after the statuses arrived: g3 (5 s heartbeat) is three beats
	// late, g1 (no heartbeat given: 10 s) is not.
	later := func() time.Time { return time.Now().Add(20 * time.Second) }
	srv, err := New(Config{Store: e.store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: time.UTC, Now: later,
		Auth: e.accounts, Audit: e.audit})
	if err != nil {
		t.Fatal(err)
	}
	e.serve(t, srv)

	var api struct {
		Gates []map[string]any `json:"gates"`
	}
	getJSON(t, e, "/api/gates", 200, &api)
	byID := map[string]map[string]any{}
	for _, g := range api.Gates {
		byID[g["id"].(string)] = g
	}
	for _, key := range []string{"stale", "config_version", "disk_free_bytes", "alarms", "lists", "outbox_depth", "heartbeat_s"} {
		if _, ok := byID["g1"][key]; !ok {
			t.Errorf("gate JSON lacks %q: %v", key, byID["g1"])
		}
	}
	g3 := byID["g3"]
	if g3["stale"] != true || g3["state"] != "online" || g3["config_version"] != 7.0 || g3["disk_free_bytes"] != float64(123<<20) ||
		len(g3["alarms"].([]any)) != 1 || g3["lists"].(map[string]any)["persons"] != 12.0 {
		t.Errorf("g3 = %v", g3)
	}
	if byID["g1"]["stale"] != false || byID["g2"]["stale"] != false {
		t.Errorf("g1 stale=%v (10 s heartbeat, 20 s silent), g2 stale=%v (offline)", byID["g1"]["stale"], byID["g2"]["stale"])
	}

	_, body := get(t, e, "/dashboard/partials/gates")
	page := string(body)
	for _, want := range []string{`<span class="state stale" title="says online, but no status for 2`, "disk_low: 123 MB free", "123 MB",
		`<span class="state online"`, `<span class="state offline"`} {
		if !strings.Contains(page, want) {
			t.Errorf("gates section lacks %q:\n%s", want, page)
		}
	}
	_, body = get(t, e, "/dashboard/partials/totals")
	if !strings.Contains(string(body), `id="gates-online">1/3<`) {
		t.Errorf("totals count a stale gate as online:\n%s", body)
	}

	col := NewGateCollector(e.store, nil)
	col.Now = later
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]float64{}
	up := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				switch {
				case mf.GetName() == "autogate_central_gates" && l.GetName() == "state":
					states[l.GetValue()] = m.GetGauge().GetValue()
				case mf.GetName() == "autogate_central_gate_up" && l.GetName() == "gate":
					up[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	if states["online"] != 1 || states["offline"] != 1 || states["stale"] != 1 {
		t.Errorf("autogate_central_gates = %v, want online 1, offline 1, stale 1", states)
	}
	if up["g1"] != 1 || up["g3"] != 0 {
		t.Errorf("gate_up = %v, want g1 1 and the stale g3 0", up)
	}
}

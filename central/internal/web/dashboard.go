package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// dashboard is everything the HQ page shows, already cut down to the posts
// the viewer may see.
type dashboard struct {
	Nav       navView
	Generated string
	Window    string // "since 2025-06-01 13:00", the 24 h the figures cover
	Totals    totalsView
	Posts     []postView
	Crossings []crossingView
	// AllPosts: the viewer reads every post (hq, admin); a supervisor sees
	// one and no store-wide figures (refused messages have no post).
	AllPosts bool
	Exports  []string
}

type totalsView struct {
	Crossings   int64
	Today       int64
	TodayPass   int64
	TodayRefer  int64
	ReferRate   string // of today's crossings
	GatesOnline int
	Gates       int
	GatesBehind int
	Duplicates  int64
	Rejected    int64
}

// postView is one post and its gates, with the last 24 h's figures.
type postView struct {
	Name   string // "" for gates that never said
	Anchor string // an id for the page
	Chart  template.HTML
	// Over the last 24 h.
	Crossings, Refers int
	ReferRate         string
	Median, P95       string // over all the post's crossings ("—" without any)
	TimingN           int
	Reasons           []reasonView
	Gates             []gateView
}

// DisplayName is the post's name as shown.
func (p postView) DisplayName() string {
	if p.Name == "" {
		return "(no post yet)"
	}
	return p.Name
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
	Versions       []versionView
	Behind         bool
	// Over the last 24 h.
	Crossings24, Refers24 int
	ReferRate             string
	Reasons               []reasonView
	Timing                *timingView
	gate                  store.Gate // as read, for the CSV export
}

type deviceView struct {
	Name, State string
	OK          bool
}

// versionView is one list (or the config) at a gate against the latest.
type versionView struct {
	Name           string
	Have, Latest   int64
	Known, Behind  bool // Known: the latest is known
	NotReported    bool // the gate's status does not name this list
	LatestNotKnown bool
}

// Text is what the page writes: "documents v41 of 42".
func (v versionView) Text() string {
	have := fmt.Sprintf("v%d", v.Have)
	if v.NotReported {
		have = "not reported"
	}
	if !v.Known {
		return v.Name + " " + have
	}
	return fmt.Sprintf("%s %s of %d", v.Name, have, v.Latest)
}

type reasonView struct {
	Reason string
	N      int
	Share  string // of the referrals
}

type timingView struct {
	N                     int
	Median, P95           string
	Stages                []segment
	StageBar, DeviceBar   template.HTML
	DeviceMean, SoftMean  string
	StagesText, SplitText string
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
	sectionGates      section = 1 << iota // gates, their status and versions, and totals
	sectionCrossings                      // recent crossings
	sectionThroughput                     // crossings per hour (24 h)
	sectionTimings                        // crossing times and stages (24 h)
	sectionReferrals                      // referral rates and reasons (24 h)
	sectionAll        = sectionGates | sectionCrossings | sectionThroughput | sectionTimings | sectionReferrals
)

// Window is how far back the dashboard's charts and figures look.
const Window = 24 * time.Hour

// windowStart is the first hour of the 24 h window: the chart's bars are
// whole hours, the current one last.
func (s *Server) windowStart() time.Time {
	return s.cfg.Now().Truncate(time.Hour).Add(-Window + time.Hour)
}

// build reads what the sections need, keeping only the posts the viewer
// may see.
func (s *Server) build(ctx context.Context, v auth.User, what section) (dashboard, error) {
	now := s.cfg.Now()
	d := dashboard{
		Generated: now.In(s.cfg.Location).Format("2006-01-02 15:04:05 MST"),
		Window:    "since " + s.windowStart().In(s.cfg.Location).Format("2006-01-02 15:04"),
		AllPosts:  v.Role.SeesAllPosts(),
		Exports:   exportKinds,
	}
	// The gates are always read: they say which post a gate belongs to.
	gates, err := s.gatesWithToday(ctx)
	if err != nil {
		return d, err
	}
	gates = slices.DeleteFunc(gates, func(g APIGate) bool { return !v.CanSeePost(g.Post) })
	posts := map[string]*postView{}
	gateIndex := map[string]*gateView{}
	var latest map[string]int64
	if what&sectionGates != 0 && s.cfg.Versions != nil {
		if latest, err = s.cfg.Versions(ctx); err != nil {
			// The page is still worth showing without the comparison.
			s.log.Warn("dashboard: latest list versions unknown", "error", err)
			latest = nil
		}
	}
	for _, g := range gates {
		p := posts[g.Post]
		if p == nil {
			p = &postView{Name: g.Post, Anchor: "post-" + anchor(g.Post)}
			posts[g.Post] = p
		}
		p.Gates = append(p.Gates, s.gateView(g, now, latest))
	}
	for _, name := range slices.Sorted(maps.Keys(posts)) {
		d.Posts = append(d.Posts, *posts[name])
	}
	for i := range d.Posts {
		for j := range d.Posts[i].Gates {
			gateIndex[d.Posts[i].Gates[j].ID] = &d.Posts[i].Gates[j]
		}
	}
	if what&sectionGates != 0 {
		if err := s.buildTotals(ctx, v, gates, now, &d); err != nil {
			return d, err
		}
	}
	// The hourly counts serve the chart and the referral rates: read once.
	var hours []store.HourCount
	if what&(sectionThroughput|sectionReferrals) != 0 {
		if hours, err = s.throughput(ctx, v); err != nil {
			return d, err
		}
	}
	if what&sectionThroughput != 0 {
		s.buildThroughput(hours, &d)
	}
	if what&sectionTimings != 0 {
		if err := s.buildTimings(ctx, v, &d, gateIndex); err != nil {
			return d, err
		}
	}
	if what&sectionReferrals != 0 {
		if err := s.buildReferrals(ctx, v, &d, gateIndex, hours); err != nil {
			return d, err
		}
	}
	if what&sectionCrossings != 0 {
		if err := s.buildCrossings(ctx, v, gates, &d); err != nil {
			return d, err
		}
	}
	return d, nil
}

// anchor turns a post name (a gate-id style name) into an HTML id part.
func anchor(post string) string {
	if post == "" {
		return "none"
	}
	return post
}

func (s *Server) gateView(g APIGate, now time.Time, latest map[string]int64) gateView {
	state := g.DisplayState(now)
	gv := gateView{
		ID: g.ID, Post: g.Post, State: state, Mode: g.Mode, Alarms: g.Alarms, DiskFree: diskSize(g.DiskFreeBytes),
		ModeAlert: g.Mode != "" && g.Mode != "normal",
		Today:     g.Today, Total: g.Crossings,
		LastCrossing: s.formatTime(g.LastCrossingAt), StatusAge: "never",
		OutboxDepth: g.OutboxDepth, DevicesUnknown: len(g.Devices) == 0,
		ReferRate: "—", gate: g.Gate,
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
	gv.Versions = versions(g.Gate, latest)
	for _, v := range gv.Versions {
		gv.Behind = gv.Behind || v.Behind
	}
	return gv
}

// versions compares the lists and config a gate has in force with the
// latest central holds: lists in name order, the config last. A gate that
// never reported a list the store knows is behind on it once version 1
// exists.
func versions(g store.Gate, latest map[string]int64) []versionView {
	names := map[string]bool{}
	for n := range g.Lists {
		names[n] = true
	}
	for n := range latest {
		if n != wire.ConfigList {
			names[n] = true
		}
	}
	if g.State == store.StateUnknown && len(g.Lists) == 0 && g.ConfigVersion == 0 {
		return nil // never seen: nothing is in force
	}
	out := make([]versionView, 0, len(names)+1)
	mk := func(name string, have int64, reported bool) versionView {
		vv := versionView{Name: name, Have: have, NotReported: !reported}
		if l, ok := latest[name]; ok {
			vv.Known, vv.Latest = true, l
			vv.Behind = have < l
		}
		return vv
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		have, ok := g.Lists[n]
		out = append(out, mk(n, have, ok))
	}
	return append(out, mk(wire.ConfigList, g.ConfigVersion, true))
}

func (s *Server) buildTotals(ctx context.Context, v auth.User, gates []APIGate, now time.Time, d *dashboard) error {
	d.Totals = totalsView{Gates: len(gates), ReferRate: "—"}
	for _, g := range gates {
		d.Totals.Today += g.Today.Crossings
		d.Totals.TodayPass += g.Today.Passes
		d.Totals.TodayRefer += g.Today.Refers
		d.Totals.Crossings += g.Crossings
		d.Totals.Duplicates += g.Duplicates
		if g.DisplayState(now) == wire.StateOnline {
			d.Totals.GatesOnline++
		}
	}
	for _, p := range d.Posts {
		for _, g := range p.Gates {
			if g.Behind {
				d.Totals.GatesBehind++
			}
		}
	}
	if d.Totals.Today > 0 {
		d.Totals.ReferRate = percent(int(d.Totals.TodayRefer), int(d.Totals.Today))
	}
	if v.Role.SeesAllPosts() {
		stats, err := s.cfg.Store.Stats(ctx)
		if err != nil {
			return err
		}
		d.Totals.Rejected = stats.RejectedTotal
	}
	return nil
}

func percent(n, of int) string {
	if of <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// postOf finds the post a figure belongs to: its own, else its gate's.
func postOf(d *dashboard, post, gate string) (*postView, bool) {
	for i := range d.Posts {
		if d.Posts[i].Name == post {
			return &d.Posts[i], true
		}
	}
	for i := range d.Posts {
		for _, g := range d.Posts[i].Gates {
			if g.ID == gate {
				return &d.Posts[i], true
			}
		}
	}
	return nil, false
}

// inWindow runs one of the store's HQ queries over the dashboard's window
// and keeps the rows of the posts v may see.
func inWindow[T any](ctx context.Context, s *Server, v auth.User, read func(context.Context, time.Time) ([]T, error), post func(T) string) ([]T, error) {
	rows, err := read(ctx, s.windowStart())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rows, func(row T) bool { return !v.CanSeePost(post(row)) }), nil
}

// The window's rows of each HQ query, for v.
func (s *Server) throughput(ctx context.Context, v auth.User) ([]store.HourCount, error) {
	return inWindow(ctx, s, v, s.cfg.Store.Throughput, func(h store.HourCount) string { return h.Post })
}

func (s *Server) timings(ctx context.Context, v auth.User) ([]store.Timing, error) {
	return inWindow(ctx, s, v, s.cfg.Store.Timings, func(t store.Timing) string { return t.Post })
}

func (s *Server) reasons(ctx context.Context, v auth.User) ([]store.ReasonCount, error) {
	return inWindow(ctx, s, v, s.cfg.Store.ReferralReasons, func(r store.ReasonCount) string { return r.Post })
}

func (s *Server) buildThroughput(rows []store.HourCount, d *dashboard) {
	start := s.windowStart()
	hours := int(Window / time.Hour)
	byPost := map[*postView][]hourBar{}
	for i := range d.Posts {
		byPost[&d.Posts[i]] = s.emptyHours(start, hours)
	}
	for _, h := range rows {
		p, ok := postOf(d, h.Post, h.Gate)
		if !ok {
			// A post with crossings but no gate row cannot happen (ingest
			// creates the gate); skip rather than guess.
			continue
		}
		i := int(h.Hour.Sub(start) / time.Hour)
		if i < 0 || i >= hours {
			continue
		}
		bars := byPost[p]
		bars[i].Crossings += h.Crossings
		bars[i].Refer += h.Refers
		bars[i].Pass += h.Crossings - h.Refers
		p.Crossings += h.Crossings
	}
	for p, bars := range byPost {
		p.Chart = throughputSVG("post "+p.DisplayName(), bars)
	}
}

// emptyHours lays out the window's hours, labelled in the display zone.
func (s *Server) emptyHours(start time.Time, n int) []hourBar {
	bars := make([]hourBar, n)
	for i := range bars {
		t := start.Add(time.Duration(i) * time.Hour).In(s.cfg.Location)
		bars[i] = hourBar{Label: t.Format("15:04"), IsAxisLabel: i%3 == 0 || i == n-1}
	}
	return bars
}

// stageOrder is the order a crossing goes through its stages (the
// gate-agent's flow); stages not named here follow alphabetically.
var stageOrder = []string{"idle", "document", "checks", "decision", "door", "record"}

func stageRank(name string) int {
	if i := slices.Index(stageOrder, name); i >= 0 {
		return i
	}
	return len(stageOrder)
}

func sortedStages(m map[string]float64) []segment {
	segs := make([]segment, 0, len(m))
	for name, s := range m {
		segs = append(segs, segment{Name: name, Seconds: s, Colour: stageRank(name)})
	}
	slices.SortFunc(segs, func(a, b segment) int {
		return cmp.Or(cmp.Compare(stageRank(a.Name), stageRank(b.Name)), strings.Compare(a.Name, b.Name))
	})
	return segs
}

func (s *Server) buildTimings(ctx context.Context, v auth.User, d *dashboard, gates map[string]*gateView) error {
	rows, err := s.timings(ctx, v)
	if err != nil {
		return err
	}
	// One scale for every bar of the page, so that a slow gate looks slow.
	full := 0.0
	for _, t := range rows {
		sum := 0.0
		for _, sec := range t.StageMeanS {
			sum += sec
		}
		full = max(full, sum, t.DeviceMeanS+t.SoftwareMeanS)
	}
	for i := range d.Posts {
		d.Posts[i].Median, d.Posts[i].P95 = "—", "—"
	}
	for _, t := range rows {
		if t.Gate == "" { // the post's own figures, over all its crossings
			if p, ok := postOf(d, t.Post, ""); ok && t.N > 0 {
				p.TimingN, p.Median, p.P95 = t.N, seconds(t.MedianS), seconds(t.P95S)
			}
			continue
		}
		g := gates[t.Gate]
		_, ok := postOf(d, t.Post, t.Gate)
		if g == nil || !ok || t.N == 0 {
			continue
		}
		stages := sortedStages(t.StageMeanS)
		split := []segment{{"device", t.DeviceMeanS, 0}, {"software", t.SoftwareMeanS, 2}}
		var words []string
		for _, st := range stages {
			words = append(words, st.Name+" "+seconds(st.Seconds)+" s")
		}
		g.Timing = &timingView{
			N: t.N, Median: seconds(t.MedianS), P95: seconds(t.P95S), Stages: stages,
			StageBar:   stackedBarSVG("gate "+t.Gate+" mean seconds by stage", stages, full),
			DeviceBar:  stackedBarSVG("gate "+t.Gate+" mean seconds on devices and in software", split, full),
			DeviceMean: seconds(t.DeviceMeanS), SoftMean: seconds(t.SoftwareMeanS),
			StagesText: strings.Join(words, " · "),
			SplitText:  "device " + seconds(t.DeviceMeanS) + " s · software " + seconds(t.SoftwareMeanS) + " s",
		}
	}
	return nil
}

func (s *Server) buildReferrals(ctx context.Context, v auth.User, d *dashboard, gates map[string]*gateView, hours []store.HourCount) error {
	// Rates need the window's crossings and refers per gate.
	for _, h := range hours {
		if g := gates[h.Gate]; g != nil {
			g.Crossings24 += h.Crossings
			g.Refers24 += h.Refers
		}
	}
	rows, err := s.reasons(ctx, v)
	if err != nil {
		return err
	}
	postReasons := map[*postView]map[string]int{}
	for _, r := range rows {
		g := gates[r.Gate]
		p, ok := postOf(d, r.Post, r.Gate)
		if g == nil || !ok {
			continue
		}
		g.Reasons = append(g.Reasons, reasonView{Reason: r.Reason, N: r.N})
		if postReasons[p] == nil {
			postReasons[p] = map[string]int{}
		}
		postReasons[p][r.Reason] += r.N
	}
	for i := range d.Posts {
		p := &d.Posts[i]
		p.Crossings, p.Refers = 0, 0
		for j := range p.Gates {
			g := &p.Gates[j]
			p.Crossings += g.Crossings24
			p.Refers += g.Refers24
			g.ReferRate = percent(g.Refers24, g.Crossings24)
			sortReasons(g.Reasons, g.Refers24)
		}
		p.ReferRate = percent(p.Refers, p.Crossings)
		for reason, n := range postReasons[p] {
			p.Reasons = append(p.Reasons, reasonView{Reason: reason, N: n})
		}
		sortReasons(p.Reasons, p.Refers)
	}
	return nil
}

// sortReasons puts the commonest first and works out each one's share of
// the referrals (a referral with two reasons counts for both, so shares
// may add up to more than 100 %).
func sortReasons(rs []reasonView, refers int) {
	slices.SortFunc(rs, func(a, b reasonView) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Reason, b.Reason)) })
	for i := range rs {
		rs[i].Share = percent(rs[i].N, refers)
	}
}

func (s *Server) buildCrossings(ctx context.Context, v auth.User, gates []APIGate, d *dashboard) error {
	var cs []wire.Crossing
	if v.Role.SeesAllPosts() {
		var err error
		if cs, err = s.cfg.Store.Crossings(ctx, store.Query{Limit: DashboardCrossings, Order: store.Desc}); err != nil {
			return err
		}
	} else {
		// The post's few gates, each read for its newest, then merged.
		for _, g := range gates {
			got, err := s.cfg.Store.Crossings(ctx, store.Query{Gate: g.ID, Limit: DashboardCrossings, Order: store.Desc})
			if err != nil {
				return err
			}
			cs = append(cs, got...)
		}
		slices.SortFunc(cs, func(a, b wire.Crossing) int { return strings.Compare(b.ID, a.ID) })
		cs = cs[:min(len(cs), DashboardCrossings)]
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

// render answers 200 with a template (the console and login pages use it
// too).
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	s.renderStatus(w, r, http.StatusOK, name, data)
}

// renderStatus executes a template into a buffer first: a template error
// must not leave half a page.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("rendering", "template", name, "path", r.URL.Path, "error", err)
		http.Error(w, "internal error rendering the page; see central's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// The officers' console: the live referral queue of the officer's post,
// a referral's detail (images, document, checks, timings), the actions
// that settle it, the post's gates (lock, unlock) and a search of recent
// crossings. Only officers and supervisors open it, and each sees and acts
// on their own post only.

// Console windows and bounds.
const (
	QueueWindow  = 12 * time.Hour      // the queue shows referrals received this recently
	SearchWindow = 30 * 24 * time.Hour // the search looks this far back
	SearchLimit  = 50
	maxNote      = 200 // characters of an officer's optional note
	maxActBody   = 16 << 10
	// DefaultCommandWait is how long an action waits for the gate's ack
	// when Config.CommandWait is zero.
	DefaultCommandWait = 5 * time.Second
	// DefaultImageRetention is what the console says when
	// Config.ImageRetention is zero (the purge's own default).
	DefaultImageRetention = 24 * time.Hour
)

// ReferralActions are the actions that settle a referral, each with the
// reasons an officer picks from (the gate and the audit log get the
// reason as written here).
var ReferralActions = []ActionChoice{
	{wire.ActionOpenExit, "Approve: open the exit", []string{
		"documents verified by officer", "face verified by officer", "list hit cleared", "technical fault of the gate"}},
	{wire.ActionReturn, "Return: open the entrance", []string{
		"traveller not eligible for the e-gate", "document not accepted", "traveller asked to leave"}},
	{wire.ActionManualBooth, "Send to the manual booth", []string{
		"further examination needed", "list hit", "face not verified", "document problem"}},
}

// GateActions are lock and unlock, with their reasons.
var GateActions = []ActionChoice{
	{wire.ActionLock, "Lock", []string{"lane fault", "security incident", "cleaning", "end of shift"}},
	{wire.ActionUnlock, "Unlock", []string{"resumed"}},
}

// ActionChoice is one action of a console form and its reasons.
type ActionChoice struct {
	Action  string
	Label   string
	Reasons []string
}

// checkReason finds action among choices and checks that reason is one
// of its reasons.
func checkReason(choices []ActionChoice, action, reason string) error {
	var names []string
	for _, c := range choices {
		names = append(names, c.Action)
		if c.Action != action {
			continue
		}
		if !slices.Contains(c.Reasons, reason) {
			return fmt.Errorf("reason %q is not one of %s's reasons: %s", reason, action, strings.Join(c.Reasons, "; "))
		}
		return nil
	}
	return fmt.Errorf("action %q: want one of %s", action, strings.Join(names, ", "))
}

// acting holds the referrals whose command is being sent right now: two
// officers clicking at once must not both send (once sent, the command is
// in the store and the referral's state says so).
var acting sync.Map

var consoleRoles = []auth.Role{auth.RoleOfficer, auth.RoleSupervisor}

// routesConsole registers the officers' console under /console.
func (s *Server) routesConsole() {
	g := func(h http.HandlerFunc) http.HandlerFunc { return s.guard(h, consoleRoles...) }
	post := func(h http.HandlerFunc) http.HandlerFunc { return limitBody(maxActBody, g(h)) }
	s.mux.HandleFunc("GET /console", g(s.handleConsole))
	s.mux.HandleFunc("GET /console/queue", g(s.handleQueue))
	s.mux.HandleFunc("GET /console/gates", g(s.handleGatesPanel))
	s.mux.HandleFunc("GET /console/search", g(s.handleSearch))
	s.mux.HandleFunc("GET /console/referrals/{id}", g(s.handleReferral))
	s.mux.HandleFunc("GET /console/referrals/{id}/image/{kind}", g(s.handleImage))
	s.mux.HandleFunc("POST /console/referrals/{id}/act", post(s.handleAct))
	s.mux.HandleFunc("POST /console/gates/{gate}/{op}", post(s.handleGateOp))
}

// --- views ---

// consolePage is what /console shows.
type consolePage struct {
	Nav       navView
	CSRF      string
	Post      string
	Queue     []queueRow
	Gates     []gateRow
	Detail    *referralView // the referral opened with ?referral=
	Actions   []ActionChoice
	GateOps   []ActionChoice // GateActions: lock, then unlock
	Retention string
	Error     string
	Notice    string
}

// queueRow is one referral of the queue.
type queueRow struct {
	ID, Gate, Time, State, StateText string
	Sig                              string // changes when the referral does (see sig)
	Countdown                        bool   // StateText is the time left to act, kept current by the page
	HeldUntil                        string // RFC 3339, for the page's countdown; "" when not held or settled
	Reasons                          []string
	Selected                         bool
}

type gateRow struct {
	ID, State, Mode string
	Locked, Stale   bool
}

// referralView is a referral's detail.
type referralView struct {
	ID, Gate, Post, Received, State, StateText, HeldUntil string
	Sig                                                   string
	Countdown                                             bool
	Doc                                                   wire.Document
	Reasons                                               []string
	Checks                                                []checkView
	Stages                                                template.HTML
	DeviceMS, SoftwareMS                                  string
	Images                                                []imageView
	Command                                               *commandView
	CanAct                                                bool
	WhyNot                                                string // why the actions are not offered
	CSRF                                                  string
	Actions                                               []ActionChoice
}

type checkView struct {
	Name, Result, Reason, Message, Duration string
	Scores                                  []scoreView
}

type scoreView struct{ Name, Value, Versus string }

type imageView struct {
	Kind, Label, URL string
	Held             bool
}

type commandView struct {
	ID, Action, Reason, Officer, Issued string
	Ack                                 string // done, refused, pending, expired
	Text                                string
}

func referReasons(c wire.Crossing) []string {
	var out []string
	for _, ch := range c.Checks {
		if ch.Result != wire.ResultPass && ch.Reason != "" && !slices.Contains(out, ch.Reason) {
			out = append(out, ch.Reason)
		}
	}
	return out
}

// pendingCommand reports whether the referral's latest command is still
// on its way: sent, not answered, not expired.
func pendingCommand(r store.Referral, now time.Time) bool {
	c := r.Command
	return c != nil && c.AckResult == "" && now.Before(c.ExpiresAt)
}

func (s *Server) stateText(r store.Referral, now time.Time) string {
	switch r.State {
	case store.ReferralSettled:
		if c := r.Command; c != nil {
			return "settled: " + c.Action + " by " + c.Officer
		}
		return "settled"
	case store.ReferralClosed:
		return "closed without an officer · door " + orDash(r.Door)
	}
	switch {
	case pendingCommand(r, now):
		return "command sent: " + r.Command.Action + ", waiting for the gate"
	case r.Command != nil && r.Command.AckResult == wire.CommandRefused:
		return "waiting · the gate refused " + r.Command.Action + ": " + r.Command.AckReason
	case r.HeldUntil.IsZero():
		return "waiting · not held: the gate returns the traveller"
	case now.Before(r.HeldUntil):
		return fmt.Sprintf("waiting · %d s left", int(r.HeldUntil.Sub(now).Seconds()))
	}
	return "waiting · the gate stopped holding the traveller"
}

// sig sums up what the console shows of a referral beside the clock: the
// page re-reads an opened referral only when its queue row's sig changed,
// so an officer's half-filled form is not reset by other referrals.
func sig(r store.Referral) string {
	if c := r.Command; c != nil {
		return r.State + "|" + c.ID + "|" + c.AckResult
	}
	return r.State
}

// countdown reports whether the state text is the time left to act.
func countdown(r store.Referral, now time.Time) bool {
	return r.State == store.ReferralWaiting && !r.HeldUntil.IsZero() && !pendingCommand(r, now) &&
		(r.Command == nil || r.Command.AckResult != wire.CommandRefused)
}

func heldUntil(r store.Referral) string {
	if r.State != store.ReferralWaiting || r.HeldUntil.IsZero() {
		return ""
	}
	return r.HeldUntil.UTC().Format(time.RFC3339)
}

func (s *Server) queueRows(refs []store.Referral, selected string) []queueRow {
	now := s.cfg.Now()
	rows := make([]queueRow, 0, len(refs))
	for _, r := range refs {
		rows = append(rows, queueRow{ID: r.ID, Gate: r.Gate, Time: s.formatTime(r.ReceivedAt), State: r.State,
			StateText: s.stateText(r, now), HeldUntil: heldUntil(r), Reasons: referReasons(r.Crossing), Selected: r.ID == selected,
			Sig: sig(r), Countdown: countdown(r, now)})
	}
	return rows
}

// scores shows a check's figures, each score beside its threshold.
func scores(m map[string]float64) []scoreView {
	var out []scoreView
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasSuffix(k, "_threshold") {
			if _, paired := m[strings.TrimSuffix(k, "_threshold")+"_score"]; paired {
				continue // shown beside its score
			}
		}
		sv := scoreView{Name: strings.ReplaceAll(k, "_", " "), Value: strconv.FormatFloat(m[k], 'f', 3, 64)}
		if t, ok := m[strings.TrimSuffix(k, "_score")+"_threshold"]; ok && strings.HasSuffix(k, "_score") {
			sv.Versus = "threshold " + strconv.FormatFloat(t, 'f', 3, 64)
		}
		out = append(out, sv)
	}
	return out
}

func ms(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) + " ms" }

// Stage-timing chart geometry (viewBox units).
const (
	stLabelW = 110
	stBarW   = 200
	stRowH   = 18
	stWidth  = stLabelW + stBarW + 70
)

// stageTimesSVG draws one horizontal bar per stage, as long as its share
// of the longest stage, with its milliseconds written beside it (an SVG
// width attribute is not CSS, so the strict CSP allows it).
func stageTimesSVG(stages []wire.Stage) template.HTML {
	if len(stages) == 0 {
		return template.HTML(`<p class="muted">no stage timings</p>`)
	}
	longest := 0.0
	var words []string
	for _, st := range stages {
		d := float64(st.End.Sub(st.Start).Microseconds()) / 1000
		longest = max(longest, d)
		words = append(words, st.Name+" "+ms(d))
	}
	var b strings.Builder
	svgOpen(&b, stWidth, stRowH*len(stages), "stage timings: "+strings.Join(words, ", "), "chart stage-times")
	for i, st := range stages {
		d := float64(st.End.Sub(st.Start).Microseconds()) / 1000
		w := 0.0
		if longest > 0 && d > 0 {
			w = max(1, d/longest*stBarW)
		}
		y := i * stRowH
		fmt.Fprintf(&b, `<g class="stage" data-name="%s"><title>%s: %s</title>`, esc(st.Name), esc(st.Name), ms(d))
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="11" fill="#111827">%s</text>`, y+13, esc(st.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" fill="%s"/>`, stLabelW, y+3, num(w), stRowH-6, segmentColours[stageRank(st.Name)%len(segmentColours)])
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="11" fill="#374151">%s</text></g>`, num(stLabelW+w+4), y+13, ms(d))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (s *Server) commandView(c *store.Command, now time.Time) *commandView {
	if c == nil {
		return nil
	}
	v := &commandView{ID: c.ID, Action: c.Action, Reason: c.Reason, Officer: c.Officer, Issued: s.formatTime(c.IssuedAt)}
	switch {
	case c.AckResult != "":
		v.Ack = c.AckResult
		v.Text = ackText(c.AckResult, c.AckReason, c.AckDetail, c.AckMode)
	case now.Before(c.ExpiresAt):
		v.Ack, v.Text = "pending", "sent… waiting for the gate's acknowledgement"
	default:
		v.Ack, v.Text = "expired", "no acknowledgement from the gate; the command has expired"
	}
	return v
}

// ackText says what the gate answered.
func ackText(result, reason, detail, mode string) string {
	var b strings.Builder
	switch result {
	case wire.CommandDone:
		b.WriteString("gate acknowledged: done")
		if mode != "" {
			b.WriteString(" (mode " + mode + ")")
		}
	case wire.CommandRefused:
		b.WriteString("refused: " + orDash(reason))
	default:
		b.WriteString("gate answered: " + result)
	}
	if detail != "" {
		b.WriteString(" · " + detail)
	}
	return b.String()
}

func (s *Server) referralView(r store.Referral, v Viewer) *referralView {
	now := s.cfg.Now()
	c := r.Crossing
	rv := &referralView{ID: r.ID, Gate: r.Gate, Post: r.Post, Received: s.formatTime(r.ReceivedAt), State: r.State,
		StateText: s.stateText(r, now), HeldUntil: heldUntil(r), Doc: c.Document, Reasons: referReasons(c),
		Sig: sig(r), Countdown: countdown(r, now),
		Stages: stageTimesSVG(c.Stages), DeviceMS: ms(c.DeviceMS), SoftwareMS: ms(c.SoftwareMS),
		Command: s.commandView(r.Command, now), CSRF: v.CSRF, Actions: ReferralActions}
	for _, ch := range c.Checks {
		rv.Checks = append(rv.Checks, checkView{Name: ch.Name, Result: ch.Result, Reason: ch.Reason, Message: ch.Message,
			Duration: ms(ch.DurationMS), Scores: scores(ch.Scores)})
	}
	// The checks that referred first: what the officer must look at.
	slices.SortStableFunc(rv.Checks, func(a, b checkView) int {
		return cmp.Compare(boolInt(a.Result == wire.ResultPass), boolInt(b.Result == wire.ResultPass))
	})
	if c.DeviceMS == 0 && c.SoftwareMS == 0 {
		rv.DeviceMS, rv.SoftwareMS = "", "" // the gate adds them to the record, after the doors
	}
	for _, k := range []struct{ kind, label string }{{store.ImageChipPhoto, "Chip photo"}, {store.ImageLiveCapture, "Live capture"}} {
		rv.Images = append(rv.Images, imageView{Kind: k.kind, Label: k.label, Held: slices.Contains(r.Images, k.kind),
			URL: "/console/referrals/" + r.ID + "/image/" + k.kind})
	}
	switch {
	case r.State != store.ReferralWaiting:
		rv.WhyNot = "no action: this referral is " + r.State
	case s.cfg.Commands == nil:
		rv.WhyNot = CommandsDisabledText
	case pendingCommand(r, now):
		rv.WhyNot = "a command is on its way to the gate"
	case !v.User.CanActOnPost(r.Post):
		rv.WhyNot = "your account may not act on this post"
	default:
		rv.CanAct = true
	}
	return rv
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) retention() string {
	d := cmp.Or(s.cfg.ImageRetention, DefaultImageRetention)
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return d.String()
}

func (s *Server) postGates(ctx context.Context, post string) ([]gateRow, error) {
	gates, err := s.cfg.Store.Gates(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	var out []gateRow
	for _, g := range gates {
		if g.Post != post {
			continue
		}
		out = append(out, gateRow{ID: g.ID, State: g.State, Mode: g.Mode, Locked: g.Mode == "locked", Stale: g.IsStale(now)})
	}
	return out, nil
}

func (s *Server) queue(ctx context.Context, post string) ([]store.Referral, error) {
	return s.cfg.Store.Referrals(ctx, store.ReferralQuery{Post: post, Since: s.cfg.Now().Add(-QueueWindow)})
}

// consolePage reads the whole page; open names a referral to show opened.
func (s *Server) consolePage(r *http.Request, open string) (consolePage, error) {
	v, _ := viewerFrom(r.Context())
	p := consolePage{Nav: nav(r, "console"), CSRF: v.CSRF, Post: v.User.Post, Actions: ReferralActions, GateOps: GateActions,
		Retention: s.retention()}
	refs, err := s.queue(r.Context(), v.User.Post)
	if err != nil {
		return p, err
	}
	p.Queue = s.queueRows(refs, open)
	if p.Gates, err = s.postGates(r.Context(), v.User.Post); err != nil {
		return p, err
	}
	if open != "" {
		ref, ok, err := s.cfg.Store.Referral(r.Context(), open)
		if err != nil {
			return p, err
		}
		if ok && v.User.CanActOnPost(ref.Post) {
			p.Detail = s.referralView(ref, v)
		} else {
			p.Error = "no referral " + open + " at your post"
		}
	}
	return p, nil
}

// --- handlers ---

func (s *Server) handleConsole(w http.ResponseWriter, r *http.Request) {
	p, err := s.consolePage(r, r.URL.Query().Get("referral"))
	if err != nil {
		s.pageError(w, r, "console", err)
		return
	}
	if p.Error != "" {
		s.renderStatus(w, r, http.StatusNotFound, "console", p)
		return
	}
	s.render(w, r, "console", p)
}

// handleQueue answers the queue as an HTML fragment (the page's live
// refresh) or, for a script, as JSON.
func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	refs, err := s.queue(r.Context(), v.User.Post)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, struct {
			Post      string           `json:"post"`
			Referrals []store.Referral `json:"referrals"`
		}{v.User.Post, refs})
		return
	}
	s.render(w, r, "console-queue", s.queueRows(refs, r.URL.Query().Get("selected")))
}

func (s *Server) handleGatesPanel(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	gates, err := s.postGates(r.Context(), v.User.Post)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, "console-gates", consolePage{CSRF: v.CSRF, Post: v.User.Post, Gates: gates, GateOps: GateActions})
}

// postReferral reads the referral of the request's {id} when it belongs
// to the viewer's post. Otherwise it answers itself (with status for
// another post's referral) and reports false.
func (s *Server) postReferral(w http.ResponseWriter, r *http.Request, status int) (store.Referral, Viewer, bool) {
	v, _ := viewerFrom(r.Context())
	id := r.PathValue("id")
	ref, ok, err := s.cfg.Store.Referral(r.Context(), id)
	if err != nil {
		s.internalError(w, r, err)
		return ref, v, false
	}
	if !ok {
		writeError(w, http.StatusNotFound, "no referral "+id)
		return ref, v, false
	}
	if !v.User.CanActOnPost(ref.Post) {
		s.log.Warn("refused: referral of another post", "user", v.User.Name, "post", v.User.Post, "referral", id, "path", r.URL.Path)
		if status == http.StatusNotFound {
			writeError(w, status, "no referral "+id)
		} else {
			writeError(w, status, "referral "+id+" is not of your post")
		}
		return ref, v, false
	}
	return ref, v, true
}

func (s *Server) handleReferral(w http.ResponseWriter, r *http.Request) {
	ref, v, ok := s.postReferral(w, r, http.StatusNotFound)
	if !ok {
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, ref)
		return
	}
	s.render(w, r, "console-detail", s.referralView(ref, v))
}

// ImagePurgedText is the answer for an image no longer held.
const ImagePurgedText = "image purged after retention"

func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != store.ImageChipPhoto && kind != store.ImageLiveCapture {
		writeError(w, http.StatusNotFound, "no image "+kind+"; want chip_photo or live_capture")
		return
	}
	ref, _, ok := s.postReferral(w, r, http.StatusNotFound)
	if !ok {
		return
	}
	data, ok, err := s.cfg.Store.ReferralImage(r.Context(), ref.ID, kind)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, ImagePurgedText)
		return
	}
	// Biometric data: never kept by the browser or anything between.
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// actInput is an action request, from a form or from JSON.
type actInput struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

func readAct(r *http.Request) (actInput, error) {
	var in actInput
	if isJSON(r) {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return in, errors.New(`the body is not a JSON object {"action", "reason", "note"}`)
		}
	} else {
		in = actInput{Action: r.PostFormValue("action"), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
	}
	in.Note = strings.Join(strings.Fields(in.Note), " ")
	if len([]rune(in.Note)) > maxNote {
		return in, fmt.Errorf("the note is longer than %d characters", maxNote)
	}
	if strings.ContainsFunc(in.Note, unicode.IsControl) {
		return in, errors.New("the note holds control characters")
	}
	return in, nil
}

// text is what the gate and the audit log get: the reason, and the note
// after it.
func (in actInput) text() string {
	if in.Note == "" {
		return in.Reason
	}
	return in.Reason + ": " + in.Note
}

// CommandsDisabledText says why no action is offered or taken.
const CommandsDisabledText = "commands disabled: run 'central pki init' and restart central"

// ActAnswer is the JSON answer to an action: the command sent and the
// gate's ack (Ack.Result "" when it did not answer within CommandWait).
type ActAnswer struct {
	Command wire.Command    `json:"command"`
	Ack     wire.CommandAck `json:"ack"`
	Result  string          `json:"result"` // done, refused, or sent (no ack yet)
	Detail  string          `json:"detail"`
}

// actFail answers a refused action: JSON for scripts and the page's
// fetch, the console page with the message for a plain form.
func (s *Server) actFail(w http.ResponseWriter, r *http.Request, status int, open, msg string) {
	if wantsJSON(r) {
		writeError(w, status, msg)
		return
	}
	p, err := s.consolePage(r, open)
	if err != nil {
		s.pageError(w, r, "console", err)
		return
	}
	p.Error = msg
	s.renderStatus(w, r, status, "console", p)
}

func (s *Server) handleAct(w http.ResponseWriter, r *http.Request) {
	ref, v, ok := s.postReferral(w, r, http.StatusForbidden)
	if !ok {
		return
	}
	in, err := readAct(r)
	if err == nil {
		err = checkReason(ReferralActions, in.Action, in.Reason)
	}
	if err != nil {
		s.actFail(w, r, http.StatusBadRequest, ref.ID, err.Error())
		return
	}
	if s.cfg.Commands == nil {
		s.actFail(w, r, http.StatusServiceUnavailable, ref.ID, CommandsDisabledText)
		return
	}
	if _, busy := acting.LoadOrStore(ref.ID, struct{}{}); busy {
		s.actFail(w, r, http.StatusConflict, ref.ID, "another command on this referral is being sent right now")
		return
	}
	defer acting.Delete(ref.ID)
	// Read again inside the claim: what the officer saw may be stale.
	ref, _, err = s.cfg.Store.Referral(r.Context(), ref.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	switch {
	case ref.State == store.ReferralSettled:
		s.actFail(w, r, http.StatusConflict, ref.ID, "already settled: "+s.stateText(ref, s.cfg.Now()))
		return
	case ref.State == store.ReferralClosed:
		s.actFail(w, r, http.StatusConflict, ref.ID, "closed: the gate recorded the crossing without an officer (door "+orDash(ref.Door)+")")
		return
	case pendingCommand(ref, s.cfg.Now()):
		s.actFail(w, r, http.StatusConflict, ref.ID, "a command ("+ref.Command.Action+" by "+ref.Command.Officer+") is on its way to the gate; wait for its acknowledgement")
		return
	}
	ans, err := s.command(r, v, ref.Gate, ref.Post, in.Action, in.text(), ref.ID)
	if err != nil {
		s.actFail(w, r, http.StatusBadGateway, ref.ID, err.Error())
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, ans)
		return
	}
	http.Redirect(w, r, "/console?referral="+ref.ID, http.StatusSeeOther)
}

func (s *Server) handleGateOp(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	gate, op := r.PathValue("gate"), r.PathValue("op")
	if op != wire.ActionLock && op != wire.ActionUnlock {
		writeError(w, http.StatusNotFound, "no gate operation "+op+"; want lock or unlock")
		return
	}
	gates, err := s.postGates(r.Context(), v.User.Post)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !slices.ContainsFunc(gates, func(g gateRow) bool { return g.ID == gate }) {
		s.log.Warn("refused: gate of another post", "user", v.User.Name, "post", v.User.Post, "gate", gate)
		s.actFail(w, r, http.StatusForbidden, "", "gate "+gate+" is not a gate of your post "+v.User.Post)
		return
	}
	in, err := readAct(r)
	if err == nil {
		err = checkReason(GateActions, op, in.Reason)
	}
	if err != nil {
		s.actFail(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	if s.cfg.Commands == nil {
		s.actFail(w, r, http.StatusServiceUnavailable, "", CommandsDisabledText)
		return
	}
	ans, err := s.command(r, v, gate, v.User.Post, op, in.text(), "")
	if err != nil {
		s.actFail(w, r, http.StatusBadGateway, "", err.Error())
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, ans)
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// command signs and sends an officer's command, audits it, tells the
// consoles and waits up to CommandWait for the gate's ack.
func (s *Server) command(r *http.Request, v Viewer, gate, post, action, reason, crossing string) (ActAnswer, error) {
	ctx := r.Context()
	cmd, err := s.cfg.Commands.Send(ctx, gate, action, reason, v.User.Name, crossing, s.cfg.CommandTTL)
	if err != nil {
		s.log.Error("command not sent", "user", v.User.Name, "gate", gate, "action", action, "error", err)
		return ActAnswer{}, fmt.Errorf("command not sent to gate %s: %v", gate, err)
	}
	s.log.Info("officer command sent", "user", v.User.Name, "gate", gate, "action", action, "reason", reason, "crossing", crossing, "command", cmd.ID)
	detail := map[string]string{"action": action, "reason": reason, "command": cmd.ID, "session": sessionRef(v.ID)}
	if crossing != "" {
		detail["crossing"] = crossing
	}
	s.appendAudit(ctx, audit.Entry{Actor: v.User.Name, Action: audit.ActionCommand, Target: gate, Post: post, Detail: detail})
	s.hub.notify(EventReferrals)

	wctx, cancel := context.WithTimeout(ctx, cmp.Or(s.cfg.CommandWait, DefaultCommandWait))
	defer cancel()
	ack, err := s.cfg.Commands.WaitAck(wctx, cmd.ID)
	if err != nil {
		s.log.Warn("no command ack in time", "gate", gate, "command", cmd.ID, "error", err)
		return ActAnswer{Command: cmd, Result: "sent",
			Detail: "sent; the gate has not acknowledged it yet: the page shows the answer when it comes"}, nil
	}
	// The ack itself is audited by central serve as it arrives (late ones too).
	s.hub.notify(EventReferrals, EventCommands, EventGates)
	return ActAnswer{Command: cmd, Ack: ack, Result: ack.Result, Detail: ackText(ack.Result, ack.Reason, ack.Detail, ack.Mode)}, nil
}

// searchPage is what /console/search shows.
type searchPage struct {
	Nav      navView
	Post     string
	Q        string
	Rows     []searchRow
	Searched bool
	Error    string
}

type searchRow struct {
	ID, Time, Gate, DocNumber, Name, Decision, Door string
	Reasons                                         []string
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := searchPage{Nav: nav(r, "console"), Post: v.User.Post, Q: q}
	status := http.StatusOK
	var found []wire.Crossing
	switch {
	case q == "":
	case len(q) > 64:
		status, p.Error = http.StatusBadRequest, "search text longer than 64 characters; give a document number or part of a name"
	default:
		var err error
		found, err = s.cfg.Store.SearchCrossings(r.Context(), store.SearchQuery{Text: q, Post: v.User.Post,
			Since: s.cfg.Now().Add(-SearchWindow), Limit: SearchLimit})
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		p.Searched = true
	}
	if wantsJSON(r) {
		if p.Error != "" {
			writeError(w, status, p.Error)
			return
		}
		writeJSON(w, status, struct {
			Crossings []wire.Crossing `json:"crossings"`
		}{append([]wire.Crossing{}, found...)})
		return
	}
	for _, c := range found {
		p.Rows = append(p.Rows, searchRow{ID: c.ID, Time: s.formatTime(c.StartedAt), Gate: c.Gate,
			DocNumber: c.Document.DocumentNumber, Name: strings.Trim(c.Document.Surname+", "+c.Document.GivenNames, ", "),
			Decision: c.Decision, Door: c.Door, Reasons: referReasons(c)})
	}
	s.renderStatus(w, r, status, "console-search", p)
}

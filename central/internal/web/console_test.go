package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// recordingCommander stands in for the MQTT sender (the real one, with a
// gate, is driven by the end-to-end browser test): it records what would
// be sent, on record in the store as the sender does, and answers with
// result.
type recordingCommander struct {
	store  *store.Store
	result string // "" = never answers
	mode   string

	mu   sync.Mutex
	sent []sentCommand
}

type sentCommand struct {
	wire.Command
	TTL time.Duration
}

func (c *recordingCommander) Send(ctx context.Context, gate, action, reason, officer, crossing string, ttl time.Duration) (wire.Command, error) {
	now := time.Now().UTC()
	cmd := wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Action: action, Reason: reason,
		Officer: officer, Crossing: crossing, IssuedAt: now, ExpiresAt: now.Add(ttl)}
	if err := cmd.Validate(); err != nil {
		return wire.Command{}, err
	}
	if err := c.store.RecordCommand(ctx, cmd); err != nil {
		return wire.Command{}, err
	}
	c.mu.Lock()
	c.sent = append(c.sent, sentCommand{cmd, ttl})
	c.mu.Unlock()
	return cmd, nil
}

func (c *recordingCommander) WaitAck(ctx context.Context, id string) (wire.CommandAck, error) {
	if c.result == "" {
		<-ctx.Done()
		return wire.CommandAck{}, ctx.Err()
	}
	c.mu.Lock()
	var gate string
	for _, s := range c.sent {
		if s.ID == id {
			gate = s.Gate
		}
	}
	c.mu.Unlock()
	a := wire.CommandAck{V: wire.SchemaVersion, ID: id, Gate: gate, Result: c.result, Mode: c.mode, At: time.Now()}
	if c.result == wire.CommandRefused {
		a.Reason = "expired"
	}
	return a, c.store.RecordCommandAck(ctx, a, time.Now())
}

func (c *recordingCommander) commands() []sentCommand {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sentCommand(nil), c.sent...)
}

// jpeg is the start of a JPEG: enough for the store and the browser's sniffing.
var jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}

// consoleEnv: post p1 with gate g1, post p2 with gate g2, a held
// referral at each, and accounts of every role.
type consoleEnv struct {
	*webEnv
	ref1, ref2 string // referral ids at g1 (p1) and g2 (p2)
	pw         map[string]string
}

func newConsoleEnv(t *testing.T, withCommands bool) *consoleEnv {
	t.Helper()
	e := &consoleEnv{webEnv: newWebEnv(t, withCommands), pw: map[string]string{}}
	ctx := context.Background()
	now := e.clock.Now()
	for _, g := range []struct{ gate, post string }{{"g1", "p1"}, {"g2", "p2"}} {
		if err := e.store.UpsertStatus(ctx, wire.Status{V: 1, Gate: g.gate, Post: g.post, State: wire.StateOnline, Mode: "normal", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	e.ref1 = e.putReferral(t, "g1", "p1", "AB1234567", "SMITH", "JANE ANN")
	e.ref2 = e.putReferral(t, "g2", "p2", "ZZ7654321", "OTHERPOST", "BOB")
	for _, u := range []struct {
		name string
		role auth.Role
		post string
	}{
		{"olga", auth.RoleOfficer, "p1"}, {"otto", auth.RoleOfficer, "p1"}, {"sam", auth.RoleSupervisor, "p1"},
		{"paula", auth.RoleOfficer, "p2"}, {"hilda", auth.RoleHQ, ""}, {"adam", auth.RoleAdmin, ""},
	} {
		e.pw[u.name] = addUser(t, e.auth, u.name, u.role, u.post)
	}
	return e
}

func (e *consoleEnv) putReferral(t *testing.T, gate, post, doc, surname, given string) string {
	t.Helper()
	now := e.clock.Now()
	start := now.Add(-20 * time.Second)
	c := wire.Crossing{V: 1, ID: wire.NewID(), Gate: gate, Post: post, Seq: 1, Direction: "entry",
		StartedAt: start, EndedAt: now, Decision: wire.DecisionRefer,
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: doc,
			Surname: surname, GivenNames: given, Nationality: "UTO", BirthDate: "1980-01-01", Sex: "F", ExpiryDate: "2030-01-01"},
		Checks: []wire.Check{
			{Name: "mrz", Result: wire.ResultPass, DurationMS: 3},
			{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch", Message: "the face does not match the chip's portrait",
				DurationMS: 180, Scores: map[string]float64{"face_score": 0.412, "face_threshold": 0.55}},
			{Name: "pad", Result: wire.ResultPass, Scores: map[string]float64{"pad_score": 0.031, "pad_threshold": 0.5}},
		},
		Stages: []wire.Stage{
			{Name: "document", Start: start, End: start.Add(4 * time.Second)},
			{Name: "checks", Start: start.Add(4 * time.Second), End: start.Add(5200 * time.Millisecond)},
		},
		DeviceMS: 5000, SoftwareMS: 210,
	}
	if _, err := e.store.PutReferral(context.Background(), wire.Referral{V: 1, Crossing: c, HeldUntil: now.Add(time.Minute),
		ChipPhoto: append(jpeg, 'c'), LiveCapture: append(jpeg, 'l')}, now); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// session is a logged-in client and its CSRF token.
type session struct {
	t    *testing.T
	c    *http.Client
	csrf string
	base string
}

func (e *consoleEnv) as(t *testing.T, name string) *session {
	c, csrf := login(t, e.url, name, e.pw[name])
	return &session{t, c, csrf, e.url}
}

// do sends a request; hdr "" keys are dropped.
func (s *session) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (s *session) get(path, accept string) (*http.Response, []byte) {
	return s.do(http.MethodGet, path, nil, map[string]string{"Accept": accept})
}

// act posts an action as the page's script does, with the given CSRF token.
func (s *session) act(id, action, reason, note, csrf string) (*http.Response, []byte) {
	body, _ := json.Marshal(map[string]string{"action": action, "reason": reason, "note": note})
	return s.do(http.MethodPost, "/console/referrals/"+id+"/act", bytes.NewReader(body),
		map[string]string{"Content-Type": "application/json", "Accept": "application/json", CSRFHeader: csrf})
}

const docsVerified = "documents verified by officer"

func (e *consoleEnv) sent(t *testing.T) int {
	t.Helper()
	if e.cmds == nil {
		return 0
	}
	return len(e.cmds.commands())
}

func TestConsoleShowsOnlyTheOwnPost(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	resp, page := olga.get("/console", "text/html")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console: %d %s", resp.StatusCode, page)
	}
	for _, want := range []string{e.ref1, `data-state="waiting"`, "face_mismatch", "Gates of post p1", `<meta name="csrf-token" content="` + olga.csrf + `"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, leak := range []string{e.ref2, "ZZ7654321", "OTHERPOST", "g2"} {
		if bytes.Contains(page, []byte(leak)) {
			t.Errorf("an officer of p1 sees %q of p2", leak)
		}
	}
	resp, body := olga.get("/console/queue", "application/json")
	var q struct {
		Post      string           `json:"post"`
		Referrals []store.Referral `json:"referrals"`
	}
	if err := json.Unmarshal(body, &q); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("queue as JSON: %d %v %s", resp.StatusCode, err, body)
	}
	if len(q.Referrals) != 1 || q.Referrals[0].ID != e.ref1 || q.Referrals[0].State != store.ReferralWaiting || q.Post != "p1" {
		t.Errorf("queue of p1: %+v", q)
	}
	// The HTML fragment the page refreshes from.
	_, frag := olga.get("/console/queue", "text/html")
	if !bytes.Contains(frag, []byte(`data-id="`+e.ref1+`"`)) || bytes.Contains(frag, []byte("<html")) {
		t.Errorf("queue fragment: %s", frag)
	}
}

func TestConsoleNewestFirst(t *testing.T) {
	e := newConsoleEnv(t, true)
	e.clock.Advance(time.Second)
	newer := e.putReferral(t, "g1", "p1", "CD1111111", "NEWER", "ONE")
	_, page := e.as(t, "olga").get("/console", "text/html")
	i, j := bytes.Index(page, []byte(newer)), bytes.Index(page, []byte(e.ref1))
	if i < 0 || j < 0 || i > j {
		t.Errorf("the newer referral (at %d) is not above the older (at %d)", i, j)
	}
}

func TestReferralDetail(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	resp, body := olga.get("/console/referrals/"+e.ref1, "text/html")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"AB1234567", "SMITH", "JANE ANN", // full document data: officers need it
		"face_mismatch", "the face does not match", "0.412", "threshold 0.550", "pad score", "0.031",
		`src="/console/referrals/` + e.ref1 + `/image/chip_photo"`, `src="/console/referrals/` + e.ref1 + `/image/live_capture"`,
		`<svg`, `aria-label="stage timings: document 4000 ms, checks 1200 ms"`, "Devices 5000 ms", "software 210 ms",
		`<form class="act"`, `name="action"`, `name="reason"`, docsVerified, "traveller asked to leave", "document problem",
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if i, j := bytes.Index(body, []byte(">face<")), bytes.Index(body, []byte(">mrz<")); i < 0 || j < 0 || i > j {
		t.Errorf("the referring check (at %d) is not listed before the passed ones (at %d)", i, j)
	}
	if bytes.Contains(body, []byte("style=")) {
		t.Error("detail has an inline style attribute: the CSP refuses it")
	}
	// Opened from the page's URL without the script.
	_, page := olga.get("/console?referral="+e.ref1, "text/html")
	if !bytes.Contains(page, []byte(`id="detail" class="detail-pane" aria-label="selected referral" data-id="`+e.ref1+`"`)) {
		t.Error("/console?referral= does not open the referral")
	}
}

func TestOtherPostSeesNothingOfAReferral(t *testing.T) {
	e := newConsoleEnv(t, true)
	paula := e.as(t, "paula") // officer of p2
	for _, path := range []string{"/console/referrals/" + e.ref1, "/console/referrals/" + e.ref1 + "/image/chip_photo",
		"/console/referrals/" + e.ref1 + "/image/live_capture", "/console?referral=" + e.ref1} {
		resp, body := paula.get(path, "text/html")
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s by p2's officer: %d, want 404 or 403", path, resp.StatusCode)
		}
		if bytes.HasPrefix(body, jpeg[:3]) || bytes.Contains(body, []byte("AB1234567")) || bytes.Contains(body, []byte("SMITH")) {
			t.Errorf("GET %s by p2's officer shows the referral: %.200s", path, body)
		}
	}
	if resp, body := paula.act(e.ref1, wire.ActionOpenExit, docsVerified, "", paula.csrf); resp.StatusCode != http.StatusForbidden {
		t.Errorf("p2's officer acts on p1's referral: %d %s, want 403", resp.StatusCode, body)
	}
	if n := e.sent(t); n != 0 {
		t.Errorf("%d commands sent, want none", n)
	}
}

func TestHQAndAdminCannotActNorSeeImages(t *testing.T) {
	e := newConsoleEnv(t, true)
	for _, name := range []string{"hilda", "adam"} {
		s := e.as(t, name)
		if resp, _ := s.act(e.ref1, wire.ActionOpenExit, docsVerified, "", s.csrf); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s acts with their own CSRF token: %d, want 403", name, resp.StatusCode)
		}
		resp, body := s.get("/console/referrals/"+e.ref1+"/image/chip_photo", "image/*")
		if resp.StatusCode != http.StatusForbidden || bytes.HasPrefix(body, jpeg[:3]) {
			t.Errorf("%s reads the chip photo: %d, want 403", name, resp.StatusCode)
		}
		lock := url.Values{"reason": {"cleaning"}, CSRFField: {s.csrf}}
		if resp, _ := s.do(http.MethodPost, "/console/gates/g1/lock", strings.NewReader(lock.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s locks a gate: %d, want 403", name, resp.StatusCode)
		}
	}
	if n := e.sent(t); n != 0 {
		t.Errorf("%d commands sent, want none", n)
	}
}

func TestActionsNeedTheSessionsCSRFTokenAndOrigin(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga, otto := e.as(t, "olga"), e.as(t, "otto") // both of p1
	if resp, _ := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", otto.csrf); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d, want 403", resp.StatusCode)
	}
	// A plain form from another site, with the right token even.
	form := url.Values{"action": {wire.ActionOpenExit}, "reason": {docsVerified}, CSRFField: {olga.csrf}}
	resp, _ := olga.do(http.MethodPost, "/console/referrals/"+e.ref1+"/act", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Origin of another site: %d, want 403", resp.StatusCode)
	}
	// A browser that says the request came from another site.
	body, _ := json.Marshal(map[string]string{"action": wire.ActionOpenExit, "reason": docsVerified})
	resp, _ = olga.do(http.MethodPost, "/console/referrals/"+e.ref1+"/act", bytes.NewReader(body), map[string]string{
		"Content-Type": "application/json", CSRFHeader: olga.csrf, "Sec-Fetch-Site": "cross-site", "Origin": "null"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site cross-site: %d, want 403", resp.StatusCode)
	}
	if n := e.sent(t); n != 0 {
		t.Fatalf("%d commands sent after refused requests, want none", n)
	}
	if cs, err := e.store.CommandsFor(context.Background(), e.ref1); err != nil || len(cs) != 0 {
		t.Errorf("commands on record: %v %v, want none", cs, err)
	}
}

// Chromium, under Referrer-Policy no-referrer, sends "Origin: null" on
// every POST, its own site's included; Sec-Fetch-Site tells them apart.
func TestSameOriginPostFromChromiumIsAccepted(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	form := url.Values{"action": {wire.ActionOpenExit}, "reason": {docsVerified}, CSRFField: {olga.csrf}}
	resp, body := olga.do(http.MethodPost, "/console/referrals/"+e.ref1+"/act", strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": "null", "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || e.sent(t) != 1 {
		t.Errorf("same-origin form post from Chromium: %d %s, %d sent", resp.StatusCode, body, e.sent(t))
	}
}

func TestActSendsOneCommandAndAuditsIt(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	resp, body := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "  checked   the visa ", olga.csrf)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("act: %d %s", resp.StatusCode, body)
	}
	var ans ActAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatal(err)
	}
	sent := e.cmds.commands()
	if len(sent) != 1 {
		t.Fatalf("%d commands sent, want 1", len(sent))
	}
	c := sent[0]
	wantReason := docsVerified + ": checked the visa"
	if c.Gate != "g1" || c.Action != wire.ActionOpenExit || c.Reason != wantReason || c.Officer != "olga" || c.Crossing != e.ref1 || c.TTL != 30*time.Second {
		t.Errorf("command sent: %+v", c)
	}
	if ans.Command.ID != c.ID || ans.Ack.Result != wire.CommandDone || ans.Result != wire.CommandDone || ans.Detail != "gate acknowledged: done (mode normal)" {
		t.Errorf("answer: %+v", ans)
	}
	cmds := e.auditOf(t, audit.ActionCommand)
	if len(cmds) != 1 {
		t.Fatalf("audit commands: %+v", cmds)
	}
	a := cmds[0]
	if a.Actor != "olga" || a.Target != "g1" || a.Post != "p1" || a.Detail["action"] != wire.ActionOpenExit ||
		a.Detail["reason"] != wantReason || a.Detail["crossing"] != e.ref1 || a.Detail["command"] != c.ID {
		t.Errorf("audit command record: %+v", a)
	}
	// The ack is audited by central serve as it arrives, not by the page.
	if acks := e.auditOf(t, audit.ActionCommandAck); len(acks) != 0 {
		t.Errorf("the web side audited acks: %+v", acks)
	}
	// Now settled: a second action is refused, and nothing more is sent.
	resp, body = e.as(t, "otto").act(e.ref1, wire.ActionReturn, "traveller asked to leave", "", "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sanity: no token: %d", resp.StatusCode)
	}
	otto := e.as(t, "otto")
	resp, body = otto.act(e.ref1, wire.ActionReturn, "traveller asked to leave", "", otto.csrf)
	if resp.StatusCode != http.StatusConflict || !bytes.Contains(body, []byte("already settled")) {
		t.Errorf("acting on a settled referral: %d %s, want 409 already settled", resp.StatusCode, body)
	}
	if n := e.sent(t); n != 1 {
		t.Errorf("%d commands sent, want still 1", n)
	}
	// The detail shows the gate's answer.
	_, detail := otto.get("/console/referrals/"+e.ref1, "text/html")
	if !bytes.Contains(detail, []byte(`data-ack="done"`)) || !bytes.Contains(detail, []byte("gate acknowledged: done (mode normal)")) {
		t.Errorf("detail after the ack lacks it: %s", detail)
	}
}

func TestActOnASettledOrClosedReferralConflicts(t *testing.T) {
	e := newConsoleEnv(t, true)
	ctx := context.Background()
	// Settled by a command sent elsewhere (the CLI, another central).
	cmd := wire.Command{V: 1, ID: wire.NewID(), Gate: "g1", Action: wire.ActionReturn, Reason: "x", Officer: "otto", Crossing: e.ref1,
		IssuedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Minute)}
	if err := e.store.RecordCommand(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	olga := e.as(t, "olga")
	// Sent, not yet answered: on its way.
	if resp, body := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", olga.csrf); resp.StatusCode != http.StatusConflict {
		t.Errorf("acting while a command is on its way: %d %s, want 409", resp.StatusCode, body)
	}
	if err := e.store.RecordCommandAck(ctx, wire.CommandAck{V: 1, ID: cmd.ID, Gate: "g1", Result: wire.CommandDone, At: e.clock.Now()}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if resp, body := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", olga.csrf); resp.StatusCode != http.StatusConflict || !bytes.Contains(body, []byte("already settled")) {
		t.Errorf("acting on a settled referral: %d %s, want 409", resp.StatusCode, body)
	}
	// Closed: the gate's record came without an officer.
	ref, _, err := e.store.Referral(ctx, e.ref1)
	if err != nil {
		t.Fatal(err)
	}
	closed := e.putReferral(t, "g1", "p1", "EF2222222", "CLOSED", "C")
	rec, _, _ := e.store.Referral(ctx, closed)
	rec.Crossing.Door = "entrance"
	if _, _, err := e.store.InsertCrossings(ctx, []wire.Crossing{rec.Crossing}); err != nil {
		t.Fatal(err)
	}
	if resp, body := olga.act(closed, wire.ActionOpenExit, docsVerified, "", olga.csrf); resp.StatusCode != http.StatusConflict || !bytes.Contains(body, []byte("closed")) {
		t.Errorf("acting on a closed referral: %d %s, want 409 closed", resp.StatusCode, body)
	}
	if n := e.sent(t); n != 0 || ref.ID == "" {
		t.Errorf("%d commands sent, want none", n)
	}
}

func TestActRefusesBadInput(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	for _, tc := range []struct{ action, reason, note string }{
		{wire.ActionOpenExit, "traveller asked to leave", ""}, // a return reason
		{wire.ActionLock, "cleaning", ""},                     // not a referral action
		{"fly", docsVerified, ""},
		{wire.ActionOpenExit, "", ""},
		{wire.ActionOpenExit, docsVerified, strings.Repeat("n", maxNote+1)},
		{wire.ActionOpenExit, docsVerified, "a\x00b"},
	} {
		if resp, body := olga.act(e.ref1, tc.action, tc.reason, tc.note, olga.csrf); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q %q %.20q: %d %s, want 400", tc.action, tc.reason, tc.note, resp.StatusCode, body)
		}
	}
	if resp, _ := olga.act(wire.NewID(), wire.ActionOpenExit, docsVerified, "", olga.csrf); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown referral: %d, want 404", resp.StatusCode)
	}
	if n := e.sent(t); n != 0 {
		t.Errorf("%d commands sent, want none", n)
	}
}

func TestActWithoutCommandsSays503(t *testing.T) {
	e := newConsoleEnv(t, false)
	olga := e.as(t, "olga")
	resp, body := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", olga.csrf)
	if resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte("central pki init")) {
		t.Errorf("act with commands disabled: %d %s, want 503 naming 'central pki init'", resp.StatusCode, body)
	}
}

func TestActAsAFormRedirectsBack(t *testing.T) {
	e := newConsoleEnv(t, true)
	sam := e.as(t, "sam") // a supervisor acts too
	form := url.Values{"action": {wire.ActionManualBooth}, "reason": {"list hit"}, CSRFField: {sam.csrf}}
	resp, body := sam.do(http.MethodPost, "/console/referrals/"+e.ref1+"/act", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": e.url})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console?referral="+e.ref1 {
		t.Fatalf("form act: %d to %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if c := e.cmds.commands(); len(c) != 1 || c[0].Action != wire.ActionManualBooth || c[0].Reason != "list hit" || c[0].Officer != "sam" {
		t.Errorf("sent: %+v", c)
	}
}

func TestActWithoutAnAckSaysSent(t *testing.T) {
	e := newConsoleEnv(t, true)
	e.cmds.result = ""
	e.srv.cfg.CommandWait = 50 * time.Millisecond
	olga := e.as(t, "olga")
	resp, body := olga.act(e.ref1, wire.ActionOpenExit, docsVerified, "", olga.csrf)
	var ans ActAnswer
	json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusOK || ans.Result != "sent" || ans.Ack.Result != "" || ans.Command.ID == "" {
		t.Errorf("no ack: %d %+v", resp.StatusCode, ans)
	}
	if n := len(e.auditOf(t, audit.ActionCommandAck)); n != 0 {
		t.Errorf("%d ack records without an ack", n)
	}
	_, detail := olga.get("/console/referrals/"+e.ref1, "text/html")
	if !bytes.Contains(detail, []byte(`data-ack="pending"`)) || bytes.Contains(detail, []byte(`<form class="act"`)) {
		t.Errorf("detail of a referral with a command on its way: %s", detail)
	}
}

func TestImagesOnlyToTheOfficersOfThePost(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	for _, kind := range []string{store.ImageChipPhoto, store.ImageLiveCapture} {
		resp, body := olga.get("/console/referrals/"+e.ref1+"/image/"+kind, "image/*")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" ||
			resp.Header.Get("Cache-Control") != "no-store" || !bytes.HasPrefix(body, jpeg) {
			t.Errorf("%s: %d %q %q", kind, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	if resp, _ := olga.get("/console/referrals/"+e.ref1+"/image/passport", "image/*"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown image kind: %d", resp.StatusCode)
	}
	if _, err := e.store.PurgeImages(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	resp, body := olga.get("/console/referrals/"+e.ref1+"/image/chip_photo", "image/*")
	if resp.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte(ImagePurgedText)) {
		t.Errorf("after the purge: %d %s, want 404 %q", resp.StatusCode, body, ImagePurgedText)
	}
	_, detail := olga.get("/console/referrals/"+e.ref1, "text/html")
	if bytes.Contains(detail, []byte("/image/chip_photo")) || !bytes.Contains(detail, []byte(ImagePurgedText)) {
		t.Error("the detail still links the purged images, or does not say they were purged")
	}
}

func TestLockAndUnlockGatesOfThePost(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	post := func(path, reason string) (*http.Response, []byte) {
		body, _ := json.Marshal(map[string]string{"reason": reason})
		return olga.do(http.MethodPost, path, bytes.NewReader(body),
			map[string]string{"Content-Type": "application/json", "Accept": "application/json", CSRFHeader: olga.csrf})
	}
	if resp, body := post("/console/gates/g1/lock", "cleaning"); resp.StatusCode != http.StatusOK {
		t.Fatalf("lock: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post("/console/gates/g1/unlock", "cleaning"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unlock with a lock reason: %d, want 400", resp.StatusCode)
	}
	if resp, _ := post("/console/gates/g1/unlock", "resumed"); resp.StatusCode != http.StatusOK {
		t.Errorf("unlock: %d", resp.StatusCode)
	}
	if resp, _ := post("/console/gates/g2/lock", "cleaning"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("locking p2's gate: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post("/console/gates/g1/open", "cleaning"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown gate operation: %d, want 404", resp.StatusCode)
	}
	sent := e.cmds.commands()
	if len(sent) != 2 || sent[0].Action != wire.ActionLock || sent[0].Gate != "g1" || sent[0].Reason != "cleaning" ||
		sent[0].Crossing != "" || sent[1].Action != wire.ActionUnlock || sent[1].Officer != "olga" {
		t.Errorf("sent: %+v", sent)
	}
	if a := e.auditOf(t, audit.ActionCommand); len(a) != 2 || a[0].Target != "g1" || a[0].Detail["action"] != wire.ActionLock {
		t.Errorf("audit: %+v", a)
	}
	// The panel offers lock or unlock as the gate's mode says.
	if err := e.store.UpsertStatus(context.Background(), wire.Status{V: 1, Gate: "g1", Post: "p1", State: wire.StateOnline, Mode: "locked", At: e.clock.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	_, panel := olga.get("/console/gates", "text/html")
	if !bytes.Contains(panel, []byte(`action="/console/gates/g1/unlock"`)) || bytes.Contains(panel, []byte("g2")) {
		t.Errorf("gates panel: %s", panel)
	}
}

func TestSearchByDocumentNumberAndName(t *testing.T) {
	e := newConsoleEnv(t, true)
	ctx := context.Background()
	now := e.clock.Now()
	var cs []wire.Crossing
	for i, x := range []struct{ gate, post, doc, surname, given string }{
		{"g1", "p1", "XY1234567", "MUSTERMANN", "ERIKA"},
		{"g1", "p1", "XY9999999", "DOE", "JOHN"},
		{"g2", "p2", "XY1230000", "MUSTERMANN", "MAX"}, // another post
	} {
		c := crossingAt(x.gate, int64(10+i), now.Add(-time.Duration(i+1)*time.Hour), wire.DecisionPass, x.doc)
		c.Post, c.Document.Surname, c.Document.GivenNames = x.post, x.surname, x.given
		cs = append(cs, c)
	}
	if _, _, err := e.store.InsertCrossings(ctx, cs); err != nil {
		t.Fatal(err)
	}
	olga := e.as(t, "olga")
	search := func(q string) []wire.Crossing {
		resp, body := olga.get("/console/search?q="+url.QueryEscape(q), "application/json")
		var ans struct {
			Crossings []wire.Crossing `json:"crossings"`
		}
		if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("search %q: %d %v %s", q, resp.StatusCode, err, body)
		}
		return ans.Crossings
	}
	if got := search("xy123"); len(got) != 1 || got[0].ID != cs[0].ID {
		t.Errorf("by document number prefix: %v", got)
	}
	if got := search("mustermann"); len(got) != 1 || got[0].ID != cs[0].ID {
		t.Errorf("by name: %v", got)
	}
	if got := search("john doe"); len(got) != 1 || got[0].ID != cs[1].ID {
		t.Errorf("by given name and surname: %v", got)
	}
	resp, page := olga.get("/console/search?q=XY123", "text/html")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("XY1234567")) || !bytes.Contains(page, []byte("MUSTERMANN, ERIKA")) ||
		bytes.Contains(page, []byte("XY1230000")) {
		t.Errorf("search page: %d", resp.StatusCode)
	}
	if resp, _ := olga.get("/console/search?q="+strings.Repeat("x", 65), "text/html"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an over-long search: %d, want 400", resp.StatusCode)
	}
}

func TestConsoleEventsForReferralsAndCommands(t *testing.T) {
	e := newConsoleEnv(t, true)
	olga := e.as(t, "olga")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/events", nil)
	resp, err := olga.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q", line)
	}
	e.srv.NotifyReferral()
	e.srv.NotifyCommand()
	got := map[string]bool{}
	for !got[EventReferrals] || !got[EventCommands] {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("events so far %v: %v", got, err)
		}
		if ev, ok := strings.CutPrefix(strings.TrimSpace(line), "event: "); ok {
			got[ev] = true
		}
	}
}

func TestConsoleIsForOfficersAndSupervisors(t *testing.T) {
	e := newConsoleEnv(t, true)
	for name, want := range map[string]int{"olga": 200, "sam": 200, "hilda": 403, "adam": 403} {
		if resp, _ := e.as(t, name).get("/console/queue", "application/json"); resp.StatusCode != want {
			t.Errorf("%s reads the queue: %d, want %d", name, resp.StatusCode, want)
		}
	}
}

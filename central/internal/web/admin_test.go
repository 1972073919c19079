package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
)

func postForm(t *testing.T, c *http.Client, target string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := c.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func newUserForm(csrf, name, role, post, pw, pw2 string) url.Values {
	v := url.Values{"name": {name}, "role": {role}, "post": {post}, "password": {pw}, "password2": {pw2}}
	if csrf != "" {
		v.Set(CSRFField, csrf)
	}
	return v
}

// auditActions lists the audit log's records as "actor action target".
func auditActions(t *testing.T, l *audit.Log) []string {
	t.Helper()
	es, err := l.Entries(context.Background(), "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor+" "+e.Action+" "+e.Target)
	}
	return out
}

func userExists(t *testing.T, a *auth.Store, name string) bool {
	t.Helper()
	_, ok, err := a.User(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestAdminAddUserCanLogIn(t *testing.T) {
	e := newSite(t, nil).as(t, "root", auth.RoleAdmin, "")
	res, page := get(t, e, "/admin")
	if res.StatusCode != 200 {
		t.Fatalf("GET /admin: %d", res.StatusCode)
	}
	mustContain(t, "admin page", string(page), `data-user="root"`, `name="csrf" value="`+e.csrf+`"`,
		`<label for="nu-name">`, `<label for="nu-role">`, `<label for="nu-pw2">`, "Uploads are disabled",
		`data-gate="a1"`, "central gate add ID", `data-list="documents"`, `<td class="num">42</td>`,
		"documents v41 of 42 (behind)", `aria-current="page">Admin`)

	const pw = "correct horse battery"
	res, body := postForm(t, e.client, e.http.URL+"/admin/users", newUserForm(e.csrf, "new-off", "officer", "post-a", pw, pw))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin?done=added") {
		t.Fatalf("add user: %d %q %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	u, ok, err := e.accounts.User(context.Background(), "new-off")
	if err != nil || !ok || u.Role != auth.RoleOfficer || u.Post != "post-a" {
		t.Fatalf("added user = %+v %v %v", u, ok, err)
	}
	// The new officer logs in with the password the admin set.
	login(t, e.http.URL, "new-off", pw)
	if got := auditActions(t, e.audit); !slices.Contains(got, "root user_add new-off") {
		t.Errorf("audit lacks the user_add: %v", got)
	}
	_, page = get(t, e, res.Header.Get("Location"))
	mustContain(t, "admin page after adding", string(page), "User new-off added.", `data-user="new-off"`, "user_add")

	// Refused adds change nothing and say why.
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{newUserForm(e.csrf, "other", "officer", "post-a", pw, pw+"x"), 400, "passwords differ"},
		{newUserForm(e.csrf, "new-off", "officer", "post-a", pw, pw), 409, "already exists"},
		{newUserForm(e.csrf, "short", "hq", "", "short", "short"), 400, "User not added"},
		{newUserForm(e.csrf, "norole", "king", "", pw, pw), 400, "king"},
		{newUserForm(e.csrf, "nopost", "officer", "", pw, pw), 400, "post"},
	} {
		res, body := postForm(t, e.client, e.http.URL+"/admin/users", tc.form)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("add %v: %d, want %d saying %q", tc.form.Get("name"), res.StatusCode, tc.status, tc.says)
		}
		if name := tc.form.Get("name"); name != "new-off" && userExists(t, e.accounts, name) {
			t.Errorf("refused add created %s", name)
		}
		if strings.Contains(body, pw) {
			t.Error("the refused form echoes the password")
		}
	}
}

func TestAdminRefusesOthers(t *testing.T) {
	e := newSite(t, nil)
	const pw = "correct horse battery"
	for _, u := range []struct {
		name string
		role auth.Role
		post string
	}{{"hq1", auth.RoleHQ, ""}, {"off1", auth.RoleOfficer, "post-a"}, {"sup1", auth.RoleSupervisor, "post-a"}} {
		e.as(t, u.name, u.role, u.post)
		if res, _ := get(t, e, "/admin"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s GET /admin: %d, want 403", u.role, res.StatusCode)
		}
		res, _ := postForm(t, e.client, e.http.URL+"/admin/users", newUserForm(e.csrf, "by-"+u.name, "admin", "", pw, pw))
		if res.StatusCode != http.StatusForbidden || userExists(t, e.accounts, "by-"+u.name) {
			t.Errorf("%s POST /admin/users: %d, want 403 and no user", u.role, res.StatusCode)
		}
		res, _ = postForm(t, e.client, e.http.URL+"/admin/users/"+u.name+"/unlock", url.Values{CSRFField: {e.csrf}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST unlock: %d, want 403", u.role, res.StatusCode)
		}
	}

	// An admin without the CSRF token, or with another session's, is refused.
	admin := e.as(t, "root", auth.RoleAdmin, "")
	_, otherCSRF := login(t, e.http.URL, "hq1", mustPassword(t, e, "hq1"))
	for name, csrf := range map[string]string{"no-token": "", "wrong-token": otherCSRF} {
		res, _ := postForm(t, admin.client, e.http.URL+"/admin/users", newUserForm(csrf, name, "officer", "post-a", pw, pw))
		if res.StatusCode != http.StatusForbidden || userExists(t, e.accounts, name) {
			t.Errorf("admin POST /admin/users with %s: %d, want 403 and no user", name, res.StatusCode)
		}
	}
	for _, a := range auditActions(t, e.audit) {
		if strings.Contains(a, "user_add") {
			t.Errorf("a refused add was audited: %s", a)
		}
	}
}

// mustPassword gives a user of e a fresh password (the fixtures' are random).
func mustPassword(t *testing.T, e *env, name string) string {
	t.Helper()
	const pw = "a fresh password for tests"
	if err := e.accounts.SetPassword(context.Background(), name, pw); err != nil {
		t.Fatal(err)
	}
	return pw
}

func TestAdminUserChanges(t *testing.T) {
	e := newSite(t, nil)
	ctx := context.Background()
	e.as(t, "off1", auth.RoleOfficer, "post-a")
	officer := e.client
	e.as(t, "root", auth.RoleAdmin, "")

	op := func(name, op string) (*http.Response, string) {
		return postForm(t, e.client, e.http.URL+"/admin/users/"+name+"/"+op, url.Values{CSRFField: {e.csrf}})
	}
	if res, body := op("off1", "disable"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	if u, _, _ := e.accounts.User(ctx, "off1"); !u.Disabled {
		t.Error("off1 not disabled")
	}
	// Disabling ends the user's sessions.
	if res, err := officer.Get(e.http.URL + "/api/gates"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled officer's session still answers: %v %v", res.StatusCode, err)
	}
	if _, err := e.accounts.Login(ctx, "off1", mustPassword(t, e, "off1"), "", now); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("disabled user logs in: %v", err)
	}
	if res, _ := op("off1", "enable"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("enable: %d", res.StatusCode)
	}
	if u, _, _ := e.accounts.User(ctx, "off1"); u.Disabled {
		t.Error("off1 still disabled")
	}

	// Lock the account with failed logins, then unlock it.
	for range auth.DefaultPolicy().MaxFailures {
		e.accounts.Login(ctx, "off1", "wrong password!!", "", time.Now())
	}
	if u, _, _ := e.accounts.User(ctx, "off1"); u.LockedUntil.IsZero() {
		t.Fatal("the fixture did not lock off1")
	}
	_, page := get(t, e, "/admin")
	mustContain(t, "admin page", string(page), `action="/admin/users/off1/unlock"`, `aria-label="Unlock user off1"`)
	if res, _ := op("off1", "unlock"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("unlock: %d", res.StatusCode)
	}
	if u, _, _ := e.accounts.User(ctx, "off1"); !u.LockedUntil.IsZero() || u.FailedLogins != 0 {
		t.Errorf("off1 after unlock: %+v", u)
	}
	want := []string{"root user_change off1", "root user_change off1", "root user_change off1"}
	var got []string
	for _, a := range auditActions(t, e.audit) {
		if strings.Contains(a, "user_change") {
			got = append(got, a)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit user changes = %v, want %v", got, want)
	}
	es, _ := e.audit.Entries(ctx, "", 0, 3)
	if es[0].Detail["change"] != "unlock" || es[2].Detail["change"] != "disable" || es[0].Post != "post-a" {
		t.Errorf("audit details: %+v", es)
	}

	// No such user or action; and no disabling oneself.
	if res, _ := op("ghost", "disable"); res.StatusCode != http.StatusNotFound {
		t.Errorf("disable ghost: %d", res.StatusCode)
	}
	if res, _ := op("off1", "promote"); res.StatusCode != http.StatusNotFound {
		t.Errorf("promote: %d", res.StatusCode)
	}
	if res, body := op("root", "disable"); res.StatusCode != http.StatusConflict || !strings.Contains(body, "your own account") {
		t.Errorf("self-disable: %d", res.StatusCode)
	}
	if u, _, _ := e.accounts.User(ctx, "root"); u.Disabled {
		t.Error("the admin disabled themselves")
	}
}

// recordingImport stands in for the lead's ImportList (signing and
// queueing a list delta is tested where it lives).
type recordingImport struct {
	mu     sync.Mutex
	calls  int
	actor  string
	data   []byte
	answer error
}

func (r *recordingImport) importList(_ context.Context, actor string, rd io.Reader) (string, error) {
	b, err := io.ReadAll(rd)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.actor, r.data = actor, b
	if err != nil {
		return "", err
	}
	if r.answer != nil {
		return "", r.answer
	}
	return "documents: version 43 queued, 3 entries", nil
}

func upload(t *testing.T, e *env, csrf string, file []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		mw.WriteField(CSRFField, csrf)
	}
	fw, _ := mw.CreateFormFile("file", "documents-delta.csv")
	fw.Write(file)
	mw.Close()
	res, err := e.client.Post(e.http.URL+"/admin/lists", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestAdminListUpload(t *testing.T) {
	rec := &recordingImport{}
	e := newSite(t, func(c *Config) { c.ImportList = rec.importList }).as(t, "root", auth.RoleAdmin, "")
	_, page := get(t, e, "/admin")
	mustContain(t, "admin page", string(page), `<label for="list-file">`, `enctype="multipart/form-data"`)
	file := []byte("list,documents\nop,number,state\nadd,X1234567,UTO\n\x00binary tail\xff")
	res, body := upload(t, e, e.csrf, file)
	if res.StatusCode != 200 || !strings.Contains(body, "documents: version 43 queued, 3 entries") || !strings.Contains(body, "documents-delta.csv") {
		t.Fatalf("upload: %d\n%s", res.StatusCode, body)
	}
	if rec.calls != 1 || rec.actor != "root" || !bytes.Equal(rec.data, file) {
		t.Errorf("ImportList got %d calls, actor %q, %q", rec.calls, rec.actor, rec.data)
	}

	// Its error is shown, not a success.
	rec.answer = errors.New("delta for documents is version 41, central is at 42")
	res, body = upload(t, e, e.csrf, file)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "central is at 42") || strings.Contains(body, "Done:") {
		t.Errorf("refused upload: %d\n%s", res.StatusCode, body)
	}

	// Without the token nothing reaches ImportList; nor from a non-admin.
	rec.calls = 0
	if res, _ := upload(t, e, "", file); res.StatusCode != http.StatusForbidden {
		t.Errorf("upload without CSRF: %d", res.StatusCode)
	}
	e.as(t, "hq1", auth.RoleHQ, "")
	if res, _ := upload(t, e, e.csrf, file); res.StatusCode != http.StatusForbidden {
		t.Errorf("hq upload: %d", res.StatusCode)
	}
	if rec.calls != 0 {
		t.Errorf("refused uploads reached ImportList %d times", rec.calls)
	}

	// No ImportList configured: a clear 503.
	off := newSite(t, nil).as(t, "root", auth.RoleAdmin, "")
	if res, body := upload(t, off, off.csrf, file); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "central pki init") {
		t.Errorf("upload with no ImportList: %d %s", res.StatusCode, body)
	}
}

func TestLimitBody(t *testing.T) {
	called := false
	h := limitBody(10, func(w http.ResponseWriter, r *http.Request) {
		called = true
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	})
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("POST", "/admin/lists", strings.NewReader(strings.Repeat("x", 11))))
	if rec.Code != http.StatusRequestEntityTooLarge || called {
		t.Errorf("declared 11 bytes over a limit of 10: %d, handler called %v", rec.Code, called)
	}
	// A body that does not declare its length is cut at the limit.
	req := httptest.NewRequest("POST", "/admin/lists", io.MultiReader(strings.NewReader(strings.Repeat("x", 11))))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	h(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !called {
		t.Errorf("undeclared 11 bytes over a limit of 10: %d", rec.Code)
	}
}

// TestAdminEnrolGate: an admin's enrolment answers with the bundle as a
// download nobody caches; others, forged requests and bad ids never reach
// the PKI.
func TestAdminEnrolGate(t *testing.T) {
	type call struct {
		actor, gate string
		reissue     bool
	}
	var calls []call
	enrol := func(_ context.Context, actor, gate string, reissue bool) ([]byte, error) {
		calls = append(calls, call{actor, gate, reissue})
		if gate == "taken" && !reissue {
			return nil, errors.New("gate taken is already enrolled: reissue to replace its certificate")
		}
		return []byte("-----BEGIN CERTIFICATE-----\n" + gate + "\n"), nil
	}
	e := newSite(t, func(c *Config) { c.EnrolGate = enrol }).as(t, "root", auth.RoleAdmin, "")
	_, page := get(t, e, "/admin")
	mustContain(t, "admin page", string(page), `<label for="enrol-gate">`, `<label for="enrol-reissue">`, `action="/admin/gates"`)

	res, body := postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"csrf": {e.csrf}, "gate": {"lane-07"}})
	if res.StatusCode != 200 || body != "-----BEGIN CERTIFICATE-----\nlane-07\n" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="lane-07.pem"` || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrol: %d %v %q", res.StatusCode, res.Header, body)
	}
	if len(calls) != 1 || calls[0] != (call{"root", "lane-07", false}) {
		t.Fatalf("EnrolGate calls %+v", calls)
	}
	res, body = postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"csrf": {e.csrf}, "gate": {"taken"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already enrolled") {
		t.Errorf("enrolling a gate twice: %d %s", res.StatusCode, body)
	}
	if res, _ := postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"csrf": {e.csrf}, "gate": {"taken"}, "reissue": {"on"}}); res.StatusCode != 200 {
		t.Errorf("reissue: %d", res.StatusCode)
	}

	calls = nil
	if res, _ := postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"csrf": {e.csrf}, "gate": {"a/b+#"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a gate id with MQTT wildcards: %d", res.StatusCode)
	}
	if res, _ := postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"gate": {"lane-08"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("enrol without CSRF: %d", res.StatusCode)
	}
	e.as(t, "hq1", auth.RoleHQ, "")
	if res, _ := postForm(t, e.client, e.http.URL+"/admin/gates", url.Values{"csrf": {e.csrf}, "gate": {"lane-09"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("hq enrols: %d", res.StatusCode)
	}
	if len(calls) != 0 {
		t.Errorf("refused enrolments reached the PKI: %+v", calls)
	}

	off := newSite(t, nil).as(t, "root", auth.RoleAdmin, "")
	res, body = postForm(t, off.client, off.http.URL+"/admin/gates", url.Values{"csrf": {off.csrf}, "gate": {"lane-07"}})
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "central pki init") {
		t.Errorf("enrol without a PKI: %d %s", res.StatusCode, body)
	}
}

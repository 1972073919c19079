package web

import (
	"context"
	"encoding/base32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/store"
)

// testClock is a settable Config.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// webEnv is central's web side over real HTTP with real accounts, audit
// log and store.
type webEnv struct {
	store *store.Store
	auth  *auth.Store
	audit *audit.Log
	clock *testClock
	cmds  *recordingCommander
	srv   *Server
	url   string
}

func newWebEnv(t *testing.T, withCommands bool) *webEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, l := newAccounts(t, dir)
	e := &webEnv{store: st, auth: a, audit: l, clock: &testClock{t: time.Now().Truncate(time.Second)}}
	cfg := Config{Store: st, Auth: a, Audit: l, Now: e.clock.Now, Location: time.UTC,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		CommandTTL: 30 * time.Second, CommandWait: 2 * time.Second}
	if withCommands {
		e.cmds = &recordingCommander{store: st, result: "done", mode: "normal"}
		cfg.Commands = e.cmds
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	e.srv, e.url = srv, hs.URL
	return e
}

// auditEntries returns the audit records, oldest first.
func (e *webEnv) auditEntries(t *testing.T) []audit.Entry {
	t.Helper()
	es, err := e.audit.Entries(context.Background(), "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func (e *webEnv) auditOf(t *testing.T, action string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for _, x := range e.auditEntries(t) {
		if x.Action == action {
			out = append(out, x)
		}
	}
	return out
}

// postForm posts a login form from c (its cookies) and returns the answer.
func postLoginForm(t *testing.T, c *http.Client, base string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func cookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLoginSetsASecureSessionCookieAndGoesHome(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	c := newClient()
	token := loginCSRF(t, c, e.url)
	resp, body := postLoginForm(t, c, e.url, url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {token}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("login: %d to %q, want 303 to /console; %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	k := cookieOf(resp, SessionCookie)
	if k == nil || k.Value == "" {
		t.Fatal("no session cookie set")
	}
	if !k.Secure || !k.HttpOnly || k.SameSite != http.SameSiteStrictMode || k.MaxAge != 0 || !k.Expires.IsZero() {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict, no Max-Age or Expires", k)
	}
	if raw := resp.Header.Values("Set-Cookie"); !strings.Contains(strings.Join(raw, "\n"), "SameSite=Strict") {
		t.Errorf("Set-Cookie %q lacks SameSite=Strict", raw)
	}
	// The session opens the home page, and the login was audited.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/", nil)
	req.Header.Set("Accept", "text/html")
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther || r2.Header.Get("Location") != "/console" {
		t.Errorf("GET / as an officer: %d to %q, want 303 to /console", r2.StatusCode, r2.Header.Get("Location"))
	}
	logins := e.auditOf(t, audit.ActionLogin)
	if len(logins) != 1 || logins[0].Actor != "olga" || logins[0].Post != "p1" {
		t.Errorf("audit logins: %+v", logins)
	}
}

func TestHomeOfEachRole(t *testing.T) {
	e := newWebEnv(t, false)
	for _, tc := range []struct {
		name string
		role auth.Role
		post string
		home string
	}{
		{"sam", auth.RoleSupervisor, "p1", "/console"},
		{"hilda", auth.RoleHQ, "", "/dashboard"},
		{"adam", auth.RoleAdmin, "", "/admin"},
	} {
		pw := addUser(t, e.auth, tc.name, tc.role, tc.post)
		c := newClient()
		token := loginCSRF(t, c, e.url)
		resp, _ := postLoginForm(t, c, e.url, url.Values{"user": {tc.name}, "password": {pw}, CSRFField: {token}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.home {
			t.Errorf("%s logs in: %d to %q, want 303 to %s", tc.role, resp.StatusCode, got, tc.home)
		}
	}
}

func TestLoginKeepsOnlySameSiteNext(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	for next, want := range map[string]string{
		"/console/search?q=AB1":    "/console/search?q=AB1",
		"//evil.example/console":   "/console",
		"https://evil.example/":    "/console",
		"/\\evil.example":          "/console",
		"javascript:alert(1)":      "/console",
		"/login?next=/login":       "/console",
		"/\t/evil.example/console": "/console",
	} {
		c := newClient()
		token := loginCSRF(t, c, e.url)
		resp, _ := postLoginForm(t, c, e.url, url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {token}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console": "/console", "/console?referral=01J": "/console?referral=01J", "/": "/",
		"": "", "console": "", "//x.example": "", "/\\x.example": "", "http://x.example/": "",
		"/a\\b": "", "/a\nb": "", "/login": "", "/%0a": "/%0a",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// loginError returns the message a failed form login shows.
func loginError(body string) string {
	_, rest, ok := strings.Cut(body, `class="msg error" role="alert">`)
	if !ok {
		return ""
	}
	msg, _, _ := strings.Cut(rest, "<")
	return msg
}

func TestWrongPasswordAndUnknownUserLookTheSame(t *testing.T) {
	e := newWebEnv(t, false)
	addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	var answers []string
	for _, name := range []string{"olga", "nobody"} {
		c := newClient()
		token := loginCSRF(t, c, e.url)
		resp, body := postLoginForm(t, c, e.url, url.Values{"user": {name}, "password": {"wrong password 123"}, CSRFField: {token}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d, want 401", name, resp.StatusCode)
		}
		if cookieOf(resp, SessionCookie) != nil {
			t.Errorf("%s: a session cookie after a failed login", name)
		}
		answers = append(answers, loginError(body))
	}
	if answers[0] == "" || answers[0] != answers[1] {
		t.Errorf("wrong password says %q, unknown user %q: want the same, non-empty", answers[0], answers[1])
	}
	failed := e.auditOf(t, audit.ActionLoginFailed)
	if len(failed) != 2 || failed[0].Actor != "olga" || failed[1].Actor != "nobody" || failed[0].Detail["reason"] != "bad_credentials" {
		t.Errorf("audit login_failed: %+v", failed)
	}
}

func TestLockedAccountStaysLockedWithTheRightPassword(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	for range auth.DefaultPolicy().MaxFailures {
		c := newClient()
		token := loginCSRF(t, c, e.url)
		postLoginForm(t, c, e.url, url.Values{"user": {"olga"}, "password": {"not the password"}, CSRFField: {token}})
	}
	c := newClient()
	token := loginCSRF(t, c, e.url)
	resp, body := postLoginForm(t, c, e.url, url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {token}})
	if resp.StatusCode != http.StatusForbidden || cookieOf(resp, SessionCookie) != nil {
		t.Fatalf("right password on a locked account: %d, cookie %v; want 403 and no session", resp.StatusCode, cookieOf(resp, SessionCookie))
	}
	until := e.clock.Now().Add(auth.DefaultPolicy().LockoutFor).UTC().Format("15:04")
	if msg := loginError(body); !strings.Contains(msg, "account locked until "+until) || !strings.Contains(msg, "ask an admin") {
		t.Errorf("locked message %q, want it to say until %s and to ask an admin", msg, until)
	}
	if f := e.auditOf(t, audit.ActionLoginFailed); len(f) == 0 || f[len(f)-1].Detail["reason"] != "locked" {
		t.Errorf("the last failed login is not audited as locked: %+v", f)
	}
	// JSON says the same.
	_, code, ans := jsonLogin(t, e.url, "olga", pw, "")
	if code != http.StatusForbidden || ans.LockedUntil.IsZero() || ans.CSRF != "" {
		t.Errorf("JSON login on a locked account: %d %+v", code, ans)
	}
}

func TestLoginNeedsTheLoginToken(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	c := newClient()
	token := loginCSRF(t, c, e.url)
	for name, tc := range map[string]struct {
		client *http.Client
		token  string
	}{
		"no cookie":   {newClient(), token},
		"no field":    {c, ""},
		"wrong field": {c, token[:len(token)-2] + "xx"},
	} {
		resp, _ := postLoginForm(t, tc.client, e.url, url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {tc.token}})
		if resp.StatusCode != http.StatusForbidden || cookieOf(resp, SessionCookie) != nil {
			t.Errorf("%s: %d, want 403 and no session", name, resp.StatusCode)
		}
	}
	// From another site, even with the right token.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || cookieOf(resp, SessionCookie) != nil {
		t.Errorf("login from another origin: %d, want 403", resp.StatusCode)
	}
	if n := len(e.auditOf(t, audit.ActionLogin)); n != 0 {
		t.Errorf("%d logins audited, want none", n)
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	c, _ := login(t, e.url, "olga", pw)
	get := func(accept string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/console", nil)
		req.Header.Set("Accept", accept)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("text/html"); r.StatusCode != http.StatusOK {
		t.Fatalf("console with a fresh session: %d", r.StatusCode)
	}
	e.clock.Advance(auth.DefaultPolicy().SessionIdle + time.Minute)
	if r := get("text/html"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fconsole" {
		t.Errorf("page after the idle time: %d to %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("application/json"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("script after the idle time: %d, want 401", r.StatusCode)
	}
}

func TestLoginWithTOTP(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	secret, _, err := e.auth.EnableTOTP(context.Background(), "olga")
	if err != nil {
		t.Fatal(err)
	}
	// Without the code: asked for it, no session.
	c := newClient()
	token := loginCSRF(t, c, e.url)
	resp, body := postLoginForm(t, c, e.url, url.Values{"user": {"olga"}, "password": {pw}, CSRFField: {token}})
	if resp.StatusCode != http.StatusUnauthorized || cookieOf(resp, SessionCookie) != nil {
		t.Fatalf("no code: %d, want 401 and no session", resp.StatusCode)
	}
	if !strings.Contains(body, `autocomplete="one-time-code"`) || !strings.Contains(loginError(body), "one-time code") {
		t.Errorf("the form does not ask for the one-time code: %q", loginError(body))
	}
	if _, code, ans := jsonLogin(t, e.url, "olga", pw, ""); code != http.StatusUnauthorized || !ans.NeedCode {
		t.Errorf("JSON without the code: %d %+v, want 401 and need_code", code, ans)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if auth.TOTPCode(key, e.clock.Now(), 6) == wrong {
		wrong = "111111"
	}
	if _, code, ans := jsonLogin(t, e.url, "olga", pw, wrong); code != http.StatusUnauthorized || ans.CSRF != "" {
		t.Errorf("a wrong code: %d %+v, want 401", code, ans)
	}
	_, code, ans := jsonLogin(t, e.url, "olga", pw, auth.TOTPCode(key, e.clock.Now(), 6))
	if code != http.StatusOK || ans.CSRF == "" || ans.Home != "/console" {
		t.Errorf("with the code: %d %+v", code, ans)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newWebEnv(t, false)
	pw := addUser(t, e.auth, "olga", auth.RoleOfficer, "p1")
	c, csrf := login(t, e.url, "olga", pw)
	u, _ := url.Parse(e.url)
	var old *http.Cookie
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == SessionCookie {
			old = k
		}
	}
	// Without the token: refused, still logged in.
	resp, err := c.PostForm(e.url+"/logout", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, err = c.PostForm(e.url+"/logout", url.Values{CSRFField: {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("logout: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The old cookie, replayed, opens nothing.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/console/queue", nil)
	req.AddCookie(old)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the logged-out session's cookie: %d, want 401", resp.StatusCode)
	}
	if lo := e.auditOf(t, audit.ActionLogout); len(lo) != 1 || lo[0].Actor != "olga" {
		t.Errorf("audit logouts: %+v", lo)
	}
}

// FuzzSafeNext: whatever a login link carries, the page logged in to is
// "" or a path of this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/console", "//evil.example", "/\\evil", "https://x/", "/\t/x", "/console?referral=01J&x=%2F%2F", "/%2F%2Fx", "/login"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := SafeNext(next)
		if got == "" {
			return
		}
		if got != next || got[0] != '/' || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("SafeNext(%q) = %q", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("SafeNext(%q) = %q, which leaves the site: %+v %v", next, got, u, err)
		}
		// What a browser resolves it to stays on this site.
		base, _ := url.Parse("https://central.example/login")
		if r := base.ResolveReference(u); r.Host != "central.example" {
			t.Fatalf("SafeNext(%q) = %q resolves to %s", next, got, r)
		}
	})
}

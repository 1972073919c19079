package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"testing"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
)

// Shared by the login, console, dashboard and admin tests: real account
// and audit databases, and sessions opened over real HTTP.

var fastHashOnce sync.Once

// newAccounts opens an auth.Store and an audit.Log in dir with fast
// argon2 parameters (a stored hash carries its own, so this changes the
// cost, not the checks).
func newAccounts(t *testing.T, dir string) (*auth.Store, *audit.Log) {
	t.Helper()
	fastHashOnce.Do(func() { auth.HashParams = auth.Argon2Params{Time: 1, Memory: 64, Threads: 1} })
	a, err := auth.Open(dir, auth.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	l, err := audit.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return a, l
}

// addUser creates a user with a random password and returns it.
func addUser(t *testing.T, a *auth.Store, name string, role auth.Role, post string) (password string) {
	t.Helper()
	b := make([]byte, 12)
	rand.Read(b)
	password = hex.EncodeToString(b)
	if _, err := a.AddUser(context.Background(), name, role, post, password); err != nil {
		t.Fatalf("adding user %s: %v", name, err)
	}
	return password
}

// newClient is an HTTP client with a cookie jar that does not follow
// redirects (tests look at them).
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// loginCSRF opens the login page with c and returns the login form's
// double-submit token (the LoginCSRFCookie it set).
func loginCSRF(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	u, _ := url.Parse(base)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == LoginCSRFCookie {
			return k.Value
		}
	}
	t.Fatalf("GET /login set no %s cookie", LoginCSRFCookie)
	return ""
}

// login logs in over HTTP at base (httptest server URL) and returns a client
// carrying the session cookie, and the session's CSRF token.
func login(t *testing.T, base, name, password string) (*http.Client, string) {
	t.Helper()
	c, status, ans := jsonLogin(t, base, name, password, "")
	if status != http.StatusOK || ans.CSRF == "" {
		t.Fatalf("login as %s: %d %+v", name, status, ans)
	}
	return c, ans.CSRF
}

// jsonLogin logs in as a script does (JSON, the login token in the
// header) and returns the client, the status and the answer.
func jsonLogin(t *testing.T, base, name, password, code string) (*http.Client, int, loginAnswer) {
	t.Helper()
	c := newClient()
	token := loginCSRF(t, c, base)
	body, _ := json.Marshal(map[string]string{"user": name, "password": password, "code": code})
	req, _ := http.NewRequest(http.MethodPost, base+"/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(CSRFHeader, token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans loginAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatalf("login as %s: %d, answer not JSON: %v", name, resp.StatusCode, err)
	}
	return c, resp.StatusCode, ans
}

package webclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Account is one of central's web accounts the simulator made.
type Account struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Post     string `json:"post,omitempty"`
	Password string `json:"password"`
}

// RandomPassword is 16 characters a person can type from the terminal:
// letters and digits without the look-alikes (0 O 1 l I).
func RandomPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// AddUser creates the account in central's data folder with `central user
// add` (which works beside a running central too), the password given on
// standard input.
func AddUser(ctx context.Context, centralBin, dataDir string, a Account) error {
	args := []string{"user", "add", a.Name, "--role", a.Role, "--data", dataDir}
	if a.Post != "" {
		args = append(args, "--post", a.Post)
	}
	cmd := exec.CommandContext(ctx, centralBin, args...)
	cmd.Stdin = strings.NewReader(a.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("central %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Client is a logged-in session on central's web side: a cookie jar
// holding the session cookie, and the session's CSRF token that every
// state-changing request carries.
type Client struct {
	Base    string // http://host:port
	Account Account

	mu   sync.Mutex
	http *http.Client
	csrf string
}

// Names on central's side (central/internal/web/session.go).
const (
	LoginCSRFCookie = "autogate_login_csrf"
	CSRFHeader      = "X-CSRF-Token"
)

// metaCSRF finds the session's CSRF token in a page.
var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// Login opens a new session: GET /login for the login form's CSRF cookie,
// then POST /login as JSON with that token in the header.
func (c *Client) Login(ctx context.Context) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	base, err := url.Parse(c.Base)
	if err != nil {
		return err
	}
	if _, err := readBody(ctx, hc, http.MethodGet, c.Base+"/login", nil, nil); err != nil {
		return fmt.Errorf("opening the login page: %w", err)
	}
	token := ""
	for _, k := range jar.Cookies(base) {
		if k.Name == LoginCSRFCookie {
			token = k.Value
		}
	}
	if token == "" {
		return fmt.Errorf("GET %s/login set no %s cookie", c.Base, LoginCSRFCookie)
	}
	body, _ := json.Marshal(map[string]string{"user": c.Account.Name, "password": c.Account.Password, "code": ""})
	hdr := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}, CSRFHeader: {token}}
	out, err := readBody(ctx, hc, http.MethodPost, c.Base+"/login", body, hdr)
	if err != nil {
		return fmt.Errorf("logging in as %s: %w", c.Account.Name, err)
	}
	csrf := csrfOf(out)
	if csrf == "" {
		// Not in the answer: every page of the session carries it.
		page, err := readBody(ctx, hc, http.MethodGet, c.Base+"/", nil, http.Header{"Accept": {"text/html"}})
		if err != nil {
			return fmt.Errorf("reading the home page of %s for its CSRF token: %w", c.Account.Name, err)
		}
		if m := metaCSRF.FindSubmatch(page); m != nil {
			csrf = string(m[1])
		}
	}
	if csrf == "" {
		return fmt.Errorf("logged in as %s, but found the session's CSRF token neither in the login answer nor in the home page", c.Account.Name)
	}
	c.mu.Lock()
	c.http, c.csrf = hc, csrf
	c.mu.Unlock()
	return nil
}

// csrfOf finds the CSRF token in a JSON login answer ("csrf" or "csrf_token").
func csrfOf(answer []byte) string {
	var m map[string]any
	if json.Unmarshal(answer, &m) != nil {
		return ""
	}
	for _, k := range []string{"csrf", "csrf_token"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// CSRF is the session's CSRF token.
func (c *Client) CSRF() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.csrf
}

// Cookies are the session's cookies (for a browser to take over the session).
func (c *Client) Cookies() []*http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, _ := url.Parse(c.Base)
	return c.http.Jar.Cookies(u)
}

// StatusError is a central answer other than 200.
type StatusError struct {
	Method, URL string
	Code        int
	Body        string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Code, http.StatusText(e.Code), strings.TrimSpace(e.Body))
}

// Do sends a request of the session (the CSRF header on anything but GET)
// and returns the answer's body; an answer other than 200 is a
// *StatusError. An ended session (401) is opened again once.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, hdr http.Header) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		hc, csrf := c.http, c.csrf
		c.mu.Unlock()
		h := hdr.Clone()
		if h == nil {
			h = http.Header{}
		}
		if method != http.MethodGet && h.Get(CSRFHeader) == "" {
			h.Set(CSRFHeader, csrf)
		}
		out, err := readBody(ctx, hc, method, c.Base+path, body, h)
		var se *StatusError
		if attempt == 0 && errors.As(err, &se) && se.Code == http.StatusUnauthorized {
			if err := c.Login(ctx); err != nil {
				return nil, err
			}
			continue
		}
		return out, err
	}
}

// GetJSON reads a JSON answer.
func (c *Client) GetJSON(ctx context.Context, path string, v any) error {
	out, err := c.Do(ctx, http.MethodGet, path, nil, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("GET %s: answer is not the JSON expected: %w", path, err)
	}
	return nil
}

// PostJSON posts v as JSON and decodes the answer into out (nil: ignored).
func (c *Client) PostJSON(ctx context.Context, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ans, err := c.Do(ctx, http.MethodPost, path, body, http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ans, out); err != nil {
		return fmt.Errorf("POST %s: answer is not the JSON expected: %w", path, err)
	}
	return nil
}

// readBody sends one request and reads the whole answer; anything but
// 200 is a *StatusError.
func readBody(ctx context.Context, hc *http.Client, method, u string, body []byte, hdr http.Header) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, &StatusError{Method: method, URL: u, Code: resp.StatusCode, Body: string(out[:min(len(out), 1024)])}
	}
	return out, nil
}

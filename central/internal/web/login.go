package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
)

// maxLoginBody bounds a login request: a name, a password (auth caps it
// at 1 KiB anyway), a code and a token.
const maxLoginBody = 16 << 10

// loginCSRFMaxAge is how long a login form stays usable.
const loginCSRFMaxAge = int(time.Hour / time.Second)

// routesLogin registers /login (GET form, POST), POST /logout and GET /
// (redirect to the viewer's home: the console for officers and
// supervisors, the dashboard for hq, the admin page for admins).
func (s *Server) routesLogin() {
	s.mux.HandleFunc("GET /login", s.handleLoginForm)
	s.mux.HandleFunc("POST /login", limitBody(maxLoginBody, s.handleLogin))
	s.mux.HandleFunc("POST /logout", limitBody(maxLoginBody, s.guard(s.handleLogout)))
	s.mux.HandleFunc("GET /{$}", s.guard(func(w http.ResponseWriter, r *http.Request) {
		v, _ := viewerFrom(r.Context())
		http.Redirect(w, r, home(v.User.Role), http.StatusSeeOther)
	}))
}

// home is the page a role lands on.
func home(role auth.Role) string {
	switch role {
	case auth.RoleOfficer, auth.RoleSupervisor:
		return "/console"
	case auth.RoleHQ:
		return "/dashboard"
	case auth.RoleAdmin:
		return "/admin"
	}
	return "/login"
}

// SafeNext returns next when it is a path of this site (a relative
// reference starting with one "/"), else "": a login link must not send
// the user to another site, and "//host" or "/\host" would.
func SafeNext(next string) string {
	if len(next) < 1 || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "/login") {
		return ""
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return ""
	}
	for _, r := range next {
		// Browsers drop tabs and newlines inside URLs ("/\t/host" is
		// "//host" to them) and read '\' as '/'.
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

// loginPage is what the login form shows.
type loginPage struct {
	CSRF     string // the double-submit token, also in LoginCSRFCookie
	Next     string
	User     string // the name typed, kept after a failure
	NeedCode bool   // show the one-time code field prominently
	Error    string
}

// loginAnswer is POST /login's JSON answer.
type loginAnswer struct {
	User        string    `json:"user,omitempty"`
	Role        auth.Role `json:"role,omitempty"`
	Post        string    `json:"post,omitempty"`
	CSRF        string    `json:"csrf,omitempty"` // the session's token for state-changing requests
	Home        string    `json:"home,omitempty"`
	Error       string    `json:"error,omitempty"`
	NeedCode    bool      `json:"need_code,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// loginCookie returns the browser's login-form token, or a new one set
// as a cookie: several open login tabs then share one token.
func loginCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(LoginCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	t := newToken()
	setCookie(w, LoginCSRFCookie, t, loginCSRFMaxAge)
	return t
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	next := SafeNext(r.URL.Query().Get("next"))
	if s.cfg.Auth != nil {
		// Already logged in: straight on.
		if c, err := r.Cookie(SessionCookie); err == nil {
			if sess, err := s.cfg.Auth.Session(r.Context(), c.Value, s.cfg.Now()); err == nil {
				http.Redirect(w, r, cmp.Or(next, home(sess.User.Role)), http.StatusSeeOther)
				return
			}
		}
	}
	s.render(w, r, "login", loginPage{CSRF: loginCookie(w, r), Next: next})
}

// isJSON reports whether the request body is JSON (scripts log in so).
func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

// loginInput is a login request, from a form or from JSON.
type loginInput struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Code     string `json:"code"`
	Next     string `json:"next"`
	token    string
}

func readLogin(r *http.Request) (loginInput, error) {
	var in loginInput
	if isJSON(r) {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return in, errors.New(`the body is not a JSON object {"user", "password", "code"}`)
		}
		in.token = r.Header.Get(CSRFHeader)
	} else {
		if err := r.ParseForm(); err != nil {
			return in, errors.New("the form could not be read; reload the login page")
		}
		in = loginInput{User: r.PostForm.Get("user"), Password: r.PostForm.Get("password"),
			Code: r.PostForm.Get("code"), Next: r.PostForm.Get("next"), token: r.PostForm.Get(CSRFField)}
		if in.token == "" {
			in.token = r.Header.Get(CSRFHeader)
		}
	}
	in.User = strings.TrimSpace(in.User)
	in.Next = SafeNext(in.Next)
	return in, nil
}

// auditName bounds a typed user name for the audit log: whatever anyone
// types is recorded, but not a megabyte of it.
func auditName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, name)
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	if name == "" {
		name = "(empty)"
	}
	return name
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	asJSON := isJSON(r)
	in, err := readLogin(r)
	// fail answers in the client's language: JSON, or the form again
	// with a fresh token when the old one was the problem.
	fail := func(status int, a loginAnswer) {
		if asJSON {
			writeJSON(w, status, a)
			return
		}
		s.renderStatus(w, r, status, "login", loginPage{CSRF: loginCookie(w, r), Next: in.Next, User: in.User, NeedCode: a.NeedCode, Error: a.Error})
	}
	if err != nil {
		fail(http.StatusBadRequest, loginAnswer{Error: err.Error()})
		return
	}
	if s.cfg.Auth == nil {
		fail(http.StatusServiceUnavailable, loginAnswer{Error: "accounts are not configured on this central"})
		return
	}
	c, cerr := r.Cookie(LoginCSRFCookie)
	if !sameOrigin(r) || cerr != nil || !tokenEqual(in.token, c.Value) {
		s.log.Warn("login refused: missing or wrong login token", "remote", r.RemoteAddr)
		if cerr != nil {
			// A new cookie for the form shown again.
			r.Header.Del("Cookie")
		}
		fail(http.StatusForbidden, loginAnswer{Error: "the login form expired or came from another site; reload the login page and try again"})
		return
	}
	now := s.cfg.Now()
	sess, err := s.cfg.Auth.Login(r.Context(), in.User, in.Password, in.Code, now)
	if err != nil {
		var locked *auth.LockedError
		var a loginAnswer
		status, reason := http.StatusUnauthorized, "bad_credentials"
		switch {
		case errors.Is(err, auth.ErrBadCredentials):
			a.Error = "wrong user name or password"
		case errors.As(err, &locked):
			status, reason = http.StatusForbidden, "locked"
			a.Error = "account locked until " + locked.Until.In(s.cfg.Location).Format("15:04") + ", ask an admin"
			a.LockedUntil = locked.Until
		case errors.Is(err, auth.ErrTOTPRequired):
			reason = "totp_required"
			a.Error, a.NeedCode = "enter your password again with the one-time code from your authenticator app", true
		case errors.Is(err, auth.ErrDisabled):
			status, reason = http.StatusForbidden, "disabled"
			a.Error = "account disabled, ask an admin"
		default:
			s.log.Error("login failed", "user", auditName(in.User), "error", err)
			fail(http.StatusInternalServerError, loginAnswer{Error: "internal error checking the account; see central's log"})
			return
		}
		s.log.Info("login refused", "user", auditName(in.User), "reason", reason, "remote", r.RemoteAddr)
		s.appendAudit(r.Context(), audit.Entry{Actor: auditName(in.User), Action: audit.ActionLoginFailed,
			Detail: map[string]string{"reason": reason, "remote": r.RemoteAddr}})
		fail(status, a)
		return
	}
	// No Max-Age: the cookie lives as long as the browser; the session's
	// own idle and absolute expiry end it on the server.
	setCookie(w, SessionCookie, sess.Token, 0)
	setCookie(w, LoginCSRFCookie, "", -1)
	u := sess.User
	s.log.Info("login", "user", u.Name, "role", u.Role, "post", u.Post, "remote", r.RemoteAddr)
	s.appendAudit(r.Context(), audit.Entry{Actor: u.Name, Action: audit.ActionLogin, Post: u.Post,
		Detail: map[string]string{"role": string(u.Role), "session": sessionRef(sess.ID), "remote": r.RemoteAddr}})
	dest := cmp.Or(in.Next, home(u.Role))
	if asJSON {
		writeJSON(w, http.StatusOK, loginAnswer{User: u.Name, Role: u.Role, Post: u.Post, CSRF: sess.CSRF, Home: dest})
		return
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// sessionRef is a short, safe reference to a session for the audit log
// (the start of the token's hash).
func sessionRef(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	c, err := r.Cookie(SessionCookie)
	if err == nil {
		if err := s.cfg.Auth.Logout(r.Context(), c.Value); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	setCookie(w, SessionCookie, "", -1)
	s.appendAudit(r.Context(), audit.Entry{Actor: v.User.Name, Action: audit.ActionLogout, Post: v.User.Post,
		Detail: map[string]string{"session": sessionRef(v.ID)}})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

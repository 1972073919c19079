package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
)

// Cookie names. The session cookie is Secure, HttpOnly and SameSite=Strict;
// browsers keep Secure cookies over plain HTTP only on localhost, so
// central serves HTTPS (--web-cert) anywhere else.
const (
	SessionCookie    = "autogate_session"
	LoginCSRFCookie  = "autogate_login_csrf"
	CSRFHeader       = "X-CSRF-Token"
	CSRFField        = "csrf"
	sessionCookiePth = "/"
)

type viewerKey struct{}

// Viewer is the logged-in user of a request.
type Viewer struct {
	auth.Session
}

// viewerFrom returns the request's viewer (set by guard).
func viewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

// stateChanging reports whether a request must carry the CSRF token.
func stateChanging(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// wantsHTML tells a page request (redirect to the login page) from an API
// or script request (a status and a JSON error).
func wantsHTML(r *http.Request) bool {
	return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// guard wraps a handler: it requires a live session, one of roles (none:
// any role), and on a state-changing request the session's CSRF token and,
// when the browser names one, an Origin of this very host. The handler
// finds the viewer with viewerFrom.
func (s *Server) guard(h http.HandlerFunc, roles ...auth.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Auth == nil {
			writeError(w, http.StatusServiceUnavailable, "accounts are not configured on this central")
			return
		}
		c, err := r.Cookie(SessionCookie)
		var sess auth.Session
		if err == nil {
			sess, err = s.cfg.Auth.Session(r.Context(), c.Value, s.cfg.Now())
		}
		if err != nil {
			if !errors.Is(err, http.ErrNoCookie) && !errors.Is(err, auth.ErrNoSession) {
				s.internalError(w, r, err)
				return
			}
			if wantsHTML(r) {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			writeError(w, http.StatusUnauthorized, "not logged in, or the session expired: log in again at /login")
			return
		}
		if len(roles) > 0 && !slices.Contains(roles, sess.User.Role) {
			s.log.Warn("refused: role beyond its rights", "user", sess.User.Name, "role", sess.User.Role, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, "your role ("+string(sess.User.Role)+") may not do this")
			return
		}
		if stateChanging(r) {
			if !sameOrigin(r) {
				writeError(w, http.StatusForbidden, "request refused: it came from another site (Origin header)")
				return
			}
			if !tokenEqual(requestCSRF(r), sess.CSRF) {
				s.log.Warn("refused: missing or wrong CSRF token", "user", sess.User.Name, "method", r.Method, "path", r.URL.Path)
				writeError(w, http.StatusForbidden, "request refused: missing or wrong CSRF token; reload the page and try again")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, Viewer{sess})))
	}
}

// requestCSRF is the token a request carries: header first (scripts), then
// the form field (plain forms).
func requestCSRF(r *http.Request) string {
	if t := r.Header.Get(CSRFHeader); t != "" {
		return t
	}
	return r.PostFormValue(CSRFField)
}

func tokenEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// crossOrigin refuses state-changing requests a browser says came from
// another origin: Sec-Fetch-Site first, then, from older browsers, an
// Origin naming another host. The Origin header alone is not enough:
// under this site's Referrer-Policy no-referrer, Chromium sends
// "Origin: null" on every POST, same-origin ones included.
var crossOrigin = http.NewCrossOriginProtection()

// sameOrigin accepts a request that no browser header says came from
// another site.
func sameOrigin(r *http.Request) bool {
	return crossOrigin.Check(r) == nil
}

// wantsJSON reports whether the client asked for a JSON answer (scripts,
// and the pages' own fetches) rather than a page or a redirect.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || isJSON(r)
}

// appendAudit appends a record. A failure is logged loudly but does not
// undo what was done: the chain cannot show a record never written, so
// the log must.
func (s *Server) appendAudit(ctx context.Context, e audit.Entry) {
	if s.cfg.Audit == nil {
		s.log.Error("audit: no audit log configured; record lost", "action", e.Action, "actor", e.Actor, "target", e.Target)
		return
	}
	if _, err := s.cfg.Audit.Append(ctx, e); err != nil {
		s.log.Error("audit: appending failed; record lost", "action", e.Action, "actor", e.Actor, "target", e.Target, "error", err)
	}
}

// newToken returns 32 random bytes, URL-safe base64.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// setCookie sets a cookie with the attributes every cookie of central has.
func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: sessionCookiePth, MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// navView is what the shared "nav" template shows: who is logged in, the
// pages their role opens, and the CSRF token of the logout form.
type navView struct {
	User                      auth.User
	CSRF                      string
	Active                    string // console, dashboard, admin
	Console, Dashboard, Admin bool
}

// nav builds the navigation of a page for the request's viewer.
func nav(r *http.Request, active string) navView {
	v, _ := viewerFrom(r.Context())
	role := v.User.Role
	return navView{
		User: v.User, CSRF: v.CSRF, Active: active,
		Console:   role.CanAct(),
		Dashboard: role != auth.RoleOfficer,
		Admin:     role == auth.RoleAdmin,
	}
}

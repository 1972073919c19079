package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/internal/wire"
)

// MaxListUpload bounds an uploaded list delta (the form around it is
// allowed a little more).
const MaxListUpload = 64 << 20

// AdminAuditRecords is how many audit records the admin page shows.
const AdminAuditRecords = 100

// routesAdmin registers the admin pages under /admin.
func (s *Server) routesAdmin() {
	admin := auth.RoleAdmin
	s.mux.HandleFunc("GET /admin", s.guard(s.handleAdmin, admin))
	s.mux.HandleFunc("POST /admin/users", limitBody(1<<20, s.guard(s.handleAddUser, admin)))
	s.mux.HandleFunc("POST /admin/users/{name}/{op}", limitBody(1<<20, s.guard(s.handleUserOp, admin)))
	s.mux.HandleFunc("POST /admin/gates", limitBody(1<<20, s.guard(s.handleEnrolGate, admin)))
	// The limit wraps the guard: the guard reads the form (for the CSRF
	// field) before the handler could bound it.
	s.mux.HandleFunc("POST /admin/lists", limitBody(MaxListUpload+1<<20, s.guard(s.handleListUpload, admin)))
}

// limitBody refuses a request body over n bytes: at once when it says its
// length, else when reading passes n.
func limitBody(n int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			http.Error(w, fmt.Sprintf("request too large: %d bytes, at most %d MiB", r.ContentLength, n>>20), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h(w, r)
	}
}

// adminPage is what /admin shows.
type adminPage struct {
	Nav   navView
	CSRF  string
	Self  string
	Roles []auth.Role
	Users []auth.User
	Gates []adminGate
	Lists []adminList
	Audit []auditView
	// Messages: the outcome of the last action.
	OK, Error     string
	ListSummary   string
	Form          addUserForm // kept after a refused add (never the password)
	UploadEnabled bool
	EnrolEnabled  bool
	VersionsKnown bool
	AuditError    string
}

type addUserForm struct {
	Name, Role, Post string
}

type adminGate struct {
	ID, Post, State, Versions, LastSeen string
}

type adminList struct {
	Name    string
	Version int64
}

type auditView struct {
	Seq                                  int64
	At, Actor, Action, Target, Post, Det string
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r)
	switch q := r.URL.Query(); q.Get("done") {
	case "added":
		p.OK = "User " + q.Get("user") + " added."
	case "disable", "enable", "unlock":
		p.OK = "User " + q.Get("user") + " " + pastTense[q.Get("done")] + "."
	}
	s.render(w, r, "admin", p)
}

var pastTense = map[string]string{"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}

// adminPage reads everything the page shows. A part that cannot be read
// is reported on the page; the rest still shows.
func (s *Server) adminPage(r *http.Request) adminPage {
	ctx := r.Context()
	v, _ := viewerFrom(ctx)
	p := adminPage{
		Nav: nav(r, "admin"), CSRF: v.CSRF, Self: v.User.Name, Roles: auth.Roles,
		UploadEnabled: s.cfg.ImportList != nil, EnrolEnabled: s.cfg.EnrolGate != nil, Form: addUserForm{Role: string(auth.RoleOfficer)},
	}
	var problems []string
	users, err := s.cfg.Auth.Users(ctx)
	if err != nil {
		problems = append(problems, "users: "+err.Error())
	}
	p.Users = users
	latest := s.latestVersions(ctx, &problems)
	p.VersionsKnown = latest != nil
	for _, n := range slices.Sorted(maps.Keys(latest)) {
		p.Lists = append(p.Lists, adminList{Name: n, Version: latest[n]})
	}
	gates, err := s.cfg.Store.Gates(ctx)
	if err != nil {
		problems = append(problems, "gates: "+err.Error())
	}
	now := s.cfg.Now()
	for _, g := range gates {
		var vs []string
		for _, vv := range versions(g, latest) {
			t := vv.Text()
			if vv.Behind {
				t += " (behind)"
			}
			vs = append(vs, t)
		}
		ag := adminGate{ID: g.ID, Post: orDash(g.Post), State: g.DisplayState(now), Versions: orDash(strings.Join(vs, ", ")), LastSeen: "never"}
		if !g.StatusReceivedAt.IsZero() {
			ag.LastSeen = s.formatTime(g.StatusReceivedAt) + " (" + age(now.Sub(g.StatusReceivedAt)) + ")"
		}
		p.Gates = append(p.Gates, ag)
	}
	if s.cfg.Audit == nil {
		p.AuditError = "no audit log configured"
	} else if entries, err := s.cfg.Audit.Entries(ctx, "", 0, AdminAuditRecords); err != nil {
		p.AuditError = err.Error()
	} else {
		for _, e := range entries {
			p.Audit = append(p.Audit, auditView{Seq: e.Seq, At: s.formatTime(e.At), Actor: e.Actor, Action: e.Action,
				Target: orDash(e.Target), Post: orDash(e.Post), Det: detailText(e.Detail)})
		}
	}
	if len(problems) > 0 {
		s.log.Error("admin page: reading", "problems", problems)
		p.Error = "Could not read " + strings.Join(problems, "; ") + ". See central's log."
	}
	return p
}

func (s *Server) latestVersions(ctx context.Context, problems *[]string) map[string]int64 {
	if s.cfg.Versions == nil {
		return nil
	}
	latest, err := s.cfg.Versions(ctx)
	if err != nil {
		*problems = append(*problems, "list versions: "+err.Error())
		return nil
	}
	return latest
}

// detailText shows an audit record's detail as "k=v, k=v" in key order.
func detailText(d map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, ", ")
}

// adminFail re-renders the page with an error and the status.
func (s *Server) adminFail(w http.ResponseWriter, r *http.Request, status int, msg string, form addUserForm) {
	p := s.adminPage(r)
	p.Error = msg
	p.Form = form
	s.renderStatus(w, r, status, "admin", p)
}

func (s *Server) handleAddUser(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	form := addUserForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), Post: strings.TrimSpace(r.PostFormValue("post"))}
	pw, pw2 := r.PostFormValue("password"), r.PostFormValue("password2")
	role, err := auth.ParseRole(form.Role)
	if err != nil {
		s.adminFail(w, r, http.StatusBadRequest, err.Error(), form)
		return
	}
	if !role.NeedsPost() {
		form.Post = "" // hq and admin read every post
	}
	if pw != pw2 {
		s.adminFail(w, r, http.StatusBadRequest, "The two passwords differ; type the same password twice.", form)
		return
	}
	u, err := s.cfg.Auth.AddUser(r.Context(), form.Name, role, form.Post, pw)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, auth.ErrUserExists) {
			status = http.StatusConflict
		}
		s.adminFail(w, r, status, "User not added: "+err.Error(), form)
		return
	}
	s.appendAudit(r.Context(), audit.Entry{Actor: v.User.Name, Action: audit.ActionUserAdd, Target: u.Name, Post: u.Post,
		Detail: map[string]string{"role": string(u.Role), "totp": "off", "via": "web"}})
	s.log.Info("user added", "by", v.User.Name, "user", u.Name, "role", u.Role, "post", u.Post)
	http.Redirect(w, r, "/admin?done=added&user="+url.QueryEscape(u.Name), http.StatusSeeOther)
}

func (s *Server) handleUserOp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, _ := viewerFrom(ctx)
	name, op := r.PathValue("name"), r.PathValue("op")
	var err error
	switch op {
	case "disable":
		if name == v.User.Name {
			// The last admin could lock everyone out of the admin page.
			s.adminFail(w, r, http.StatusConflict, "You cannot disable your own account; ask another admin.", addUserForm{})
			return
		}
		err = s.cfg.Auth.SetDisabled(ctx, name, true)
	case "enable":
		err = s.cfg.Auth.SetDisabled(ctx, name, false)
	case "unlock":
		err = s.cfg.Auth.Unlock(ctx, name)
	default:
		http.Error(w, fmt.Sprintf("no user action %q; actions: disable, enable, unlock", op), http.StatusNotFound)
		return
	}
	if errors.Is(err, auth.ErrNoUser) {
		s.adminFail(w, r, http.StatusNotFound, fmt.Sprintf("No user %q.", name), addUserForm{})
		return
	}
	if err != nil {
		s.log.Error("admin: user change", "user", name, "op", op, "error", err)
		s.adminFail(w, r, http.StatusInternalServerError, "User not changed: "+err.Error(), addUserForm{})
		return
	}
	u, _, _ := s.cfg.Auth.User(ctx, name)
	s.appendAudit(ctx, audit.Entry{Actor: v.User.Name, Action: audit.ActionUserChange, Target: name, Post: u.Post,
		Detail: map[string]string{"change": op}})
	s.log.Info("user changed", "by", v.User.Name, "user", name, "change", op)
	http.Redirect(w, r, "/admin?done="+op+"&user="+url.QueryEscape(name), http.StatusSeeOther)
}

// handleEnrolGate enrols a gate and answers with its credentials bundle
// as a download: the key exists only in that answer, for the admin to carry
// to the gate.
func (s *Server) handleEnrolGate(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	if s.cfg.EnrolGate == nil {
		s.adminFail(w, r, http.StatusServiceUnavailable,
			"Gate enrolment is disabled on this central (no fleet PKI): run 'central pki init' and restart.", addUserForm{})
		return
	}
	id := strings.TrimSpace(r.PostFormValue("gate"))
	if err := wire.ValidateGateID(id); err != nil {
		s.adminFail(w, r, http.StatusBadRequest, "Gate not enrolled: "+err.Error()+".", addUserForm{})
		return
	}
	reissue := r.PostFormValue("reissue") == "on"
	bundle, err := s.cfg.EnrolGate(r.Context(), v.User.Name, id, reissue)
	if err != nil {
		s.log.Warn("admin: gate not enrolled", "by", v.User.Name, "gate", id, "error", err)
		s.adminFail(w, r, http.StatusConflict, "Gate not enrolled: "+err.Error(), addUserForm{})
		return
	}
	s.log.Info("admin: gate enrolled", "by", v.User.Name, "gate", id, "reissue", reissue)
	h := w.Header()
	h.Set("Content-Type", "application/x-pem-file")
	h.Set("Content-Disposition", `attachment; filename="`+id+`.pem"`)
	h.Set("Cache-Control", "no-store")
	w.Write(bundle)
}

func (s *Server) handleListUpload(w http.ResponseWriter, r *http.Request) {
	v, _ := viewerFrom(r.Context())
	if s.cfg.ImportList == nil {
		s.adminFail(w, r, http.StatusServiceUnavailable,
			"List uploads are disabled on this central (no signing key): run 'central pki init', restart, or push with 'central lists push FILE'.", addUserForm{})
		return
	}
	// The guard has parsed the form when the token came as a field; else
	// parse it here (up to 32 MiB in memory, the rest in temporary files
	// that net/http removes after the request).
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.adminFail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("File too large: at most %d MiB.", MaxListUpload>>20), addUserForm{})
			return
		}
		s.adminFail(w, r, http.StatusBadRequest, "Upload unreadable: "+err.Error()+"; choose the file again and resend.", addUserForm{})
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.adminFail(w, r, http.StatusBadRequest, "No file in the upload: choose a list delta file (the same as for 'central lists push FILE').", addUserForm{})
		return
	}
	defer f.Close()
	if hdr.Size > MaxListUpload {
		s.adminFail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("File too large: %d bytes, at most %d MiB.", hdr.Size, MaxListUpload>>20), addUserForm{})
		return
	}
	summary, err := s.cfg.ImportList(r.Context(), v.User.Name, f)
	if err != nil {
		s.log.Warn("admin: list upload refused", "by", v.User.Name, "file", hdr.Filename, "error", err)
		s.adminFail(w, r, http.StatusUnprocessableEntity, "List not imported: "+err.Error(), addUserForm{})
		return
	}
	s.log.Info("admin: list uploaded", "by", v.User.Name, "file", hdr.Filename, "summary", summary)
	p := s.adminPage(r)
	p.OK = "List imported from " + hdr.Filename + "."
	p.ListSummary = summary
	s.render(w, r, "admin", p)
}

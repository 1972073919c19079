package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the web server.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger // nil: slog.Default()
	// Gatherer backs /metrics; nil serves no metrics.
	Gatherer prometheus.Gatherer
	// Health reports problems beyond the store (e.g. the MQTT link); nil
	// checks the store only.
	Health func(context.Context) error
	// Location is the time zone of "today" and of displayed times; nil
	// means the server's local zone.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Auth holds the accounts and sessions; every page and API but
	// /login, /healthz and /metrics needs a session.
	Auth *auth.Store
	// Audit records logins, officers' actions and user changes.
	Audit *audit.Log
	// Commands sends officers' signed commands to gates and waits for
	// their acks; nil disables actions (no signing key).
	Commands Commander
	// Versions returns the latest version of every list and of the
	// configuration (distribute.Store.Latest), for the dashboard; nil: unknown.
	Versions func(context.Context) (map[string]int64, error)
	// ImportList signs and queues a list delta uploaded by an admin
	// (the same as 'central lists push'); nil: uploads are disabled.
	ImportList func(ctx context.Context, actor string, r io.Reader) (summary string, err error)
	// EnrolGate enrols a gate (or reissues its certificate) as 'central
	// gate add' does and returns its credentials bundle, which holds the
	// gate's private key and is kept nowhere else; nil: no fleet PKI.
	EnrolGate func(ctx context.Context, actor, gate string, reissue bool) (bundle []byte, err error)
	// CommandTTL is a command's time to live; CommandWait how long an
	// action waits for the gate's ack before answering "sent, no ack yet".
	CommandTTL  time.Duration
	CommandWait time.Duration
	// ImageRetention is how long referral images are kept (shown to
	// officers; the purge itself runs in the referrals package).
	ImageRetention time.Duration
}

// Commander sends a signed command and waits for its ack
// (central/internal/commands.Sender).
type Commander interface {
	Send(ctx context.Context, gate, action, reason, officer, crossing string, ttl time.Duration) (wire.Command, error)
	WaitAck(ctx context.Context, id string) (wire.CommandAck, error)
}

// Server is central's HTTP handler.
type Server struct {
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	tmpl *template.Template
	hub  *hub
}

// DashboardCrossings is how many recent crossings the dashboard lists.
const DashboardCrossings = 50

// New builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: no store")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	tmpl, err := template.New("").ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parsing templates: %w", err)
	}
	s := &Server{cfg: cfg, log: log.With("component", "web"), mux: http.NewServeMux(), tmpl: tmpl, hub: newHub()}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	readers := []auth.Role{auth.RoleHQ, auth.RoleAdmin} // the JSON API reads every post
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /events", s.guard(s.handleEvents))
	s.mux.HandleFunc("GET /api/gates", s.guard(s.handleAPIGates, readers...))
	s.mux.HandleFunc("GET /api/crossings", s.guard(s.handleAPICrossings, readers...))
	s.mux.HandleFunc("GET /api/stats", s.guard(s.handleAPIStats, readers...))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/gates", "/api/crossings", "/api/stats":
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes GET, not %s", r.URL.Path, r.Method))
		default:
			writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s; see /api/gates, /api/crossings, /api/stats", r.URL.Path))
		}
	})
	s.routesLogin()     // login.go: /login, /logout, / (to each role's home)
	s.routesConsole()   // console.go: the officers' console
	s.routesDashboard() // hq.go: the HQ dashboard and its CSV export
	s.routesAdmin()     // admin.go: users, gates, lists, audit
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	if cfg.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// Notify tells the connected dashboards what changed; cheap and
// non-blocking, so ingest may call it after every commit.
func (s *Server) Notify(crossings, gates, rejects bool) {
	var events []string
	if crossings {
		events = append(events, EventCrossings)
	}
	if gates {
		events = append(events, EventGates)
	}
	if rejects {
		events = append(events, EventRejects)
	}
	if len(events) > 0 {
		s.hub.notify(events...)
	}
}

// Close ends the event streams so an http.Server can shut down.
func (s *Server) Close() { s.hub.close() }

// --- JSON API ---

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "internal error reading the store; see central's log")
}

// APIGate is one entry of GET /api/gates.
type APIGate struct {
	store.Gate
	Today store.Counts `json:"today"`
}

func (s *Server) startOfToday() time.Time {
	now := s.cfg.Now().In(s.cfg.Location)
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.cfg.Location)
}

func (s *Server) gatesWithToday(ctx context.Context) ([]APIGate, error) {
	gates, err := s.cfg.Store.Gates(ctx)
	if err != nil {
		return nil, err
	}
	today, err := s.cfg.Store.CountsSince(ctx, s.startOfToday())
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := make([]APIGate, 0, len(gates))
	for _, g := range gates {
		g.Stale = g.IsStale(now)
		out = append(out, APIGate{Gate: g, Today: today[g.ID]})
	}
	return out, nil
}

func (s *Server) handleAPIGates(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, "GET /api/gates takes no parameters")
		return
	}
	gates, err := s.gatesWithToday(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Gates []APIGate `json:"gates"`
	}{gates})
}

// ParseCrossingsQuery turns /api/crossings parameters into a store query,
// or says what is wrong with them.
func ParseCrossingsQuery(params map[string][]string) (store.Query, error) {
	q := store.Query{Limit: 100, Order: store.Desc}
	for name, vals := range params {
		if len(vals) != 1 {
			return q, fmt.Errorf("parameter %q given %d times; give it once", name, len(vals))
		}
		v := vals[0]
		switch name {
		case "gate":
			if err := wire.ValidateGateID(v); err != nil {
				return q, fmt.Errorf("gate: %v", err)
			}
			q.Gate = v
		case "since":
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				q.Since = t
			} else if id, err := ulid.ParseStrict(v); err == nil {
				q.AfterID = id.String()
			} else {
				return q, fmt.Errorf("since %q is neither an RFC 3339 time (e.g. 2025-06-01T08:00:00Z) nor a crossing ULID (26 characters, e.g. 01J0ABCDEFGHJKMNPQRSTVWXYZ)", v)
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > store.MaxLimit {
				return q, fmt.Errorf("limit %q must be a whole number from 1 to %d", v, store.MaxLimit)
			}
			q.Limit = n
		case "order":
			switch store.Order(v) {
			case store.Asc, store.Desc:
				q.Order = store.Order(v)
			default:
				return q, fmt.Errorf("order %q must be asc or desc", v)
			}
		default:
			return q, fmt.Errorf("unknown parameter %q; known: gate, since, limit, order", name)
		}
	}
	return q, nil
}

func (s *Server) handleAPICrossings(w http.ResponseWriter, r *http.Request) {
	q, err := ParseCrossingsQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	cs, err := s.cfg.Store.Crossings(r.Context(), q)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Crossings []wire.Crossing `json:"crossings"`
	}{cs})
}

func (s *Server) handleAPIStats(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, "GET /api/stats takes no parameters")
		return
	}
	st, err := s.cfg.Store.Stats(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.cfg.Store.Ping(ctx)
	if err == nil && s.cfg.Health != nil {
		err = s.cfg.Health(ctx)
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

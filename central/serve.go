package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/broker"
	gatecmd "autogate/central/internal/commands"
	"autogate/central/internal/distribute"
	"autogate/central/internal/ingest"
	"autogate/central/internal/pki"
	"autogate/central/internal/referrals"
	"autogate/central/internal/settings"
	"autogate/central/internal/store"
	"autogate/central/internal/web"
	"autogate/internal/wire"
)

const serveHelp = `Usage: central serve [--data DIR] [--http ADDR] [--web-cert FILE --web-key FILE] [--mqtt-listen ADDR | --broker URL]

Runs central: receives the gates' crossings and statuses over MQTT, stores
them in SQLite under --data, acknowledges each crossing to its gate once it
is committed, and serves on --http the officers' console (/console), the
HQ dashboard (/dashboard), the admin pages (/admin), the JSON API
(/api/gates, /api/crossings, /api/stats), /metrics and /healthz. Every page
but /login needs an account: 'central user add'. DIR/central.toml (optional,
'central config check --example') sets sessions, lockout, commands and how
long referral images are kept.

By default an embedded MQTT broker listens on --mqtt-listen. With --broker
central uses an external broker (Mosquitto, EMQX) and starts none; give one
or the other, not both.

Once DIR holds the fleet PKI ('central pki init'), the embedded broker
speaks TLS (default --mqtt-listen 127.0.0.1:8883) and admits only clients
with a certificate of the fleet CA, each gate on its own topics only; with
--broker tls://host:port central connects with its own certificate. Without
a PKI the broker accepts anyone, and central says so in its log.

SIGINT or SIGTERM stops it cleanly: the current batch is committed and
acknowledged before exit.
`

// Defaults of central serve.
const (
	defaultDataDir = "var/central"
	defaultHTTP    = "127.0.0.1:8080"
)

type serveConfig struct {
	dataDir    string
	httpAddr   string
	webCert    string // HTTPS certificate and key for --http ("": plain HTTP)
	webKey     string
	mqttListen string // embedded broker address, when brokerURL is ""
	brokerURL  string // external broker
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg serveConfig
	fs.StringVar(&cfg.dataDir, "data", defaultDataDir, "`DIR` holding the SQLite database (created if missing)")
	fs.StringVar(&cfg.httpAddr, "http", defaultHTTP, "`ADDR` (host:port) of the dashboard, API, /metrics and /healthz")
	fs.StringVar(&cfg.mqttListen, "mqtt-listen", broker.DefaultListen, "`ADDR` (host:port) the embedded MQTT broker listens on; "+broker.DefaultTLSListen+" once DIR holds a PKI")
	fs.StringVar(&cfg.webCert, "web-cert", "", "PEM `FILE` of the certificate for HTTPS on --http (with --web-key); browsers keep the session cookie over plain HTTP only on localhost")
	fs.StringVar(&cfg.webKey, "web-key", "", "PEM `FILE` of the key of --web-cert")
	fs.StringVar(&cfg.brokerURL, "broker", "", "`URL` of an external MQTT broker, tls://host:port (central's certificate from DIR/pki) or tcp://host:port; no embedded broker is started")
	if code, done := parseFlags(fs, args, serveHelp, stdout, stderr); done {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["mqtt-listen"] && set["broker"] {
		return usageError(stderr, "serve", "give either --mqtt-listen (embedded broker) or --broker (external broker), not both")
	}
	if err := checkHostPort(cfg.httpAddr); err != nil {
		return usageError(stderr, "serve", "--http: %v", err)
	}
	if cfg.brokerURL != "" {
		if err := checkBrokerURL(cfg.brokerURL); err != nil {
			return usageError(stderr, "serve", "--broker: %v", err)
		}
	} else if err := checkHostPort(cfg.mqttListen); err != nil {
		return usageError(stderr, "serve", "--mqtt-listen: %v", err)
	}
	if cfg.dataDir == "" {
		return usageError(stderr, "serve", "--data must name a folder")
	}
	if (cfg.webCert == "") != (cfg.webKey == "") {
		return usageError(stderr, "serve", "give both --web-cert and --web-key, or neither")
	}
	if !set["mqtt-listen"] {
		cfg.mqttListen = brokerDefaultListen(cfg.dataDir)
	}
	if err := checkBrokerPKI(cfg.dataDir, cfg.brokerURL); err != nil {
		fmt.Fprintf(stderr, "central serve: %v\n", err)
		return exitError // before anything is created in --data
	}

	log := newLogger(stderr)
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("central stopped on an error", "error", err)
		fmt.Fprintf(stderr, "central serve: %v\n", err)
		return exitError
	}
	return exitOK
}

func checkBrokerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL (want tcp://host:port)", raw)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	case "ws", "wss":
		return fmt.Errorf("%q: scheme %s is not supported; use tls://host:port (or tcp://host:port)", raw, u.Scheme)
	default:
		return fmt.Errorf("%q: want tcp://host:port", raw)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("%q: want tcp://host:port, with both host and port", raw)
	}
	return nil
}

// serve runs central until ctx is cancelled, then stops in order: ingest
// (commit, then ack), web, broker, store.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	st, err := store.Open(cfg.dataDir)
	if err != nil {
		return fmt.Errorf("%w (the data folder is set with --data)", err)
	}
	defer st.Close()

	// central.toml (optional) sets sessions, lockout, commands and the
	// retention of referral images.
	set, found, err := settings.LoadDir(cfg.dataDir)
	if err != nil {
		return fmt.Errorf("%w (check it with 'central config check --data %s')", err, cfg.dataDir)
	}
	if !found {
		log.Info("no central.toml in the data folder: default settings", "example", "central config check --example")
	}
	accounts, err := auth.Open(cfg.dataDir, set.AuthPolicy())
	if err != nil {
		return err
	}
	defer accounts.Close()
	if users, err := accounts.Users(ctx); err == nil && len(users) == 0 {
		log.Warn("no user can log in to the console or dashboard yet: add one with 'central user add NAME --role admin --data " + cfg.dataDir + "'")
	}
	auditLog, err := audit.Open(cfg.dataDir)
	if err != nil {
		return err
	}
	defer auditLog.Close()

	// The HTTP port is taken before anything starts, so a port clash
	// fails fast without a broker left half started.
	httpLn, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return listenError("HTTP", cfg.httpAddr, "--http", "", err)
	}
	defer httpLn.Close()

	// With a fleet PKI in the data folder the embedded broker requires gate
	// certificates and central connects with its own (cmd_pki.go).
	sec, err := loadMQTTSecurity(cfg.dataDir, cfg.brokerURL, log)
	if err != nil {
		return err
	}
	brokerURL := cfg.brokerURL
	var embedded *broker.Broker
	if brokerURL == "" {
		embedded, err = broker.Start(broker.Options{Listen: cfg.mqttListen, Logger: log, TLS: sec.serverTLS, Auth: brokerAuth(sec)})
		if err != nil {
			return listenError("MQTT", cfg.mqttListen, "--mqtt-listen", "use the broker already running there with --broker "+sec.scheme()+"://"+clientHost(cfg.mqttListen), err)
		}
		defer embedded.Close()
		brokerURL = sec.scheme() + "://" + clientHost(embedded.Addr())
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		web.NewGateCollector(st, log))
	if sec.auth != nil {
		reg.MustRegister(sec.auth) // autogate_broker_denied_total
	}

	var site *web.Server
	var in *ingest.Ingest
	extra := map[string]mqtt.MessageHandler{}
	// Central's signing key (nil without a PKI) signs commands and
	// re-signs expired updates for resyncs.
	key, err := pki.LoadSigningKey(cfg.dataDir)
	switch {
	case errors.Is(err, pki.ErrNoPKI):
		key = nil
	case err != nil:
		return fmt.Errorf("central's signing key: %w", err)
	}
	cmdSender, err := serveCommands(key, st, log, reg, extra, func(topic string, qos byte, retained bool, payload []byte) error {
		return in.Publish(topic, qos, retained, payload)
	}, func(a wire.CommandAck) {
		auditAck(st, auditLog, a, log)
		if site != nil {
			site.NotifyCommand()
		}
	})
	if err != nil {
		return err
	}
	// Signed list deltas and configurations queued by `central lists push`
	// and `central config push`, published to the gates.
	updates, err := distribute.Open(cfg.dataDir)
	if err != nil {
		return err
	}
	defer updates.Close()
	publisher := distribute.NewPublisher(updates, func(topic string, qos byte, retained bool, payload []byte) error {
		return in.Publish(topic, qos, retained, payload)
	}, distribute.PublisherOptions{Key: key, Logger: log, Registry: reg})
	maps.Copy(extra, publisher.Subscriptions())
	// The gates' live referrals, for the officers' console; their images
	// are purged after the retention.
	refs := referrals.New(referrals.Options{
		Store: st, Retention: set.Privacy.ImageRetention, Logger: log, Registry: reg,
		OnNew: func(store.Referral) {
			if site != nil {
				site.NotifyReferral()
			}
		},
		OnPurge: func(n int64, before time.Time) {
			if _, err := auditLog.Append(context.Background(), audit.Entry{Actor: "central", Action: audit.ActionImagesPurged,
				Detail: map[string]string{"images": fmt.Sprint(n), "received_before": before.UTC().Format(time.RFC3339)}}); err != nil {
				log.Error("cannot audit an image purge", "error", err)
			}
		},
	})
	extra[referrals.Filter()] = refs.Handle
	in, err = ingest.New(ingest.Config{
		BrokerURL: brokerURL, Store: st, Logger: log, Metrics: reg, Extra: extra, TLS: sec.clientTLS,
		OnChange: func(c ingest.Change) {
			if site != nil {
				site.Notify(c.Crossings, c.Gates, c.Rejects)
			}
		},
	})
	if err != nil {
		return err
	}
	webCfg := web.Config{
		Store: st, Logger: log, Gatherer: reg,
		Auth: accounts, Audit: auditLog, Versions: updates.Latest,
		CommandTTL: set.Web.CommandTTL, CommandWait: set.Web.CommandWait, ImageRetention: set.Privacy.ImageRetention,
		ImportList: func(ctx context.Context, actor string, r io.Reader) (string, error) {
			return importList(ctx, key, updates, auditLog, actor, r)
		},
		Health: func(context.Context) error {
			if !in.Subscribed() {
				return fmt.Errorf("not subscribed on the MQTT broker %s (reconnecting; check that it runs)", brokerURL)
			}
			return nil
		},
	}
	if key != nil { // a fleet PKI: admins may enrol gates from the web
		webCfg.EnrolGate = func(ctx context.Context, actor, gate string, reissue bool) ([]byte, error) {
			return enrolGate(ctx, cfg.dataDir, auditLog, actor, gate, reissue)
		}
	}
	if cmdSender != nil { // a nil *Sender must not become a non-nil Commander
		webCfg.Commands = cmdSender
	}
	site, err = web.New(webCfg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           site,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // the event stream lifts it for itself
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpErr := make(chan error, 1)
	scheme := "http"
	if cfg.webCert != "" {
		scheme = "https"
		go func() { httpErr <- srv.ServeTLS(httpLn, cfg.webCert, cfg.webKey) }()
	} else {
		if !isLoopback(httpLn.Addr()) {
			log.Warn("SECURITY: the console is served over plain HTTP on a non-loopback address; browsers will not keep its Secure session cookie: give --web-cert and --web-key")
		}
		go func() { httpErr <- srv.Serve(httpLn) }()
	}

	if err := in.Start(); err != nil {
		return err
	}
	// The publisher runs on ingest's connection: it starts after ingest
	// and stops before it.
	pubCtx, stopPublisher := context.WithCancel(context.Background())
	publisherDone := make(chan struct{})
	go func() { defer close(publisherDone); publisher.Run(pubCtx) }()
	purgeDone := make(chan struct{})
	go func() { defer close(purgeDone); refs.RunPurge(pubCtx) }()
	base := scheme + "://" + dashboardHost(httpLn.Addr().String())
	attrs := []any{"console", base + "/console", "dashboard", base + "/dashboard", "login", base + "/login", "data", st.Path()}
	if embedded != nil {
		attrs = append(attrs, "broker", "embedded", "mqtt_listen", embedded.Addr())
	} else {
		attrs = append(attrs, "broker", brokerURL)
	}
	log.Info("central serving", attrs...)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: committing and acknowledging the current batch")
	case err := <-httpErr:
		runErr = fmt.Errorf("HTTP server on %s: %w", httpLn.Addr(), err)
	}

	stopPublisher()
	<-publisherDone
	<-purgeDone
	stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := in.Stop(stopCtx); err != nil {
		log.Error("stopping ingest", "error", err)
		runErr = errors.Join(runErr, err)
	}
	site.Close()
	shutCtx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
	}
	if embedded != nil {
		embedded.Close()
	}
	if runErr == nil {
		log.Info("central stopped")
	}
	return runErr
}

// isLoopback reports whether a listener's address is on loopback only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// auditAck records a gate's answer to a command, whoever sent it (the
// console or 'central gate command'), with the officer and crossing of the
// command as central recorded it.
func auditAck(st *store.Store, auditLog *audit.Log, a wire.CommandAck, log *slog.Logger) {
	ctx := context.Background()
	cmd, _, err := st.Command(ctx, a.ID)
	if err != nil {
		log.Error("reading the acknowledged command", "command", a.ID, "error", err)
	}
	post, err := st.GatePost(ctx, a.Gate)
	if err != nil {
		log.Error("reading the post of an acknowledging gate", "gate", a.Gate, "error", err)
	}
	e := audit.Entry{Actor: "gate:" + a.Gate, Action: audit.ActionCommandAck, Target: a.Gate, Post: post,
		Detail: map[string]string{"command": a.ID, "result": a.Result, "reason": a.Reason, "mode": a.Mode,
			"action": cmd.Action, "officer": cmd.Officer, "crossing": cmd.Crossing}}
	if _, err := auditLog.Append(ctx, e); err != nil {
		log.Error("cannot audit a command ack", "command", a.ID, "error", err)
	}
}

// enrolGate enrols a gate for the admin page as 'central gate add' does,
// and returns the credentials bundle without leaving it on central's disk.
func enrolGate(ctx context.Context, dataDir string, auditLog *audit.Log, actor, gate string, reissue bool) ([]byte, error) {
	tmp, err := os.MkdirTemp(filepath.Join(dataDir, "pki"), "enrol-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path, err := pki.AddGate(dataDir, gate, pki.AddOptions{Out: filepath.Join(tmp, gate+".pem"), Reissue: reissue})
	if err != nil {
		return nil, err
	}
	bundle, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := auditLog.Append(ctx, audit.Entry{Actor: actor, Action: audit.ActionGateAdd, Target: gate,
		Detail: map[string]string{"reissue": fmt.Sprint(reissue), "via": "web"}}); err != nil {
		return nil, fmt.Errorf("gate %s enrolled, but not recorded in the audit log (%w): enrol it again with reissue once the log is writable", gate, err)
	}
	return bundle, nil
}

// importList signs and queues a list delta uploaded on the admin page, as
// 'central lists push' does, and audits it under the admin's name.
func importList(ctx context.Context, key ed25519.PrivateKey, updates *distribute.Store, auditLog *audit.Log, actor string, r io.Reader) (string, error) {
	if key == nil {
		return "", errors.New("central has no signing key: run 'central pki init' first")
	}
	d, err := distribute.ReadDelta(r)
	if err != nil {
		return "", err
	}
	q, err := updates.QueueDelta(ctx, key, d, distribute.Options{Expires: distribute.DefaultExpires})
	if err != nil {
		return "", err
	}
	e := listsPushEntry(q)
	e.Actor = actor
	if _, err := auditLog.Append(ctx, e); err != nil {
		return "", fmt.Errorf("%s, but not recorded in the audit log: %w", queuedSummary(q), err)
	}
	return queuedSummary(q), nil
}

// dashboardHost is the host:port to print in the dashboard URL: a wildcard
// listen address is shown as localhost, which a person can open.
func dashboardHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// serveCommands prepares central serve's command sender, publishing on
// ingest's connection, and adds to extra (ingest's further subscriptions)
// its handler of every gate's acks, which records them all (those of
// commands sent by 'central gate command' too). Without a signing key
// there is no sender: commands need 'central pki init'.
func serveCommands(key ed25519.PrivateKey, st *store.Store, log *slog.Logger, reg prometheus.Registerer,
	extra map[string]mqtt.MessageHandler, publish gatecmd.PublishFunc, onAck func(wire.CommandAck)) (*gatecmd.Sender, error) {
	if key == nil {
		log.Warn("officers' commands are disabled: no signing key; run 'central pki init'")
		return nil, nil
	}
	s, err := gatecmd.NewSender(gatecmd.Options{Key: key, Publish: publish, Store: st, Logger: log, Registry: reg, OnAck: onAck})
	if err != nil {
		return nil, err
	}
	extra[gatecmd.AcksFilter()] = s.HandleAck
	return s, nil
}

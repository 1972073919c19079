package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"autogate/drivers/emrtd/trust"
	"autogate/gate-agent/internal/commands"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/diskwatch"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/replica"
	"autogate/gate-agent/internal/store"
	"autogate/gate-agent/internal/updates"
	"autogate/gate-agent/internal/uplink"
	"autogate/internal/wire"
	"autogate/models/face"
	"autogate/models/pad"
)

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "gate file (firmware-config/gates/GATE.toml)")
	dataDir := fs.String("data", "", "data folder (overrides agent.data_dir)")
	httpAddr := fs.String("http", "", "metrics/health listen address (overrides agent.http)")
	broker := fs.String("broker", "", "MQTT broker URL (overrides central.broker)")
	speed := fs.Float64("speed", -1, "simulated device speed (overrides simulation.speed; 0 = no delays)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gate-agent run --config FILE [flags]\n\nRuns the gate until SIGINT/SIGTERM. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	g, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent: %v\nFix the gate file; 'gate-agent config check %s' lists every problem.\n", err, *cfgPath)
		return 1
	}
	if *dataDir != "" {
		g.Agent.DataDir = *dataDir
	}
	if *httpAddr != "" {
		g.Agent.HTTP = *httpAddr
	}
	if *broker != "" {
		g.Central.Broker = *broker
	}
	if *speed >= 0 {
		g.Simulation.Speed = speed
	}
	log := newLogger(stderr, g.Agent.LogLevel).With("gate", g.Gate.ID)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runGate(ctx, g, log); err != nil {
		log.Error("gate-agent stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func runGate(ctx context.Context, g *config.Gate, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	devs, err := openDevices(g, log, reg)
	if err != nil {
		return err
	}
	defer devs.Close()

	st, err := store.Open(ctx, g.DataDir())
	if err != nil {
		return err
	}
	defer st.Close()

	lists, err := openLists(ctx, g, log, reg)
	if err != nil {
		return err
	}
	defer lists.Close()
	// Verified before the lane opens: a gate that has just started is out
	// of service for the check's seconds rather than referring everyone.
	lists.Monitor.Verify(ctx)

	disk := diskwatch.New(diskwatch.Options{Dir: g.DataDir(),
		Warn: int64(g.Agent.DiskWarnMB) << 20, Alarm: int64(g.Agent.DiskAlarmMB) << 20, Logger: log, Registry: reg})
	disk.Check() // the first status already carries the figure

	// The flow, made below, is locked and unlocked by officers' commands,
	// whose handler joins subs once it exists: the uplink subscribes them
	// on every connection.
	var fl *flow.Flow
	subs := map[string]mqtt.MessageHandler{}
	// Central's signed list deltas and configurations. keyring holds
	// central's signing keys from the gate's credentials bundle; without it
	// every signed message is refused. applyPolicy is set once the flow
	// exists, before the uplink runs.
	keyring, brokerTLS, err := gateCredentials(g, log)
	if err != nil {
		return err
	}
	var up *uplink.Uplink
	var applyPolicy func(config.Policy) error
	upd, err := updates.New(updates.Options{
		Gate: g.Gate.ID, Direction: g.Gate.Direction, DataDir: g.DataDir(), Keyring: keyring, Replica: lists.Replica,
		Publish: func(topic string, qos byte, retained bool, payload []byte) error {
			return up.Publish(topic, qos, retained, payload)
		},
		Apply:   func(p config.Policy) error { return applyPolicy(p) },
		Applied: func(replica.Applied) { lists.Monitor.Refresh(ctx) },
		Logger:  log, Registry: reg,
	})
	if err != nil {
		return err
	}
	maps.Copy(subs, upd.Handlers())

	up = uplink.New(uplink.Options{
		Subscriptions:  subs,
		Broker:         g.Central.Broker,
		TLS:            brokerTLS,
		Gate:           g.Gate.ID,
		AckTimeout:     time.Duration(g.Central.AckTimeoutS) * time.Second,
		MaxInflight:    g.Central.MaxInflight,
		BatchMax:       g.Central.BatchMax,
		Heartbeat:      time.Duration(g.Central.HeartbeatS) * time.Second,
		ConnectTimeout: time.Duration(g.Central.ConnectTimeoS) * time.Second,
		Status: func() wire.Status {
			s := wire.Status{Post: g.Gate.Post, Mode: "normal", Devices: devs.Health(), Version: version}
			h := lists.Monitor.Health(time.Now())
			s.Lists = h.Versions
			if !h.OK {
				s.Mode, s.Alarms = "refer_all", []string{h.Reason + ": " + h.Message}
			}
			if fl != nil && fl.Locked() {
				s.Mode = flow.ModeLocked // an officer's lock outranks refer_all
			}
			s.ConfigVersion = upd.ConfigVersion()
			s.Alarms = append(s.Alarms, upd.Alarms()...)
			s.DiskFreeBytes = disk.Free()
			if a := disk.Alarm(); a != "" {
				s.Alarms = append(s.Alarms, a)
			}
			return s
		},
		Logger:   log,
		Registry: reg,
	}, st)

	// Referrals go live to the post's officers beside the outbox, queued so
	// that a slow broker never holds up the lane.
	referrals := uplink.NewReferrals(uplink.ReferralOptions{Gate: g.Gate.ID, Publish: up.Publish, Connected: up.Connected,
		Logger: log, Registry: reg})

	checks := append(flow.DocumentChecks(g.Policy), lists.Checks()...)
	var chipCheck func(required []string) flow.Check // rebuilt with a new policy's chip_required
	var faceCheck flow.Check
	if devs.Chip != nil {
		store, rep, err := trust.LoadDir(g.Resolve(g.Chip.TrustDir))
		if err != nil {
			return fmt.Errorf("chip.trust_dir: %w", err)
		}
		if store.Len() == 0 {
			return fmt.Errorf("chip.trust_dir %s holds no CSCA: every chip would fail Passive Authentication; add master lists or CSCA certificates", g.Chip.TrustDir)
		}
		log.Info("trust store loaded", "dir", g.Chip.TrustDir, "cscas", store.Len(), "summary", rep.Summary())
		chipCheck = func(required []string) flow.Check {
			return flow.ChipCheck(devs.Chip, store, required, time.Duration(g.Chip.TimeoutS)*time.Second)
		}
		checks = append(checks, chipCheck(g.Policy.ChipRequired))
	}
	if devs.Camera != nil {
		start := time.Now()
		eng, err := face.Load(face.Config{Dir: g.Face.ModelsDir, Threads: g.Face.Threads, Level: face.Level(g.Face.Level)})
		if err != nil {
			return fmt.Errorf("face models (face.models_dir): %w", err)
		}
		defer eng.Close()
		log.Info("face models loaded", "dir", g.Face.ModelsDir, "level", g.Face.Level, "threads", g.Face.Threads, "seconds", time.Since(start).Seconds())
		padCfg := pad.DefaultConfig()
		if g.Face.Liveness == "challenge" {
			padCfg = pad.ChallengeConfig()
		}
		padCfg.Threshold = *g.Face.PADThreshold
		faceCheck = flow.FaceCheck(devs.Camera, eng, flow.FaceOptions{
			BurstFrames:     g.Face.BurstFrames,
			CaptureTimeout:  time.Duration(g.Face.CaptureTimeoutS) * time.Second,
			MinQuality:      *g.Face.MinQuality,
			PAD:             padCfg,
			MaxPortraitWait: time.Duration(g.Chip.TimeoutS) * time.Second,
		})
		checks = append(checks, faceCheck)
	}
	fl = flow.New(flow.Options{
		Gate: g.Gate.ID, Post: g.Gate.Post, Direction: g.Gate.Direction,
		Checks:       checks,
		HoldReferred: time.Duration(g.Central.HoldReferredS) * time.Second,
		Recorded: func(c wire.Crossing) {
			// Off the lane's path: a movement waits while a delta applies.
			go lists.Recorded(ctx, c)
			up.Kick()
			if devs.Feed != nil {
				devs.Feed.Recorded()
			}
		},
		Referred: referrals.Send,
		Logger:   log,
		Registry: reg,
	}, devs.Reader, devs.Lane, st)
	if err := fl.Recover(ctx); err != nil {
		return err
	}
	// A policy from central replaces the gate file's from the next
	// crossing on: the policy's checks are rebuilt, the devices' kept.
	applyPolicy = func(p config.Policy) error {
		l := lists.Lists
		l.Policy = p
		next := append(flow.DocumentChecks(p), l.Checks()...)
		if chipCheck != nil {
			next = append(next, chipCheck(p.ChipRequired))
		}
		if faceCheck != nil {
			next = append(next, faceCheck)
		}
		fl.SetChecks(next)
		lists.Monitor.SetMaxAge(time.Duration(p.MaxReplicaAgeH) * time.Hour)
		return nil
	}
	if err := upd.LoadConfig(); err != nil {
		log.Warn("the configuration from central kept on disk is not in force", "err", err)
	}
	cmds, err := commands.New(commands.Options{Gate: g.Gate.ID, Keyring: keyring, Store: st,
		Executor: fl, Publish: up.Publish, Logger: log, Registry: reg,
		Mode: func() string {
			if fl.Locked() || lists.Monitor.Health(time.Now()).OK {
				return fl.Mode()
			}
			return "refer_all"
		}})
	if err != nil {
		return err
	}
	subs[cmds.Topic()] = cmds.OnMessage

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		depth, _ := st.OutboxDepth(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"gate": g.Gate.ID, "connected": up.Connected(), "outbox_depth": depth, "devices": devs.Health(),
		})
	})
	if devs.Feed != nil {
		mux.Handle("/sim/", devs.Feed.Handler())
	}
	ln, err := net.Listen("tcp", g.Agent.HTTP)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (set agent.http in the gate file or --http to a free address)", g.Agent.HTTP, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	log.Info("gate-agent started", "post", g.Gate.Post, "direction", g.Gate.Direction, "data", g.DataDir(),
		"broker", g.Central.Broker, "http", "http://"+ln.Addr().String(), "speed", g.Speed(), "version", version)

	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error { return up.Run(gctx) })
	grp.Go(func() error { return referrals.Run(gctx) })
	grp.Go(func() error { return upd.Run(gctx) })
	grp.Go(func() error { return disk.Run(gctx) })
	grp.Go(func() error { return fl.Run(gctx) })
	grp.Go(func() error { return lists.Monitor.Run(gctx) })
	if devs.Feed != nil {
		grp.Go(func() error { return devs.Feed.Run(gctx) })
	}
	grp.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	grp.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err = grp.Wait()
	log.Info("gate-agent stopped")
	return err
}

// gateCredentials loads the gate's credentials bundle (central.credentials):
// central's signing keys, and the client side of a TLS broker (nil over
// tcp://). The gate file was validated, but --broker may have changed the
// broker since.
func gateCredentials(g *config.Gate, log *slog.Logger) (wire.Keyring, *tls.Config, error) {
	creds, err := g.LoadCredentials()
	if err != nil {
		return nil, nil, fmt.Errorf("central.credentials: %w", err)
	}
	switch {
	case creds == nil && g.BrokerTLS():
		return nil, nil, fmt.Errorf("central.broker %s speaks TLS, but the gate file names no central.credentials: run 'central gate add %s' on central and set credentials to the file it writes", g.Central.Broker, g.Gate.ID)
	case creds == nil:
		log.Warn("SECURITY: no central.credentials: the broker cannot tell this gate from another, and central's signed lists, configurations and commands are refused", "broker", g.Central.Broker)
		return nil, nil, nil
	}
	if left := time.Until(creds.NotAfter); left < 30*24*time.Hour {
		log.Warn("the gate's certificate expires soon: have central reissue it ('central gate add ID --reissue') and replace the bundle", "expires", creds.NotAfter.UTC().Format(time.RFC3339), "credentials", g.Central.Credentials)
	}
	if !g.BrokerTLS() {
		log.Warn("SECURITY: central.broker is not a TLS broker: the gate's certificate is unused", "broker", g.Central.Broker)
		return creds.Keyring, nil, nil
	}
	return creds.Keyring, creds.ClientTLS(), nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"autogate/drivers/emrtd/trust"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/store"
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

	up := uplink.New(uplink.Options{
		Broker:         g.Central.Broker,
		Gate:           g.Gate.ID,
		AckTimeout:     time.Duration(g.Central.AckTimeoutS) * time.Second,
		MaxInflight:    g.Central.MaxInflight,
		Heartbeat:      time.Duration(g.Central.HeartbeatS) * time.Second,
		ConnectTimeout: time.Duration(g.Central.ConnectTimeoS) * time.Second,
		Status: func() wire.Status {
			s := wire.Status{Post: g.Gate.Post, Mode: "normal", Devices: devs.Health(), Version: version}
			h := lists.Monitor.Health(time.Now())
			s.Lists = h.Versions
			if !h.OK {
				s.Mode, s.Alarms = "refer_all", []string{h.Reason + ": " + h.Message}
			}
			return s
		},
		Logger:   log,
		Registry: reg,
	}, st)

	checks := append(flow.DocumentChecks(g.Policy), lists.Checks()...)
	if devs.Chip != nil {
		store, rep, err := trust.LoadDir(g.Resolve(g.Chip.TrustDir))
		if err != nil {
			return fmt.Errorf("chip.trust_dir: %w", err)
		}
		if store.Len() == 0 {
			return fmt.Errorf("chip.trust_dir %s holds no CSCA: every chip would fail Passive Authentication; add master lists or CSCA certificates", g.Chip.TrustDir)
		}
		log.Info("trust store loaded", "dir", g.Chip.TrustDir, "cscas", store.Len(), "summary", rep.Summary())
		checks = append(checks, flow.ChipCheck(devs.Chip, store, g.Policy.ChipRequired, time.Duration(g.Chip.TimeoutS)*time.Second))
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
		checks = append(checks, flow.FaceCheck(devs.Camera, eng, flow.FaceOptions{
			BurstFrames:     g.Face.BurstFrames,
			CaptureTimeout:  time.Duration(g.Face.CaptureTimeoutS) * time.Second,
			MinQuality:      *g.Face.MinQuality,
			PAD:             padCfg,
			MaxPortraitWait: time.Duration(g.Chip.TimeoutS) * time.Second,
		}))
	}
	fl := flow.New(flow.Options{
		Gate: g.Gate.ID, Post: g.Gate.Post, Direction: g.Gate.Direction,
		Checks: checks,
		Recorded: func(c wire.Crossing) {
			// Off the lane's path: a movement waits while a delta applies.
			go lists.Recorded(ctx, c)
			up.Kick()
			if devs.Feed != nil {
				devs.Feed.Recorded()
			}
		},
		Logger:   log,
		Registry: reg,
	}, devs.Reader, devs.Lane, st)
	if err := fl.Recover(ctx); err != nil {
		return err
	}

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

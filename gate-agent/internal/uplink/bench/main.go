package main

import (
	"autogate/benchmarks/webclient"
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
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"autogate/benchmarks/sync/syncbench"
	"autogate/gate-agent/internal/store"
	"autogate/gate-agent/internal/uplink"
)

// Result is what --out receives.
type Result struct {
	Backlog       int     `json:"backlog"`
	BatchMax      int     `json:"batch_max"`
	MaxInflight   int     `json:"max_inflight"`
	PayloadBytes  int     `json:"payload_bytes"`
	RecordSeconds float64 `json:"record_seconds"` // writing the backlog (not part of the drain)
	Seconds       float64 `json:"seconds"`        // uplink start → outbox empty
	CrossingsS    float64 `json:"crossings_s"`
	// Depth is the outbox depth over the drain: [seconds, depth] pairs.
	Depth [][2]float64 `json:"depth"`
}

const gateID = "bench-drain"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drain-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backlog := fs.Int("backlog", 10000, "crossings waiting in the gate's outbox")
	batchMax := fs.Int("batch-max", 100, "the gate's [central] batch_max")
	maxInflight := fs.Int("max-inflight", 400, "the gate's [central] max_inflight")
	centralBin := fs.String("central", "", "central binary (default: built from ./central into a temporary folder)")
	out := fs.String("out", "", "write the figures as JSON to this file")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *backlog < 1 || *batchMax < 1 || *maxInflight < 1 {
		fmt.Fprintln(stderr, "drain-bench: want positive --backlog, --batch-max, --max-inflight and no arguments")
		return 2
	}
	return syncbench.Run("drain-bench", *out, *profile, stdout, stderr, func() (any, string, error) {
		res, err := bench(*backlog, *batchMax, *maxInflight, *centralBin, stderr)
		return res, Summary(res), err
	})
}

// Summary is the one-line result.
func Summary(r Result) string {
	return fmt.Sprintf("drain: backlog=%d seconds=%.2f rate=%.0f crossings/s", r.Backlog, r.Seconds, r.CrossingsS)
}

func bench(backlog, batchMax, maxInflight int, centralBin string, stderr io.Writer) (Result, error) {
	tmp, err := os.MkdirTemp("", "autogate-drain-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	if centralBin == "" {
		centralBin = filepath.Join(tmp, "central-bin")
		fmt.Fprintln(stderr, "building central…")
		build := exec.Command("go", "build", "-o", centralBin, "./central")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return Result{}, fmt.Errorf("building central (run from the repository root, or give --central): %w", err)
		}
	}
	res := Result{Backlog: backlog, BatchMax: batchMax, MaxInflight: maxInflight}

	// The backlog: crossings decided and recorded one by one, as the flow does.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(tmp, "gate"))
	if err != nil {
		return res, err
	}
	defer st.Close()
	start := time.Now()
	for i := range backlog {
		c := syncbench.Crossing(gateID, int64(i+1))
		if err := st.Decide(ctx, &c); err != nil {
			return res, err
		}
		if err := st.Record(ctx, c); err != nil {
			return res, err
		}
		if i == 0 {
			p, _ := json.Marshal(c)
			res.PayloadBytes = len(p)
		}
	}
	res.RecordSeconds = time.Since(start).Seconds()
	fmt.Fprintf(stderr, "recorded a backlog of %d crossings in %.1f s\n", backlog, res.RecordSeconds)

	httpAddr, mqttAddr := freeAddr(), freeAddr()
	if httpAddr == "" || mqttAddr == "" {
		return res, errors.New("no free loopback port")
	}
	central, err := startCentral(centralBin, filepath.Join(tmp, "central"), httpAddr, mqttAddr)
	if err != nil {
		return res, err
	}
	defer central.stop()
	// Central's JSON API needs an hq session.
	hq := &webclient.Client{Base: "http://" + httpAddr,
		Account: webclient.Account{Name: "drain-bench", Role: "hq", Password: webclient.RandomPassword()}}
	if err := webclient.AddUser(ctx, centralBin, filepath.Join(tmp, "central"), hq.Account); err != nil {
		return res, err
	}
	if err := hq.Login(ctx); err != nil {
		return res, err
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	up := uplink.New(uplink.Options{Broker: "tcp://" + mqttAddr, Gate: gateID, AckTimeout: 10 * time.Second,
		MaxInflight: maxInflight, BatchMax: batchMax, Heartbeat: 5 * time.Second, ConnectTimeout: 10 * time.Second,
		Logger: log}, st)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start = time.Now()
	go func() { done <- up.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := st.OutboxDepth(ctx)
		if err != nil {
			return res, err
		}
		res.Depth = append(res.Depth, [2]float64{time.Since(start).Seconds(), float64(d)})
		if d == 0 {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return res, fmt.Errorf("%d crossings still in the outbox after 5 minutes", d)
		}
		<-tick.C
	}
	res.Seconds = time.Since(start).Seconds()
	res.CrossingsS = float64(backlog) / res.Seconds

	// Central holds every crossing: its own count, then the crossings API.
	var gates struct {
		Gates []struct {
			ID        string `json:"id"`
			Crossings int    `json:"crossings"`
		} `json:"gates"`
	}
	if err := hq.GetJSON(ctx, "/api/gates", &gates); err != nil {
		return res, err
	}
	var crossings struct {
		Crossings []json.RawMessage `json:"crossings"`
	}
	if err := hq.GetJSON(ctx, fmt.Sprintf("/api/crossings?gate=%s&limit=%d", gateID, backlog), &crossings); err != nil {
		return res, err
	}
	stored := -1
	for _, g := range gates.Gates {
		if g.ID == gateID {
			stored = g.Crossings
		}
	}
	if stored != backlog || len(crossings.Crossings) != backlog {
		return res, fmt.Errorf("outbox empty but central counts %d crossings and lists %d, want %d", stored, len(crossings.Crossings), backlog)
	}
	return res, nil
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

type centralProc struct {
	cmd  *exec.Cmd
	done chan error
}

// startCentral runs `central serve` and waits until /healthz says it is
// subscribed on its broker.
func startCentral(bin, data, httpAddr, mqttAddr string) (*centralProc, error) {
	logFile, err := os.Create(data + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", data, "--http", httpAddr, "--mqtt-listen", mqttAddr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting central: %w", err)
	}
	p := &centralProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			log, _ := os.ReadFile(data + ".log")
			return nil, fmt.Errorf("central exited (%v):\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("central not healthy after 30 s")
		}
	}
}

func (p *centralProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

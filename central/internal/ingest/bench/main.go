package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/benchmarks/sync/syncbench"
	"autogate/central/internal/broker"
	"autogate/central/internal/ingest"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

type settings struct {
	Raw     int `json:"raw_messages"`
	Gates   int `json:"gates"`
	PerGate int `json:"crossings_per_gate"`
	Batch   int `json:"batch"`
	Window  int `json:"window"` // crossings a gate keeps unacknowledged, as max_inflight
}

// Result is what --out receives.
type Result struct {
	Settings        settings `json:"settings"`
	PayloadBytes    int      `json:"payload_bytes"` // one crossing's JSON
	RawPublishMsgsS float64  `json:"raw_publish_msgs_s"`
	Single          Rate     `json:"single"`
	Batched         Rate     `json:"batched"`
	RatioSingle     float64  `json:"ratio_single"`  // single ingest / raw publish
	RatioBatched    float64  `json:"ratio_batched"` // batched ingest / raw publish
}

// Rate is one ingest run.
type Rate struct {
	Crossings  int     `json:"crossings"`
	Messages   int     `json:"messages"`
	Seconds    float64 `json:"seconds"`
	CrossingsS float64 `json:"crossings_s"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ingest-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg settings
	fs.IntVar(&cfg.Raw, "raw", 20000, "messages of the raw broker run")
	fs.IntVar(&cfg.Gates, "gates", 4, "simulated gates of the ingest runs")
	fs.IntVar(&cfg.PerGate, "per-gate", 5000, "crossings each gate sends in each ingest run")
	fs.IntVar(&cfg.Batch, "batch", 100, "crossings per batch message in the batched run")
	fs.IntVar(&cfg.Window, "window", 400, "crossings a gate keeps unacknowledged (its max_inflight)")
	out := fs.String("out", "", "write the figures as JSON to this file")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || cfg.Raw < 1 || cfg.Gates < 1 || cfg.PerGate < 1 || cfg.Batch < 1 || cfg.Batch > wire.MaxBatchCrossings || cfg.Window < cfg.Batch {
		fmt.Fprintf(stderr, "ingest-bench: want positive --raw, --gates, --per-gate; --batch 1–%d; --window ≥ --batch\n", wire.MaxBatchCrossings)
		return 2
	}
	return syncbench.Run("ingest-bench", *out, *profile, stdout, stderr, func() (any, string, error) {
		res, err := bench(cfg, stderr)
		return res, Summary(res), err
	})
}

// Summary is the one-line result.
func Summary(r Result) string {
	return fmt.Sprintf("ingest: raw_publish_msgs_s=%.0f ingest_crossings_s=%.0f (single) %.0f (batched) ratio=%.2f (single) %.2f (batched)",
		r.RawPublishMsgsS, r.Single.CrossingsS, r.Batched.CrossingsS, r.RatioSingle, r.RatioBatched)
}

func bench(cfg settings, stderr io.Writer) (Result, error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	res := Result{Settings: cfg, PayloadBytes: len(wire.Encode(syncbench.Crossing("bench-0", 1)))}

	if res.RawPublishMsgsS, err = rawPublish(b.URL(), cfg.Raw); err != nil {
		return res, fmt.Errorf("raw broker run: %w", err)
	}
	fmt.Fprintf(stderr, "raw broker: %.0f msgs/s\n", res.RawPublishMsgsS)
	if res.Single, err = ingestRun(b.URL(), cfg, 1, log); err != nil {
		return res, fmt.Errorf("single-message ingest run: %w", err)
	}
	fmt.Fprintf(stderr, "ingest, single messages: %.0f crossings/s\n", res.Single.CrossingsS)
	if res.Batched, err = ingestRun(b.URL(), cfg, cfg.Batch, log); err != nil {
		return res, fmt.Errorf("batched ingest run: %w", err)
	}
	fmt.Fprintf(stderr, "ingest, batches of %d: %.0f crossings/s\n", cfg.Batch, res.Batched.CrossingsS)
	res.RatioSingle = res.Single.CrossingsS / res.RawPublishMsgsS
	res.RatioBatched = res.Batched.CrossingsS / res.RawPublishMsgsS
	return res, nil
}

func connect(url, id string, onConnect mqtt.OnConnectHandler) (mqtt.Client, error) {
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
		SetOrderMatters(false).SetWriteTimeout(30 * time.Second).SetOnConnectHandler(onConnect)
	c := mqtt.NewClient(o)
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("connecting %s to %s: %v", id, url, t.Error())
	}
	return c, nil
}

func waitToken(t mqtt.Token, what string) error {
	if !t.WaitTimeout(60 * time.Second) {
		return fmt.Errorf("%s: no answer from the broker in 60 s", what)
	}
	return t.Error()
}

// rawPublish is the broker's own ceiling: n crossing-sized QoS 1 messages
// pipelined from one publisher to one QoS 1 subscriber, until it has all.
func rawPublish(url string, n int) (float64, error) {
	var got atomic.Int64
	all := make(chan struct{})
	sub, err := connect(url, "bench-raw-sub", nil)
	if err != nil {
		return 0, err
	}
	defer sub.Disconnect(100)
	if err := waitToken(sub.Subscribe("bench/raw", 1, func(mqtt.Client, mqtt.Message) {
		if got.Add(1) == int64(n) {
			close(all)
		}
	}), "subscribing"); err != nil {
		return 0, err
	}
	pub, err := connect(url, "bench-raw-pub", nil)
	if err != nil {
		return 0, err
	}
	defer pub.Disconnect(100)
	payload := wire.Encode(syncbench.Crossing("bench-raw", 1))
	start := time.Now()
	tokens := make([]mqtt.Token, n)
	for i := range n {
		tokens[i] = pub.Publish("bench/raw", 1, false, payload)
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("the subscriber got %d of %d messages in 5 minutes", got.Load(), n)
	}
	elapsed := time.Since(start)
	for _, t := range tokens {
		if err := waitToken(t, "publishing"); err != nil {
			return 0, err
		}
	}
	return float64(n) / elapsed.Seconds(), nil
}

// ingestRun starts a fresh store and ingest, and lets cfg.Gates simulated
// gates send cfg.PerGate crossings each, perBatch per message (1: single
// messages on the crossings topic), keeping at most cfg.Window crossings
// unacknowledged as a gate does. It times the first publication to the
// last ack.
func ingestRun(url string, cfg settings, perBatch int, log *slog.Logger) (Rate, error) {
	dir, err := os.MkdirTemp("", "autogate-ingest-bench-")
	if err != nil {
		return Rate{}, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir)
	if err != nil {
		return Rate{}, err
	}
	defer st.Close()
	in, err := ingest.New(ingest.Config{BrokerURL: url, Store: st, Logger: log})
	if err != nil {
		return Rate{}, err
	}
	if err := in.Start(); err != nil {
		return Rate{}, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		in.Stop(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err != nil {
		return Rate{}, err
	}

	gates := make([]*simGate, cfg.Gates)
	for i := range gates {
		g, err := newSimGate(url, fmt.Sprintf("bench-%d-%d", perBatch, i), cfg, perBatch)
		if err != nil {
			return Rate{}, err
		}
		defer g.client.Disconnect(100)
		gates[i] = g
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(gates))
	for i, g := range gates {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = g.send() }()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return Rate{}, err
	}
	var messages int
	for _, g := range gates {
		messages += g.messages
	}
	total := cfg.Gates * cfg.PerGate
	if n, err := st.Count(context.Background(), ""); err != nil || n != int64(total) {
		return Rate{}, fmt.Errorf("central stored %d crossings (%v), want %d", n, err, total)
	}
	return Rate{Crossings: total, Messages: messages, Seconds: elapsed.Seconds(), CrossingsS: float64(total) / elapsed.Seconds()}, nil
}

// simGate sends like a gate's uplink: in seq order, pipelined, at most
// window crossings unacknowledged.
type simGate struct {
	id       string
	client   mqtt.Client
	msgs     []simMsg      // prepared before the clock starts
	window   chan struct{} // one token per unacknowledged crossing
	acked    chan struct{} // closed when every crossing is acked
	pending  sync.Map      // id → struct{}: sent, not yet acked
	left     atomic.Int64
	messages int
}

// simMsg is one prepared publication.
type simMsg struct {
	topic   string
	payload []byte
	ids     []string
}

// maxBatchBytes is the gate uplink's bound on a batch message: central's
// limit less room for the envelope. Real crossings (3–4 KB) fill it before
// a batch of 100 is reached.
const maxBatchBytes = wire.MaxMessageBytes - 8<<10

func newSimGate(url, id string, cfg settings, perBatch int) (*simGate, error) {
	g := &simGate{id: id, window: make(chan struct{}, cfg.Window), acked: make(chan struct{})}
	g.left.Store(int64(cfg.PerGate))
	// The gate's encoding is not central's work: it is done before timing.
	var cs []wire.Crossing
	size := 0
	flush := func() {
		if len(cs) == 0 {
			return
		}
		m := simMsg{topic: wire.GateTopic(id, wire.KindBatches)}
		if perBatch == 1 {
			m.topic, m.payload = wire.GateTopic(id, wire.KindCrossings), wire.Encode(cs[0])
		} else {
			m.payload = wire.Encode(wire.CrossingBatch{V: wire.SchemaVersion, Gate: id, Crossings: cs})
		}
		for _, c := range cs {
			m.ids = append(m.ids, c.ID)
		}
		g.msgs = append(g.msgs, m)
		cs, size = nil, 0
	}
	for seq := 1; seq <= cfg.PerGate; seq++ {
		c := syncbench.Crossing(id, int64(seq))
		n := len(wire.Encode(c))
		if len(cs) == perBatch || size+n+1 > maxBatchBytes {
			flush()
		}
		cs, size = append(cs, c), size+n+1
	}
	flush()

	c, err := connect(url, "bench-gate-"+id, nil)
	if err != nil {
		return nil, err
	}
	g.client = c
	if err := waitToken(c.Subscribe(wire.GateTopic(id, wire.KindAcks), 1, g.onAck), "subscribing to acks"); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *simGate) onAck(_ mqtt.Client, m mqtt.Message) {
	a, err := wire.DecodeAck(m.Payload())
	if err != nil {
		return
	}
	for _, id := range a.IDs {
		if _, ok := g.pending.LoadAndDelete(id); !ok {
			continue // a repeat
		}
		<-g.window
		if g.left.Add(-1) == 0 {
			close(g.acked)
		}
	}
}

func (g *simGate) send() error {
	tokens := make([]mqtt.Token, 0, len(g.msgs))
	for _, m := range g.msgs {
		for _, id := range m.ids {
			g.window <- struct{}{}
			g.pending.Store(id, struct{}{})
		}
		tokens = append(tokens, g.client.Publish(m.topic, 1, false, m.payload))
		g.messages++
	}
	select {
	case <-g.acked:
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("gate %s: %d crossings still unacknowledged after 5 minutes", g.id, g.left.Load())
	}
	for _, t := range tokens {
		if err := waitToken(t, "gate "+g.id+" publishing"); err != nil {
			return err
		}
	}
	return nil
}

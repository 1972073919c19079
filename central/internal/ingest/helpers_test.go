package ingest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/broker"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startBroker(t *testing.T, listen string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: listen, Logger: testLogger()})
	if err != nil {
		t.Fatalf("starting embedded broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type fixture struct {
	store   *store.Store
	reg     *prometheus.Registry
	ingest  *Ingest
	mu      sync.Mutex
	changes []Change
}

func startIngest(t *testing.T, brokerURL string) *fixture {
	t.Helper()
	f := &fixture{store: openStore(t), reg: prometheus.NewRegistry()}
	in, err := New(Config{
		BrokerURL: brokerURL, Store: f.store, Logger: testLogger(), Metrics: f.reg,
		OnChange: func(c Change) { f.mu.Lock(); f.changes = append(f.changes, c); f.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in.Stop(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	f.ingest = in
	return f
}

// metric reads a counter or gauge value, or a histogram's sample count.
func metric(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

// gate is a test MQTT client acting as a gate.
type gate struct {
	client mqtt.Client
}

// newGate connects a gate client. When onAck is set it subscribes (and
// re-subscribes after reconnects) to every gate's acks topic.
func newGate(t *testing.T, brokerURL, clientID string, onAck func(topicGate string, a wire.Ack, err error)) *gate {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(time.Second)
	subscribed := make(chan struct{}, 8)
	if onAck != nil {
		opts.SetOnConnectHandler(func(c mqtt.Client) {
			tok := c.Subscribe(wire.AllGates(wire.KindAcks), 1, func(_ mqtt.Client, m mqtt.Message) {
				g, _, err := wire.ParseGateTopic(m.Topic())
				if err != nil {
					onAck("", wire.Ack{}, err)
					return
				}
				a, err := wire.DecodeAck(m.Payload())
				onAck(g, a, err)
			})
			tok.Wait()
			subscribed <- struct{}{}
		})
	}
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("gate client %s: connect to %s: %v", clientID, brokerURL, tok.Error())
	}
	if onAck != nil {
		select {
		case <-subscribed:
		case <-time.After(10 * time.Second):
			t.Fatal("gate client: acks subscription not confirmed")
		}
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &gate{client: c}
}

func (g *gate) publish(t *testing.T, topic string, payload []byte, retained bool) {
	t.Helper()
	tok := g.client.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish on %s: %v", topic, tok.Error())
	}
}

// validCrossing is a well-formed crossing of gateID with sequence seq.
func validCrossing(gateID string, seq int64) wire.Crossing {
	start := time.Now().UTC().Add(-20 * time.Second).Truncate(time.Millisecond)
	return wire.Crossing{
		V: wire.SchemaVersion, ID: wire.NewID(), Gate: gateID, Post: "post-east", Seq: seq,
		Direction: "exit", StartedAt: start, EndedAt: start.Add(14 * time.Second),
		Decision: wire.DecisionPass, Door: "exit",
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F", ExpiryDate: "2032-04-15"},
		Checks:   []wire.Check{{Name: "mrz", Result: wire.ResultPass, DurationMS: 2}},
		Stages:   []wire.Stage{{Name: "document", Start: start, End: start.Add(3 * time.Second)}},
		DeviceMS: 13200, SoftwareMS: 95,
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func uniqueGateID(prefix string) string {
	return prefix + "-" + strings.ToLower(wire.NewID()[16:])
}

package commands

import (
	"autogate/central/internal/ingest/ingesttest"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/central/internal/broker"
	"autogate/central/internal/ingest"
	"autogate/internal/wire"
)

// fakeGate answers commands as a gate does: verify, refuse a seen id,
// acknowledge on its command_acks topic. (The gate's real handler lives
// in gate-agent, which central's packages cannot import; its own tests run
// it over MQTT against commands signed the same way.)
type fakeGate struct {
	mu       sync.Mutex
	seen     map[string]bool
	payloads [][]byte
}

func startFakeGate(t *testing.T, url, gate string, keys wire.Keyring) *fakeGate {
	t.Helper()
	g := &fakeGate{seen: map[string]bool{}}
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("autogate-gate-" + gate))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("gate connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe(wire.GateTopic(gate, wire.KindCommands), 1, func(c mqtt.Client, m mqtt.Message) {
		ack := wire.CommandAck{V: 1, Gate: gate, Result: wire.CommandDone, Mode: "locked", At: time.Now()}
		var cmd wire.Command
		body, err := wire.Verify(m.Payload(), wire.SignedCommand, keys)
		if err == nil {
			err = json.Unmarshal(body, &cmd)
		}
		g.mu.Lock()
		g.payloads = append(g.payloads, m.Payload())
		switch {
		case err != nil:
			ack.Result, ack.Reason = wire.CommandRefused, "bad_signature"
		case g.seen[cmd.ID]:
			ack.ID, ack.Result, ack.Reason = cmd.ID, wire.CommandRefused, "replayed"
		default:
			ack.ID = cmd.ID
			g.seen[cmd.ID] = true
		}
		g.mu.Unlock()
		c.Publish(wire.GateTopic(gate, wire.KindCommandAcks), 1, false, wire.Encode(ack))
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("gate subscribe: %v", tok.Error())
	}
	return g
}

// TestSendOverIngest wires the Sender as central serve does: publishing
// through ingest's connection to the embedded broker, acks arriving on
// ingest's extra subscription and recorded in central's store.
func TestSendOverIngest(t *testing.T) {
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	url := "tcp://" + b.Addr()
	key := newKey(t)
	st := openStore(t)

	var in *ingest.Ingest
	s, err := NewSender(Options{Key: key, Store: st, Logger: quietLogger(),
		Publish: func(topic string, qos byte, retained bool, payload []byte) error {
			return in.Publish(topic, qos, retained, payload)
		}})
	if err != nil {
		t.Fatal(err)
	}
	in = ingesttest.Start(t, ingest.Config{BrokerURL: url, Store: st, Logger: quietLogger(), Metrics: prometheus.NewRegistry(),
		Extra: map[string]mqtt.MessageHandler{AcksFilter(): s.HandleAck}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := startFakeGate(t, url, "gate-1", wire.NewKeyring(key.Public().(ed25519.PublicKey)))

	c, err := s.Send(ctx, "gate-1", wire.ActionLock, "incident in hall B", "O-17", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(ctx, c.ID)
	if err != nil || ack.Result != wire.CommandDone || ack.ID != c.ID {
		t.Fatalf("ack %+v err=%v", ack, err)
	}
	rec, ok, err := st.Command(ctx, c.ID)
	if err != nil || !ok || rec.AckResult != wire.CommandDone || rec.Officer != "O-17" || rec.AckMode != "locked" {
		t.Fatalf("store %+v ok=%v err=%v", rec, ok, err)
	}

	// The captured signed bytes, published again raw, are not a new
	// command: the gate refuses them and central records the first answer.
	g.mu.Lock()
	raw := g.payloads[0]
	g.mu.Unlock()
	if err := in.Publish(wire.GateTopic("gate-1", wire.KindCommands), 1, false, raw); err != nil {
		t.Fatal(err)
	}
	for {
		if n := testutilAcks(s, wire.CommandRefused, "replayed"); n == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no refusal of the replay reached central")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rec, _, _ := st.Command(ctx, c.ID); rec.AckResult != wire.CommandDone {
		t.Fatalf("the replay's refusal overwrote the command's answer: %+v", rec)
	}
}

func testutilAcks(s *Sender, result, reason string) float64 {
	return testutil.ToFloat64(s.mAcks.WithLabelValues(result, reason))
}

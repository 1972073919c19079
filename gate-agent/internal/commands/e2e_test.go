package commands

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"autogate/drivers/docreader"
	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/uplink"
	"autogate/internal/testenv"
	"autogate/internal/wire"
)

// startBroker runs a real MQTT broker in-process on a free port.
func startBroker(t *testing.T) string {
	t.Helper()
	srv := mochi.New(&mochi.Options{Logger: quietLogger()})
	srv.AddHook(new(auth.AllowHook), nil)
	tcp := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(tcp); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "tcp://" + tcp.Address()
}

// central plays central's side: it signs commands as central's Sender
// does, publishes them on the gate's topic and collects the acks.
type central struct {
	client mqtt.Client
	acks   chan wire.CommandAck
	online chan struct{}
}

func newCentral(t *testing.T, broker string) *central {
	t.Helper()
	c := &central{acks: make(chan wire.CommandAck, 16), online: make(chan struct{}, 16)}
	c.client = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("test-central"))
	if tok := c.client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("central connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.client.Disconnect(100) })
	subs := map[string]mqtt.MessageHandler{
		wire.GateTopic(gate, wire.KindCommandAcks): func(_ mqtt.Client, m mqtt.Message) {
			a, err := wire.DecodeCommandAck(gate, m.Payload())
			if err != nil {
				t.Errorf("undecodable ack: %v", err)
				return
			}
			c.acks <- a
		},
		// The gate publishes its status once its subscriptions are made.
		wire.GateTopic(gate, wire.KindStatus): func(_ mqtt.Client, m mqtt.Message) {
			if s, err := wire.DecodeStatus(gate, m.Payload()); err == nil && s.State == wire.StateOnline {
				c.online <- struct{}{}
			}
		},
	}
	for topic, h := range subs {
		if tok := c.client.Subscribe(topic, 1, h); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", topic, tok.Error())
		}
	}
	return c
}

func (c *central) publish(t *testing.T, payload []byte) {
	t.Helper()
	if tok := c.client.Publish(wire.GateTopic(gate, wire.KindCommands), 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

func (c *central) ack(t *testing.T) wire.CommandAck {
	t.Helper()
	select {
	case a := <-c.acks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack from the gate within 10s")
		return wire.CommandAck{}
	}
}

// TestCommandsOverMQTT runs the gate's real parts: uplink (its
// subscription and publish), handler, store and flow on a simulated lane.
func TestCommandsOverMQTT(t *testing.T) {
	broker := startBroker(t)
	key := newKey(t)
	st := openStore(t, t.TempDir())
	reader, err := docreader.NewSim(testenv.ShippedProfile(t, "sim-docreader"), 0)
	if err != nil {
		t.Fatal(err)
	}
	lane, err := gatectl.NewSim(testenv.ShippedProfile(t, "sim-gatectl"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close(); lane.Close() })
	fl := flow.New(flow.Options{Gate: gate, Post: "p1", Direction: "entry", Checks: flow.DocumentChecks(config.Policy{DocumentCodes: []string{"P"}}),
		Logger: quietLogger()}, reader, lane, st)

	var up *uplink.Uplink
	h, err := New(Options{Gate: gate, Keyring: wire.NewKeyring(key.Public().(ed25519.PublicKey)), Store: st, Executor: fl,
		Publish: func(topic string, qos byte, retained bool, payload []byte) error {
			return up.Publish(topic, qos, retained, payload)
		},
		Mode: fl.Mode, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	up = uplink.New(uplink.Options{Broker: broker, Gate: gate, AckTimeout: time.Second, MaxInflight: 4, Heartbeat: time.Minute,
		ConnectTimeout: 5 * time.Second, Subscriptions: map[string]mqtt.MessageHandler{h.Topic(): h.OnMessage}, Logger: quietLogger()}, st)
	c := newCentral(t, broker)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { up.Run(ctx); done <- struct{}{} }()
	go func() { fl.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	select {
	case <-c.online:
	case <-time.After(10 * time.Second):
		t.Fatal("the gate did not come online")
	}

	now := time.Now().UTC()
	lock := wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Action: wire.ActionLock, Reason: "incident in hall B",
		Officer: "O-17", IssuedAt: now, ExpiresAt: now.Add(10 * time.Second)}
	signed := sign(t, key, wire.SignedCommand, lock)
	c.publish(t, signed)
	if a := c.ack(t); a.ID != lock.ID || a.Result != wire.CommandDone || a.Mode != flow.ModeLocked {
		t.Fatalf("lock ack %+v", a)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lane.DoorState(gatectl.Entrance) != gatectl.Closed {
		if time.Now().After(deadline) {
			t.Fatal("the entrance did not close on lock")
		}
		time.Sleep(5 * time.Millisecond)
	}

	unlock := lock
	unlock.ID, unlock.Action = wire.NewID(), wire.ActionUnlock
	c.publish(t, sign(t, key, wire.SignedCommand, unlock))
	if a := c.ack(t); a.ID != unlock.ID || a.Result != wire.CommandDone || a.Mode != flow.ModeNormal {
		t.Fatalf("unlock ack %+v", a)
	}

	// The recorded lock replayed byte for byte, still within its expiry:
	// refused, and the gate stays unlocked.
	c.publish(t, signed)
	if a := c.ack(t); a.ID != lock.ID || a.Result != wire.CommandRefused || a.Reason != ReasonReplayed || a.Mode != flow.ModeNormal {
		t.Fatalf("replay ack %+v, want refused replayed in mode normal", a)
	}
	if fl.Mode() != flow.ModeNormal {
		t.Fatal("the replayed lock locked the gate")
	}
}

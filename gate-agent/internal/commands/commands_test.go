package commands

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

const gate = "g1"

// fakeLane records what it was asked to execute and answers with err.
type fakeLane struct {
	mu  sync.Mutex
	got []wire.Command
	err error
}

func (l *fakeLane) Execute(_ context.Context, c wire.Command) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, c)
	return l.err
}

func (l *fakeLane) executed() []wire.Command {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wire.Command(nil), l.got...)
}

// outbox records what the handler published.
type outbox struct {
	mu   sync.Mutex
	acks []wire.CommandAck
	err  error
}

func (o *outbox) publish(t testing.TB) PublishFunc {
	return func(topic string, qos byte, retained bool, payload []byte) error {
		if topic != wire.GateTopic(gate, wire.KindCommandAcks) || qos != 1 || retained {
			t.Errorf("ack published on %s qos %d retained %v", topic, qos, retained)
		}
		a, err := wire.DecodeCommandAck(gate, payload)
		if err != nil {
			t.Errorf("the gate published an ack central would refuse: %v: %s", err, payload)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		o.acks = append(o.acks, a)
		return o.err
	}
}

func (o *outbox) last(t testing.TB) wire.CommandAck {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.acks) == 0 {
		t.Fatal("no ack published")
	}
	return o.acks[len(o.acks)-1]
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type fixture struct {
	h    *Handler
	lane *fakeLane
	out  *outbox
	reg  *prometheus.Registry
	key  ed25519.PrivateKey
	now  time.Time
}

func newFixture(t testing.TB, key ed25519.PrivateKey, st *store.Store, keys ...ed25519.PublicKey) *fixture {
	t.Helper()
	f := &fixture{lane: &fakeLane{}, out: &outbox{}, reg: prometheus.NewRegistry(), key: key, now: time.Now()}
	var ring wire.Keyring
	if len(keys) > 0 {
		ring = wire.NewKeyring(keys...)
	}
	h, err := New(Options{Gate: gate, Keyring: ring, Store: st, Executor: f.lane, Publish: f.out.publish(t),
		Mode: func() string { return "normal" }, Now: func() time.Time { return f.now },
		Logger: quietLogger(), Registry: f.reg})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

func (f *fixture) command(action string) wire.Command {
	return wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Action: action, Reason: "traveller checked at the desk",
		Officer: "O-17", IssuedAt: f.now.UTC(), ExpiresAt: f.now.Add(10 * time.Second).UTC()}
}

func sign(t testing.TB, key ed25519.PrivateKey, kind string, body any) []byte {
	t.Helper()
	p, err := wire.Sign(key, kind, body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) count(action, result, reason string) float64 {
	return testutil.ToFloat64(f.h.mHandled.WithLabelValues(action, result, reason))
}

func TestValidCommandIsExecutedAndAcknowledged(t *testing.T) {
	key := newKey(t)
	f := newFixture(t, key, openStore(t, t.TempDir()), key.Public().(ed25519.PublicKey))
	c := f.command(wire.ActionLock)
	ack := f.h.Handle(context.Background(), sign(t, key, wire.SignedCommand, c))
	if ack.Result != wire.CommandDone || ack.ID != c.ID || ack.Reason != "" || ack.Mode != "normal" {
		t.Fatalf("ack %+v", ack)
	}
	if got := f.lane.executed(); len(got) != 1 || got[0].ID != c.ID || got[0].Action != wire.ActionLock {
		t.Fatalf("executed %+v", got)
	}
	if f.out.last(t) != ack {
		t.Fatalf("published %+v, returned %+v", f.out.last(t), ack)
	}
	if n := f.count(wire.ActionLock, wire.CommandDone, ""); n != 1 {
		t.Fatalf("done counted %v times", n)
	}
}

// TestRefusals is the verification matrix: each message is refused with
// its reason, counted, acknowledged, and never reaches the lane.
func TestRefusals(t *testing.T) {
	key, other := newKey(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	cases := []struct {
		name    string
		keys    []ed25519.PublicKey
		payload func(f *fixture) []byte
		reason  string
		withID  bool // the ack names the command (the id it claims, when unverified)
	}{
		{"unsigned", []ed25519.PublicKey{pub}, func(f *fixture) []byte { return wire.Encode(f.command(wire.ActionOpenExit)) }, ReasonBadSignature, false},
		{"tampered", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			p := sign(t, key, wire.SignedCommand, f.command(wire.ActionLock))
			return bytes.Replace(p, []byte(`"lock"`), []byte(`"open_exit"`), 1)
		}, ReasonBadSignature, true},
		{"signed by another key", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			return sign(t, other, wire.SignedCommand, f.command(wire.ActionOpenExit))
		}, ReasonUnknownKey, true},
		{"no keyring", nil, func(f *fixture) []byte { return sign(t, key, wire.SignedCommand, f.command(wire.ActionOpenExit)) }, ReasonUnknownKey, true},
		{"a signed delta presented as a command", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			return sign(t, key, wire.SignedDelta, f.command(wire.ActionOpenExit))
		}, ReasonInvalid, true},
		{"not JSON", []ed25519.PublicKey{pub}, func(*fixture) []byte { return []byte("open the gate") }, ReasonMalformed, false},
		{"oversize", []ed25519.PublicKey{pub}, func(*fixture) []byte { return make([]byte, wire.MaxSignedBytes+1) }, ReasonMalformed, false},
		{"signed body not a command", []ed25519.PublicKey{pub}, func(*fixture) []byte { return sign(t, key, wire.SignedCommand, []int{1, 2}) }, ReasonMalformed, false},
		{"expired", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command(wire.ActionOpenExit)
			c.IssuedAt, c.ExpiresAt = f.now.Add(-time.Minute), f.now.Add(-30*time.Second)
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonExpired, true},
		{"no expiry", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command(wire.ActionOpenExit)
			c.ExpiresAt = time.Time{}
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonInvalid, true},
		{"issued in the future", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command(wire.ActionOpenExit)
			c.IssuedAt, c.ExpiresAt = f.now.Add(time.Hour), f.now.Add(time.Hour+10*time.Second)
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonInvalid, true},
		{"wrong gate", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command(wire.ActionOpenExit)
			c.Gate = "g2"
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonWrongGate, true},
		{"no reason", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command(wire.ActionOpenExit)
			c.Reason = ""
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonInvalid, true},
		{"unknown action", []ed25519.PublicKey{pub}, func(f *fixture) []byte {
			c := f.command("explode")
			return sign(t, key, wire.SignedCommand, c)
		}, ReasonInvalid, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, key, openStore(t, t.TempDir()), tc.keys...)
			ack := f.h.Handle(context.Background(), tc.payload(f))
			if ack.Result != wire.CommandRefused || ack.Reason != tc.reason || ack.Detail == "" {
				t.Fatalf("ack %+v, want refused %s with a detail", ack, tc.reason)
			}
			if (ack.ID != "") != tc.withID {
				t.Fatalf("ack id %q (want one: %v)", ack.ID, tc.withID)
			}
			if got := f.lane.executed(); len(got) != 0 {
				t.Fatalf("refused command reached the lane: %+v", got)
			}
			if f.out.last(t) != ack {
				t.Fatal("the refusal was not published")
			}
			n := 0.0
			for _, a := range []string{"unknown", wire.ActionOpenExit, wire.ActionLock} {
				n += f.count(a, wire.CommandRefused, tc.reason)
			}
			if n != 1 {
				t.Fatalf("refusal counted %v times", n)
			}
		})
	}
}

func TestReplayIsRefusedEvenAfterRestart(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, key, st, pub)
	payload := sign(t, key, wire.SignedCommand, f.command(wire.ActionUnlock))
	if ack := f.h.Handle(context.Background(), payload); ack.Result != wire.CommandDone {
		t.Fatalf("first delivery: %+v", ack)
	}
	if ack := f.h.Handle(context.Background(), payload); ack.Result != wire.CommandRefused || ack.Reason != ReasonReplayed {
		t.Fatalf("second delivery: %+v, want refused replayed", ack)
	}
	if n := len(f.lane.executed()); n != 1 {
		t.Fatalf("executed %d times", n)
	}
	st.Close()

	// The gate restarts: the nonce is on disk.
	g := newFixture(t, key, openStore(t, dir), pub)
	if ack := g.h.Handle(context.Background(), payload); ack.Result != wire.CommandRefused || ack.Reason != ReasonReplayed {
		t.Fatalf("after restart: %+v, want refused replayed", ack)
	}
	if n := len(g.lane.executed()); n != 0 {
		t.Fatalf("replay executed after restart")
	}
}

type codedErr string

func (e codedErr) Error() string         { return string(e) }
func (e codedErr) CommandReason() string { return string(e) }

func TestLaneRefusalsAreAcknowledged(t *testing.T) {
	key := newKey(t)
	for _, tc := range []struct {
		err    error
		reason string
	}{
		{codedErr(ReasonNotApplicable), ReasonNotApplicable},
		{codedErr(ReasonFailed), ReasonFailed},
		{errors.New("entrance jammed"), ReasonFailed},
	} {
		f := newFixture(t, key, openStore(t, t.TempDir()), key.Public().(ed25519.PublicKey))
		f.lane.err = tc.err
		ack := f.h.Handle(context.Background(), sign(t, key, wire.SignedCommand, f.command(wire.ActionOpenExit)))
		if ack.Result != wire.CommandRefused || ack.Reason != tc.reason || ack.ID == "" {
			t.Fatalf("lane error %v: ack %+v, want refused %s", tc.err, ack, tc.reason)
		}
		if f.count(wire.ActionOpenExit, wire.CommandRefused, tc.reason) != 1 {
			t.Fatalf("lane refusal %s not counted", tc.reason)
		}
	}
}

func TestStoreFailureRefusesWithoutExecuting(t *testing.T) {
	key := newKey(t)
	st := openStore(t, t.TempDir())
	f := newFixture(t, key, st, key.Public().(ed25519.PublicKey))
	st.Close() // the nonce cannot be recorded
	ack := f.h.Handle(context.Background(), sign(t, key, wire.SignedCommand, f.command(wire.ActionOpenExit)))
	if ack.Result != wire.CommandRefused || ack.Reason != ReasonFailed || len(f.lane.executed()) != 0 {
		t.Fatalf("ack %+v executed %d", ack, len(f.lane.executed()))
	}
}

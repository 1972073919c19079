package commands

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

type sent struct {
	topic   string
	payload []byte
}

type wireLog struct {
	mu   sync.Mutex
	msgs []sent
	err  error
}

func (w *wireLog) publish(topic string, qos byte, retained bool, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.msgs = append(w.msgs, sent{topic, payload})
	return nil
}

func (w *wireLog) all() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sent(nil), w.msgs...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newSender(t testing.TB, key ed25519.PrivateKey, publish PublishFunc, st *store.Store) *Sender {
	t.Helper()
	s, err := NewSender(Options{Key: key, Publish: publish, Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendSignsRecordsAndPublishes(t *testing.T) {
	key := newKey(t)
	w := &wireLog{}
	st := openStore(t)
	s := newSender(t, key, w.publish, st)
	crossing := wire.NewID()
	c, err := s.Send(context.Background(), "gate-1", wire.ActionOpenExit, "passport checked by hand", "O-17", crossing, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	msgs := w.all()
	if len(msgs) != 1 || msgs[0].topic != wire.GateTopic("gate-1", wire.KindCommands) {
		t.Fatalf("published %+v", msgs)
	}
	body, err := wire.Verify(msgs[0].payload, wire.SignedCommand, wire.NewKeyring(key.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatalf("the gate could not verify it: %v", err)
	}
	var got wire.Command
	if err := json.Unmarshal(body, &got); err != nil || got.ID != c.ID || got.Crossing != crossing || got.Officer != "O-17" ||
		got.ExpiresAt.Sub(got.IssuedAt) != 15*time.Second || got.Validate() != nil {
		t.Fatalf("signed body %s (err %v), returned %+v", body, err, c)
	}
	rec, ok, err := st.Command(context.Background(), c.ID)
	if err != nil || !ok || rec.Action != wire.ActionOpenExit || rec.Gate != "gate-1" || rec.AckResult != "" {
		t.Fatalf("store record %+v ok=%v err=%v", rec, ok, err)
	}
	// Two commands never share a nonce.
	c2, err := s.Send(context.Background(), "gate-1", wire.ActionLock, "incident", "", "", 0)
	if err != nil || c2.ID == c.ID || c2.ExpiresAt.Sub(c2.IssuedAt) != DefaultTTL {
		t.Fatalf("second command %+v err=%v", c2, err)
	}
}

func TestSendRefusesBadCommandsBeforePublishing(t *testing.T) {
	w := &wireLog{}
	s := newSender(t, newKey(t), w.publish, openStore(t))
	ctx := context.Background()
	for name, send := range map[string]func() error{
		"unknown action": func() error { _, err := s.Send(ctx, "gate-1", "explode", "r", "", "", 0); return err },
		"no reason":      func() error { _, err := s.Send(ctx, "gate-1", wire.ActionLock, "", "", "", 0); return err },
		"bad gate id":    func() error { _, err := s.Send(ctx, "gate/+", wire.ActionLock, "r", "", "", 0); return err },
		"bad crossing":   func() error { _, err := s.Send(ctx, "gate-1", wire.ActionOpenExit, "r", "", "nope", 0); return err },
		"ttl too long":   func() error { _, err := s.Send(ctx, "gate-1", wire.ActionLock, "r", "", "", time.Hour); return err },
		"negative ttl":   func() error { _, err := s.Send(ctx, "gate-1", wire.ActionLock, "r", "", "", -time.Second); return err },
	} {
		if err := send(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(w.all()); n != 0 {
		t.Fatalf("%d bad commands published", n)
	}
	if _, err := NewSender(Options{Publish: w.publish}); err == nil || !strings.Contains(err.Error(), "pki init") {
		t.Fatalf("no key: %v", err)
	}
}

func TestPublishFailureIsReported(t *testing.T) {
	w := &wireLog{err: errors.New("not connected to the MQTT broker")}
	s := newSender(t, newKey(t), w.publish, nil)
	if _, err := s.Send(context.Background(), "gate-1", wire.ActionLock, "r", "", "", 0); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("err %v", err)
	}
}

func TestAckReachesItsWaiterAndTheStore(t *testing.T) {
	w := &wireLog{}
	st := openStore(t)
	s := newSender(t, newKey(t), w.publish, st)
	ctx := context.Background()
	c, err := s.Send(ctx, "gate-1", wire.ActionLock, "incident", "O-1", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The ack may arrive before anyone waits: it is kept.
	ack := wire.CommandAck{V: 1, ID: c.ID, Gate: "gate-1", Result: wire.CommandDone, Mode: "locked", At: time.Now()}
	if _, err := s.Receive(ctx, wire.GateTopic("gate-1", wire.KindCommandAcks), wire.Encode(ack)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := s.WaitAck(wctx, c.ID)
	if err != nil || got.Result != wire.CommandDone || got.Mode != "locked" {
		t.Fatalf("WaitAck %+v err=%v", got, err)
	}
	rec, _, _ := st.Command(ctx, c.ID)
	if rec.AckResult != wire.CommandDone || rec.AckMode != "locked" || rec.Action != wire.ActionLock || rec.AckedAt.IsZero() {
		t.Fatalf("store %+v", rec)
	}
	if n := testutil.ToFloat64(s.mAcks.WithLabelValues(wire.CommandDone, "")); n != 1 {
		t.Fatalf("acks counted %v", n)
	}

	// An ack of a command sent elsewhere (the CLI) is recorded all the same.
	other := wire.CommandAck{V: 1, ID: wire.NewID(), Gate: "gate-2", Result: wire.CommandRefused, Reason: "expired", At: time.Now()}
	if _, err := s.Receive(ctx, wire.GateTopic("gate-2", wire.KindCommandAcks), wire.Encode(other)); err != nil {
		t.Fatal(err)
	}
	if rec, ok, _ := st.Command(ctx, other.ID); !ok || rec.AckReason != "expired" || rec.Gate != "gate-2" {
		t.Fatalf("foreign ack %+v ok=%v", rec, ok)
	}
}

func TestWaitAckGivesUp(t *testing.T) {
	s := newSender(t, newKey(t), (&wireLog{}).publish, nil)
	c, err := s.Send(context.Background(), "gate-1", wire.ActionUnlock, "r", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.WaitAck(ctx, c.ID); !errors.Is(err, ErrNoAck) || !strings.Contains(err.Error(), "gate-1") {
		t.Fatalf("err %v, want ErrNoAck naming the gate", err)
	}
	if _, err := s.WaitAck(context.Background(), wire.NewID()); err == nil {
		t.Fatal("waiting for a command never sent returned")
	}
}

func TestBadAcksAreRefusedCountedAndKept(t *testing.T) {
	st := openStore(t)
	s := newSender(t, newKey(t), (&wireLog{}).publish, st)
	ctx := context.Background()
	topic := wire.GateTopic("gate-1", wire.KindCommandAcks)
	cases := []struct {
		topic   string
		payload []byte
		reason  string
	}{
		{topic, []byte("done!"), RejectMalformed},
		{topic, []byte(`{"v":7,"gate":"gate-1","result":"done"}`), RejectUnknownVersion},
		{topic, wire.Encode(wire.CommandAck{V: 1, Gate: "gate-2", Result: wire.CommandDone}), RejectInvalid}, // another gate's name
		{topic, wire.Encode(wire.CommandAck{V: 1, Gate: "gate-1", Result: "maybe"}), RejectInvalid},
		{topic, wire.Encode(wire.CommandAck{V: 1, ID: "nope", Gate: "gate-1", Result: wire.CommandDone}), RejectInvalid},
		{topic, make([]byte, wire.MaxMessageBytes+1), RejectTooLarge},
		{"autogate/v1/gates/gate-1/status", wire.Encode(wire.CommandAck{V: 1, Gate: "gate-1", Result: wire.CommandDone}), RejectBadTopic},
	}
	for i, tc := range cases {
		if _, err := s.Receive(ctx, tc.topic, tc.payload); err == nil || !strings.HasPrefix(err.Error(), tc.reason) {
			t.Errorf("case %d: err %v, want %s", i, err, tc.reason)
		}
	}
	total := 0.0
	for _, r := range []string{RejectMalformed, RejectUnknownVersion, RejectInvalid, RejectTooLarge, RejectBadTopic} {
		total += testutil.ToFloat64(s.mRejected.WithLabelValues(r))
	}
	if total != float64(len(cases)) {
		t.Fatalf("%v rejects counted, want %d", total, len(cases))
	}
	rejects, err := st.Rejects(ctx, 100)
	if err != nil || len(rejects) != len(cases) {
		t.Fatalf("%d rejects kept (err %v), want %d", len(rejects), err, len(cases))
	}
}

func TestOnAckSeesEveryRecordedAck(t *testing.T) {
	w := &wireLog{}
	st := openStore(t)
	var seen []wire.CommandAck
	s, err := NewSender(Options{Key: newKey(t), Publish: w.publish, Store: st, Logger: quietLogger(),
		OnAck: func(a wire.CommandAck) {
			// Called after the record: the console re-reads the store.
			if rec, ok, _ := st.Command(context.Background(), a.ID); !ok || rec.AckResult != a.Result {
				t.Errorf("OnAck before the ack was recorded: %+v", rec)
			}
			seen = append(seen, a)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := s.Send(ctx, "gate-1", wire.ActionUnlock, "resumed", "O-1", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ack := wire.CommandAck{V: 1, ID: c.ID, Gate: "gate-1", Result: wire.CommandDone, Mode: "normal", At: time.Now()}
	if _, err := s.Receive(ctx, wire.GateTopic("gate-1", wire.KindCommandAcks), wire.Encode(ack)); err != nil {
		t.Fatal(err)
	}
	// A refused (malformed) ack is not an ack: OnAck does not hear of it.
	if _, err := s.Receive(ctx, wire.GateTopic("gate-1", wire.KindCommandAcks), []byte("{")); err == nil {
		t.Fatal("malformed ack accepted")
	}
	if len(seen) != 1 || seen[0].ID != c.ID || seen[0].Mode != "normal" {
		t.Fatalf("OnAck saw %+v", seen)
	}
}

package uplink

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

// referral is a referred crossing as a flow sends it, seq already journalled.
func referral(gate string, seq int64, chip, live []byte) wire.Referral {
	now := time.Now().UTC()
	return wire.Referral{V: wire.SchemaVersion, HeldUntil: now.Add(time.Minute), ChipPhoto: chip, LiveCapture: live,
		Crossing: wire.Crossing{V: wire.SchemaVersion, ID: wire.NewID(), Seq: seq, Gate: gate, Post: "p", Direction: "entry",
			StartedAt: now.Add(-time.Second), EndedAt: now, Decision: wire.DecisionRefer,
			Checks: []wire.Check{{Name: "document_expiry", Result: wire.ResultRefer, Reason: "document_expired"}}}}
}

// fakeJPEG is n bytes that pass for a JPEG on the wire.
func fakeJPEG(n int) []byte {
	b := bytes.Repeat([]byte{0x42}, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF})
	return b
}

func startReferrals(t *testing.T, q *Referrals) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// Through a real broker, central's side receives a referral it accepts,
// images intact.
func TestReferralReachesCentral(t *testing.T) {
	addr := freeAddr(t)
	startBroker(t, addr)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })

	got := make(chan wire.Referral, 4)
	o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("test-central")
	central := mqtt.NewClient(o)
	if tok := central.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("central connect: %v", tok.Error())
	}
	t.Cleanup(func() { central.Disconnect(100) })
	tok := central.Subscribe(wire.GateTopic("g1", wire.KindReferrals), 1, func(_ mqtt.Client, m mqtt.Message) {
		r, err := wire.DecodeReferral("g1", m.Payload())
		if err != nil {
			t.Errorf("central refused the referral: %v", err)
			return
		}
		if m.Retained() {
			t.Error("a referral was retained")
		}
		got <- r
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	u, _, _ := newUplink(t, addr, "g1", st, nil)
	q := NewReferrals(ReferralOptions{Gate: "g1", Publish: u.Publish, Connected: u.Connected})
	startReferrals(t, q)
	waitUntil(t, "connected", u.Connected)

	sent := referral("g1", 7, fakeJPEG(20<<10), fakeJPEG(30<<10))
	q.Send(sent)
	select {
	case r := <-got:
		if r.Crossing.ID != sent.Crossing.ID || r.Crossing.Seq != 7 || !bytes.Equal(r.ChipPhoto, sent.ChipPhoto) ||
			!bytes.Equal(r.LiveCapture, sent.LiveCapture) || !r.HeldUntil.Equal(sent.HeldUntil) {
			t.Fatalf("central got crossing %s seq %d, %d+%d image bytes", r.Crossing.ID, r.Crossing.Seq, len(r.ChipPhoto), len(r.LiveCapture))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no referral reached central")
	}
	if n := testutil.ToFloat64(q.mSent.WithLabelValues("sent")); n != 1 {
		t.Fatalf("sent counter %v", n)
	}
}

// Without a connection the referral is dropped at once, counted, and
// nothing is published.
func TestReferralDroppedWhileDisconnected(t *testing.T) {
	var published atomic.Int32
	q := NewReferrals(ReferralOptions{Gate: "g1", Connected: func() bool { return false },
		Publish: func(string, byte, bool, []byte) error { published.Add(1); return nil }})
	startReferrals(t, q)
	q.Send(referral("g1", 1, nil, nil))
	q.Send(referral("g1", 2, nil, nil))
	waitUntil(t, "both dropped", func() bool { return testutil.ToFloat64(q.mSent.WithLabelValues("dropped")) == 2 })
	if published.Load() != 0 || testutil.ToFloat64(q.mSent.WithLabelValues("sent")) != 0 {
		t.Fatalf("published %d while disconnected", published.Load())
	}
}

// Two images at their limit and a long record (checks with long
// messages) overflow one message: the live capture is left out rather than
// the whole referral refused by central.
func TestOversizedReferralLeavesAnImageOut(t *testing.T) {
	r := referral("g1", 3, fakeJPEG(wire.MaxReferralImageBytes), fakeJPEG(wire.MaxReferralImageBytes))
	for i := range 40 {
		r.Crossing.Checks = append(r.Crossing.Checks, wire.Check{Name: fmt.Sprintf("list_%d", i), Result: wire.ResultPass,
			Message: strings.Repeat("a long explanation for the officer ", 30)})
	}
	if n := len(wire.Encode(r)); n <= wire.MaxMessageBytes {
		t.Fatalf("the referral takes %d bytes, within %d: the test proves nothing", n, wire.MaxMessageBytes)
	}
	p := referralPayload(r, discardLogger())
	got, err := wire.DecodeReferral("g1", p)
	if err != nil {
		t.Fatalf("central refuses it: %v", err)
	}
	if got.LiveCapture != nil || !bytes.Equal(got.ChipPhoto, r.ChipPhoto) {
		t.Fatalf("kept %d chip and %d live bytes; want the chip photo kept, the live capture left out", len(got.ChipPhoto), len(got.LiveCapture))
	}
	small := referral("g1", 4, fakeJPEG(10<<10), fakeJPEG(10<<10))
	if got, _ := wire.DecodeReferral("g1", referralPayload(small, discardLogger())); len(got.LiveCapture) != 10<<10 || len(got.ChipPhoto) != 10<<10 {
		t.Fatal("an image was left out of a referral that fits")
	}
}

package referrals

import (
	"autogate/central/internal/ingest/ingesttest"
	"bytes"
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/central/internal/broker"
	"autogate/central/internal/broker/brokertest"
	"autogate/central/internal/ingest"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

var t0 = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fakeJPEG is n bytes that start as a JPEG does, told apart by tag.
func fakeJPEG(tag byte, n int) []byte {
	b := bytes.Repeat([]byte{tag}, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF})
	return b
}

// referral is what a gate of post-north sends when its face check refers.
func referral(gate string, seq int64) wire.Referral {
	start := t0.Add(time.Duration(seq) * time.Minute)
	c := wire.Crossing{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Post: "post-north", Seq: seq,
		Direction: "entry", StartedAt: start, EndedAt: start.Add(9 * time.Second), Decision: wire.DecisionRefer,
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F", ExpiryDate: "2032-04-15"},
		Checks: []wire.Check{
			{Name: "mrz", Result: wire.ResultPass, DurationMS: 2},
			{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch", Message: "score 0.31 below 0.50", DurationMS: 80,
				Scores: map[string]float64{"face_score": 0.31, "face_threshold": 0.5}},
			{Name: "pad", Result: wire.ResultPass, Scores: map[string]float64{"pad_score": 0.02}},
		},
		Stages: []wire.Stage{{Name: "document", Start: start, End: start.Add(4 * time.Second)},
			{Name: "face", Start: start.Add(4 * time.Second), End: start.Add(9 * time.Second)}},
		DeviceMS: 8200, SoftwareMS: 140}
	return wire.Referral{V: wire.SchemaVersion, Crossing: c, HeldUntil: c.EndedAt.Add(90 * time.Second),
		ChipPhoto: fakeJPEG('c', 20<<10), LiveCapture: fakeJPEG('l', 30<<10)}
}

// news collects what OnNew was called with.
type news struct {
	mu  sync.Mutex
	got []store.Referral
}

func (n *news) add(r store.Referral) { n.mu.Lock(); n.got = append(n.got, r); n.mu.Unlock() }
func (n *news) all() []store.Referral {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]store.Referral(nil), n.got...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func count(r *Receiver, result string) float64 {
	return testutil.ToFloat64(r.mResult.WithLabelValues(result))
}

// startCentral runs the receiver as central serve does: an extra
// subscription on ingest's connection to the embedded broker.
func startCentral(t *testing.T, o Options) (url string, r *Receiver) {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	url = "tcp://" + b.Addr()
	r = New(o)
	ingesttest.Start(t, ingest.Config{BrokerURL: url, Store: o.Store, Logger: quietLogger(), Metrics: prometheus.NewRegistry(),
		Extra: map[string]mqtt.MessageHandler{Filter(): r.Handle}})
	return url, r
}

func TestReferralsOverTheBroker(t *testing.T) {
	st := openStore(t)
	var n news
	url, r := startCentral(t, Options{Store: st, OnNew: n.add, Logger: quietLogger(), Now: func() time.Time { return t0 }})
	gate := brokertest.MustDial(t, url, wire.GateClientID("gate-1"), nil)
	topic := wire.GateTopic("gate-1", wire.KindReferrals)
	ctx := context.Background()

	// A gate refers a traveller: central stores it with its images and
	// tells the console.
	w := referral("gate-1", 1)
	brokertest.Publish(t, gate, topic, string(wire.Encode(w)))
	waitFor(t, "the referral reaches the console", func() bool { return len(n.all()) == 1 })
	got := n.all()[0]
	if got.ID != w.Crossing.ID || got.Gate != "gate-1" || got.Post != "post-north" || got.State != store.ReferralWaiting ||
		!got.ReceivedAt.Equal(t0) || !got.HeldUntil.Equal(w.HeldUntil) ||
		!reflect.DeepEqual(got.Images, []string{store.ImageChipPhoto, store.ImageLiveCapture}) {
		t.Fatalf("console got %+v", got)
	}
	if s := got.Crossing.Checks[1].Scores["face_score"]; s != 0.31 || got.Crossing.Document.Surname != "ERIKSSON" {
		t.Fatalf("crossing as stored: %+v", got.Crossing)
	}
	for kind, want := range map[string][]byte{store.ImageChipPhoto: w.ChipPhoto, store.ImageLiveCapture: w.LiveCapture} {
		img, ok, err := st.ReferralImage(ctx, w.Crossing.ID, kind)
		if err != nil || !ok || !bytes.Equal(img, want) {
			t.Fatalf("%s: %d bytes ok=%v err=%v", kind, len(img), ok, err)
		}
	}

	// The broker redelivers it (QoS 1): stored once, the console not told again.
	brokertest.Publish(t, gate, topic, string(wire.Encode(w)))
	waitFor(t, "the duplicate is counted", func() bool { return count(r, ResultDuplicate) == 1 })
	if len(n.all()) != 1 || count(r, ResultStored) != 1 {
		t.Fatalf("a duplicate was announced: %d news, %v stored", len(n.all()), count(r, ResultStored))
	}
	if rs, err := st.Referrals(ctx, store.ReferralQuery{}); err != nil || len(rs) != 1 {
		t.Fatalf("%d referrals stored, err=%v", len(rs), err)
	}

	// What is not a valid referral is refused and kept with the rejects.
	notJPEG := referral("gate-1", 2)
	notJPEG.LiveCapture = []byte("\x89PNG\r\n\x1a\n not a jpeg")
	oversize := referral("gate-1", 3)
	oversize.ChipPhoto = fakeJPEG('c', wire.MaxReferralImageBytes+1)
	pass := referral("gate-1", 4)
	pass.Crossing.Decision = wire.DecisionPass
	cases := []struct {
		name, reason string
		payload      []byte
		topic        string
	}{
		{"malformed", store.ReasonMalformed, []byte(`{"v":1,"crossing":`), topic},
		{"not a JPEG", store.ReasonInvalid, wire.Encode(notJPEG), topic},
		{"image over the limit", store.ReasonInvalid, wire.Encode(oversize), topic},
		{"a pass is no referral", store.ReasonInvalid, wire.Encode(pass), topic},
		{"another gate's referral", store.ReasonInvalid, wire.Encode(referral("gate-1", 5)), wire.GateTopic("gate-2", wire.KindReferrals)},
		{"over the message limit", store.ReasonTooLarge, []byte(`{"v":1,"pad":"` + strings.Repeat("x", wire.MaxMessageBytes) + `"}`), topic},
		{"unknown version", store.ReasonUnknownVersion, []byte(`{"v":9}`), topic},
	}
	gate2 := brokertest.MustDial(t, url, wire.GateClientID("gate-2"), nil)
	for i, tc := range cases {
		pub := gate
		if strings.Contains(tc.topic, "gate-2") {
			pub = gate2
		}
		brokertest.Publish(t, pub, tc.topic, string(tc.payload))
		waitFor(t, tc.name+" refused", func() bool { return count(r, ResultRefused) == float64(i+1) })
		rej, err := st.Rejects(ctx, 1)
		if err != nil || len(rej) != 1 {
			t.Fatalf("%s: rejects %+v err=%v", tc.name, rej, err)
		}
		if rej[0].Reason != tc.reason || rej[0].Topic != tc.topic || rej[0].Size != len(tc.payload) || rej[0].Error == "" {
			t.Fatalf("%s: recorded %+v, want reason %s on %s", tc.name, rej[0], tc.reason, tc.topic)
		}
	}
	if rs, _ := st.Referrals(ctx, store.ReferralQuery{}); len(rs) != 1 || len(n.all()) != 1 {
		t.Fatalf("a refused message was stored or announced: %d stored, %d news", len(rs), len(n.all()))
	}
}

func TestReceiveRefusesOtherTopics(t *testing.T) {
	st := openStore(t)
	r := New(Options{Store: st, Logger: quietLogger()})
	ctx := context.Background()
	payload := wire.Encode(referral("gate-1", 1))
	for _, topic := range []string{
		wire.GateTopic("gate-1", wire.KindCrossings),
		"autogate/v1/gates/gate+1/referrals",
		"autogate/v1/gates/gate-1/referrals/extra",
		"elsewhere/gate-1/referrals",
	} {
		if err := r.Receive(ctx, topic, payload); err == nil || !strings.HasPrefix(err.Error(), store.ReasonBadTopic) {
			t.Fatalf("%s: err=%v", topic, err)
		}
		rej, err := st.Rejects(ctx, 1)
		if err != nil || len(rej) != 1 || rej[0].Topic != topic || rej[0].Reason != store.ReasonBadTopic || rej[0].Gate != "" {
			t.Fatalf("%s: recorded %+v err=%v", topic, rej, err)
		}
	}
	if got := count(r, ResultRefused); got != 4 {
		t.Fatalf("refused %v, want 4", got)
	}
	if rs, _ := st.Referrals(ctx, store.ReferralQuery{}); len(rs) != 0 {
		t.Fatalf("%d referrals stored from wrong topics", len(rs))
	}
}

func TestReceiveRefusesAnIDHeldByAnotherGate(t *testing.T) {
	st := openStore(t)
	r := New(Options{Store: st, Logger: quietLogger()})
	ctx := context.Background()
	first := referral("gate-1", 1)
	if err := r.Receive(ctx, wire.GateTopic("gate-1", wire.KindReferrals), wire.Encode(first)); err != nil {
		t.Fatal(err)
	}
	other := referral("gate-2", 1)
	other.Crossing.ID = first.Crossing.ID
	if err := r.Receive(ctx, wire.GateTopic("gate-2", wire.KindReferrals), wire.Encode(other)); err == nil {
		t.Fatal("another gate's referral under a stored id was accepted")
	}
	rej, _ := st.Rejects(ctx, 1)
	if len(rej) != 1 || rej[0].Reason != store.ReasonIDConflict || rej[0].Gate != "gate-2" {
		t.Fatalf("recorded %+v", rej)
	}
	if got, _, _ := st.Referral(ctx, first.Crossing.ID); got.Gate != "gate-1" {
		t.Fatalf("the referral now says gate %s", got.Gate)
	}
}

func TestPurgeRemovesOldImagesOnly(t *testing.T) {
	st := openStore(t)
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	var purges []int64 // what OnPurge heard (only purges that deleted something)
	r := New(Options{Store: st, Logger: quietLogger(), Now: clock, Retention: 2 * time.Hour,
		OnPurge: func(n int64, _ time.Time) { purges = append(purges, n) }})
	ctx := context.Background()
	topic := wire.GateTopic("gate-1", wire.KindReferrals)
	old, young := referral("gate-1", 1), referral("gate-1", 2)
	if err := r.Receive(ctx, topic, wire.Encode(old)); err != nil {
		t.Fatal(err)
	}
	set(t0.Add(90 * time.Minute))
	if err := r.Receive(ctx, topic, wire.Encode(young)); err != nil {
		t.Fatal(err)
	}

	// 1 h 59 min after the first: nothing is old enough.
	set(t0.Add(2*time.Hour - time.Minute))
	if n, err := r.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("early purge: %d err=%v", n, err)
	}
	// 2 h 1 min: the first referral's two images go.
	set(t0.Add(2*time.Hour + time.Minute))
	if n, err := r.Purge(ctx); err != nil || n != 2 {
		t.Fatalf("purge: %d err=%v; want 2", n, err)
	}
	if got := testutil.ToFloat64(r.mPurged); got != 2 {
		t.Fatalf("purged metric %v", got)
	}
	if len(purges) != 1 || purges[0] != 2 {
		t.Fatalf("OnPurge heard %v; want one purge of 2 images", purges)
	}
	o, ok, err := st.Referral(ctx, old.Crossing.ID)
	if err != nil || !ok {
		t.Fatalf("the referral itself went: ok=%v err=%v", ok, err)
	}
	if len(o.Images) != 0 {
		t.Fatalf("old referral still holds %v", o.Images)
	}
	if img, ok, _ := st.ReferralImage(ctx, old.Crossing.ID, store.ImageLiveCapture); ok || img != nil {
		t.Fatal("purged live capture still served")
	}
	face := o.Crossing.Checks[1]
	if o.Crossing.Decision != wire.DecisionRefer || face.Reason != "face_mismatch" || face.Scores["face_score"] != 0.31 ||
		o.Crossing.Checks[2].Scores["pad_score"] != 0.02 {
		t.Fatalf("the decision or scores went with the images: %+v", o.Crossing.Checks)
	}
	if y, _, _ := st.Referral(ctx, young.Crossing.ID); len(y.Images) != 2 {
		t.Fatalf("young referral lost images: %v", y.Images)
	}

	// RunPurge purges at once, then until its context ends.
	set(t0.Add(4 * time.Hour))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.RunPurge(runCtx); close(done) }()
	waitFor(t, "RunPurge's first pass", func() bool { return testutil.ToFloat64(r.mPurged) == 4 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunPurge did not stop with its context")
	}
	if y, _, _ := st.Referral(ctx, young.Crossing.ID); len(y.Images) != 0 {
		t.Fatalf("RunPurge left %v", y.Images)
	}
}

func TestDefaults(t *testing.T) {
	r := New(Options{Store: openStore(t)})
	if r.opts.Retention != DefaultRetention || r.opts.Now == nil || r.opts.Logger == nil {
		t.Fatalf("defaults not applied: %+v", r.opts)
	}
	if Filter() != "autogate/v1/gates/+/referrals" {
		t.Fatal(Filter())
	}
}

package distribute

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/central/internal/broker"
	"autogate/central/internal/ingest"
	"autogate/central/internal/store"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// central is the real wiring of central serve around a publisher: the
// embedded broker on a free port, ingest (whose connection the publisher
// publishes on and whose extra subscriptions carry the resync requests).
type central struct {
	broker *broker.Broker
	st     *Store
	pub    *Publisher
	reg    *prometheus.Registry
}

func startCentral(t *testing.T, st *Store, o PublisherOptions) *central {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	cst, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cst.Close() })
	c := &central{broker: b, st: st, reg: prometheus.NewRegistry()}
	var in *ingest.Ingest
	o.Logger, o.Registry = testLogger(), c.reg
	c.pub = NewPublisher(st, func(topic string, qos byte, retained bool, payload []byte) error {
		return in.Publish(topic, qos, retained, payload)
	}, o)
	in, err = ingest.New(ingest.Config{BrokerURL: b.URL(), Store: cst, Logger: testLogger(), Extra: c.pub.Subscriptions()})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		// As serve does: the publisher stops before ingest.
		cancel()
		<-done
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		in.Stop(sctx)
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := in.WaitSubscribed(wctx); err != nil {
		t.Fatal(err)
	}
	go func() { defer close(done); c.pub.Run(ctx) }()
	return c
}

// listener is a gate-like MQTT client recording what arrives, in order.
type listener struct {
	client mqtt.Client
	mu     sync.Mutex
	got    map[string][][]byte
	notify chan struct{}
}

func listen(t *testing.T, url, id string, topics ...string) *listener {
	t.Helper()
	l := &listener{got: map[string][][]byte{}, notify: make(chan struct{}, 1)}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetOrderMatters(true)
	l.client = mqtt.NewClient(o)
	if tok := l.client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { l.client.Disconnect(100) })
	for _, topic := range topics {
		tok := l.client.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
			l.mu.Lock()
			l.got[m.Topic()] = append(l.got[m.Topic()], m.Payload())
			l.mu.Unlock()
			select {
			case l.notify <- struct{}{}:
			default:
			}
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", topic, tok.Error())
		}
	}
	return l
}

// wait waits until cond holds over what arrived.
func (l *listener) wait(t *testing.T, what string, cond func(map[string][][]byte) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		ok := cond(l.got)
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-l.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (l *listener) count(topic string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got[topic])
}

// versionsOf decodes delivered signed updates to their list and version.
func versionsOf(t *testing.T, pub ed25519.PublicKey, payloads [][]byte) []int64 {
	t.Helper()
	var out []int64
	for _, p := range payloads {
		out = append(out, decodeRow(t, pub, Update{Payload: p}).To)
	}
	return out
}

func TestPublisherPublishesQueueAndVersions(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	c := startCentral(t, st, PublisherOptions{Every: 20 * time.Millisecond})
	gate := listen(t, c.broker.URL(), "gate-1", wire.FleetUpdates, wire.FleetVersionsTopic)

	for i := range 2 {
		if _, err := st.QueueDelta(ctx, key, docDelta(i, 1), Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.QueueConfig(ctx, key, "min_validity_days = 1\n", "", Options{}); err != nil {
		t.Fatal(err)
	}
	gate.wait(t, "3 updates and versions with documents=2 config=1", func(got map[string][][]byte) bool {
		if len(got[wire.FleetUpdates]) < 3 || len(got[wire.FleetVersionsTopic]) == 0 {
			return false
		}
		v, err := wire.DecodeFleetVersions(got[wire.FleetVersionsTopic][len(got[wire.FleetVersionsTopic])-1])
		return err == nil && v.Lists[lists.ListDocuments] == 2 && v.Lists[wire.ConfigList] == 1
	})
	gate.mu.Lock()
	ups := gate.got[wire.FleetUpdates]
	gate.mu.Unlock()
	if got := versionsOf(t, pub, ups[:2]); got[0] != 1 || got[1] != 2 {
		t.Fatalf("deltas published as versions %v, want [1 2]", got)
	}
	if _, err := wire.Verify(ups[2], wire.SignedConfig, wire.NewKeyring(pub)); err != nil {
		t.Fatalf("third update is not the signed config: %v", err)
	}
	if left, _ := st.Unpublished(ctx, 10); len(left) != 0 {
		t.Fatalf("%d updates still unpublished", len(left))
	}
	if n := testutil.ToFloat64(c.pub.mPublished.WithLabelValues(wire.SignedDelta)); n != 2 {
		t.Fatalf("published deltas counted %v", n)
	}
	// The versions are retained: a gate connecting later learns them at once.
	late := listen(t, c.broker.URL(), "gate-2", wire.FleetVersionsTopic)
	late.wait(t, "the retained versions", func(got map[string][][]byte) bool { return len(got[wire.FleetVersionsTopic]) > 0 })
	// Published once: rounds without news do not publish again.
	time.Sleep(100 * time.Millisecond)
	if n := gate.count(wire.FleetUpdates); n != 3 {
		t.Fatalf("%d updates published, want 3", n)
	}
}

func resyncRequest(gate, list string, have int64) []byte {
	return wire.Encode(wire.ResyncRequest{V: wire.SchemaVersion, Gate: gate, List: list, Have: have, Why: "gap", At: time.Now()})
}

func TestResyncIsAnsweredInOrder(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	for i := range 5 {
		if _, err := st.QueueDelta(ctx, key, docDelta(i, 2), Options{}); err != nil {
			t.Fatal(err)
		}
	}
	c := startCentral(t, st, PublisherOptions{Every: 20 * time.Millisecond, ResyncEvery: time.Hour})
	own := wire.GateTopic("gate-a", wire.KindUpdates)
	gate := listen(t, c.broker.URL(), "gate-a", own)
	other := listen(t, c.broker.URL(), "gate-b", wire.GateTopic("gate-b", wire.KindUpdates))

	tok := gate.client.Publish(wire.GateTopic("gate-a", wire.KindResync), 1, false, resyncRequest("gate-a", lists.ListDocuments, 2))
	tok.Wait()
	gate.wait(t, "versions 3..5", func(got map[string][][]byte) bool { return len(got[own]) >= 3 })
	gate.mu.Lock()
	got := versionsOf(t, pub, gate.got[own])
	gate.mu.Unlock()
	if len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("resync answered with versions %v, want [3 4 5]", got)
	}
	if other.count(wire.GateTopic("gate-b", wire.KindUpdates)) != 0 {
		t.Fatal("another gate received the answer")
	}

	// Asked again at once: refused by the rate limit, nothing more sent.
	gate.client.Publish(wire.GateTopic("gate-a", wire.KindResync), 1, false, resyncRequest("gate-a", lists.ListDocuments, 0)).Wait()
	waitCounter(t, c.pub.mRefused.WithLabelValues("rate_limited"), 1)
	if n := gate.count(own); n != 3 {
		t.Fatalf("%d updates after a rate-limited request, want 3", n)
	}
}

func waitCounter(t *testing.T, c prometheus.Collector, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(c) < want {
		if time.Now().After(deadline) {
			t.Fatalf("counter at %v, want %v", testutil.ToFloat64(c), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUnservableResyncIsCountedAndSendsNothing(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	// Versions 1–2 were issued long ago and have expired; 3 is fresh.
	old := time.Now().Add(-10 * 24 * time.Hour)
	for i := range 2 {
		if _, err := st.QueueDelta(ctx, key, docDelta(i, 1), Options{Now: old}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.QueueDelta(ctx, key, docDelta(2, 1), Options{}); err != nil {
		t.Fatal(err)
	}
	// Persons: version 1 is no longer kept.
	for i := range 2 {
		d := docDelta(0, 0)
		d.List = lists.ListPersons
		if _, err := st.QueueDelta(ctx, key, d, Options{}); err != nil {
			t.Fatalf("persons %d: %v", i, err)
		}
	}
	if _, err := st.db.Exec("DELETE FROM updates WHERE list = 'persons' AND version = 1"); err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, st, PublisherOptions{Every: 20 * time.Millisecond, ResyncEvery: time.Nanosecond})
	own := wire.GateTopic("gate-a", wire.KindUpdates)
	gate := listen(t, c.broker.URL(), "gate-a", own)

	for _, r := range []struct {
		list string
		have int64
	}{{lists.ListDocuments, 0}, {lists.ListPersons, 0}} {
		gate.client.Publish(wire.GateTopic("gate-a", wire.KindResync), 1, false, resyncRequest("gate-a", r.list, r.have)).Wait()
		waitCounter(t, c.pub.mUnservable.WithLabelValues(r.list), 1)
	}
	// A servable request answers (so the gate does hear central) …
	gate.client.Publish(wire.GateTopic("gate-a", wire.KindResync), 1, false, resyncRequest("gate-a", lists.ListPersons, 1)).Wait()
	gate.wait(t, "persons version 2", func(got map[string][][]byte) bool { return len(got[own]) == 1 })
	// … and the unservable ones sent nothing.
	time.Sleep(100 * time.Millisecond)
	if n := gate.count(own); n != 1 {
		t.Fatalf("%d updates sent, want only the servable one", n)
	}
}

// With central's key at hand, versions that expired are signed again for
// the gate that asks: a gate away longer than the expiry still catches up.
func TestExpiredVersionsAreResignedForAResync(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	old := time.Now().Add(-10 * 24 * time.Hour)
	for i := range 2 {
		if _, err := st.QueueDelta(ctx, key, docDelta(i, 1), Options{Now: old}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.QueueConfig(ctx, key, "min_validity_days = 3\n", "", Options{Now: old}); err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, st, PublisherOptions{Every: 20 * time.Millisecond, ResyncEvery: time.Nanosecond, Key: key, ResignTTL: time.Minute})
	own := wire.GateTopic("gate-a", wire.KindUpdates)
	gate := listen(t, c.broker.URL(), "gate-a", own)
	keys := wire.NewKeyring(key.Public().(ed25519.PublicKey))
	for _, list := range []string{lists.ListDocuments, wire.ConfigList} {
		gate.client.Publish(wire.GateTopic("gate-a", wire.KindResync), 1, false, resyncRequest("gate-a", list, 0)).Wait()
	}
	gate.wait(t, "two deltas and a config", func(got map[string][][]byte) bool { return len(got[own]) == 3 })
	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, payload := range gate.got[own] {
		kind := wire.SignedDelta
		if strings.Contains(string(payload), `"kind":"config"`) {
			kind = wire.SignedConfig
		}
		body, err := wire.Verify(payload, kind, keys)
		if err != nil {
			t.Fatalf("a re-signed version does not verify: %v", err)
		}
		var times struct {
			IssuedAt  time.Time `json:"issued_at"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		json.Unmarshal(body, &times)
		if err := wire.CheckExpiry(times.IssuedAt, times.ExpiresAt, time.Now(), 0); err != nil {
			t.Fatalf("served %s still expired: %v", kind, err)
		}
	}
	if n := testutil.ToFloat64(c.pub.mUnservable.WithLabelValues(lists.ListDocuments)); n != 0 {
		t.Fatalf("counted %v unservable resyncs", n)
	}
}

func TestMalformedResyncIsRefused(t *testing.T) {
	st := openStore(t)
	reg := prometheus.NewRegistry()
	p := NewPublisher(st, func(string, byte, bool, []byte) error { return errors.New("not connected") },
		PublisherOptions{Logger: testLogger(), Registry: reg, ResyncEvery: time.Hour})
	topic := wire.GateTopic("gate-a", wire.KindResync)
	for _, c := range []struct {
		name, topic string
		payload     []byte
		reason      string
	}{
		{"garbage", topic, []byte("{nope"), "malformed"},
		{"no version", topic, []byte(`{"gate":"gate-a","list":"documents"}`), "malformed"},
		{"other gate", topic, resyncRequest("gate-b", lists.ListDocuments, 0), "invalid"},
		{"negative", topic, resyncRequest("gate-a", lists.ListDocuments, -1), "invalid"},
		{"unknown list", topic, resyncRequest("gate-a", "passwords", 0), "unknown_list"},
		{"bad topic", "autogate/v1/gates/+/resync", resyncRequest("gate-a", lists.ListDocuments, 0), "invalid"},
		{"wrong kind", wire.GateTopic("gate-a", wire.KindStatus), resyncRequest("gate-a", lists.ListDocuments, 0), "invalid"},
	} {
		before := testutil.ToFloat64(p.mRefused.WithLabelValues(c.reason))
		if err := p.HandleResync(c.topic, c.payload); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if after := testutil.ToFloat64(p.mRefused.WithLabelValues(c.reason)); after != before+1 {
			t.Errorf("%s: refusal %q counted %v → %v", c.name, c.reason, before, after)
		}
	}
	if err := p.HandleResync(topic, resyncRequest("gate-a", wire.ConfigList, 0)); err != nil {
		t.Fatalf("a valid request: %v", err)
	}
	if err := p.HandleResync(topic, resyncRequest("gate-a", wire.ConfigList, 0)); err == nil {
		t.Fatal("a second request within ResyncEvery was accepted")
	}
	if err := p.HandleResync(topic, resyncRequest("gate-a", lists.ListDocuments, 0)); err != nil {
		t.Fatalf("the rate limit is per list: %v", err)
	}
}

func TestPlanStartsAtTheLastFullDelta(t *testing.T) {
	now := time.Now()
	ok := now.Add(time.Hour)
	ups := []Update{
		{Version: 2, From: 1, ExpiresAt: ok}, {Version: 3, From: 0, Full: true, ExpiresAt: ok}, {Version: 4, From: 3, ExpiresAt: ok},
	}
	serve, why := plan(ups, 1, now, false)
	if why != "" || len(serve) != 2 || serve[0].Version != 3 {
		t.Fatalf("plan from 1: %v %q", serve, why)
	}
	// Without a full delta the first kept update must follow what the gate has.
	if _, why := plan(ups[2:], 1, now, false); why == "" {
		t.Fatal("served version 4 to a gate at version 1")
	}
	if serve, why := plan(ups[:1], 1, now, false); why != "" || len(serve) != 1 {
		t.Fatalf("plan of one: %v %q", serve, why)
	}
	if serve, why := plan(nil, 7, now, false); why != "" || serve != nil {
		t.Fatalf("a current gate: %v %q", serve, why)
	}
}

// The parts of a split delta are as large as a signed message may be: the
// embedded broker's packet limit must let them through.
func TestLargeUpdatesPassTheBroker(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	c := startCentral(t, st, PublisherOptions{Every: 20 * time.Millisecond})
	gate := listen(t, c.broker.URL(), "gate-1", wire.FleetUpdates)
	q, err := st.QueueDelta(ctx, key, docDelta(0, 8000), Options{})
	if err != nil {
		t.Fatal(err)
	}
	parts := int(q.Last - q.First + 1)
	if parts < 2 || q.Bytes/parts < wire.MaxSignedBytes/2 {
		t.Fatalf("queued %+v: want parts near the size limit", q)
	}
	gate.wait(t, "every part", func(got map[string][][]byte) bool { return len(got[wire.FleetUpdates]) == parts })
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if got := versionsOf(t, key.Public().(ed25519.PublicKey), gate.got[wire.FleetUpdates]); got[0] != 1 || got[parts-1] != int64(parts) {
		t.Fatalf("versions %v", got)
	}
}

package ingest

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/broker"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// TestEndToEndEmbeddedBroker runs the gate contract through the embedded
// broker on a free loopback port.
func TestEndToEndEmbeddedBroker(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	runGateScenario(t, b.URL(), uniqueGateID("gate"), true)
}

// TestEndToEndMosquitto runs the same contract through the machine's
// Mosquitto, so central is known to work with an external broker.
func TestEndToEndMosquitto(t *testing.T) {
	const addr = "127.0.0.1:1883"
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		t.Skip("no MQTT broker on 127.0.0.1:1883; start mosquitto to run this test")
	}
	conn.Close()
	runGateScenario(t, "tcp://"+addr, uniqueGateID("mosq"), false)
}

type ackEvent struct {
	topicGate string
	id        string
	stored    bool // was the id in the store when its ack arrived?
}

// runGateScenario plays two gates against a running ingest. On a private
// broker every metric must match exactly; on a shared one other clients may
// add to the totals, so the exact checks use this run's gates only.
func runGateScenario(t *testing.T, brokerURL, gateID string, private bool) {
	f := startIngest(t, brokerURL)
	ctx := context.Background()
	otherGate := gateID + "-b"

	var mu sync.Mutex
	var acks []ackEvent
	var ackErrs []error
	mine := func(g string) bool { return g == gateID || g == otherGate || strings.HasPrefix(g, gateID) }
	g := newGate(t, brokerURL, "test-"+gateID, func(topicGate string, a wire.Ack, err error) {
		if !mine(topicGate) {
			return // another run on a shared broker
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			ackErrs = append(ackErrs, err)
			return
		}
		has, herr := f.store.Has(ctx, a.IDs)
		if herr != nil {
			ackErrs = append(ackErrs, herr)
			return
		}
		for _, id := range a.IDs {
			acks = append(acks, ackEvent{topicGate, id, has[id]})
		}
	})

	// The gate's retained status, and its will, as a gate-agent sets them.
	status := wire.Status{V: 1, Gate: gateID, Post: "post-east", State: wire.StateOnline, Mode: "normal",
		At: time.Now().UTC(), Devices: map[string]string{"camera": "ok"}, OutboxDepth: 40}
	g.publish(t, wire.GateTopic(gateID, wire.KindStatus), wire.Encode(status), true)
	t.Cleanup(func() { // leave no retained status behind on a shared broker
		g.client.Publish(wire.GateTopic(gateID, wire.KindStatus), 1, true, []byte{}).WaitTimeout(2 * time.Second)
	})

	// 40 crossings from gateID and 5 from otherGate, published shuffled,
	// then the first 10 again (a gate republishing after a timeout).
	var valid []wire.Crossing
	for i := range 40 {
		valid = append(valid, validCrossing(gateID, int64(i+1)))
	}
	for i := range 5 {
		valid = append(valid, validCrossing(otherGate, int64(i+1)))
	}
	order := rand.Perm(len(valid))
	for _, i := range order {
		c := valid[i]
		g.publish(t, wire.GateTopic(c.Gate, wire.KindCrossings), wire.Encode(c), false)
	}
	for _, c := range valid[:10] {
		g.publish(t, wire.GateTopic(c.Gate, wire.KindCrossings), wire.Encode(c), false)
	}

	// Messages that must be refused, each with an id that must never be acked.
	topic := wire.GateTopic(gateID, wire.KindCrossings)
	var refusedIDs []string
	g.publish(t, topic, []byte(`{"v":1,"id":`), false) // malformed
	v2 := validCrossing(gateID, 100)
	v2.V = 2
	g.publish(t, topic, wire.Encode(v2), false) // unknown version
	wrongGate := validCrossing(gateID+"-impostor", 101)
	g.publish(t, topic, wire.Encode(wrongGate), false) // body names another gate
	huge := validCrossing(gateID, 102)
	huge.Document.Surname = strings.Repeat("A", wire.MaxMessageBytes)
	g.publish(t, topic, wire.Encode(huge), false) // oversized
	bad := validCrossing(gateID, 103)
	bad.Decision = "maybe"
	g.publish(t, topic, wire.Encode(bad), false) // invalid field
	refusedIDs = append(refusedIDs, v2.ID, wrongGate.ID, huge.ID, bad.ID)

	wantRejects := map[string]float64{
		ReasonMalformed: 1, ReasonUnknownVersion: 1, ReasonGateMismatch: 1, ReasonTooLarge: 1, ReasonInvalid: 1,
	}
	eventually(t, 15*time.Second, "every valid crossing acked, re-deliveries included", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acks) >= len(valid)+10
	})
	ourRejects := func() map[string]float64 {
		rs, err := f.store.Rejects(ctx, store.KeepRejects)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, r := range rs {
			if r.Gate == gateID {
				out[r.Reason]++
			}
		}
		return out
	}
	eventually(t, 5*time.Second, "rejects recorded", func() bool {
		got := ourRejects()
		for reason, n := range wantRejects {
			if got[reason] < n {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond) // let any stray ack arrive before judging

	mu.Lock()
	defer mu.Unlock()
	if len(ackErrs) > 0 {
		t.Fatalf("undecodable acks: %v", ackErrs)
	}
	validByID := map[string]wire.Crossing{}
	for _, c := range valid {
		validByID[c.ID] = c
	}
	ackCount := map[string]int{}
	for _, a := range acks {
		c, ok := validByID[a.id]
		if !ok {
			t.Errorf("ack on %s for %s, which is not a valid crossing of this run", a.topicGate, a.id)
			continue
		}
		if a.topicGate != c.Gate {
			t.Errorf("crossing %s of %s acked on %s's topic", a.id, c.Gate, a.topicGate)
		}
		if !a.stored {
			t.Errorf("crossing %s acked before it was in the store", a.id)
		}
		ackCount[a.id]++
	}
	for i, c := range valid {
		want := 1
		if i < 10 {
			want = 2 // the re-delivery is acked again so the gate can release it
		}
		if ackCount[c.ID] != want {
			t.Errorf("crossing %s (seq %d) acked %d times, want %d", c.ID, c.Seq, ackCount[c.ID], want)
		}
	}
	for _, id := range refusedIDs {
		if ackCount[id] > 0 {
			t.Errorf("refused crossing %s was acked", id)
		}
	}
	if len(acks) != len(valid)+10 {
		t.Errorf("%d ack events, want %d", len(acks), len(valid)+10)
	}

	// Exactly one row per id.
	if n, err := f.store.Count(ctx, gateID); err != nil || n != 40 {
		t.Errorf("store holds %d crossings of %s (%v), want 40", n, gateID, err)
	}
	if n, err := f.store.Count(ctx, otherGate); err != nil || n != 5 {
		t.Errorf("store holds %d crossings of %s (%v), want 5", n, otherGate, err)
	}
	has, err := f.store.Has(ctx, refusedIDs)
	if err != nil {
		t.Fatal(err)
	}
	for id, ok := range has {
		if ok {
			t.Errorf("refused crossing %s is in the store", id)
		}
	}
	stored, err := f.store.Crossings(ctx, store.Query{Gate: gateID, Limit: 100, Order: store.Asc})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stored {
		w := validByID[c.ID]
		if c.Seq != w.Seq || !c.StartedAt.Equal(w.StartedAt) || c.Document != w.Document {
			t.Errorf("stored crossing %s differs from the one published: %+v", c.ID, c)
		}
	}

	// Metrics: exact on a private broker, at least on a shared one.
	checkMetric := func(what string, got, want float64) {
		t.Helper()
		if got < want || (private && got != want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	for reason, n := range wantRejects {
		checkMetric("rejected{reason="+reason+"}", metric(t, f.reg, "autogate_central_rejected_messages_total", "reason", reason), n)
	}
	checkMetric("duplicate deliveries", metric(t, f.reg, "autogate_central_duplicate_deliveries_total"), 10)
	checkMetric("crossings stored", metric(t, f.reg, "autogate_central_crossings_stored_total"), 45)
	got := ourRejects()
	for reason, n := range wantRejects {
		if got[reason] != n {
			t.Errorf("store rejects of %s [%s] = %v, want %v", gateID, reason, got[reason], n)
		}
	}
	if len(got) != len(wantRejects) {
		t.Errorf("store rejects of %s = %v, want exactly %v", gateID, got, wantRejects)
	}

	gates, err := f.store.Gates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, gr := range gates {
		if gr.ID == gateID {
			found = true
			if gr.State != wire.StateOnline || gr.OutboxDepth != 40 || gr.Crossings != 40 || gr.Duplicates != 10 {
				t.Errorf("gate row = %+v", gr)
			}
		}
	}
	if !found {
		t.Errorf("gate %s not in the gates table", gateID)
	}
	f.mu.Lock()
	var sawCrossings, sawGates, sawRejects bool
	for _, c := range f.changes {
		sawCrossings = sawCrossings || c.Crossings
		sawGates = sawGates || c.Gates
		sawRejects = sawRejects || c.Rejects
	}
	f.mu.Unlock()
	if !sawCrossings || !sawGates || !sawRejects {
		t.Errorf("OnChange saw crossings=%v gates=%v rejects=%v, want all", sawCrossings, sawGates, sawRejects)
	}
}

// TestBrokerRestartUnderRunningIngest stops the embedded broker under a
// running ingest and starts it again on the same port: ingest reconnects,
// re-subscribes, and crossings published afterwards are stored and acked.
func TestBrokerRestartUnderRunningIngest(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	addr := b.Addr()
	f := startIngest(t, b.URL())
	gateID := uniqueGateID("restart")

	acked := make(chan string, 100)
	g := newGate(t, b.URL(), "test-"+gateID, func(topicGate string, a wire.Ack, err error) {
		if err == nil && topicGate == gateID {
			for _, id := range a.IDs {
				acked <- id
			}
		}
	})
	waitAck := func(c wire.Crossing) {
		t.Helper()
		// Like a gate: republish until acknowledged.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			g.client.Publish(wire.GateTopic(gateID, wire.KindCrossings), 1, false, wire.Encode(c))
			timeout := time.After(500 * time.Millisecond)
		wait:
			for {
				select {
				case id := <-acked:
					if id == c.ID {
						return
					}
				case <-timeout:
					break wait
				}
			}
		}
		t.Fatalf("crossing %s never acked", c.ID)
	}

	before := validCrossing(gateID, 1)
	waitAck(before)

	b.Close()
	eventually(t, 10*time.Second, "ingest to notice the broker is gone", func() bool { return !f.ingest.Connected() })

	var b2 *broker.Broker
	eventually(t, 10*time.Second, "the port to be free again", func() bool {
		nb, err := broker.Start(broker.Options{Listen: addr, Logger: testLogger()})
		if err != nil {
			return false
		}
		b2 = nb
		return true
	})
	t.Cleanup(func() { b2.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.ingest.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	after := validCrossing(gateID, 2)
	waitAck(after)

	has, err := f.store.Has(context.Background(), []string{before.ID, after.ID})
	if err != nil || !has[before.ID] || !has[after.ID] {
		t.Fatalf("stored: %v, %v", has, err)
	}
	if n, _ := f.store.Count(context.Background(), gateID); n != 2 {
		t.Fatalf("Count = %d, want 2", n)
	}
}

// TestStopCommitsThenAcks stops ingest while crossings are streaming in:
// afterwards every stored crossing has been acked and every acked one is
// stored.
func TestStopCommitsThenAcks(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	f := startIngest(t, b.URL())
	gateID := uniqueGateID("stop")
	var mu sync.Mutex
	acked := map[string]bool{}
	g := newGate(t, b.URL(), "test-"+gateID, func(topicGate string, a wire.Ack, err error) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range a.IDs {
			acked[id] = true
		}
	})
	// Publish without pause until well after the stop began.
	stopPublishing := make(chan struct{})
	published := make(chan int)
	go func() {
		n := 0
		defer func() { published <- n }()
		for n < 5000 {
			select {
			case <-stopPublishing:
				return
			default:
			}
			n++
			c := validCrossing(gateID, int64(n))
			g.client.Publish(wire.GateTopic(gateID, wire.KindCrossings), 1, false, wire.Encode(c)).Wait()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.ingest.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	close(stopPublishing)
	total := <-published
	stored, err := f.store.Crossings(context.Background(), store.Query{Gate: gateID, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 {
		t.Fatal("nothing stored before stop; the test did not exercise a stop under load")
	}
	eventually(t, 5*time.Second, "acks of every stored crossing to reach the gate", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= len(stored)
	})
	mu.Lock()
	defer mu.Unlock()
	storedIDs := map[string]bool{}
	for _, c := range stored {
		storedIDs[c.ID] = true
		if !acked[c.ID] {
			t.Errorf("crossing %s stored but not acked at stop", c.ID)
		}
	}
	for id := range acked {
		if !storedIDs[id] {
			t.Errorf("crossing %s acked but not stored", id)
		}
	}
	if len(stored) >= total {
		t.Fatalf("all %d published crossings stored: publishing did not outlast the stop", total)
	}
	t.Logf("%d of %d crossings stored and acked before stop", len(stored), total)
}

// TestBatching hands ingest more than one batch at once: they are written
// in MaxBatch-sized transactions, not one per message.
func TestBatching(t *testing.T) {
	st := openStore(t)
	reg := prometheus.NewRegistry()
	// No broker at all: the acks fail fast, which must not lose the commits.
	in, err := New(Config{BrokerURL: "tcp://127.0.0.1:1", Store: st, Logger: testLogger(), Metrics: reg, AckTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const n = DefaultMaxBatch + 44
	for i := range n {
		c := validCrossing("gate-batch", int64(i+1))
		in.in <- item{msg: Message{Kind: wire.KindCrossings, Gate: c.Gate, Crossing: &c}, at: time.Now()}
	}
	go in.run()
	eventually(t, 10*time.Second, "all crossings stored", func() bool {
		c, _ := st.Count(context.Background(), "gate-batch")
		return c == n
	})
	close(in.stop)
	<-in.done
	if batches := metric(t, reg, "autogate_central_ingest_batch_messages"); batches != 2 {
		t.Fatalf("%d crossings written in %v transactions, want 2", n, batches)
	}
	if got := metric(t, reg, "autogate_central_ack_publish_failures_total"); got != 2 {
		t.Fatalf("ack failures = %v, want 2 (one per batch, broker unreachable)", got)
	}
}

func TestClassify(t *testing.T) {
	good := validCrossing("g-1", 1)
	st := wire.Status{V: 1, Gate: "g-1", State: wire.StateOffline, At: time.Now()}
	batch := wire.CrossingBatch{V: 1, Gate: "g-1", Crossings: []wire.Crossing{good, validCrossing("g-1", 2)}}
	badBatch := batch
	badBatch.Crossings = []wire.Crossing{good, validCrossing("g-1", 2)}
	badBatch.Crossings[1].Decision = "maybe"
	cases := []struct {
		name, topic string
		payload     []byte
		reason      string // "" = accepted
	}{
		{"crossing", wire.GateTopic("g-1", wire.KindCrossings), wire.Encode(good), ""},
		{"status", wire.GateTopic("g-1", wire.KindStatus), wire.Encode(st), ""},
		{"cleared status", wire.GateTopic("g-1", wire.KindStatus), nil, ""},
		{"not our tree", "other/v1/gates/g-1/crossings", wire.Encode(good), ReasonBadTopic},
		{"wildcard gate", "autogate/v1/gates/+/crossings", wire.Encode(good), ReasonBadTopic},
		{"extra level", "autogate/v1/gates/g-1/crossings/x", wire.Encode(good), ReasonBadTopic},
		{"referrals kind", wire.GateTopic("g-1", wire.KindReferrals), wire.Encode(good), ReasonUnknownKind},
		{"empty crossing", wire.GateTopic("g-1", wire.KindCrossings), nil, ReasonMalformed},
		{"not json", wire.GateTopic("g-1", wire.KindCrossings), []byte("hello"), ReasonMalformed},
		{"trailing", wire.GateTopic("g-1", wire.KindCrossings), append(wire.Encode(good), []byte(" {}")...), ReasonMalformed},
		{"v2", wire.GateTopic("g-1", wire.KindCrossings), []byte(`{"v":2}`), ReasonUnknownVersion},
		{"other gate", wire.GateTopic("g-2", wire.KindCrossings), wire.Encode(good), ReasonGateMismatch},
		{"status other gate", wire.GateTopic("g-2", wire.KindStatus), wire.Encode(st), ReasonGateMismatch},
		{"bad id", wire.GateTopic("g-1", wire.KindCrossings), []byte(`{"v":1,"id":"nope","gate":"g-1"}`), ReasonInvalid},
		{"too large", wire.GateTopic("g-1", wire.KindCrossings), make([]byte, wire.MaxMessageBytes+1), ReasonTooLarge},
		{"batch", wire.GateTopic("g-1", wire.KindBatches), wire.Encode(batch), ""},
		{"batch other gate", wire.GateTopic("g-2", wire.KindBatches), wire.Encode(batch), ReasonGateMismatch},
		{"batch with a bad crossing", wire.GateTopic("g-1", wire.KindBatches), wire.Encode(badBatch), ReasonInvalid},
		{"empty batch", wire.GateTopic("g-1", wire.KindBatches), []byte(`{"v":1,"gate":"g-1","crossings":[]}`), ReasonInvalid},
		{"batch not json", wire.GateTopic("g-1", wire.KindBatches), []byte(`{"v":1,"gate":"g-1","crossings":[`), ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, rej := Classify(tc.topic, tc.payload)
			if tc.reason == "" {
				if rej != nil {
					t.Fatalf("refused: %v", rej)
				}
				if msg.Gate != "g-1" {
					t.Fatalf("gate = %q", msg.Gate)
				}
				return
			}
			if rej == nil {
				t.Fatalf("accepted %+v, want refused for %s", msg, tc.reason)
			}
			if rej.Reason != tc.reason {
				t.Fatalf("reason = %s (%v), want %s", rej.Reason, rej.Err, tc.reason)
			}
			if !strings.Contains(rej.Error(), tc.topic) {
				t.Fatalf("error %q does not name the topic", rej.Error())
			}
		})
	}
}

// TestStartAndStopWithoutBroker: central may start before its external
// broker; it keeps trying, reports it is not subscribed, and still stops
// promptly.
func TestStartAndStopWithoutBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	in, err := New(Config{BrokerURL: "tcp://" + addr, Store: openStore(t), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("WaitSubscribed without a broker: %v", err)
	}
	if in.Connected() || in.Subscribed() {
		t.Fatal("claims to be connected without a broker")
	}
	start := time.Now()
	stopCtx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := in.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Stop took %s", d)
	}
}

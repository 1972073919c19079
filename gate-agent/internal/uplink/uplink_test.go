package uplink

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

// startBroker runs a real MQTT broker (mochi-mqtt) in-process on addr.
func startBroker(t *testing.T, addr string) *mochi.Server {
	t.Helper()
	srv := mochi.New(&mochi.Options{InlineClient: true})
	srv.AddHook(new(auth.AllowHook), nil)
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: uplinks started after the broker
	// stop (and say goodbye) before it closes.
	t.Cleanup(func() { srv.Close() })
	return srv
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fakeCentral is a paho client playing central's side of the protocol:
// it records what arrives, single crossings and batches, and acknowledges
// each message's crossings when told to.
type fakeCentral struct {
	client mqtt.Client
	mu     sync.Mutex
	got    []wire.Crossing
	msgs   []received // every message, in arrival order
	acked  []string   // ids in the order they were acked
	ack    bool
	// beforeAck, when set, runs (outside the lock) before each ack with
	// the number of crossings acked so far.
	beforeAck func(ackedSoFar int)
}

type received struct {
	kind string
	n    int // crossings in it
}

func newCentral(t *testing.T, addr, gate string, ack bool) *fakeCentral {
	fc := &fakeCentral{ack: ack}
	o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("test-central").SetOrderMatters(true)
	fc.client = mqtt.NewClient(o)
	if tok := fc.client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("central connect: %v", tok.Error())
	}
	handle := func(kind string) mqtt.MessageHandler {
		return func(c mqtt.Client, m mqtt.Message) {
			var crs []wire.Crossing
			if kind == wire.KindBatches {
				b, err := wire.DecodeBatch(gate, m.Payload())
				if err != nil {
					t.Errorf("gate sent an invalid batch: %v", err)
					return
				}
				crs = b.Crossings
			} else {
				cr, err := wire.DecodeCrossing(gate, m.Payload())
				if err != nil {
					t.Errorf("gate sent an invalid crossing: %v", err)
					return
				}
				crs = []wire.Crossing{cr}
			}
			ids := make([]string, len(crs))
			for i, cr := range crs {
				ids[i] = cr.ID
			}
			fc.mu.Lock()
			fc.got = append(fc.got, crs...)
			fc.msgs = append(fc.msgs, received{kind, len(crs)})
			ack, hook, sofar := fc.ack, fc.beforeAck, len(fc.acked)
			fc.mu.Unlock()
			if !ack {
				return
			}
			if hook != nil {
				hook(sofar)
			}
			fc.mu.Lock()
			fc.acked = append(fc.acked, ids...)
			fc.mu.Unlock()
			c.Publish(wire.GateTopic(gate, wire.KindAcks), 1, false, wire.Encode(wire.Ack{V: 1, IDs: ids, At: time.Now()}))
		}
	}
	for _, kind := range []string{wire.KindCrossings, wire.KindBatches} {
		tok := fc.client.Subscribe(wire.GateTopic(gate, kind), 1, handle(kind))
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("central subscribe: %v", tok.Error())
		}
	}
	t.Cleanup(func() { fc.client.Disconnect(100) })
	return fc
}

func (fc *fakeCentral) received() []wire.Crossing {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]wire.Crossing(nil), fc.got...)
}

func recordN(t *testing.T, st *store.Store, gate string, n int) []string {
	return recordSized(t, st, gate, n, 0)
}

// recordSized records n crossings whose surname is pad characters long.
func recordSized(t *testing.T, st *store.Store, gate string, n, pad int) []string {
	ctx := context.Background()
	var ids []string
	for i := 0; i < n; i++ {
		now := time.Now()
		c := wire.Crossing{V: 1, ID: wire.NewID(), Gate: gate, Post: "p", Direction: "entry", StartedAt: now, EndedAt: now, Decision: wire.DecisionPass}
		c.Document.Surname = strings.Repeat("A", pad)
		if err := st.Decide(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if err := st.Record(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func newUplink(t *testing.T, addr, gate string, st *store.Store, reg prometheus.Registerer) (*Uplink, context.CancelFunc, chan struct{}) {
	return startUplink(t, Options{Broker: "tcp://" + addr, Gate: gate, AckTimeout: 500 * time.Millisecond, MaxInflight: 8,
		Heartbeat: time.Second, ConnectTimeout: 2 * time.Second, Registry: reg}, st)
}

func startUplink(t *testing.T, opts Options, st *store.Store) (*Uplink, context.CancelFunc, chan struct{}) {
	u := New(opts, st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return u, cancel, done
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDrainsInOrderAndReleasesOnAck(t *testing.T) {
	addr := freeAddr(t)
	startBroker(t, addr)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })
	ids := recordN(t, st, "g1", 30)
	fc := newCentral(t, addr, "g1", true)
	u, _, _ := newUplink(t, addr, "g1", st, nil)
	waitUntil(t, "outbox drained", func() bool { d, _ := st.OutboxDepth(context.Background()); return d == 0 })
	// A slow machine may see an ack timeout and a republication: judge the
	// first delivery of each crossing.
	var got []wire.Crossing
	seen := map[string]bool{}
	for _, c := range fc.received() {
		if !seen[c.ID] {
			seen[c.ID] = true
			got = append(got, c)
		}
	}
	if len(got) != len(ids) {
		t.Fatalf("central got %d of %d distinct crossings", len(got), len(ids))
	}
	// First deliveries arrive in sequence order (MaxInflight 8 < 30, so the
	// window had to slide on acks).
	for i, id := range ids {
		if got[i].ID != id || got[i].Seq != int64(i+1) {
			t.Fatalf("delivery %d is %s/seq %d, want %s/seq %d", i, got[i].ID, got[i].Seq, id, i+1)
		}
	}
	if u.Depth() != 0 {
		t.Fatalf("depth %d", u.Depth())
	}
}

func TestUnacknowledgedCrossingsAreRepublished(t *testing.T) {
	addr := freeAddr(t)
	startBroker(t, addr)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })
	ids := recordN(t, st, "g2", 3)
	fc := newCentral(t, addr, "g2", false) // central commits nothing: no acks
	newUplink(t, addr, "g2", st, nil)
	waitUntil(t, "a republication", func() bool { return len(fc.received()) >= 2*len(ids) })
	if d, _ := st.OutboxDepth(context.Background()); d != 3 {
		t.Fatalf("outbox depth %d without acks, want 3: rows must wait for central", d)
	}
	fc.mu.Lock()
	fc.ack = true
	fc.mu.Unlock()
	waitUntil(t, "release after acks", func() bool { d, _ := st.OutboxDepth(context.Background()); return d == 0 })
}

func TestBadAcksAreRefusedAndCounted(t *testing.T) {
	addr := freeAddr(t)
	srv := startBroker(t, addr)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })
	ids := recordN(t, st, "g3", 1)
	reg := prometheus.NewRegistry()
	u, _, _ := newUplink(t, addr, "g3", st, reg)
	waitUntil(t, "connection", u.Connected)
	topic := wire.GateTopic("g3", wire.KindAcks)
	for _, bad := range [][]byte{
		[]byte("not json"),
		[]byte(`{"v":99,"ids":["` + ids[0] + `"]}`),
		[]byte(`{"v":1,"ids":["not-a-ulid"]}`),
		make([]byte, wire.MaxMessageBytes+1),
	} {
		if err := srv.Publish(topic, bad, false, 1); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "4 rejects counted", func() bool {
		n := 0.0
		for _, r := range []string{wire.ErrMalformed.Error(), wire.ErrUnknownVersion.Error(), wire.ErrInvalid.Error(), wire.ErrTooLarge.Error()} {
			n += testutil.ToFloat64(u.mRejected.WithLabelValues(r))
		}
		return n == 4
	})
	if d, _ := st.OutboxDepth(context.Background()); d != 1 {
		t.Fatalf("a refused ack released a crossing (depth %d)", d)
	}
	// A good ack still works afterwards.
	srv.Publish(topic, wire.Encode(wire.Ack{V: 1, IDs: ids, At: time.Now()}), false, 1)
	waitUntil(t, "release", func() bool { d, _ := st.OutboxDepth(context.Background()); return d == 0 })
}

func TestBrokerAbsentAtStartThenBack(t *testing.T) {
	addr := freeAddr(t)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })
	recordN(t, st, "g4", 5)
	u, _, _ := newUplink(t, addr, "g4", st, nil)
	time.Sleep(300 * time.Millisecond)
	if u.Connected() {
		t.Fatal("connected with no broker")
	}
	startBroker(t, addr)
	newCentral(t, addr, "g4", true)
	waitUntil(t, "drain after the broker came up", func() bool { d, _ := st.OutboxDepth(context.Background()); return d == 0 })
}

func TestRetainedStatusOnlineThenOffline(t *testing.T) {
	addr := freeAddr(t)
	startBroker(t, addr)
	st, _ := store.Open(context.Background(), t.TempDir())
	t.Cleanup(func() { st.Close() })
	u, cancel, done := newUplink(t, addr, "g5", st, nil)
	waitUntil(t, "connection", u.Connected)
	status := make(chan wire.Status, 8)
	o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("watcher")
	c := mqtt.NewClient(o)
	c.Connect().WaitTimeout(5 * time.Second)
	defer c.Disconnect(100)
	c.Subscribe(wire.GateTopic("g5", wire.KindStatus), 1, func(_ mqtt.Client, m mqtt.Message) {
		s, err := wire.DecodeStatus("g5", m.Payload())
		if err != nil {
			t.Errorf("status: %v", err)
			return
		}
		status <- s
	}).WaitTimeout(5 * time.Second)
	select {
	case s := <-status:
		if s.State != wire.StateOnline {
			t.Fatalf("retained status %q, want online", s.State)
		}
		if s.HeartbeatS != 1 {
			t.Fatalf("status heartbeat_s = %d, want 1 (the uplink's heartbeat): central judges staleness by it", s.HeartbeatS)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no retained status")
	}
	cancel()
	<-done
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-status:
			if s.State == wire.StateOffline {
				return
			}
		case <-deadline:
			t.Fatal("no offline status after the gate stopped")
		}
	}
}

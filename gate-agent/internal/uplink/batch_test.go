package uplink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

// TestBatchesBoundedByCountAndBytes drains an outbox through batches of at
// most BatchMax crossings and under the message size limit; a crossing too
// large for any batch goes alone on the crossings topic, in its turn.
func TestBatchesBoundedByCountAndBytes(t *testing.T) {
	addr, st := brokerAndStore(t)
	const gate = "gb"
	ids := recordN(t, st, gate, 23)
	big := recordSized(t, st, gate, 1, maxBatchBytes) // fits a message, not a batch
	ids = append(ids, big...)
	ids = append(ids, recordSized(t, st, gate, 7, 70<<10)...) // three fit a batch
	ids = append(ids, recordN(t, st, gate, 4)...)
	fc := newCentral(t, addr, gate, true)
	startUplink(t, Options{Broker: "tcp://" + addr, Gate: gate, AckTimeout: 5 * time.Second, MaxInflight: 1000,
		BatchMax: 10, Heartbeat: time.Second, ConnectTimeout: 2 * time.Second}, st)
	waitUntil(t, "outbox drained", func() bool { d, _ := st.OutboxDepth(context.Background()); return d == 0 })

	fc.mu.Lock()
	msgs := slices.Clone(fc.msgs)
	fc.mu.Unlock()
	got := firstDeliveries(fc.received())
	if !slices.Equal(got, ids) {
		t.Fatalf("central got %d distinct crossings in this order, want the %d recorded in seq order", len(got), len(ids))
	}
	// 23 small in batches of 10, the big one alone, the 70 KiB ones three
	// by three, then the last small ones.
	want := []received{{wire.KindBatches, 10}, {wire.KindBatches, 10}, {wire.KindBatches, 3}, {wire.KindCrossings, 1},
		{wire.KindBatches, 3}, {wire.KindBatches, 3}, {wire.KindBatches, 5}}
	if len(msgs) < len(want) || !slices.Equal(msgs[:len(want)], want) {
		t.Fatalf("messages %v, want %v", msgs, want)
	}
}

// TestInflightCountsCrossings: with central silent, the gate publishes
// exactly MaxInflight crossings — not MaxInflight messages — before it
// waits, then republishes from the first.
func TestInflightCountsCrossings(t *testing.T) {
	addr, st := brokerAndStore(t)
	const gate = "gi"
	ids := recordN(t, st, gate, 60)
	fc := newCentral(t, addr, gate, false)
	startUplink(t, Options{Broker: "tcp://" + addr, Gate: gate, AckTimeout: 300 * time.Millisecond, MaxInflight: 25,
		BatchMax: 10, Heartbeat: time.Second, ConnectTimeout: 2 * time.Second}, st)
	waitUntil(t, "a republication", func() bool { return len(fc.received()) > 25 })
	got := fc.received()
	for i := range 25 {
		if got[i].ID != ids[i] {
			t.Fatalf("publication %d is seq %d, want seq %d", i, got[i].Seq, i+1)
		}
	}
	if got[25].ID != ids[0] {
		t.Fatalf("publication 26 is seq %d: the gate went past its window of 25 crossings without acks", got[25].Seq)
	}
}

// TestLiveCrossingsOvertakeTheBacklog: a gate back after a long outage
// drains a 3,000-crossing backlog; travellers recorded meanwhile are
// delivered (acked) before the backlog is done, not after it. Judged by
// the order of central's acks, not by time.
func TestLiveCrossingsOvertakeTheBacklog(t *testing.T) {
	addr, st := brokerAndStore(t)
	const gate = "gf"
	backlog := recordN(t, st, gate, 3000)
	fc := newCentral(t, addr, gate, true)

	var u *Uplink
	liveIDs := make(chan string, 16)
	recordLive := func(n int) {
		for range n {
			now := time.Now()
			c := wire.Crossing{V: 1, ID: wire.NewID(), Gate: gate, Post: "p", Direction: "entry", StartedAt: now, EndedAt: now, Decision: wire.DecisionPass}
			if err := st.Decide(context.Background(), &c); err != nil {
				t.Error(err)
				return
			}
			if err := st.Record(context.Background(), c); err != nil {
				t.Error(err)
				return
			}
			liveIDs <- c.ID
		}
		u.Kick()
	}
	// Central records live travellers at the gate while it acks: after 500
	// and after 1,500 backlog crossings.
	var done500, done1500 bool
	fc.beforeAck = func(sofar int) {
		switch {
		case sofar >= 500 && !done500:
			done500 = true
			recordLive(3)
		case sofar >= 1500 && !done1500:
			done1500 = true
			recordLive(2)
		}
	}
	u, _, _ = startUplink(t, Options{Broker: "tcp://" + addr, Gate: gate, AckTimeout: 10 * time.Second, MaxInflight: 200,
		BatchMax: 50, Heartbeat: time.Second, ConnectTimeout: 2 * time.Second}, st)
	waitUntil(t, "outbox drained", func() bool {
		d, _ := st.OutboxDepth(context.Background())
		return d == 0 && len(liveIDs) == 5
	})
	close(liveIDs)

	fc.mu.Lock()
	acked := slices.Clone(fc.acked)
	fc.mu.Unlock()
	pos := map[string]int{}
	for i, id := range acked {
		if _, ok := pos[id]; !ok {
			pos[id] = i
		}
	}
	lastBacklog := pos[backlog[len(backlog)-1]]
	for i, id := range backlog[1:] {
		if pos[id] < pos[backlog[i]] {
			t.Fatalf("backlog seq %d acked before seq %d: the backlog must drain in order", i+2, i+1)
		}
	}
	var report []string
	for id := range liveIDs {
		p, ok := pos[id]
		if !ok {
			t.Fatalf("live crossing %s never acked", id)
		}
		report = append(report, fmt.Sprintf("%s at ack %d", id[20:], p))
		if p > lastBacklog {
			t.Errorf("live crossing %s acked at position %d, after the backlog's end (%d): it waited behind the backlog", id, p, lastBacklog)
		}
	}
	t.Logf("backlog's last ack at %d of %d; live: %s", lastBacklog, len(acked), strings.Join(report, ", "))
}

// brokerAndStore starts a broker on a free port and opens a gate store.
func brokerAndStore(t *testing.T) (string, *store.Store) {
	addr := freeAddr(t)
	startBroker(t, addr)
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return addr, st
}

// firstDeliveries lists crossing ids in the order of their first delivery.
func firstDeliveries(cs []wire.Crossing) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c.ID)
		}
	}
	return out
}

// TestPackSendsAnUndecodableCrossingAlone: a stored crossing that does not
// decode as this gate's would make central refuse its whole batch, for
// ever; it goes alone instead, and its neighbours still batch.
func TestPackSendsAnUndecodableCrossingAlone(t *testing.T) {
	u := New(Options{Broker: "tcp://127.0.0.1:1", Gate: "gp", BatchMax: 10, Logger: discardLogger()}, nil)
	item := func(seq int64, gate string) store.Item {
		now := time.Now()
		c := wire.Crossing{V: 1, ID: wire.NewID(), Gate: gate, Seq: seq, StartedAt: now, EndedAt: now, Decision: wire.DecisionPass}
		return store.Item{Seq: seq, ID: c.ID, Payload: wire.Encode(c)}
	}
	items := []store.Item{item(1, "gp"), item(2, "gp"), item(3, "other"), item(4, "gp"),
		{Seq: 5, ID: wire.NewID(), Payload: []byte(`{"v":1,`)}, item(6, "gp")}
	msgs := u.pack(items)
	var got []string
	for _, m := range msgs {
		var seqs []string
		for _, it := range m.items {
			seqs = append(seqs, fmt.Sprint(it.Seq))
		}
		got = append(got, m.kind+":"+strings.Join(seqs, ","))
		if m.kind == wire.KindBatches {
			b, err := wire.DecodeBatch("gp", m.payload)
			if err != nil || len(b.Crossings) != len(m.items) {
				t.Fatalf("batch %v does not decode as the gate's: %v", seqs, err)
			}
		}
	}
	want := []string{"batches:1,2", "crossings:3", "batches:4", "crossings:5", "batches:6"}
	if !slices.Equal(got, want) {
		t.Fatalf("packed %v, want %v", got, want)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

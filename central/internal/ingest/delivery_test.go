package ingest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// TestDuplicatedAndReorderedDeliveries publishes, through the real embedded
// broker, what a gate's go-back-N and reconnects can produce: batches in
// reverse order, single messages overlapping batches, a batch overlapping two
// others, everything again. Central must store each crossing exactly once
// and ack every delivery of every id, repeats included (the gate may have
// lost the first ack), and never ack a batch it refused.
func TestDuplicatedAndReorderedDeliveries(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	f := startIngest(t, b.URL())
	ctx := context.Background()
	gateID := uniqueGateID("dup")

	var mu sync.Mutex
	acked := map[string]int{}
	var notStored []string
	g := newGate(t, b.URL(), "test-"+gateID, func(topicGate string, a wire.Ack, err error) {
		if err != nil || topicGate != gateID {
			return
		}
		has, herr := f.store.Has(ctx, a.IDs)
		mu.Lock()
		defer mu.Unlock()
		for _, id := range a.IDs {
			acked[id]++
			if herr != nil || !has[id] {
				notStored = append(notStored, id)
			}
		}
	})

	cs := make([]wire.Crossing, 30)
	for i := range cs {
		cs[i] = validCrossing(gateID, int64(i+1))
	}
	published := map[string]int{}
	sendBatch := func(part []wire.Crossing) {
		t.Helper()
		g.publish(t, wire.GateTopic(gateID, wire.KindBatches),
			wire.Encode(wire.CrossingBatch{V: wire.SchemaVersion, Gate: gateID, Crossings: part}), false)
		for _, c := range part {
			published[c.ID]++
		}
	}
	sendOne := func(c wire.Crossing) {
		t.Helper()
		g.publish(t, wire.GateTopic(gateID, wire.KindCrossings), wire.Encode(c), false)
		published[c.ID]++
	}

	// Batches in reverse order.
	sendBatch(cs[20:30])
	sendBatch(cs[10:20])
	sendBatch(cs[0:10])
	// Single messages repeating crossings of batches.
	sendOne(cs[4])
	sendOne(cs[14])
	sendOne(cs[29])
	// A batch straddling two earlier ones, and the first batch again.
	sendBatch(cs[17:25])
	sendBatch(cs[0:10])
	// Every crossing once more, singly, newest first.
	for i := len(cs) - 1; i >= 0; i-- {
		sendOne(cs[i])
	}

	// A batch with one bad crossing is refused whole: none of its good
	// crossings is stored or acked.
	bad := []wire.Crossing{validCrossing(gateID, 100), validCrossing(gateID, 101), validCrossing(gateID, 102)}
	bad[1].Decision = "maybe"
	g.publish(t, wire.GateTopic(gateID, wire.KindBatches),
		wire.Encode(wire.CrossingBatch{V: wire.SchemaVersion, Gate: gateID, Crossings: bad}), false)

	total := 0
	for _, n := range published {
		total += n
	}
	eventually(t, 20*time.Second, "every delivery acked", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, k := range acked {
			n += k
		}
		return n >= total
	})
	eventually(t, 5*time.Second, "the refused batch counted", func() bool {
		return metric(t, f.reg, "autogate_central_rejected_messages_total", "reason", ReasonInvalid) == 1
	})
	time.Sleep(200 * time.Millisecond) // let any stray ack arrive before judging

	mu.Lock()
	defer mu.Unlock()
	if len(notStored) > 0 {
		t.Errorf("acked before commit: %v", notStored)
	}
	for _, c := range cs {
		if acked[c.ID] != published[c.ID] {
			t.Errorf("crossing seq %d delivered %d times, acked %d times", c.Seq, published[c.ID], acked[c.ID])
		}
	}
	for _, c := range bad {
		if acked[c.ID] > 0 {
			t.Errorf("crossing seq %d of the refused batch was acked", c.Seq)
		}
	}
	if n, err := f.store.Count(ctx, gateID); err != nil || n != int64(len(cs)) {
		t.Fatalf("store holds %d crossings of %s (%v), want %d: each exactly once", n, gateID, err, len(cs))
	}
	stored, err := f.store.Crossings(ctx, store.Query{Gate: gateID, Limit: 100, Order: store.Asc})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, c := range stored {
		seqs = append(seqs, c.Seq)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("stored seqs %v, want 1..%d once each", seqs, len(cs))
		}
	}
	if got, want := metric(t, f.reg, "autogate_central_duplicate_deliveries_total"), float64(total-len(cs)); got != want {
		t.Errorf("duplicate deliveries = %v, want %v", got, want)
	}
	if got := metric(t, f.reg, "autogate_central_messages_received_total", "kind", wire.KindBatches); got != 5 {
		t.Errorf("batches received = %v, want 5 (the refused one is not)", got)
	}
	gates, err := f.store.Gates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, gr := range gates {
		if gr.ID == gateID && (gr.Crossings != int64(len(cs)) || gr.LastSeq != int64(len(cs))) {
			t.Errorf("gate row %+v, want %d crossings up to seq %d", gr, len(cs), len(cs))
		}
	}
}

package store

import (
	"context"
	"strings"
	"testing"

	"autogate/internal/wire"
)

// TestFullDiskRefusesNewDecisionsAndStillDrains fills a real gate database
// to its limit (SQLite's max_page_count, as a full disk would): Decide then
// fails with an error that names the disk, the refused crossing leaves no
// trace in the journal — so the flow, which opens doors only on a journalled
// decision, admits nobody — and the crossings recorded before still wait in
// the outbox, in order, and are released by central's acks.
func TestFullDiskRefusesNewDecisionsAndStillDrains(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), WithMaxPages(48))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var recorded []string
	var decideErr error
	var refused *wire.Crossing
	for i := 0; i < 1000 && decideErr == nil; i++ {
		c := newCrossing(wire.DecisionPass)
		c.Door = "exit"
		c.Document.Surname = strings.Repeat("X", 1500) // a few crossings per page
		if err := s.Decide(ctx, c); err != nil {
			decideErr, refused = err, c
			break
		}
		if err := s.Record(ctx, *c); err != nil {
			// The outbox row did not fit: the crossing stays decided, and
			// the next start's Recover finishes it. Decide must fail next.
			if !strings.Contains(err.Error(), "disk is full") {
				t.Fatalf("Record on a full database: %v, want an error naming the full disk", err)
			}
			continue
		}
		recorded = append(recorded, c.ID)
	}
	if decideErr == nil {
		t.Fatal("1000 crossings fitted in 48 pages: max_page_count did not apply, the test proves nothing")
	}
	if len(recorded) < 5 {
		t.Fatalf("only %d crossings recorded before the database was full; the test wants a backlog", len(recorded))
	}
	if msg := decideErr.Error(); !strings.Contains(msg, "disk is full") || !strings.Contains(msg, "free space") {
		t.Fatalf("Decide on a full disk: %q, want it to say the disk is full and what to do", msg)
	}
	all, err := s.Crossings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.ID == refused.ID {
			t.Fatalf("the refused crossing %s is in the journal (%s): a door could act on it", c.ID, c.State)
		}
	}

	// What was recorded before still drains, in order.
	if d, _ := s.OutboxDepth(ctx); d != len(recorded) {
		t.Fatalf("outbox depth %d, want the %d recorded crossings", d, len(recorded))
	}
	items, err := s.Pending(ctx, 0, 10000)
	if err != nil {
		t.Fatalf("reading the outbox of a full database: %v", err)
	}
	if len(items) != len(recorded) {
		t.Fatalf("pending %d, want %d", len(items), len(recorded))
	}
	for i, it := range items {
		if it.ID != recorded[i] {
			t.Fatalf("pending[%d] = %s, want %s (seq order)", i, it.ID, recorded[i])
		}
	}
	if err := s.MarkSent(ctx, []int64{items[0].Seq}); err != nil {
		t.Logf("counting a publish attempt on a full database failed (the uplink only logs it): %v", err)
	}
	n, err := s.Release(ctx, recorded)
	if err != nil {
		t.Fatalf("releasing acked crossings on a full database: %v", err)
	}
	if n != len(recorded) {
		t.Fatalf("released %d, want %d", n, len(recorded))
	}
	if d, _ := s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("outbox depth %d after the acks, want 0", d)
	}
	all, err = s.Crossings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.State == "recorded" && !c.Acked {
			t.Fatalf("released crossing %s not reported acked", c.ID)
		}
	}
	t.Logf("%d crossings recorded before the database was full; Decide then said: %v", len(recorded), decideErr)
}

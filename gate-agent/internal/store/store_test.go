package store

import (
	"context"
	"testing"
	"time"

	"autogate/internal/wire"
)

func newCrossing(decision string) *wire.Crossing {
	now := time.Now()
	return &wire.Crossing{V: wire.SchemaVersion, ID: wire.NewID(), Gate: "g1", Post: "p", Direction: "entry",
		StartedAt: now, EndedAt: now, Decision: decision}
}

func TestDecideRecordReleaseLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		c := newCrossing(wire.DecisionPass)
		if err := s.Decide(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.Seq != int64(i+1) {
			t.Fatalf("seq=%d, want %d", c.Seq, i+1)
		}
		// A decided crossing is not yet in the outbox: the doors have not acted.
		if d, _ := s.OutboxDepth(ctx); d != i {
			t.Fatalf("outbox depth %d before Record, want %d", d, i)
		}
		c.Door = "exit"
		if err := s.Record(ctx, *c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	items, err := s.Pending(ctx, 0, 10)
	if err != nil || len(items) != 3 {
		t.Fatalf("pending=%d err=%v", len(items), err)
	}
	for i, it := range items {
		if it.ID != ids[i] || it.Seq != int64(i+1) {
			t.Fatalf("pending[%d]=%d/%s, want in order", i, it.Seq, it.ID)
		}
		c, err := wire.DecodeCrossing("g1", it.Payload)
		if err != nil || c.Door != "exit" {
			t.Fatalf("payload of %s: %v door=%q", it.ID, err, c.Door)
		}
	}
	if items, _ := s.Pending(ctx, 2, 10); len(items) != 1 || items[0].Seq != 3 {
		t.Fatalf("pending after seq 2: %+v", items)
	}
	n, err := s.Release(ctx, []string{ids[0], ids[2], wire.NewID()})
	if err != nil || n != 2 {
		t.Fatalf("released %d err=%v, want 2", n, err)
	}
	// A repeated ack releases nothing more.
	if n, _ := s.Release(ctx, []string{ids[0]}); n != 0 {
		t.Fatalf("repeated ack released %d", n)
	}
	if d, _ := s.OutboxDepth(ctx); d != 1 {
		t.Fatalf("depth=%d, want 1", d)
	}
	all, _ := s.Crossings(ctx)
	if len(all) != 3 || !all[0].Acked || all[1].Acked || !all[2].Acked {
		t.Fatalf("crossings: %+v", all)
	}
	s.Close()

	// Survives reopening.
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, _ := s.OutboxDepth(ctx); d != 1 {
		t.Fatalf("depth after reopen=%d, want 1", d)
	}
}

func TestRecordRequiresDecide(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := newCrossing(wire.DecisionRefer)
	c.Seq = 1
	if err := s.Record(ctx, *c); err == nil {
		t.Fatal("Record of a crossing never decided succeeded")
	}
	if d, _ := s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("depth=%d after a refused Record", d)
	}
}

func TestRecoverFinishesDecidedCrossings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := Open(ctx, dir)
	done := newCrossing(wire.DecisionPass)
	s.Decide(ctx, done)
	s.Record(ctx, *done)
	crashed := newCrossing(wire.DecisionPass)
	if err := s.Decide(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	s.Close() // the agent dies with the exit door open

	s, _ = Open(ctx, dir)
	defer s.Close()
	n, err := s.Recover(ctx, func(c *wire.Crossing) { c.Door = "unknown" })
	if err != nil || n != 1 {
		t.Fatalf("recovered %d err=%v, want 1", n, err)
	}
	got, err := s.Crossing(ctx, crashed.ID)
	if err != nil || got.Door != "unknown" || got.Seq != crashed.Seq {
		t.Fatalf("recovered crossing %+v err=%v", got, err)
	}
	if d, _ := s.OutboxDepth(ctx); d != 2 {
		t.Fatalf("depth=%d, want both crossings queued", d)
	}
	if n, _ := s.Recover(ctx, func(*wire.Crossing) {}); n != 0 {
		t.Fatalf("second Recover finished %d again", n)
	}
}

package store

import (
	"context"
	"testing"
	"time"

	"autogate/internal/wire"
)

func testCommand(gate, action string, issued time.Time) wire.Command {
	return wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Action: action, Reason: "manual check",
		Officer: "O-17", IssuedAt: issued.UTC(), ExpiresAt: issued.Add(10 * time.Second).UTC()}
}

func TestCommandThenAck(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := testCommand("gate-1", wire.ActionLock, now)
	c.Crossing = wire.NewID()
	if err := s.RecordCommand(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Command(ctx, c.ID)
	if err != nil || !ok || got.Action != wire.ActionLock || got.Officer != "O-17" || got.Crossing != c.Crossing ||
		!got.IssuedAt.Equal(c.IssuedAt) || !got.ExpiresAt.Equal(c.ExpiresAt) || got.AckResult != "" {
		t.Fatalf("before the ack: %+v ok=%v err=%v", got, ok, err)
	}
	ack := wire.CommandAck{V: 1, ID: c.ID, Gate: "gate-1", Result: wire.CommandDone, Mode: "locked", At: now}
	if err := s.RecordCommandAck(ctx, ack, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// A second copy of the ack (another central process) changes nothing.
	late := ack
	late.Result, late.Reason = wire.CommandRefused, "replayed"
	if err := s.RecordCommandAck(ctx, late, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Command(ctx, c.ID)
	if got.AckResult != wire.CommandDone || got.AckReason != "" || got.AckMode != "locked" ||
		!got.AckedAt.Equal(now.Add(time.Second)) || got.Action != wire.ActionLock {
		t.Fatalf("after the ack: %+v", got)
	}
}

func TestAckBeforeCommandIsCompleted(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	c := testCommand("gate-2", wire.ActionOpenExit, now)
	ack := wire.CommandAck{V: 1, ID: c.ID, Gate: "gate-2", Result: wire.CommandRefused, Reason: "not_applicable", Detail: "nobody held", At: now}
	if err := s.RecordCommandAck(ctx, ack, now); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := s.Command(ctx, c.ID); !ok || got.Action != "" || got.AckReason != "not_applicable" {
		t.Fatalf("ack alone: %+v ok=%v", got, ok)
	}
	if err := s.RecordCommand(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Command(ctx, c.ID)
	if got.Action != wire.ActionOpenExit || got.AckReason != "not_applicable" || got.AckDetail != "nobody held" {
		t.Fatalf("completed: %+v", got)
	}
	if err := s.RecordCommandAck(ctx, wire.CommandAck{V: 1, Gate: "gate-2", Result: wire.CommandRefused}, now); err == nil {
		t.Fatal("an ack without a command id was recorded")
	}
	if _, ok, err := s.Command(ctx, wire.NewID()); ok || err != nil {
		t.Fatalf("unknown command: ok=%v err=%v", ok, err)
	}
}

func TestCommandsNewestFirstByGate(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var ids []string
	for i, g := range []string{"gate-1", "gate-2", "gate-1"} {
		c := testCommand(g, wire.ActionLock, time.Now())
		time.Sleep(2 * time.Millisecond) // ULIDs order by millisecond
		ids = append(ids, c.ID)
		if err := s.RecordCommand(ctx, c); err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	all, err := s.Commands(ctx, "", 0)
	if err != nil || len(all) != 3 || all[0].ID != ids[2] || all[2].ID != ids[0] {
		t.Fatalf("all: %+v err=%v", all, err)
	}
	one, err := s.Commands(ctx, "gate-1", 1)
	if err != nil || len(one) != 1 || one[0].ID != ids[2] {
		t.Fatalf("gate-1 limit 1: %+v err=%v", one, err)
	}
}

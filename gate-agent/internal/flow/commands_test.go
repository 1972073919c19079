package flow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/config"
	"autogate/internal/wire"
)

// commandLane is a simulated lane whose flow runs in the background, as in
// the agent, so commands reach it at its own safe points.
type commandLane struct {
	*lane
	crossings chan wire.Crossing
}

func newCommandLane(t *testing.T, hold time.Duration) *commandLane {
	t.Helper()
	l := &commandLane{lane: newLane(t, config.Policy{}), crossings: make(chan wire.Crossing, 16)}
	l.flow = New(Options{Gate: "g1", Post: "p1", Direction: "entry", Checks: DocumentChecks(config.Policy{DocumentCodes: []string{"P"}}),
		DocumentTimeout: 2 * time.Second, LaneTimeout: 2 * time.Second, HoldReferred: hold,
		Recorded: func(c wire.Crossing) { l.crossings <- c }}, l.reader, l.gate, l.store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.flow.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

func (l *commandLane) next(t *testing.T) wire.Crossing {
	t.Helper()
	select {
	case c := <-l.crossings:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no crossing recorded within 10s")
		return wire.Crossing{}
	}
}

// until polls cond (the lane's state changes on the flow's goroutine).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func command(action, crossing string) wire.Command {
	now := time.Now().UTC()
	return wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: "g1", Action: action, Reason: "officer's check at the desk",
		Officer: "O-17", Crossing: crossing, IssuedAt: now, ExpiresAt: now.Add(10 * time.Second)}
}

func (l *commandLane) execute(t *testing.T, c wire.Command) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.flow.Execute(ctx, c)
}

func refusedAs(err error, reason string) bool {
	var ce *CommandError
	return errors.As(err, &ce) && ce.Reason == reason
}

func overrideOf(c wire.Crossing) (wire.Check, bool) {
	for _, ch := range c.Checks {
		if ch.Name == "officer_override" {
			return ch, true
		}
	}
	return wire.Check{}, false
}

func TestLockKeepsTravellersOutUntilUnlock(t *testing.T) {
	l := newCommandLane(t, 0)
	valid := build(t, time.Now().AddDate(3, 0, 0))
	until(t, "ready", func() bool { return l.gate.DoorState(gatectl.Entrance) == gatectl.Open })

	if err := l.execute(t, command(wire.ActionLock, "")); err != nil {
		t.Fatalf("lock: %v", err)
	}
	if l.flow.Mode() != ModeLocked {
		t.Fatalf("mode %q after lock", l.flow.Mode())
	}
	until(t, "locked shut", func() bool { return l.gate.DoorState(gatectl.Entrance) == gatectl.Closed })
	l.traveller(valid, false)
	// A locked gate must not let them in: give a broken flow the time to
	// do so (the simulated lane runs without delays).
	time.Sleep(300 * time.Millisecond)
	if st := l.gate.Stats(); st.Entered != 0 || l.gate.Waiting() != 1 {
		t.Fatalf("locked lane: stats %+v, waiting %d; want the traveller kept at the entrance", st, l.gate.Waiting())
	}
	select {
	case c := <-l.crossings:
		t.Fatalf("a crossing was recorded while locked: %+v", c)
	default:
	}

	if err := l.execute(t, command(wire.ActionUnlock, "")); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	c := l.next(t)
	if c.Decision != wire.DecisionPass || c.Door != DoorExit || l.flow.Mode() != ModeNormal {
		t.Fatalf("after unlock: decision=%s door=%s mode=%s", c.Decision, c.Door, l.flow.Mode())
	}
}

func TestLockLetsTheCrossingUnderWayFinish(t *testing.T) {
	l := newCommandLane(t, 0)
	l.traveller(build(t, time.Now().AddDate(3, 0, 0)), false)
	until(t, "in the lane", func() bool { return l.gate.Stats().Entered == 1 })
	if err := l.execute(t, command(wire.ActionLock, "")); err != nil {
		t.Fatalf("lock: %v", err)
	}
	c := l.next(t)
	if c.Decision != wire.DecisionPass || c.Door != DoorExit {
		t.Fatalf("the crossing under way: decision=%s door=%s, want it finished through the exit", c.Decision, c.Door)
	}
	until(t, "locked shut", func() bool {
		return l.gate.DoorState(gatectl.Entrance) == gatectl.Closed && l.gate.DoorState(gatectl.Exit) == gatectl.Closed
	})
	l.traveller(build(t, time.Now().AddDate(3, 0, 0)), false)
	time.Sleep(300 * time.Millisecond)
	if st := l.gate.Stats(); st.Entered != 1 || st.BothOpen != 0 {
		t.Fatalf("stats %+v: a second traveller was admitted by a locked gate", st)
	}
}

func TestOpenExitLetsTheHeldTravellerOut(t *testing.T) {
	l := newCommandLane(t, time.Minute)
	if err := l.execute(t, command(wire.ActionOpenExit, "")); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("open_exit with nobody held: %v, want not_applicable", err)
	}
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false) // expired: referred
	until(t, "holding", func() bool { return l.flow.Held() != "" })
	held := l.flow.Held()
	if l.gate.DoorState(gatectl.Entrance) != gatectl.Closed || l.gate.DoorState(gatectl.Exit) != gatectl.Closed {
		t.Fatal("a held traveller must have both doors closed")
	}
	if err := l.execute(t, command(wire.ActionOpenExit, wire.NewID())); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("open_exit naming another crossing: %v, want not_applicable", err)
	}
	if l.gate.Stats().Exited != 0 {
		t.Fatal("the exit opened for a command naming another crossing")
	}
	cmd := command(wire.ActionOpenExit, held)
	if err := l.execute(t, cmd); err != nil {
		t.Fatalf("open_exit for the held crossing: %v", err)
	}
	c := l.next(t)
	if c.ID != held || c.Decision != wire.DecisionRefer || c.Door != DoorExit {
		t.Fatalf("id=%s decision=%s door=%s; want %s kept refer, door exit", c.ID, c.Decision, c.Door, held)
	}
	o, ok := overrideOf(c)
	if !ok || o.Result != wire.ResultPass || o.Reason != wire.ActionOpenExit ||
		!strings.Contains(o.Message, "O-17") || !strings.Contains(o.Message, cmd.Reason) || !strings.Contains(o.Message, cmd.ID) {
		t.Fatalf("officer_override check %+v (found %v)", o, ok)
	}
	if !reasonsOf(c)[ReasonDocumentExpired] {
		t.Fatalf("the gate's own refer reasons were lost: %v", reasonsOf(c))
	}
	stored, err := l.store.Crossing(context.Background(), c.ID)
	if _, ok := overrideOf(stored); err != nil || !ok || stored.Door != DoorExit {
		t.Fatalf("stored crossing door=%s override=%v err=%v", stored.Door, ok, err)
	}
	if st := l.gate.Stats(); st.Exited != 1 || st.Returned != 0 || st.BothOpen != 0 {
		t.Fatalf("lane stats %+v", st)
	}
	if l.flow.Held() != "" {
		t.Fatal("still holding after the traveller left")
	}
}

func TestReturnSendsTheHeldTravellerBack(t *testing.T) {
	l := newCommandLane(t, time.Minute)
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false)
	until(t, "holding", func() bool { return l.flow.Held() != "" })
	if err := l.execute(t, command(wire.ActionReturn, "")); err != nil {
		t.Fatalf("return: %v", err)
	}
	c := l.next(t)
	if c.Door != DoorEntrance || c.Decision != wire.DecisionRefer {
		t.Fatalf("decision=%s door=%s", c.Decision, c.Door)
	}
	if o, ok := overrideOf(c); !ok || o.Reason != wire.ActionReturn {
		t.Fatalf("officer_override %+v found=%v", o, ok)
	}
	if st := l.gate.Stats(); st.Exited != 0 || st.Returned != 1 {
		t.Fatalf("lane stats %+v", st)
	}
}

func TestHoldTimeoutReturnsTheTraveller(t *testing.T) {
	l := newCommandLane(t, 200*time.Millisecond)
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false)
	c := l.next(t)
	if c.Door != DoorEntrance || c.Decision != wire.DecisionRefer {
		t.Fatalf("decision=%s door=%s, want returned", c.Decision, c.Door)
	}
	if _, ok := overrideOf(c); ok {
		t.Fatal("an override recorded without a command")
	}
	if st := l.gate.Stats(); st.Exited != 0 || st.Returned != 1 {
		t.Fatalf("lane stats %+v", st)
	}
	if err := l.execute(t, command(wire.ActionOpenExit, c.ID)); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("open_exit after the hold ended: %v, want not_applicable", err)
	}
}

func TestPassingTravellerIsNotHeld(t *testing.T) {
	l := newCommandLane(t, time.Minute)
	l.traveller(build(t, time.Now().AddDate(3, 0, 0)), false)
	if c := l.next(t); c.Door != DoorExit || c.Decision != wire.DecisionPass {
		t.Fatalf("decision=%s door=%s", c.Decision, c.Door)
	}
}

func TestManualBoothSendsTheHeldTravellerBack(t *testing.T) {
	l := newCommandLane(t, time.Minute)
	if err := l.execute(t, command(wire.ActionManualBooth, "")); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("manual_booth with nobody held: %v, want not_applicable", err)
	}
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false)
	until(t, "holding", func() bool { return l.flow.Held() != "" })
	held := l.flow.Held()
	if err := l.execute(t, command(wire.ActionManualBooth, wire.NewID())); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("manual_booth naming another crossing: %v, want not_applicable", err)
	}
	cmd := command(wire.ActionManualBooth, held)
	if err := l.execute(t, cmd); err != nil {
		t.Fatalf("manual_booth: %v", err)
	}
	c := l.next(t)
	if c.ID != held || c.Door != DoorEntrance || c.Decision != wire.DecisionRefer {
		t.Fatalf("id=%s decision=%s door=%s", c.ID, c.Decision, c.Door)
	}
	o, ok := overrideOf(c)
	if !ok || o.Result != wire.ResultPass || o.Reason != wire.ActionManualBooth ||
		!strings.Contains(o.Message, "manual booth") || !strings.Contains(o.Message, "O-17") || !strings.Contains(o.Message, cmd.ID) {
		t.Fatalf("officer_override %+v found=%v", o, ok)
	}
	if st := l.gate.Stats(); st.Exited != 0 || st.Returned != 1 || st.BothOpen != 0 {
		t.Fatalf("lane stats %+v: want the traveller back through the entrance", st)
	}
	if err := l.execute(t, command(wire.ActionReturn, held)); !refusedAs(err, CommandNotApplicable) {
		t.Fatalf("a second command for the settled crossing: %v, want not_applicable", err)
	}
}

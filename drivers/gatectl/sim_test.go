package gatectl

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

type timing struct{ open, close, walkIn, walkOut time.Duration }

func newSim(t *testing.T, speed device.Speed) (*Sim, timing) {
	t.Helper()
	p := testenv.ShippedProfile(t, "sim-gatectl")
	s, err := NewSim(p, speed)
	if err != nil {
		t.Fatal(err)
	}
	return s, timing{p.Delay("door_open_ms"), p.Delay("door_close_ms"), p.Delay("walk_in_ms"), p.Delay("walk_out_ms")}
}

func is(want int) func(int) bool { return func(n int) bool { return n == want } }

// crossing plays the agent's side of one passing traveller.
func crossing(t *testing.T, ctx context.Context, s *Sim) {
	t.Helper()
	steps := []func() error{
		func() error { return s.OpenDoor(ctx, Entrance) },
		func() error { _, err := s.WaitOccupancy(ctx, is(1)); return err },
		func() error { return s.CloseDoor(ctx, Entrance) },
		func() error { return s.OpenDoor(ctx, Exit) },
		func() error { _, err := s.WaitOccupancy(ctx, is(0)); return err },
		func() error { return s.CloseDoor(ctx, Exit) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("crossing step %d: %v", i, err)
		}
	}
}

func TestCrossingTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		start := time.Now()
		at := func(what string, want time.Duration) {
			t.Helper()
			if got := time.Since(start); got != want {
				t.Errorf("%s at %v, want %v", what, got, want)
			}
		}
		s.Enter()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		at("entrance open", tm.open)
		if s.DoorState(Entrance) != Open || s.Occupancy() != 0 {
			t.Errorf("entrance %s, occupancy %d", s.DoorState(Entrance), s.Occupancy())
		}
		if n, err := s.WaitOccupancy(ctx, is(1)); err != nil || n != 1 {
			t.Fatal(n, err)
		}
		at("traveller inside", tm.open+tm.walkIn)
		if err := s.CloseDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		if err := s.OpenDoor(ctx, Exit); err != nil {
			t.Fatal(err)
		}
		at("exit open", 2*tm.open+tm.walkIn+tm.close)
		if _, err := s.WaitOccupancy(ctx, is(0)); err != nil {
			t.Fatal(err)
		}
		at("traveller gone", 2*tm.open+tm.walkIn+tm.close+tm.walkOut)
		if err := s.CloseDoor(ctx, Exit); err != nil {
			t.Fatal(err)
		}
		at("crossing done", 2*tm.open+2*tm.close+tm.walkIn+tm.walkOut)
		want := Stats{EntranceCycles: 1, ExitCycles: 1, Entered: 1, Exited: 1}
		if got := s.Stats(); got != want {
			t.Errorf("stats %+v, want %+v", got, want)
		}
	})
}

func TestNobodyWalksThroughAClosedDoor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		s.Enter()
		time.Sleep(time.Minute)
		if s.Occupancy() != 0 || s.Waiting() != 1 {
			t.Errorf("entrance closed: occupancy %d, waiting %d", s.Occupancy(), s.Waiting())
		}
		// The exit alone does not let anyone in either.
		if err := s.OpenDoor(context.Background(), Exit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if s.Occupancy() != 0 || s.Stats().Entered != 0 {
			t.Errorf("exit open: occupancy %d", s.Occupancy())
		}
		if s.Stats().BothOpen != 0 {
			t.Error("BothOpen counted with one door open")
		}
	})
}

func TestTailgating(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		s.Enter()
		s.Tailgate()
		start := time.Now()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		n, err := s.WaitOccupancy(ctx, func(n int) bool { return n >= 2 })
		if err != nil || n != 2 {
			t.Fatalf("WaitOccupancy(≥2) = %d, %v", n, err)
		}
		if got := time.Since(start); got != tm.open+tm.walkIn {
			t.Errorf("tailgater counted at %v, want %v", got, tm.open+tm.walkIn)
		}
		if st := s.Stats(); st.Tailgaters != 1 || st.Entered != 2 {
			t.Errorf("stats %+v", st)
		}

		// A tailgater slipping in behind a traveller already inside, before
		// the entrance closes.
		s2, _ := newSim(t, 1)
		defer s2.Close()
		s2.Enter()
		if err := s2.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.WaitOccupancy(ctx, is(1)); err != nil {
			t.Fatal(err)
		}
		s2.Tailgate()
		if n, err := s2.WaitOccupancy(ctx, func(n int) bool { return n != 1 }); err != nil || n != 2 {
			t.Errorf("late tailgater: occupancy %d, %v", n, err)
		}
	})
}

func TestReturnThroughEntrance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		s.Enter()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WaitOccupancy(ctx, is(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		// Referred and refused: the traveller is sent back. The next one is
		// already at the entrance and waits until the lane is clear.
		s.Enter()
		start := time.Now()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		var seen []int
		if _, err := s.WaitOccupancy(ctx, func(n int) bool {
			seen = append(seen, n)
			return len(seen) > 1 && n == 1
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seen, []int{1, 0, 1}) {
			t.Errorf("occupancy went %v, want [1 0 1]: out, then the next one in", seen)
		}
		if got, want := time.Since(start), tm.open+tm.walkOut+tm.walkIn; got != want {
			t.Errorf("next traveller inside at %v, want %v", got, want)
		}
		if st := s.Stats(); st.Returned != 1 || st.Entered != 2 || st.Exited != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestWaitOccupancyChecksAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		// cond may call back into the controller.
		n, err := s.WaitOccupancy(context.Background(), func(n int) bool { return n == s.Occupancy() })
		if err != nil || n != 0 || time.Since(start) != 0 {
			t.Errorf("WaitOccupancy on a true condition = %d, %v after %v", n, err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.WaitOccupancy(ctx, is(1)); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, device.ErrTimeout) {
			t.Errorf("WaitOccupancy in an empty lane = %v, want the deadline alone", err)
		}
		if _, err := s.WaitOccupancy(ctx, nil); err == nil {
			t.Error("nil condition accepted")
		}
	})
}

func TestDoorCommandSuperseded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		errs := make(chan error)
		go func() { errs <- s.OpenDoor(ctx, Exit) }()
		time.Sleep(tm.open / 2)
		if s.DoorState(Exit) != Opening {
			t.Errorf("exit %s while opening", s.DoorState(Exit))
		}
		if err := s.CloseDoor(ctx, Exit); err != nil {
			t.Fatal(err)
		}
		if err := <-errs; err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("superseded OpenDoor = %v", err)
		}
		if s.DoorState(Exit) != Closed || s.Stats().ExitCycles != 0 {
			t.Errorf("exit %s, cycles %d: a door that never opened completed a cycle", s.DoorState(Exit), s.Stats().ExitCycles)
		}
		// Opening an open door returns at once.
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := s.OpenDoor(ctx, Entrance); err != nil || time.Since(start) != 0 {
			t.Errorf("re-opening an open door: %v after %v", err, time.Since(start))
		}
	})
}

func TestBothOpenCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		if err := s.OpenDoor(ctx, Exit); err != nil {
			t.Fatal(err)
		}
		if s.Stats().BothOpen != 1 {
			t.Errorf("BothOpen = %d, want 1", s.Stats().BothOpen)
		}
	})
}

func TestUnknownDoor(t *testing.T) {
	s, _ := newSim(t, 0)
	defer s.Close()
	for _, call := range []func(context.Context, Door) error{s.OpenDoor, s.CloseDoor} {
		if err := call(context.Background(), "side"); err == nil || !strings.Contains(err.Error(), `no door "side"`) {
			t.Errorf("unknown door: %v", err)
		}
	}
	if s.DoorState("side") != "" {
		t.Error("DoorState of an unknown door")
	}
}

func TestUnplugNeverOpensADoor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		ctx := context.Background()
		s.Unplug()
		err := s.OpenDoor(ctx, Exit)
		if !errors.Is(err, device.ErrDisconnected) || !strings.Contains(err.Error(), "gatectl sim-gatectl: open exit door") {
			t.Fatalf("OpenDoor while unplugged = %v", err)
		}
		time.Sleep(time.Minute)
		if s.DoorState(Exit) != Closed {
			t.Fatal("a door opened while the controller was unplugged")
		}
		if _, err := s.WaitOccupancy(ctx, is(0)); !errors.Is(err, device.ErrDisconnected) {
			t.Errorf("WaitOccupancy while unplugged = %v", err)
		}
		if h := s.Health(); h.State != device.StateDisconnected {
			t.Errorf("health %+v", h)
		}
		s.Replug()

		// Unplugged while a traveller walks in: the reading freezes, the
		// traveller does not.
		s.Enter()
		if err := s.OpenDoor(ctx, Entrance); err != nil {
			t.Fatal(err)
		}
		s.Unplug()
		time.Sleep(tm.walkIn * 2)
		if s.Occupancy() != 0 {
			t.Errorf("occupancy %d reported while unplugged, want the frozen 0", s.Occupancy())
		}
		s.Replug()
		if s.Occupancy() != 1 {
			t.Errorf("occupancy after Replug = %d, want 1", s.Occupancy())
		}
	})
}

func TestStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		s.Stall(true)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.OpenDoor(ctx, Entrance); !errors.Is(err, device.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("OpenDoor on a stalled controller = %v", err)
		}
		if s.DoorState(Entrance) != Closed {
			t.Error("a stalled controller moved a door")
		}
		// The stall ends while a command waits: it goes through.
		go func() {
			time.Sleep(time.Second)
			s.Stall(false)
		}()
		start := time.Now()
		if err := s.OpenDoor(context.Background(), Entrance); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Second+tm.open {
			t.Errorf("OpenDoor across a 1s stall took %v, want %v", got, time.Second+tm.open)
		}
	})
}

func TestCloseUnblocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		s.Enter()
		errs := make(chan error, 2)
		go func() { _, err := s.WaitOccupancy(context.Background(), is(5)); errs <- err }()
		go func() { errs <- s.OpenDoor(context.Background(), Entrance) }()
		time.Sleep(100 * time.Millisecond)
		s.Close()
		for range 2 {
			if err := <-errs; !errors.Is(err, device.ErrClosed) {
				t.Errorf("call across Close = %v, want ErrClosed", err)
			}
		}
		s.Enter()
		if err := s.CloseDoor(context.Background(), Entrance); !errors.Is(err, device.ErrClosed) {
			t.Errorf("CloseDoor after Close = %v", err)
		}
	})
}

func TestSpeedZeroAndHighSpeed(t *testing.T) {
	for _, speed := range []device.Speed{0, 1000} {
		s, _ := newSim(t, speed)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		for range 10 {
			s.Enter()
			crossing(t, ctx, s)
		}
		cancel()
		// 10 crossings are 64 s at speed 1; generous bound for a noisy machine.
		if time.Since(start) > 10*time.Second {
			t.Errorf("speed %v: 10 crossings took %v", speed, time.Since(start))
		}
		want := Stats{EntranceCycles: 10, ExitCycles: 10, Entered: 10, Exited: 10}
		if got := s.Stats(); got != want {
			t.Errorf("speed %v: stats %+v, want %+v", speed, got, want)
		}
		s.Close()
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _ := newSim(t, 0)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 { // watchers polling and waiting while crossings run
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.Occupancy()
				_ = s.Health()
				wctx, wcancel := context.WithTimeout(ctx, time.Millisecond)
				_, _ = s.WaitOccupancy(wctx, is(3))
				wcancel()
			}
		}()
	}
	for range 20 {
		s.Enter()
		crossing(t, ctx, s)
	}
	close(stop)
	wg.Wait()
	if st := s.Stats(); st.Entered != 20 || st.Exited != 20 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewSimRefusesOtherProfiles(t *testing.T) {
	if _, err := NewSim(testenv.ShippedProfile(t, "sim-docreader"), 1); err == nil || !strings.Contains(err.Error(), "describes a docreader, not a gatectl") {
		t.Errorf("docreader profile: %v", err)
	}
	p := testenv.ShippedProfile(t, "sim-gatectl")
	delete(p.Timing, "walk_in_ms")
	if _, err := NewSim(p, 1); err == nil || !strings.Contains(err.Error(), "timing.walk_in_ms: missing") {
		t.Errorf("profile without walk_in_ms: %v", err)
	}
}

package gatectl

import (
	"context"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/device/devsim"
)

// DoorState is a door's position.
type DoorState string

// Door positions.
const (
	Closed  DoorState = "closed"
	Opening DoorState = "opening"
	Open    DoorState = "open"
	Closing DoorState = "closing"
)

// Stats counts what happened in a simulated lane.
type Stats struct {
	EntranceCycles int // entrance open→closed cycles completed
	ExitCycles     int // exit open→closed cycles completed
	Entered        int // persons who walked into the lane
	Exited         int // persons who left through the exit
	Returned       int // persons who walked back out through the entrance
	Tailgaters     int // persons added with Tailgate
	BothOpen       int // times a door started opening while the other was not closed
}

type door struct {
	state   DoorState
	move    int  // movement count: a newer command supersedes an older one
	wasOpen bool // reached open since it last closed
	cycles  *int // the Stats counter of this door's cycles
}

// Sim is a simulated lane. The control side plays persons with Enter and
// Tailgate; they walk as the doors let them:
//
//   - a person at the entrance walks in (walk_in_ms) while the entrance is
//     open, unless someone inside is walking back out through it;
//   - while the exit is open, everyone inside walks out (walk_out_ms);
//   - when the entrance opens with persons inside (a return), they walk
//     back out through it (walk_out_ms).
//
// A walk once begun completes, whatever the doors do meanwhile (the doors'
// safety sensors do not close on a person). The sensor counts persons once
// they are inside and until they have left. Unplugging or stalling the
// controller does not stop the doors or the persons: only the reports stop,
// and the occupancy seen is the last one reported until the link is back.
type Sim struct {
	core                                 *devsim.Core
	openTime, closeTime, walkIn, walkOut time.Duration // at speed 1
	doors                                map[Door]*door

	waiting   int // at the entrance, waiting for it to open
	walkingIn int
	inside    int // standing in the lane
	leaving   int // walking out through the exit
	returning int // walking back out through the entrance
	reported  int // occupancy as the sensor last reported it
	sensorSeq int // changes of reported, for WaitOccupancy
	stats     Stats
}

var _ Controller = (*Sim)(nil)

// NewSim returns a simulated lane timed by profile p (kind "gatectl",
// driver "sim") at the given speed, both doors closed and nobody around.
func NewSim(p device.Profile, speed device.Speed) (*Sim, error) {
	core, err := devsim.New(device.KindGateCtl, p, speed)
	if err != nil {
		return nil, err
	}
	if err := devsim.CheckSettings(p); err != nil {
		return nil, err
	}
	s := &Sim{
		core:      core,
		openTime:  p.Delay("door_open_ms"),
		closeTime: p.Delay("door_close_ms"),
		walkIn:    p.Delay("walk_in_ms"),
		walkOut:   p.Delay("walk_out_ms"),
	}
	s.doors = map[Door]*door{
		Entrance: {state: Closed, cycles: &s.stats.EntranceCycles},
		Exit:     {state: Closed, cycles: &s.stats.ExitCycles},
	}
	core.OnLinkUp(s.sense)
	return s, nil
}

func (s *Sim) door(op string, d Door) (*door, error) {
	dr, ok := s.doors[d]
	if !ok {
		return nil, s.core.Errorf("%s: no door %q; a lane has %q and %q", op, d, Entrance, Exit)
	}
	return dr, nil
}

// OpenDoor opens door d and returns once it reports open (door_open_ms,
// scaled, from closed). A door already open returns at once. A CloseDoor
// of the same door before it is open makes OpenDoor fail.
func (s *Sim) OpenDoor(ctx context.Context, d Door) error {
	return s.moveDoor(ctx, d, Open)
}

// CloseDoor closes door d and returns once it reports closed
// (door_close_ms, scaled). An OpenDoor of the same door before it is
// closed makes CloseDoor fail.
func (s *Sim) CloseDoor(ctx context.Context, d Door) error {
	return s.moveDoor(ctx, d, Closed)
}

func (s *Sim) moveDoor(ctx context.Context, d Door, target DoorState) error {
	op := "open " + string(d) + " door"
	moving, took := Opening, s.openTime
	if target == Closed {
		op = "close " + string(d) + " door"
		moving, took = Closing, s.closeTime
	}
	s.core.Lock()
	defer s.core.Unlock()
	dr, err := s.door(op, d)
	if err != nil {
		return err
	}
	// The command reaches the controller only while it answers.
	if err := s.core.Await(ctx, op, func() bool { return true }); err != nil {
		return err
	}
	if dr.state != target && dr.state != moving {
		if target == Open && s.doors[s.other(d)].state != Closed {
			s.stats.BothOpen++
		}
		dr.state = moving
		dr.move++
		move := dr.move
		s.core.After(took, func() {
			if dr.move == move {
				s.reached(d, dr, target)
			}
		})
		s.core.Notify()
	}
	move := dr.move
	if err := s.core.Await(ctx, op, func() bool { return dr.state == target || dr.move != move }); err != nil {
		return err
	}
	if dr.state != target {
		return s.core.Errorf("%s: interrupted by a later command to the same door (now %s)", op, dr.state)
	}
	return nil
}

func (s *Sim) other(d Door) Door {
	if d == Entrance {
		return Exit
	}
	return Entrance
}

// reached records door d arriving at state (lock held).
func (s *Sim) reached(d Door, dr *door, state DoorState) {
	dr.state = state
	switch state {
	case Open:
		dr.wasOpen = true
		if d == Entrance {
			// Whoever is inside when the entrance opens is being sent back.
			for ; s.inside > 0; s.inside-- {
				s.returning++
				s.core.After(s.walkOut, func() {
					s.returning--
					s.stats.Returned++
					s.step()
				})
			}
		}
	case Closed:
		if dr.wasOpen {
			dr.wasOpen = false
			*dr.cycles++
		}
	}
	s.step()
}

// step starts the walks the doors now allow and updates the sensor (lock
// held).
func (s *Sim) step() {
	if s.doors[Exit].state == Open {
		for ; s.inside > 0; s.inside-- {
			s.leaving++
			s.core.After(s.walkOut, func() {
				s.leaving--
				s.stats.Exited++
				s.step()
			})
		}
	}
	if s.doors[Entrance].state == Open && s.returning == 0 {
		for ; s.waiting > 0; s.waiting-- {
			s.walkingIn++
			s.core.After(s.walkIn, func() {
				s.walkingIn--
				s.inside++
				s.stats.Entered++
				s.step()
			})
		}
	}
	s.sense()
}

// sense updates the reported occupancy while the controller answers
// (lock held).
func (s *Sim) sense() {
	if !s.core.LinkUp() {
		return
	}
	if n := s.inside + s.leaving + s.returning; n != s.reported {
		s.reported = n
		s.sensorSeq++
	}
}

// Occupancy is the number of persons in the lane as last reported.
func (s *Sim) Occupancy() int {
	s.core.Lock()
	defer s.core.Unlock()
	return s.reported
}

// WaitOccupancy blocks until cond holds for the reported occupancy, checked
// at once and then on each change of it.
func (s *Sim) WaitOccupancy(ctx context.Context, cond func(n int) bool) (int, error) {
	const op = "wait for occupancy"
	if cond == nil {
		return 0, s.core.Errorf("%s: nil condition", op)
	}
	s.core.Lock()
	defer s.core.Unlock()
	seen := s.sensorSeq - 1 // so the first check is immediate
	for {
		if err := s.core.Await(ctx, op, func() bool { return s.sensorSeq != seen }); err != nil {
			return s.reported, err
		}
		n := s.reported
		seen = s.sensorSeq
		s.core.Unlock()
		ok := cond(n)
		s.core.Lock()
		if ok {
			return n, nil
		}
	}
}

// Enter brings a traveller to the entrance; they walk in once it is open.
// Ignored after Close.
func (s *Sim) Enter() { s.arrive(false) }

// Tailgate brings a second person right behind the traveller: they walk in
// whenever the entrance is open, with or after the traveller. Ignored after
// Close.
func (s *Sim) Tailgate() { s.arrive(true) }

func (s *Sim) arrive(tailgater bool) {
	s.core.Lock()
	defer s.core.Unlock()
	if s.core.Closed() {
		return
	}
	s.waiting++
	if tailgater {
		s.stats.Tailgaters++
	}
	s.step()
	s.core.Notify()
}

// Waiting is the number of persons at the entrance who have not started
// walking in.
func (s *Sim) Waiting() int {
	s.core.Lock()
	defer s.core.Unlock()
	return s.waiting
}

// DoorState is door d's actual position (whatever the link does); "" for
// an unknown door.
func (s *Sim) DoorState(d Door) DoorState {
	s.core.Lock()
	defer s.core.Unlock()
	if dr, ok := s.doors[d]; ok {
		return dr.state
	}
	return ""
}

// Stats returns the lane's counters.
func (s *Sim) Stats() Stats {
	s.core.Lock()
	defer s.core.Unlock()
	return s.stats
}

// Health reports the controller's health.
func (s *Sim) Health() device.Health { return s.core.Health() }

// Close releases the controller: waiting calls return device.ErrClosed and
// the simulated doors and persons stop where they are.
func (s *Sim) Close() error { return s.core.Close() }

// Unplug simulates the controller's cable being pulled: calls fail with
// device.ErrDisconnected and the reported occupancy freezes until Replug.
func (s *Sim) Unplug() { s.core.Unplug() }

// Replug plugs the controller back in; the sensor reports the lane as it
// is now.
func (s *Sim) Replug() { s.core.Replug() }

// Stall makes the controller stop answering (true) or answer again (false).
func (s *Sim) Stall(on bool) { s.core.Stall(on) }

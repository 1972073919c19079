package devsim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"autogate/drivers/device"
)

// Firmware is the firmware version every simulator reports.
const Firmware = "sim-1.0"

// Driver is the profile device.driver value that selects a simulator.
const Driver = "sim"

// Core is the state every simulator shares: one mutex over the whole
// simulated device (the simulator's own fields included), the injected
// faults, health, and the timers of physical processes in flight.
//
// Methods marked "lock held" must be called between Lock and Unlock; the
// waiting ones release the lock while they wait, like sync.Cond.Wait.
type Core struct {
	name  string // "docreader sim-docreader", the prefix of every error
	speed device.Speed

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every state change
	closed    bool
	unplugged bool
	stalled   bool
	firmware  string // firmware mismatch detail, "" if none
	health    device.Health
	timers    map[*time.Timer]struct{}
	onLinkUp  func()
}

// New checks that p is a valid simulator profile of kind want and speed is
// usable, and returns the core of a simulator for it.
func New(want device.Kind, p device.Profile, speed device.Speed) (*Core, error) {
	if err := speed.Validate(); err != nil {
		return nil, fmt.Errorf("%s simulator: %w", want, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s simulator: invalid profile:\n%w", want, err)
	}
	if p.Device.Kind != want {
		return nil, fmt.Errorf("%s simulator: profile %s describes a %s, not a %s; use a %s profile from firmware-config/devices",
			want, p.Name(), p.Device.Kind, want, want)
	}
	if p.Device.Driver != Driver {
		return nil, fmt.Errorf("%s simulator: profile %s is for driver %q; a simulator needs driver = %q",
			want, p.Name(), p.Device.Driver, Driver)
	}
	c := &Core{
		name:    string(want) + " " + p.Name(),
		speed:   speed,
		changed: make(chan struct{}),
		timers:  map[*time.Timer]struct{}{},
	}
	if err := p.CheckFirmware(Firmware); err != nil {
		c.firmware = err.Error()
	}
	c.refreshHealth()
	return c, nil
}

// Name is the device's name in errors: kind and profile name.
func (c *Core) Name() string { return c.name }

// Lock locks the simulated device.
func (c *Core) Lock() { c.mu.Lock() }

// Unlock unlocks it.
func (c *Core) Unlock() { c.mu.Unlock() }

// Notify wakes every waiter to re-check its condition (lock held).
func (c *Core) Notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// OnLinkUp sets a function run (lock held) whenever the device answers
// again: after Replug, and after a stall ends.
func (c *Core) OnLinkUp(fn func()) {
	c.Lock()
	defer c.Unlock()
	c.onLinkUp = fn
}

// LinkUp reports whether the device answers: plugged, not stalled, not
// closed (lock held).
func (c *Core) LinkUp() bool { return !c.closed && !c.unplugged && !c.stalled }

// Closed reports whether Close has run (lock held).
func (c *Core) Closed() bool { return c.closed }

// Errorf returns an error prefixed with the device's name.
func (c *Core) Errorf(format string, args ...any) error {
	return fmt.Errorf(c.name+": "+format, args...)
}

// down returns the error for a device that cannot answer at all (lock held).
func (c *Core) down(op string) error {
	switch {
	case c.closed:
		return fmt.Errorf("%s: %s: %w", c.name, op, device.ErrClosed)
	case c.unplugged:
		return fmt.Errorf("%s: %s: %w; check its cable and power: calls work again once it is back", c.name, op, device.ErrDisconnected)
	}
	return nil
}

// Await blocks until ready() holds while the device answers (lock held;
// ready is called with the lock held). It fails at once, and wakes waiters,
// when the device is closed or unplugged. When ctx ends first it returns
// ctx's error, wrapped with ErrTimeout too if the device was stalled.
func (c *Core) Await(ctx context.Context, op string, ready func() bool) error {
	for {
		if err := c.down(op); err != nil {
			return err
		}
		if !c.stalled && ready() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			if c.stalled {
				return fmt.Errorf("%s: %s: %w: %w; power-cycle the device if this persists", c.name, op, device.ErrTimeout, err)
			}
			return fmt.Errorf("%s: %s: %w", c.name, op, err)
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-changed:
		}
		c.mu.Lock()
	}
}

// Pause lets d (at speed 1) of device time pass, then waits for the device
// to answer (lock held). Unplugging or closing the device cuts it short.
// At speed 0 it does not wait at all unless the device is stalled.
func (c *Core) Pause(ctx context.Context, op string, d time.Duration) error {
	d = c.speed.Scale(d)
	if d <= 0 {
		return c.Await(ctx, op, func() bool { return true })
	}
	elapsed := false
	t := time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		elapsed = true
		c.Notify()
	})
	defer t.Stop()
	return c.Await(ctx, op, func() bool { return elapsed })
}

// After runs fn (lock held) once d at speed 1 has passed, then notifies
// waiters: a physical process (a door moving, a person walking) that goes
// on whatever the link does, until Close (lock held).
func (c *Core) After(d time.Duration, fn func()) {
	if c.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(c.speed.Scale(d), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, live := c.timers[t]; !live {
			return // stopped by Close
		}
		delete(c.timers, t)
		fn()
		c.Notify()
	})
	c.timers[t] = struct{}{}
}

// Health reports the device's health.
func (c *Core) Health() device.Health {
	c.Lock()
	defer c.Unlock()
	return c.health
}

func (c *Core) refreshHealth() {
	state, detail := device.StateOK, ""
	switch {
	case c.closed:
		state, detail = device.StateFailed, "driver closed"
	case c.unplugged:
		state, detail = device.StateDisconnected, "unplugged: check the cable and power"
	case c.stalled:
		state, detail = device.StateFailed, "not answering: power-cycle the device if this persists"
	case c.firmware != "":
		state, detail = device.StateDegraded, c.firmware
	}
	if state != c.health.State || detail != c.health.Detail || c.health.Since.IsZero() {
		c.health = device.Health{State: state, Detail: detail, Since: time.Now()}
	}
}

// setFault changes a fault flag and tells everyone.
func (c *Core) setFault(flag *bool, on bool) {
	c.Lock()
	defer c.Unlock()
	if c.closed || *flag == on {
		return
	}
	*flag = on
	c.refreshHealth()
	if c.LinkUp() && c.onLinkUp != nil {
		c.onLinkUp()
	}
	c.Notify()
}

// Unplug simulates the device being unplugged: calls in flight and new
// calls fail with ErrDisconnected until Replug.
func (c *Core) Unplug() { c.setFault(&c.unplugged, true) }

// Replug plugs the device back in.
func (c *Core) Replug() { c.setFault(&c.unplugged, false) }

// Stall makes the device stop answering (true) or answer again (false):
// calls block until their context ends, then fail with ErrTimeout.
func (c *Core) Stall(on bool) { c.setFault(&c.stalled, on) }

// Close stops the device's physical processes and fails every waiting and
// later call with ErrClosed. It is idempotent.
func (c *Core) Close() error {
	c.Lock()
	defer c.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	for t := range c.timers {
		t.Stop()
	}
	clear(c.timers)
	c.refreshHealth()
	c.Notify()
	return nil
}

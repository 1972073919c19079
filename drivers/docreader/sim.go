package docreader

import (
	"context"
	"slices"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/device/devsim"
)

// Sim is a simulated document reader. The control side (a test, the
// border-post simulator) plays the traveller with Present.
type Sim struct {
	core      *devsim.Core
	readTime  time.Duration // place_ms + read_ms at speed 1
	queue     [][]string    // documents presented, not yet read
	busy      bool          // a Read is taking the head of the queue
	documents int           // documents read
}

var _ Reader = (*Sim)(nil)

// NewSim returns a simulated reader timed by profile p (kind "docreader",
// driver "sim") at the given speed.
func NewSim(p device.Profile, speed device.Speed) (*Sim, error) {
	core, err := devsim.New(device.KindDocReader, p, speed)
	if err != nil {
		return nil, err
	}
	if err := devsim.CheckSettings(p); err != nil {
		return nil, err
	}
	return &Sim{core: core, readTime: p.Delay("place_ms") + p.Delay("read_ms")}, nil
}

// Read waits for a presented document, then takes place_ms + read_ms
// (scaled) to read it. Reads are served one at a time, in the order the
// documents were presented. A document stays queued until a Read of it
// succeeds, so a read cut short by a fault or by ctx is not lost.
func (s *Sim) Read(ctx context.Context) (Document, error) {
	s.core.Lock()
	defer s.core.Unlock()
	err := s.core.Await(ctx, "read: waiting for a document", func() bool { return !s.busy && len(s.queue) > 0 })
	if err != nil {
		return Document{}, err
	}
	s.busy = true
	defer func() {
		s.busy = false
		s.core.Notify()
	}()
	if err := s.core.Pause(ctx, "read: reading the document", s.readTime); err != nil {
		return Document{}, err
	}
	lines := s.queue[0]
	s.queue = s.queue[1:]
	s.documents++
	return Document{Lines: lines, At: time.Now()}, nil
}

// Present queues a document, as a traveller placing it on the reader. The
// lines are copied; they need not be a valid MRZ (a reader emits what it
// saw). Ignored after Close.
func (s *Sim) Present(lines []string) {
	s.core.Lock()
	defer s.core.Unlock()
	if s.core.Closed() {
		return
	}
	s.queue = append(s.queue, slices.Clone(lines))
	s.core.Notify()
}

// Pending is the number of documents presented and not yet read.
func (s *Sim) Pending() int {
	s.core.Lock()
	defer s.core.Unlock()
	return len(s.queue)
}

// DocumentsRead is the number of documents read so far.
func (s *Sim) DocumentsRead() int {
	s.core.Lock()
	defer s.core.Unlock()
	return s.documents
}

// Health reports the reader's health.
func (s *Sim) Health() device.Health { return s.core.Health() }

// Close releases the reader; waiting Reads return device.ErrClosed.
func (s *Sim) Close() error { return s.core.Close() }

// Unplug simulates the reader's cable being pulled: Reads fail with
// device.ErrDisconnected until Replug. Presented documents stay queued.
func (s *Sim) Unplug() { s.core.Unplug() }

// Replug plugs the reader back in.
func (s *Sim) Replug() { s.core.Replug() }

// Stall makes the reader stop answering (true) or answer again (false).
func (s *Sim) Stall(on bool) { s.core.Stall(on) }

package fingerprint

import (
	"context"
	"image"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/device/devsim"
)

// Sim is a simulated fingerprint scanner. The control side plays the
// traveller's finger with Place.
type Sim struct {
	core        *devsim.Core
	captureTime time.Duration // at speed 1
	finger      *image.Gray   // on the platen; a private copy, nil if none
	busy        bool          // a Capture holds the scanner
	captures    int
}

var _ Scanner = (*Sim)(nil)

// NewSim returns a simulated scanner timed by profile p (kind
// "fingerprint", driver "sim") at the given speed.
func NewSim(p device.Profile, speed device.Speed) (*Sim, error) {
	core, err := devsim.New(device.KindFingerprint, p, speed)
	if err != nil {
		return nil, err
	}
	if err := devsim.CheckSettings(p); err != nil {
		return nil, err
	}
	return &Sim{core: core, captureTime: p.Delay("capture_ms")}, nil
}

// Capture waits for a finger, then takes capture_ms (scaled) to image it.
// If the finger is lifted before the image is taken it waits for the next
// one, as a scanner would. The traveller lifts the finger once it is
// captured: the next Capture needs a new Place. Captures are served one at
// a time.
func (s *Sim) Capture(ctx context.Context) (Impression, error) {
	s.core.Lock()
	defer s.core.Unlock()
	if err := s.core.Await(ctx, "capture: waiting for the scanner", func() bool { return !s.busy }); err != nil {
		return Impression{}, err
	}
	s.busy = true
	defer func() {
		s.busy = false
		s.core.Notify()
	}()
	for {
		if err := s.core.Await(ctx, "capture: waiting for a finger", func() bool { return s.finger != nil }); err != nil {
			return Impression{}, err
		}
		if err := s.core.Pause(ctx, "capture: imaging the finger", s.captureTime); err != nil {
			return Impression{}, err
		}
		if s.finger != nil {
			break
		}
	}
	img := s.finger
	s.finger = nil
	s.captures++
	return Impression{Image: img, At: time.Now()}, nil
}

// Place puts a finger with image img on the scanner (copied), replacing
// any finger there; Place(nil) lifts the finger. Ignored after Close.
func (s *Sim) Place(img *image.Gray) {
	var finger *image.Gray
	if img != nil && !img.Rect.Empty() {
		finger = cloneGray(img)
	}
	s.core.Lock()
	defer s.core.Unlock()
	if s.core.Closed() {
		return
	}
	s.finger = finger
	s.core.Notify()
}

// cloneGray copies img row by row, so the caller may reuse it.
func cloneGray(img *image.Gray) *image.Gray {
	out := image.NewGray(img.Rect)
	w := img.Rect.Dx()
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		src := img.PixOffset(img.Rect.Min.X, y)
		dst := out.PixOffset(out.Rect.Min.X, y)
		if src < 0 || src+w > len(img.Pix) {
			break // a malformed image: the rows that exist are copied, the rest stay black
		}
		copy(out.Pix[dst:dst+w], img.Pix[src:src+w])
	}
	return out
}

// FingerPlaced reports whether a finger is on the scanner.
func (s *Sim) FingerPlaced() bool {
	s.core.Lock()
	defer s.core.Unlock()
	return s.finger != nil
}

// Captures is the number of impressions captured so far.
func (s *Sim) Captures() int {
	s.core.Lock()
	defer s.core.Unlock()
	return s.captures
}

// Health reports the scanner's health.
func (s *Sim) Health() device.Health { return s.core.Health() }

// Close releases the scanner; a waiting Capture returns device.ErrClosed.
func (s *Sim) Close() error { return s.core.Close() }

// Unplug simulates the scanner's cable being pulled: Captures fail with
// device.ErrDisconnected until Replug.
func (s *Sim) Unplug() { s.core.Unplug() }

// Replug plugs the scanner back in.
func (s *Sim) Replug() { s.core.Replug() }

// Stall makes the scanner stop answering (true) or answer again (false).
func (s *Sim) Stall(on bool) { s.core.Stall(on) }

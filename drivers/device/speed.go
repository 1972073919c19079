package device

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Speed scales simulated delays: Speed(10) runs 10× faster than real time,
// Speed(1) in real time, Speed(0) removes delays altogether (no sleeping at
// all). Negative and NaN speeds are invalid: Validate refuses them and Scale
// treats them as 0.
type Speed float64

// Validate reports whether s is a usable speed factor.
func (s Speed) Validate() error {
	if math.IsNaN(float64(s)) || s < 0 {
		return fmt.Errorf("speed factor must be ≥ 0 (got %v): use 1 for real time, 0 for no delays", float64(s))
	}
	return nil
}

// Scale returns d as it lasts at speed s: d/s, 0 at speed 0 (or an invalid
// speed), saturating instead of overflowing at tiny speeds.
func (s Speed) Scale(d time.Duration) time.Duration {
	if d <= 0 || !(s > 0) || math.IsInf(float64(s), 1) {
		return 0
	}
	scaled := float64(d) / float64(s)
	if scaled >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(scaled)
}

// Sleep waits for d scaled by s, or until ctx ends, and returns ctx.Err() in
// that case. A zero scaled delay does not sleep; it returns ctx.Err() at once.
func (s Speed) Sleep(ctx context.Context, d time.Duration) error {
	d = s.Scale(d)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

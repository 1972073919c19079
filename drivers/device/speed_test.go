package device

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

func TestSpeedScale(t *testing.T) {
	cases := []struct {
		speed Speed
		in    time.Duration
		want  time.Duration
	}{
		{1, time.Second, time.Second},
		{10, time.Second, 100 * time.Millisecond},
		{0.5, time.Second, 2 * time.Second},
		{0, time.Hour, 0},
		{-1, time.Second, 0},
		{Speed(math.NaN()), time.Second, 0},
		{Speed(math.Inf(1)), time.Second, 0},
		{1e-300, time.Second, math.MaxInt64}, // saturates instead of overflowing
		{10, -time.Second, 0},
	}
	for _, c := range cases {
		if got := c.speed.Scale(c.in); got != c.want {
			t.Errorf("Speed(%v).Scale(%v) = %v, want %v", float64(c.speed), c.in, got, c.want)
		}
	}
}

func TestSpeedValidate(t *testing.T) {
	for _, ok := range []Speed{0, 1, 10, 1e6} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Speed(%v).Validate() = %v, want nil", float64(ok), err)
		}
	}
	for _, bad := range []Speed{-1, -0.001, Speed(math.NaN())} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Speed(%v).Validate() = nil, want an error", float64(bad))
		}
	}
}

func TestSpeedSleepScalesTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Speed(4).Sleep(context.Background(), 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 500*time.Millisecond {
			t.Errorf("Speed(4).Sleep(2s) took %v of simulated time, want 500ms", got)
		}
	})
}

func TestSpeedSleepHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := Speed(1).Sleep(ctx, time.Hour)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Sleep past the deadline = %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("Sleep returned after %v, want at the 1s deadline", got)
		}
	})
}

func TestSpeedZeroDoesNotSleep(t *testing.T) {
	start := time.Now()
	for range 1000 {
		if err := Speed(0).Sleep(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// Generous bound: 1000 hour-long sleeps at speed 0 must take no real time.
	if got := time.Since(start); got > 2*time.Second {
		t.Errorf("1000 × Speed(0).Sleep(1h) took %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Speed(0).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Speed(0).Sleep on a cancelled context = %v, want context.Canceled", err)
	}
}

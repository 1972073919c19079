package flow

import (
	"sync"
	"time"
)

// busyClock measures how long at least one device was busy, counting
// overlapping device calls once, so software time = wall time − device time.
type busyClock struct {
	mu     sync.Mutex
	active int
	since  time.Time
	total  time.Duration
}

func (b *busyClock) begin() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active == 0 {
		b.since = time.Now()
	}
	b.active++
}

func (b *busyClock) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if b.active == 0 {
		b.total += time.Since(b.since)
	}
}

// device runs one device call and counts its time.
func (b *busyClock) device(fn func() error) error {
	b.begin()
	defer b.end()
	return fn()
}

func (b *busyClock) busy() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.total
	if b.active > 0 {
		t += time.Since(b.since)
	}
	return t
}

package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Portrait hands the chip's portrait (DG2's face image) from the chip check
// to the face check while both run: the reference is decoded and embedded
// as soon as the chip has been read and verified, during the live capture.
// It is resolved once; later Sets are ignored.
type Portrait struct {
	once sync.Once
	done chan struct{}
	data []byte
	err  error
}

// NewPortrait returns an unresolved portrait.
func NewPortrait() *Portrait { return &Portrait{done: make(chan struct{})} }

// ErrNoPortrait wraps every reason there is no verified portrait.
var ErrNoPortrait = errors.New("no verified portrait")

// Set resolves the portrait: the image bytes of a portrait whose data group
// Passive Authentication verified, or why there is none.
func (p *Portrait) Set(data []byte, err error) {
	if p == nil {
		return
	}
	p.once.Do(func() {
		if err == nil && len(data) == 0 {
			err = errors.New("the chip holds no face image")
		}
		if err != nil {
			err = fmt.Errorf("%w: %v", ErrNoPortrait, err)
			data = nil
		}
		p.data, p.err = data, err
		close(p.done)
	})
}

// Wait returns the portrait once resolved, or ctx's error.
func (p *Portrait) Wait(ctx context.Context) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: this gate reads no chip", ErrNoPortrait)
	}
	select {
	case <-p.done:
		return p.data, p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: the chip was not read in time (%v)", ErrNoPortrait, ctx.Err())
	}
}

// resolved returns the portrait without waiting: ok when it is resolved
// with a verified image.
func (p *Portrait) resolved() (data []byte, ok bool) {
	if p == nil {
		return nil, false
	}
	select {
	case <-p.done:
		return p.data, p.err == nil
	default:
		return nil, false
	}
}

package fingerprint

import (
	"context"
	"image"
	"time"

	"autogate/drivers/device"
)

// Impression is one captured finger image and when it was taken.
type Impression struct {
	Image *image.Gray
	At    time.Time
}

// Scanner is a fingerprint scanner.
type Scanner interface {
	// Capture blocks until a finger is on the scanner and its image is
	// captured, or ctx ends. It fails with an error wrapping
	// device.ErrDisconnected (unplugged), device.ErrTimeout (not answering,
	// with ctx's error), device.ErrClosed, or ctx's error.
	Capture(ctx context.Context) (Impression, error)
	Health() device.Health
	// Close releases the scanner; a waiting Capture returns device.ErrClosed.
	Close() error
}

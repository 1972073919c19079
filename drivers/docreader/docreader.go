package docreader

import (
	"context"
	"time"

	"autogate/drivers/device"
)

// Document is one read: the MRZ lines as the reader emitted them, and when.
type Document struct {
	Lines []string
	At    time.Time
}

// Reader is a travel-document reader.
type Reader interface {
	// Read blocks until a document is placed and read, or ctx ends. It
	// fails with an error wrapping device.ErrDisconnected when the reader is
	// unplugged, device.ErrTimeout (with ctx's error) when it stopped
	// answering, device.ErrClosed after Close; otherwise, when ctx ends
	// first, with ctx's error.
	Read(ctx context.Context) (Document, error)
	Health() device.Health
	// Close releases the reader; waiting Reads return device.ErrClosed.
	Close() error
}

package camera

import (
	"context"
	"image"
	"time"

	"autogate/drivers/device"
)

// Frame is one picture from the camera and when it was taken. The image
// must be treated as read-only: a driver may hand the same image out in
// several frames.
type Frame struct {
	Image image.Image
	At    time.Time
}

// Camera is a face camera.
type Camera interface {
	// Capture returns n (≥ 1) consecutive frames, waiting for the camera to
	// warm up first if it must. It fails with an error wrapping
	// device.ErrDisconnected (unplugged), device.ErrTimeout (not answering,
	// with ctx's error), device.ErrClosed, or ctx's error; frames taken
	// before a failure are dropped.
	Capture(ctx context.Context, n int) ([]Frame, error)
	Health() device.Health
	// Close releases the camera; waiting Captures return device.ErrClosed.
	Close() error
}

package gatectl

import (
	"context"

	"autogate/drivers/device"
)

// Door is one of the lane's two doors.
type Door string

// The lane's doors.
const (
	Entrance Door = "entrance"
	Exit     Door = "exit"
)

// Controller is a lane's door controller and presence sensor.
//
// Calls fail with an error wrapping device.ErrDisconnected (unplugged),
// device.ErrTimeout (not answering, with ctx's error), device.ErrClosed, or
// ctx's error. A door command that fails may or may not have reached the
// controller: after an error, command the position wanted again.
type Controller interface {
	// OpenDoor returns once the door reports open.
	OpenDoor(ctx context.Context, d Door) error
	// CloseDoor returns once the door reports closed.
	CloseDoor(ctx context.Context, d Door) error
	// Occupancy is the number of persons in the lane as the sensor last
	// reported it (stale while the controller is not answering: check
	// Health).
	Occupancy() int
	// WaitOccupancy blocks until cond(occupancy) holds, checked at once and
	// then on each change, and returns that occupancy. cond runs without
	// any lock held.
	WaitOccupancy(ctx context.Context, cond func(n int) bool) (int, error)
	Health() device.Health
	// Close releases the controller; waiting calls return device.ErrClosed.
	// The doors stay where they are.
	Close() error
}

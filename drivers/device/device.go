package device

import (
	"errors"
	"time"
)

// State is a device's health as its driver sees it.
type State string

// Health states, from best to worst.
const (
	StateOK State = "ok"
	// StateDegraded: the device works but an operator should look at it
	// (for example its firmware is not the one the profile expects).
	StateDegraded State = "degraded"
	// StateDisconnected: the device is gone (cable, power, USB); the driver
	// resumes when it is back.
	StateDisconnected State = "disconnected"
	// StateFailed: the device is present but unusable: it stopped answering,
	// or its driver was closed.
	StateFailed State = "failed"
)

// Health is a device's state, a human-readable detail and when the state
// last changed.
type Health struct {
	State  State
	Detail string
	Since  time.Time
}

// Usable reports whether calls to the device can be expected to succeed.
func (h Health) Usable() bool { return h.State == StateOK || h.State == StateDegraded }

// Errors every driver wraps with the device's name and a hint, so that
// errors.Is works whatever the device.
var (
	// ErrDisconnected: the device is unplugged or powered off.
	ErrDisconnected = errors.New("device disconnected")
	// ErrTimeout: the device is connected but did not answer in time.
	ErrTimeout = errors.New("device not answering")
	// ErrClosed: the driver was closed; calls after Close, and calls that
	// were waiting when Close ran, return it.
	ErrClosed = errors.New("driver closed")
)

// Kind is a device family; it names the package that drives it.
type Kind string

// Device kinds.
const (
	KindDocReader   Kind = "docreader"
	KindCamera      Kind = "camera"
	KindFingerprint Kind = "fingerprint"
	KindGateCtl     Kind = "gatectl"
	KindChipReader  Kind = "chipreader"
)

// Kinds lists every device kind, in a fixed order.
func Kinds() []Kind {
	return []Kind{KindDocReader, KindCamera, KindFingerprint, KindGateCtl, KindChipReader}
}

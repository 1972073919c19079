// Package devsim is the machinery the device simulators share: one lock over
// a simulated device, waiting that honours a context and wakes on every state
// change, delays scaled by the speed factor, the physical processes in flight
// (a door moving, a person walking), and fault injection — Unplug, Replug,
// Stall — reflected in the device's health and errors.
//
// Simulators validate their profile with New, which refuses a profile of
// another kind or driver, and report firmware Firmware: a profile expecting
// another version leaves the device working but degraded, as a real driver
// would report a firmware mismatch.
package devsim

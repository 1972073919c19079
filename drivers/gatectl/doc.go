// Package gatectl drives an e-gate lane: a two-door mantrap with an entrance
// door, an exit door and a presence sensor counting the persons inside
// (0 empty, 1 one traveller, 2 or more tailgating). The agent opens the
// entrance for one traveller, closes it once the sensor counts exactly one
// person, and opens the exit on a pass — or the entrance again to send the
// traveller back — as the Frontex best-practice guidelines for ABC systems
// describe (one traveller at a time, tailgating detected and refused).
//
// Door commands return once the door reports the new position; occupancy
// changes are events the agent waits for with WaitOccupancy.
//
// Controller is what the agent uses. Sim is a simulator behind it, timed by
// a device profile (firmware-config/devices/sim-gatectl.toml: door_open_ms,
// door_close_ms, walk_in_ms, walk_out_ms), with a control side that plays
// travellers walking through. Real door controllers (digital I/O or RS-485)
// come later behind the same interface.
package gatectl

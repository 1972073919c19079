// Package device holds what every autogate device driver shares: the health
// states a driver reports, the errors it wraps, the speed factor that scales a
// simulator's delays, and device profiles — the TOML files in
// firmware-config/devices that describe one reader, camera, scanner or door
// controller model (timings, settings applied at start, expected firmware).
//
// Errors: drivers wrap ErrDisconnected, ErrTimeout and ErrClosed with the
// device's name and what to do, so callers test them with errors.Is and show
// the message to an operator as it is.
//
// Profile file layout (strict: unknown keys and wrong types are errors):
//
//	[device]
//	kind = "docreader"      # docreader | camera | fingerprint | gatectl
//	model = "autogate-sim"  # manufacturer/model the profile describes
//	driver = "sim"          # driver implementation ("sim"; real drivers later)
//	firmware = ""           # firmware version expected ("" = don't check)
//
//	[timing]                # whole milliseconds at speed 1, 0 ≤ t ≤ 600000
//	place_ms = 1000         # keys depend on kind, see TimingKeys
//
//	[settings]              # applied to the device at start: key = string,
//	                        # integer, float or boolean; each driver names
//	                        # the settings it understands
//
// This package only describes devices; the simulators' shared machinery is in
// the devsim subpackage.
package device

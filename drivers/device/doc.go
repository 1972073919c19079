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
//	driver = "sim"          # driver implementation: "sim", "serial" or "serial-sim"
//	firmware = ""           # firmware version expected ("" = don't check)
//
//	[timing]                # whole milliseconds at speed 1, 0 ≤ t ≤ 600000
//	place_ms = 1000         # keys depend on kind, see TimingKeys
//
//	[settings]              # applied to the device at start: key = string,
//	                        # integer, float or boolean; each driver names
//	                        # the settings it understands
//
// Drivers: "sim" runs the kind's in-process simulator, which checks its own
// settings. "serial" reads a document reader on a serial port (RS-232 or
// USB-CDC) named by the gate file; "serial-sim" runs the same serial driver
// against a simulated reader on a pseudo-terminal. Both serial drivers are for
// kind docreader only and take these settings, checked here (Serial returns
// them typed):
//
//	framing = "rte-native"       # required: "rte-native" (3M RTE6701) or "access-is"
//	baud = 9600                  # required: 1200 … 230400
//	data_bits = 8                # 7 or 8 (default 8)
//	parity = "none"              # none | odd | even (default none)
//	stop_bits = 1                # 1 or 2 (default 1)
//	inter_byte_timeout_ms = 100  # 10–5000: a frame silent this long is dropped
//
// This package only describes devices; the simulators' shared machinery is in
// the devsim subpackage.
package device

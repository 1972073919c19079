package device

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Driver names a profile's device.driver may hold.
const (
	// DriverSim selects a device's in-process simulator.
	DriverSim = "sim"
	// DriverSerial selects a real document reader on a serial port (RS-232
	// or USB-CDC); the gate file names the port.
	DriverSerial = "serial"
	// DriverSerialSim selects the serial driver talking to a simulated
	// reader on a pseudo-terminal started in-process: the real driver code,
	// no hardware.
	DriverSerialSim = "serial-sim"
	// DriverPCSC selects a contactless chip reader through pcscd; the gate
	// file's port names the reader (or part of its name).
	DriverPCSC = "pcsc"
	// DriverVPCDSim selects the PC/SC driver reading virtual chips that are
	// plugged into pcscd through vsmartcard's vpcd: the real PC/SC stack,
	// no hardware.
	DriverVPCDSim = "vpcd-sim"
	// DriverV4L2 selects a real face camera through V4L2 (USB/UVC), read
	// with pion/mediadevices' camera driver; settings.device names it.
	DriverV4L2 = "v4l2"
)

// Framings of serial document readers: the byte protocol the reader emits
// (see drivers/docreader for each one's exact layout).
const (
	// FramingRTENative is the 3M RTE6701 "RTE Native" block.
	FramingRTENative = "rte-native"
	// FramingAccessIS is the Access-IS OCR reader framing.
	FramingAccessIS = "access-is"
)

// Framings lists the serial framings a profile may name.
func Framings() []string { return []string{FramingRTENative, FramingAccessIS} }

// SerialConfig is a serial driver's [settings]: the line parameters of the
// port and the framing of the reader's output.
type SerialConfig struct {
	Framing  string // FramingRTENative or FramingAccessIS
	Baud     int    // bits per second
	DataBits int    // 7 or 8
	Parity   string // "none", "odd" or "even"
	StopBits int    // 1 or 2
	// InterByteTimeout is the longest silence inside a frame: a frame still
	// incomplete after it is dropped as cut short.
	InterByteTimeout time.Duration
}

// serialSetting is one key of a serial driver's [settings].
type serialSetting struct {
	key      string
	required bool
	// check returns the problem with v ("" if none) and stores the value.
	check func(v any, c *SerialConfig) string
}

// serialBauds are the standard rates serial OCR readers offer.
var serialBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}

// Bounds of inter_byte_timeout_ms: below 10 ms a loaded host's scheduling
// jitter alone would cut frames; above 5 s a reader that stopped mid-frame
// would hold the lane for too long.
const (
	minInterByteMS = 10
	maxInterByteMS = 5000
)

func intSetting(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

func oneOf(v any, kind string, allowed []int64, store func(int64)) string {
	n, ok := intSetting(v)
	if !ok {
		return fmt.Sprintf("must be an integer (got %s)", describe(v))
	}
	if !slices.Contains(allowed, n) {
		words := make([]string, len(allowed))
		for i, a := range allowed {
			words[i] = strconv.FormatInt(a, 10)
		}
		return fmt.Sprintf("%s %d is not supported; use one of %s", kind, n, strings.Join(words, ", "))
	}
	store(n)
	return ""
}

func stringOneOf(v any, allowed []string, store func(string)) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("must be a string (got %s)", describe(v))
	}
	if !slices.Contains(allowed, s) {
		return fmt.Sprintf("%q is not one of %s", s, strings.Join(allowed, ", "))
	}
	store(s)
	return ""
}

var serialSettings = []serialSetting{
	{key: "framing", required: true, check: func(v any, c *SerialConfig) string {
		return stringOneOf(v, Framings(), func(s string) { c.Framing = s })
	}},
	{key: "baud", required: true, check: func(v any, c *SerialConfig) string {
		allowed := make([]int64, len(serialBauds))
		for i, b := range serialBauds {
			allowed[i] = int64(b)
		}
		return oneOf(v, "baud rate", allowed, func(n int64) { c.Baud = int(n) })
	}},
	{key: "data_bits", check: func(v any, c *SerialConfig) string {
		return oneOf(v, "data bits", []int64{7, 8}, func(n int64) { c.DataBits = int(n) })
	}},
	{key: "parity", check: func(v any, c *SerialConfig) string {
		return stringOneOf(v, []string{"none", "odd", "even"}, func(s string) { c.Parity = s })
	}},
	{key: "stop_bits", check: func(v any, c *SerialConfig) string {
		return oneOf(v, "stop bits", []int64{1, 2}, func(n int64) { c.StopBits = int(n) })
	}},
	{key: "inter_byte_timeout_ms", check: func(v any, c *SerialConfig) string {
		n, ok := intSetting(v)
		if !ok {
			return fmt.Sprintf("must be a whole number of milliseconds (got %s)", describe(v))
		}
		if n < minInterByteMS || n > maxInterByteMS {
			return fmt.Sprintf("must be between %d and %d milliseconds (got %d)", minInterByteMS, maxInterByteMS, n)
		}
		c.InterByteTimeout = time.Duration(n) * time.Millisecond
		return ""
	}},
}

func serialKeys() []string {
	keys := make([]string, len(serialSettings))
	for i, s := range serialSettings {
		keys[i] = s.key
	}
	return keys
}

// isSerialDriver reports whether driver reads a serial port.
func isSerialDriver(driver string) bool {
	return driver == DriverSerial || driver == DriverSerialSim
}

// serialProblems checks the [settings] of a serial-driver profile: every
// known key's type and range, every required key's presence, no unknown key.
func (p Profile) serialProblems(fail func(key, format string, args ...any)) SerialConfig {
	c := SerialConfig{DataBits: 8, Parity: "none", StopBits: 1, InterByteTimeout: 100 * time.Millisecond}
	for _, s := range serialSettings {
		v, ok := p.Settings[s.key]
		key := keyPath([]string{"settings", s.key})
		switch {
		case !ok && s.required:
			fail(key, "missing; a %s profile needs %s", p.Device.Driver, s.key)
		case ok:
			if problem := s.check(v, &c); problem != "" {
				fail(key, "%s", problem)
			}
		}
	}
	for _, k := range sortedKeys(p.Settings) {
		if !slices.Contains(serialKeys(), k) {
			fail(keyPath([]string{"settings", k}), "unknown setting; a %s profile takes %s", p.Device.Driver, strings.Join(serialKeys(), ", "))
		}
	}
	return c
}

// Serial returns the serial line parameters and framing of a profile whose
// driver is DriverSerial or DriverSerialSim, with defaults filled in (8 data
// bits, no parity, 1 stop bit, 100 ms inter-byte timeout). The error names
// every bad setting.
func (p Profile) Serial() (SerialConfig, error) {
	if !isSerialDriver(p.Device.Driver) {
		return SerialConfig{}, fmt.Errorf("profile %s: driver %q does not use a serial port (want %q or %q)",
			p.Name(), p.Device.Driver, DriverSerial, DriverSerialSim)
	}
	if err := p.Validate(); err != nil {
		return SerialConfig{}, err
	}
	return p.serialProblems(func(string, string, ...any) {}), nil
}

// FrameTime is how long one byte takes on the line: start bit, data bits,
// parity bit and stop bits at the baud rate.
func (c SerialConfig) FrameTime() time.Duration {
	if c.Baud <= 0 {
		return 0
	}
	bits := 1 + c.DataBits + c.StopBits
	if c.Parity != "none" && c.Parity != "" {
		bits++
	}
	return time.Duration(bits) * time.Second / time.Duration(c.Baud)
}

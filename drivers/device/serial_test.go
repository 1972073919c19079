package device

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const serialHead = "[device]\nkind = \"docreader\"\nmodel = \"3M RTE6701\"\ndriver = \"serial\"\n[timing]\nplace_ms = 1000\nread_ms = 500\n"

func TestSerialSettingsDefaults(t *testing.T) {
	path := writeProfile(t, serialHead+"[settings]\nframing = \"rte-native\"\nbaud = 9600\n")
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Serial()
	if err != nil {
		t.Fatal(err)
	}
	want := SerialConfig{Framing: FramingRTENative, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1, InterByteTimeout: 100 * time.Millisecond}
	if c != want {
		t.Errorf("Serial() = %+v, want %+v", c, want)
	}
	// 8N1: ten bits a byte.
	if got := c.FrameTime(); got != time.Second/960 {
		t.Errorf("FrameTime at 9600 8N1 = %v, want %v", got, time.Second/960)
	}
	c.Parity, c.StopBits, c.DataBits = "even", 2, 7
	if got := c.FrameTime(); got != 11*time.Second/9600 {
		t.Errorf("FrameTime at 9600 7E2 = %v, want 11 bits", got)
	}
}

func TestSerialSettingsAllGiven(t *testing.T) {
	path := writeProfile(t, serialHead+"[settings]\nframing = \"access-is\"\nbaud = 115200\ndata_bits = 7\nparity = \"even\"\nstop_bits = 2\ninter_byte_timeout_ms = 250\n")
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Serial()
	want := SerialConfig{Framing: FramingAccessIS, Baud: 115200, DataBits: 7, Parity: "even", StopBits: 2, InterByteTimeout: 250 * time.Millisecond}
	if err != nil || c != want {
		t.Errorf("Serial() = %+v, %v; want %+v", c, err, want)
	}
}

func TestSerialSettingsNameEveryBadField(t *testing.T) {
	path := writeProfile(t, serialHead+"[settings]\nbaud = 9601\ndata_bits = \"8\"\nparity = \"mark\"\nstop_bits = 3\ninter_byte_timeout_ms = 1\nflow_control = true\n")
	_, err := LoadProfile(path)
	lines := problemLines(t, path, err)
	want := []string{
		"settings.framing: missing; a serial profile needs framing",
		"settings.baud: baud rate 9601 is not supported; use one of 1200, 2400",
		`settings.data_bits: must be an integer (got string "8")`,
		`settings.parity: "mark" is not one of none, odd, even`,
		"settings.stop_bits: stop bits 3 is not supported; use one of 1, 2",
		"settings.inter_byte_timeout_ms: must be between 10 and 5000 milliseconds (got 1)",
		"settings.flow_control: unknown setting; a serial profile takes framing, baud, data_bits, parity, stop_bits, inter_byte_timeout_ms",
	}
	for _, w := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("no problem line contains %q:\n%v", w, err)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
}

func TestSerialDriverOnlyForDocReaders(t *testing.T) {
	path := writeProfile(t, "[device]\nkind = \"fingerprint\"\nmodel = \"m\"\ndriver = \"serial-sim\"\n[timing]\ncapture_ms = 1\n[settings]\nframing = \"rte-native\"\nbaud = 9600\n")
	_, err := LoadProfile(path)
	lines := problemLines(t, path, err)
	if len(lines) != 1 || !strings.Contains(lines[0], `device.driver: driver "serial-sim" drives document readers only`) {
		t.Errorf("serial driver on a fingerprint scanner: %v", err)
	}
}

func TestUnknownDriverListsSerialDrivers(t *testing.T) {
	path := writeProfile(t, "[device]\nkind = \"docreader\"\nmodel = \"m\"\ndriver = \"usb\"\n[timing]\nplace_ms = 1\nread_ms = 1\n")
	_, err := LoadProfile(path)
	lines := problemLines(t, path, err)
	if len(lines) != 1 || !strings.Contains(lines[0], `unknown driver "usb"; known drivers: sim, serial, serial-sim`) {
		t.Errorf("unknown driver: %v", err)
	}
}

func TestSerialOnAnotherDriver(t *testing.T) {
	p := Profile{Device: DeviceInfo{Kind: KindDocReader, Model: "m", Driver: DriverSim},
		Timing: map[string]int64{"place_ms": 1, "read_ms": 1}}
	if _, err := p.Serial(); err == nil || !strings.Contains(err.Error(), `driver "sim" does not use a serial port`) {
		t.Errorf("Serial() on a sim profile = %v", err)
	}
	p.Device.Driver = DriverSerial
	p.Settings = map[string]any{"framing": "rte-native"}
	if _, err := p.Serial(); err == nil || !strings.Contains(err.Error(), "settings.baud: missing") {
		t.Errorf("Serial() without baud = %v", err)
	}
}

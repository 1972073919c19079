package device

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// MaxTimingMS bounds every timing: ten minutes. A larger value is almost
// always seconds written as milliseconds' worth of digits, or a typo.
const MaxTimingMS = 600_000

// maxProfileBytes bounds a profile file; real ones are a few hundred bytes.
const maxProfileBytes = 1 << 20

// drivers names the driver implementations a profile may select.
var drivers = []string{DriverSim, DriverSerial, DriverSerialSim, DriverPCSC, DriverVPCDSim, DriverV4L2}

// timingKeys lists, per kind, the [timing] keys a profile must have.
var timingKeys = map[Kind][]string{
	KindDocReader:   {"place_ms", "read_ms"},
	KindCamera:      {"warmup_ms", "frame_ms"},
	KindFingerprint: {"capture_ms"},
	KindGateCtl:     {"door_open_ms", "door_close_ms", "walk_in_ms", "walk_out_ms"},
	// Chip readers: activating the chip in the field, and the fixed cost of
	// one command/response exchange (frame delays, the reader's firmware);
	// the bytes' own time comes from settings.bit_rate_kbps.
	KindChipReader: {"activation_ms", "exchange_ms"},
}

// TimingKeys returns the [timing] keys a profile of kind k must have (and
// the only ones it may have), or nil for an unknown kind.
func TimingKeys(k Kind) []string { return slices.Clone(timingKeys[k]) }

// Profile is one device profile file.
type Profile struct {
	// Path is the file the profile was loaded from ("" when built in code);
	// errors and device names use it.
	Path     string           `toml:"-"`
	Device   DeviceInfo       `toml:"device"`
	Timing   map[string]int64 `toml:"timing"`   // milliseconds at speed 1, keys per TimingKeys
	Settings map[string]any   `toml:"settings"` // string, int64/int, float64 or bool values
}

// DeviceInfo is a profile's [device] table.
type DeviceInfo struct {
	Kind     Kind   `toml:"kind"`
	Model    string `toml:"model"`    // manufacturer/model the profile describes
	Driver   string `toml:"driver"`   // driver implementation, e.g. "sim"
	Firmware string `toml:"firmware"` // firmware version expected; "" = don't check
}

// Name names the profile for messages and device names: the file name
// without ".toml", else the model.
func (p Profile) Name() string {
	if p.Path != "" {
		return strings.TrimSuffix(filepath.Base(p.Path), ".toml")
	}
	if p.Device.Model != "" {
		return p.Device.Model
	}
	return "(unnamed profile)"
}

// Delay returns timing key as a duration at speed 1 (0 if absent; Validate
// guarantees every key of the profile's kind is present).
func (p Profile) Delay(key string) time.Duration {
	return time.Duration(p.Timing[key]) * time.Millisecond
}

// CheckFirmware compares the firmware a device reports with the one the
// profile expects; nil when they match or the profile does not say.
func (p Profile) CheckFirmware(reported string) error {
	if p.Device.Firmware == "" || p.Device.Firmware == reported {
		return nil
	}
	return fmt.Errorf("%s %s reports firmware %q but profile %s expects %q: update the device's firmware or the profile's device.firmware",
		p.Device.Kind, p.Name(), reported, p.Name(), p.Device.Firmware)
}

// FieldError is one problem in a profile: the file, the TOML key path
// (empty for syntax errors) and what is wrong.
type FieldError struct {
	File    string
	Key     string
	Problem string
}

func (e *FieldError) Error() string {
	if e.Key == "" {
		return e.File + ": " + e.Problem
	}
	return e.File + ": " + e.Key + ": " + e.Problem
}

// LoadProfile reads and validates one profile file. The error lists every
// bad field, one per line, as "file: key.path: problem".
func LoadProfile(path string) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Profile{}, fmt.Errorf("device profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxProfileBytes+1))
	if err != nil {
		return Profile{}, fmt.Errorf("device profile %s: %w", path, err)
	}
	if len(data) > maxProfileBytes {
		return Profile{}, fmt.Errorf("device profile %s: larger than %d bytes; is it the right file?", path, maxProfileBytes)
	}
	return ParseProfile(path, data)
}

// rawProfile mirrors Profile with untyped leaves, so a decode reports every
// unknown key (DisallowUnknownFields) and leaves type checks to us: we then
// report every wrongly typed field, not just the first.
type rawProfile struct {
	Device struct {
		Kind     any `toml:"kind"`
		Model    any `toml:"model"`
		Driver   any `toml:"driver"`
		Firmware any `toml:"firmware"`
	} `toml:"device"`
	Timing   map[string]any `toml:"timing"`
	Settings map[string]any `toml:"settings"`
}

// ParseProfile parses and validates profile bytes; file names the source
// in errors and becomes Profile.Path.
func ParseProfile(file string, data []byte) (Profile, error) {
	fail := func(key, format string, args ...any) *FieldError {
		return &FieldError{File: file, Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	var raw rawProfile
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&raw)
	var problems []*FieldError
	var unknown *toml.StrictMissingError
	var decodeErr *toml.DecodeError
	switch {
	case err == nil:
	case errors.As(err, &unknown):
		// The rest of the document was decoded: go on and check it too.
		for i := range unknown.Errors {
			problems = append(problems, unknownKey(file, &unknown.Errors[i]))
		}
	case errors.As(err, &decodeErr):
		// A syntax error, or a section that is not a table: nothing
		// further can be read reliably.
		line, col := decodeErr.Position()
		key := keyPath(decodeErr.Key())
		if len(decodeErr.Key()) == 1 && slices.Contains([]string{"device", "timing", "settings"}, key) {
			return Profile{}, errors.Join(fail(key, "must be a table, written [%s] (line %d)", key, line))
		}
		return Profile{}, errors.Join(fail(key, "line %d, column %d: %s", line, col, strings.TrimPrefix(decodeErr.Error(), "toml: ")))
	default:
		return Profile{}, errors.Join(fail("", "%v", err))
	}

	p := Profile{Path: file}
	badType := map[string]bool{} // keys already reported, so Validate doesn't repeat them
	str := func(v any, key string) string {
		switch v := v.(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			problems = append(problems, fail(key, "must be a string (got %s)", describe(v)))
			badType[key] = true
			return ""
		}
	}
	p.Device.Kind = Kind(str(raw.Device.Kind, "device.kind"))
	p.Device.Model = str(raw.Device.Model, "device.model")
	p.Device.Driver = str(raw.Device.Driver, "device.driver")
	p.Device.Firmware = str(raw.Device.Firmware, "device.firmware")

	p.Timing = make(map[string]int64, len(raw.Timing))
	for _, k := range sortedKeys(raw.Timing) {
		key := keyPath([]string{"timing", k})
		if ms, ok := raw.Timing[k].(int64); ok {
			p.Timing[k] = ms
		} else {
			problems = append(problems, fail(key, "must be a whole number of milliseconds (got %s)", describe(raw.Timing[k])))
			badType[key] = true
			p.Timing[k] = 0 // keep the key so Validate doesn't call it missing
		}
	}
	p.Settings = raw.Settings
	if p.Settings == nil {
		p.Settings = map[string]any{}
	}

	for _, fe := range p.problems() {
		if !badType[fe.Key] {
			problems = append(problems, fe)
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool {
			ri, rj := sectionRank(problems[i].Key), sectionRank(problems[j].Key)
			return ri < rj || ri == rj && ri > 0 && problems[i].Key < problems[j].Key
		})
		errs := make([]error, len(problems))
		for i, fe := range problems {
			errs[i] = fe
		}
		return Profile{}, errors.Join(errs...)
	}
	return p, nil
}

// unknownKey turns go-toml's strict-mode report into a FieldError that says
// what the section does take.
func unknownKey(file string, e *toml.DecodeError) *FieldError {
	key := e.Key()
	line, _ := e.Position()
	what := "key"
	if strings.Contains(e.Error(), "table") {
		what = "table"
	}
	hint := "a profile has the tables [device], [timing] and [settings]"
	if len(key) > 1 && key[0] == "device" {
		hint = "[device] takes kind, model, driver and firmware"
	}
	return &FieldError{File: file, Key: keyPath(key), Problem: fmt.Sprintf("unknown %s (line %d); %s", what, line, hint)}
}

// Validate checks a profile's values (as LoadProfile does after decoding),
// for profiles built in code. The error lists every bad field.
func (p Profile) Validate() error {
	problems := p.problems()
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, fe := range problems {
		errs[i] = fe
	}
	return errors.Join(errs...)
}

func (p Profile) problems() []*FieldError {
	file := p.Path
	if file == "" {
		file = "device profile " + p.Name()
	}
	var out []*FieldError
	fail := func(key, format string, args ...any) {
		out = append(out, &FieldError{File: file, Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	kinds := make([]string, 0, 4)
	for _, k := range Kinds() {
		kinds = append(kinds, string(k))
	}
	kindOK := false
	switch {
	case p.Device.Kind == "":
		fail("device.kind", "missing; one of %s", strings.Join(kinds, ", "))
	case timingKeys[p.Device.Kind] == nil:
		fail("device.kind", "must be one of %s (got %q)", strings.Join(kinds, ", "), p.Device.Kind)
	default:
		kindOK = true
	}
	if p.Device.Model == "" {
		fail("device.model", "missing; name the manufacturer and model this profile describes")
	}
	switch {
	case p.Device.Driver == "":
		fail("device.driver", "missing; one of %s", strings.Join(drivers, ", "))
	case !slices.Contains(drivers, p.Device.Driver):
		fail("device.driver", "unknown driver %q; known drivers: %s", p.Device.Driver, strings.Join(drivers, ", "))
	}

	want := timingKeys[p.Device.Kind]
	if kindOK {
		for _, k := range want {
			if _, ok := p.Timing[k]; !ok {
				fail(keyPath([]string{"timing", k}), "missing; a %s profile needs %s", p.Device.Kind, strings.Join(want, ", "))
			}
		}
	}
	for _, k := range sortedKeys(p.Timing) {
		key := keyPath([]string{"timing", k})
		ms := p.Timing[k]
		if kindOK && !slices.Contains(want, k) {
			fail(key, "not a %s timing; a %s profile has %s", p.Device.Kind, p.Device.Kind, strings.Join(want, ", "))
			continue
		}
		if ms < 0 {
			fail(key, "must be ≥ 0 (got %d)", ms)
		} else if ms > MaxTimingMS {
			fail(key, "must be ≤ %d (got %d); timings are milliseconds", MaxTimingMS, ms)
		}
	}
	if isSerialDriver(p.Device.Driver) {
		if kindOK && p.Device.Kind != KindDocReader {
			fail("device.driver", "driver %q drives document readers only; a %s uses driver %q", p.Device.Driver, p.Device.Kind, DriverSim)
		}
		// Serial drivers name the settings they take, so every bad one is
		// reported here, when the profile is loaded or checked.
		p.serialProblems(fail)
		return out
	}
	if (p.Device.Driver == DriverPCSC || p.Device.Driver == DriverVPCDSim) && kindOK && p.Device.Kind != KindChipReader {
		fail("device.driver", "driver %q drives chip readers only; a %s uses driver %q", p.Device.Driver, p.Device.Kind, DriverSim)
	}
	if p.Device.Driver == DriverV4L2 && kindOK && p.Device.Kind != KindCamera {
		fail("device.driver", "driver %q drives cameras only; a %s uses driver %q", p.Device.Driver, p.Device.Kind, DriverSim)
	}
	for _, k := range sortedKeys(p.Settings) {
		switch v := p.Settings[k].(type) {
		case string, int, int64, float64, bool:
		default:
			fail(keyPath([]string{"settings", k}), "must be a string, integer, float or boolean (got %s)", describe(v))
		}
	}
	return out
}

// sectionRank orders problems as the file is laid out.
func sectionRank(key string) int {
	switch {
	case strings.HasPrefix(key, "device"):
		return 0
	case strings.HasPrefix(key, "timing"):
		return 1
	case strings.HasPrefix(key, "settings"):
		return 2
	}
	return 3
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// keyPath writes a key as TOML would: dotted, quoting parts that are not
// bare keys.
func keyPath(parts []string) string {
	quoted := make([]string, len(parts))
	for i, s := range parts {
		if bareKey.MatchString(s) {
			quoted[i] = s
		} else {
			quoted[i] = fmt.Sprintf("%q", s)
		}
	}
	return strings.Join(quoted, ".")
}

// describe names a decoded TOML value's type (and value, when short) for
// error messages.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("string %q", v)
	case int64, int:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return fmt.Sprintf("date/time %v", v)
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

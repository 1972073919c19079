package device

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// repoRoot is the directory holding go.mod, found upwards from the test's
// working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func shippedProfiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "firmware-config", "devices", "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestShippedProfilesLoad(t *testing.T) {
	files := shippedProfiles(t)
	byName := map[string]Profile{}
	for _, f := range files {
		p, err := LoadProfile(f)
		if err != nil {
			t.Errorf("shipped profile does not load:\n%v", err)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: loaded but Validate fails: %v", f, err)
		}
		byName[p.Name()] = p
	}
	for name, kind := range map[string]Kind{
		"sim-docreader":   KindDocReader,
		"sim-camera":      KindCamera,
		"sim-fingerprint": KindFingerprint,
		"sim-gatectl":     KindGateCtl,
	} {
		p, ok := byName[name]
		if !ok {
			t.Errorf("firmware-config/devices/%s.toml is missing", name)
			continue
		}
		if p.Device.Kind != kind || p.Device.Driver != "sim" {
			t.Errorf("%s: kind %q driver %q, want kind %q driver sim", name, p.Device.Kind, p.Device.Driver, kind)
		}
	}

	// The figures the simulated crossing's wall time is built from.
	near := func(name string, got, want, tolerance time.Duration) {
		t.Helper()
		if got < want-tolerance || got > want+tolerance {
			t.Errorf("%s = %v, want ≈ %v", name, got, want)
		}
	}
	if p, ok := byName["sim-docreader"]; ok {
		near("docreader place+read", p.Delay("place_ms")+p.Delay("read_ms"), 1500*time.Millisecond, 200*time.Millisecond)
	}
	if p, ok := byName["sim-camera"]; ok {
		if fps := time.Second / p.Delay("frame_ms"); fps < 29 || fps > 31 {
			t.Errorf("camera: %d frames per second, want 30", fps)
		}
		if p.Delay("warmup_ms") <= 0 {
			t.Error("camera: no warm-up")
		}
	}
	if p, ok := byName["sim-fingerprint"]; ok {
		near("fingerprint capture", p.Delay("capture_ms"), time.Second, 300*time.Millisecond)
	}
	if p, ok := byName["sim-gatectl"]; ok {
		near("door open", p.Delay("door_open_ms"), 600*time.Millisecond, 100*time.Millisecond)
		near("door close", p.Delay("door_close_ms"), 600*time.Millisecond, 100*time.Millisecond)
		near("walk in", p.Delay("walk_in_ms"), 2*time.Second, 300*time.Millisecond)
		near("walk out", p.Delay("walk_out_ms"), 2*time.Second, 300*time.Millisecond)
	}
}

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// problemLines splits a LoadProfile error into its lines, checking each
// names the file.
func problemLines(t *testing.T, path string, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("broken profile loaded without error")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, path+": ") {
			t.Errorf("problem line does not start with the file name %q: %q", path, l)
		}
	}
	return lines
}

func TestBrokenProfileNamesEveryBadField(t *testing.T) {
	path := writeProfile(t, `
[device]
kind = "docreader"
model = 42
driver = "serial-ocr"
colour = "blue"

[timing]
place_ms = -5
read_ms = "500"
frame_ms = 33

[settings]
port = ["a", "b"]
baud = 9600

[extra]
x = 1
`)
	_, err := LoadProfile(path)
	lines := problemLines(t, path, err)
	want := map[string]string{ // key path → a word the problem must contain
		"device.model":    "string",
		"device.driver":   "serial-ocr",
		"device.colour":   "unknown key",
		"timing.place_ms": "≥ 0 (got -5)",
		"timing.read_ms":  `string "500"`,
		"timing.frame_ms": "not a docreader timing",
		"settings.port":   "array",
		"extra":           "unknown table",
	}
	for key, word := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, path+": "+key+": ") && strings.Contains(l, word) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem for %s mentioning %q in:\n%v", key, word, err)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("got %d problems, want %d (one per bad field):\n%v", len(lines), len(want), err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != path {
		t.Errorf("errors.As(*FieldError) = %v, %+v", errors.As(err, &fe), fe)
	}
}

func TestBrokenProfileCases(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // substrings, each on some problem line
	}{
		{"unknown kind", "[device]\nkind = \"scanner\"\nmodel = \"m\"\ndriver = \"sim\"\n",
			[]string{`device.kind: must be one of docreader, camera, fingerprint, gatectl, chipreader (got "scanner")`}},
		{"missing everything", "",
			[]string{"device.kind: missing", "device.model: missing", "device.driver: missing"}},
		{"missing timing", "[device]\nkind = \"gatectl\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\ndoor_open_ms = 600\n",
			[]string{"timing.door_close_ms: missing", "timing.walk_in_ms: missing", "timing.walk_out_ms: missing"}},
		{"float timing", "[device]\nkind = \"fingerprint\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\ncapture_ms = 1000.5\n",
			[]string{"timing.capture_ms: must be a whole number of milliseconds (got float 1000.5)"}},
		{"huge timing", "[device]\nkind = \"fingerprint\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\ncapture_ms = 9223372036854775807\n",
			[]string{"timing.capture_ms: must be ≤ 600000"}},
		{"timing for another kind", "[device]\nkind = \"camera\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\nwarmup_ms = 1\nframe_ms = 1\nplace_ms = 1\n",
			[]string{"timing.place_ms: not a camera timing; a camera profile has warmup_ms, frame_ms"}},
		{"quoted key", "[device]\nkind = \"camera\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\nwarmup_ms = 1\nframe_ms = 1\n\"frame ms\" = 2\n",
			[]string{`timing."frame ms": not a camera timing`}},
		{"nested table in settings", "[device]\nkind = \"fingerprint\"\nmodel = \"m\"\ndriver = \"sim\"\n[timing]\ncapture_ms = 1\n[settings.sub]\na = 1\n",
			[]string{"settings.sub: must be a string, integer, float or boolean (got a table)"}},
		{"unknown device subtable", "[device]\nkind = \"fingerprint\"\nmodel = \"m\"\ndriver = \"sim\"\n[device.extra]\na = 1\n[timing]\ncapture_ms = 1\n",
			[]string{"device.extra: unknown table (line 5); [device] takes kind, model, driver and firmware"}},
		{"section not a table", "device = \"docreader\"\n",
			[]string{"device: must be a table, written [device] (line 1)"}},
		{"syntax error", "[device]\nkind = \"camera\n",
			[]string{"line 2, column"}},
		{"array of tables", "[[timing]]\nread_ms = 1\n",
			[]string{"timing: must be a table"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeProfile(t, c.text)
			_, err := LoadProfile(path)
			lines := problemLines(t, path, err)
			for _, w := range c.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
					t.Errorf("no problem line contains %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadProfileMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := LoadProfile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadProfile(missing) = %v, want a not-exist error naming the path", err)
	}
}

func TestLoadProfileTooLarge(t *testing.T) {
	path := writeProfile(t, "# "+strings.Repeat("x", maxProfileBytes)+"\n")
	if _, err := LoadProfile(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadProfile(huge file) = %v, want a size error", err)
	}
}

func TestValidateCodeBuiltProfile(t *testing.T) {
	good := Profile{
		Device: DeviceInfo{Kind: KindFingerprint, Model: "test", Driver: "sim"},
		Timing: map[string]int64{"capture_ms": 10},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid profile: %v", err)
	}
	bad := good
	bad.Timing = map[string]int64{"capture_ms": -1}
	bad.Settings = map[string]any{"level": []int{1}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a negative timing and a slice setting")
	}
	for _, w := range []string{"device profile test: timing.capture_ms: must be ≥ 0 (got -1)", "device profile test: settings.level:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error lacks %q:\n%v", w, err)
		}
	}
}

func TestCheckFirmware(t *testing.T) {
	p := Profile{Path: "devices/cam.toml", Device: DeviceInfo{Kind: KindCamera, Firmware: "2.1"}}
	if err := p.CheckFirmware("2.1"); err != nil {
		t.Errorf("matching firmware: %v", err)
	}
	err := p.CheckFirmware("1.9")
	if err == nil || !strings.Contains(err.Error(), `"1.9"`) || !strings.Contains(err.Error(), `"2.1"`) || !strings.Contains(err.Error(), "cam") {
		t.Errorf("mismatch error = %v, want both versions and the device", err)
	}
	p.Device.Firmware = ""
	if err := p.CheckFirmware("anything"); err != nil {
		t.Errorf("profile without firmware must not check: %v", err)
	}
}

func TestTimingKeysIsACopy(t *testing.T) {
	keys := TimingKeys(KindDocReader)
	keys[0] = "changed"
	if TimingKeys(KindDocReader)[0] == "changed" {
		t.Error("TimingKeys exposes the package's table")
	}
	if TimingKeys("nope") != nil {
		t.Error("TimingKeys of an unknown kind is not nil")
	}
}

func FuzzLoadProfile(f *testing.F) {
	for _, file := range shippedProfiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("[device]\nkind = 5\n[timing]\nx = [1, {a = 2}]\n[settings]\nd = 1979-05-27T07:32:00Z\n"))
	f.Add([]byte("device = 1\n"))
	f.Add([]byte("[[settings]]\n[device.\"a.b\"]\n"))
	f.Add([]byte("[timing]\nplace_ms = -9223372036854775808\n"))
	f.Add([]byte{0xff, 0xfe, '['})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("ParseProfile accepted a profile Validate refuses: %v", verr)
		}
		if TimingKeys(p.Device.Kind) == nil {
			t.Fatalf("accepted unknown kind %q", p.Device.Kind)
		}
		for k, ms := range p.Timing {
			if ms < 0 || ms > MaxTimingMS {
				t.Fatalf("accepted timing %s = %d", k, ms)
			}
		}
	})
}

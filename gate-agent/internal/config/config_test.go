package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
)

// repoFile is the path of rel (slash-separated) in the repository; the
// test fails if it is not there.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return p
}

func TestShippedGateFilesAreValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(t), "firmware-config", "gates", "*.toml"))
	if len(files) == 0 {
		t.Fatal("no gate files shipped in firmware-config/gates")
	}
	for _, f := range files {
		g, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(g.DeviceList()) < 2 {
			t.Errorf("%s: %d devices", f, len(g.DeviceList()))
		}
	}
}

func TestEveryBadFieldIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.toml")
	src := `
[gate]
id = "bad gate/1"
direction = "sideways"
[agent]
http = "nonsense"
log_level = "loud"
[central]
broker = "ftp://x:1"
heartbeat_s = -1
[devices.docreader]
profile = "no-such-profile.toml"
[simulation]
speed = -2.0
[policy]
document_codes = ["P", "passport"]
min_validity_days = -3
[face]
level = "0.5%"
threads = -1
burst_frames = 500
capture_timeout_s = -4
min_quality = 1.5
pad_threshold = 0.0
liveness = "psychic"
`
	_, err := Parse(path, []byte(src))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err=%v, want *config.Error", err)
	}
	for _, key := range []string{"gate.id", "gate.post", "gate.direction", "agent.http", "agent.log_level",
		"central.broker", "central.heartbeat_s", "devices.docreader.profile", "devices.gatectl",
		"simulation.speed", "policy.document_codes[1]", "policy.min_validity_days",
		"face.level", "face.threads", "face.burst_frames", "face.capture_timeout_s", "face.min_quality", "face.pad_threshold", "face.liveness"} {
		found := false
		for _, p := range ce.Problems {
			if strings.HasPrefix(p, key+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem names %s; got:\n%s", key, strings.Join(ce.Problems, "\n"))
		}
	}
}

func TestUnknownFieldsAndTypeErrors(t *testing.T) {
	_, err := Parse("x.toml", []byte("[gate]\nid = \"a\"\npots = \"typo\"\n[agnet]\nx = 1\n"))
	if err == nil || !strings.Contains(err.Error(), "gate.pots") || !strings.Contains(err.Error(), "agnet") {
		t.Fatalf("err=%v, want both unknown fields named", err)
	}
	_, err = Parse("x.toml", []byte("[gate]\nid = 5\n"))
	if err == nil || !strings.Contains(err.Error(), "gate.id") {
		t.Fatalf("err=%v, want the wrongly typed field named", err)
	}
	_, err = Parse("x.toml", []byte("[gate\nid="))
	if err == nil || !strings.Contains(err.Error(), "line") {
		t.Fatalf("err=%v, want a syntax error with its line", err)
	}
}

func TestDefaultsAndResolve(t *testing.T) {
	g, err := Load(repoFile(t, "firmware-config/gates/example-entry-01.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Central.AckTimeoutS <= 0 || g.Central.MaxInflight <= 0 {
		t.Fatalf("defaults not applied: %+v", g.Central)
	}
	p := g.Resolve(g.Devices.DocReader.Profile)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("profile resolved to %s: %v", p, err)
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(f), "firmware-config", "gates", "example-entry-01.toml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("[gate]\nid = \"x\"\n"))
	f.Add([]byte("[[devices]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(filepath.Join(t.TempDir(), "f.toml"), data)
		if err == nil && (g.Gate.ID == "" || g.Devices.DocReader == nil || g.Devices.GateCtl == nil) {
			t.Fatalf("accepted a gate file without id or required devices: %q", data)
		}
	})
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"autogate/internal/credentials/credtest"
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
disk_warn_mb = 100
disk_alarm_mb = 200
[central]
broker = "ftp://x:1"
heartbeat_s = -1
batch_max = 501
hold_referred_s = 601
[devices.docreader]
profile = "no-such-profile.toml"
[simulation]
speed = -2.0
[policy]
document_codes = ["P", "passport"]
min_validity_days = -3
nationalities = ["VNM", "vn"]
citizens = ["UTOPIA"]
visa_required = ["1"]
registration_required = ["border"]
minor_age = 40
visa_free_stay_days = -1
sequence = "sometimes"
name_threshold = 0.2
max_replica_age_h = -1
integrity_check_h = -2
[policy.actions]
wanted = "notify"
stolen = "shrug"
unicorn = "refer"
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
		"central.broker", "central.heartbeat_s", "central.batch_max", "central.hold_referred_s", "agent.disk_alarm_mb",
		"devices.docreader.profile", "devices.gatectl",
		"simulation.speed", "policy.document_codes[1]", "policy.min_validity_days",
		"policy.nationalities[1]", "policy.citizens[0]", "policy.visa_required[0]", "policy.registration_required[0]",
		"policy.minor_age", "policy.visa_free_stay_days", "policy.sequence", "policy.name_threshold",
		"policy.max_replica_age_h", "policy.integrity_check_h", "policy.actions.wanted", "policy.actions.stolen",
		"policy.actions.unicorn",
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

func TestPolicyDefaultsFollowDirection(t *testing.T) {
	entry, exit := DefaultPolicy("entry"), DefaultPolicy("exit")
	// A ban refers only in the direction it bans; wanted persons alert both ways.
	for _, c := range []struct {
		p              Policy
		key, want, dir string
	}{
		{entry, "entry_ban", ActionRefer, "entry"}, {entry, "exit_ban", ActionNotify, "entry"},
		{exit, "entry_ban", ActionNotify, "exit"}, {exit, "exit_ban", ActionRefer, "exit"},
		{entry, "wanted", ActionAlert, "entry"}, {exit, "wanted", ActionAlert, "exit"},
		{entry, "stolen", ActionAlert, "entry"}, {entry, "lost", ActionRefer, "entry"},
	} {
		if got := c.p.Actions[c.key]; got != c.want {
			t.Errorf("%s gate: actions[%s] = %q, want %q", c.dir, c.key, got, c.want)
		}
	}
	if *entry.MinorAge != DefaultMinorAge || entry.Sequence != "off" || *entry.NameThreshold != DefaultNameThreshold {
		t.Fatalf("defaults not applied: %+v", entry)
	}
	// A gate file's action overrides only its own key.
	g, err := Parse("x.toml", []byte(strings.NewReplacer("watch = \"notify\"", "watch = \"refer\"", "wanted = \"alert\"\n", "").Replace(minimalGate(t))))
	if err != nil {
		t.Fatal(err)
	}
	if g.Policy.Actions["watch"] != ActionRefer || g.Policy.Actions["wanted"] != ActionAlert {
		t.Fatalf("actions = %v", g.Policy.Actions)
	}
}

// minimalGate is the shipped example gate file with its device profiles
// made absolute, so it parses from anywhere.
func minimalGate(t *testing.T) string {
	path := repoFile(t, "firmware-config/gates/example-entry-01.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), `"../devices/`, `"`+filepath.Join(filepath.Dir(path), "..", "devices")+`/`)
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

// TestCredentials checks central.credentials: required by a TLS broker,
// resolved against the gate file's folder, and refused when it is another
// gate's, expired, missing, or paired with a plain tcp:// broker.
func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	gateFile := func(broker, creds string) string {
		src := strings.Replace(minimalGate(t), `broker = "tcp://127.0.0.1:1883"`, "broker = \""+broker+"\"", 1)
		if creds != "" {
			src = strings.Replace(src, "[central]\n", "[central]\ncredentials = \""+creds+"\"\n", 1)
		}
		p := filepath.Join(dir, "gate.toml")
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	credtest.Write(t, filepath.Join(dir, "own.pem"), "post-a-entry-01", 24*time.Hour)
	credtest.Write(t, filepath.Join(dir, "other.pem"), "post-b-exit-02", 24*time.Hour)
	credtest.Write(t, filepath.Join(dir, "expired.pem"), "post-a-entry-01", time.Minute) // ended 59 minutes ago

	g, err := Load(gateFile("tls://central.example:8883", "own.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.LoadCredentials()
	if err != nil || b.GateID != "post-a-entry-01" || !g.BrokerTLS() {
		t.Fatalf("credentials %+v, %v; BrokerTLS %v", b, err, g.BrokerTLS())
	}
	for _, scheme := range []string{"ssl", "mqtts"} {
		if _, err := Load(gateFile(scheme+"://central.example:8883", "own.pem")); err != nil {
			t.Errorf("%s://: %v", scheme, err)
		}
	}

	cases := []struct{ broker, creds, key, want string }{
		{"tls://central.example:8883", "", "central.credentials", "central gate add post-a-entry-01"},
		{"tls://central.example:8883", "other.pem", "central.credentials", `gate "post-b-exit-02", not of this gate "post-a-entry-01"`},
		{"tls://central.example:8883", "expired.pem", "central.credentials", "expired"},
		{"tls://central.example:8883", "nowhere.pem", "central.credentials", "no such file"},
		{"tcp://central.example:1883", "own.pem", "central.broker", "must be a TLS one"},
	}
	for _, c := range cases {
		_, err := Load(gateFile(c.broker, c.creds))
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s with %q: %v, want a config error", c.broker, c.creds, err)
			continue
		}
		found := false
		for _, p := range ce.Problems {
			found = found || strings.HasPrefix(p, c.key+":") && strings.Contains(p, c.want)
		}
		if !found {
			t.Errorf("%s with %q: problems %q lack %s: …%s…", c.broker, c.creds, ce.Problems, c.key, c.want)
		}
	}
}

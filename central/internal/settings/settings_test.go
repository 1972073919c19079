package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleIsTheDefaults(t *testing.T) {
	s, err := Parse([]byte(Example()))
	if err != nil {
		t.Fatalf("%v\n%s", err, Example())
	}
	if s != Defaults() {
		t.Fatalf("example parses to %+v, defaults are %+v", s, Defaults())
	}
	for _, want := range []string{"[web]", "[privacy]", `session_idle       = "30m"`, `image_retention    = "24h"`, "lockout_failures   = 5 ", `command_ttl        = "10s"`} {
		if !strings.Contains(Example(), want) {
			t.Errorf("example lacks %q:\n%s", want, Example())
		}
	}
	d := Defaults()
	if d.Web.SessionIdle != 30*time.Minute || d.Web.SessionMax != 12*time.Hour || d.Web.LockoutFailures != 5 ||
		d.Web.LockoutFor != 15*time.Minute || d.Web.MinPasswordLen != 12 || d.Web.CommandTTL != 10*time.Second ||
		d.Web.CommandWait != 5*time.Second || d.Privacy.ImageRetention != 24*time.Hour {
		t.Fatalf("defaults %+v", d)
	}
}

func TestParseValues(t *testing.T) {
	s, err := Parse([]byte("[web]\nsession_idle = \"10m\"\nlockout_failures = 3\nmin_password_len = 16\n[privacy]\nimage_retention = \"1h30m\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Web.SessionIdle, want.Web.LockoutFailures, want.Web.MinPasswordLen = 10*time.Minute, 3, 16
	want.Privacy.ImageRetention = 90 * time.Minute
	if s != want {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
	p := s.AuthPolicy()
	if p.SessionIdle != 10*time.Minute || p.MaxFailures != 3 || p.MinPasswordLen != 16 || p.SessionMax != 12*time.Hour || p.LockoutFor != 15*time.Minute {
		t.Fatalf("policy %+v", p)
	}
	if s, err := Parse(nil); err != nil || s != Defaults() {
		t.Fatalf("empty file: %+v %v", s, err)
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"[web]\nsession_idle = \"soon\"\n", `web.session_idle: "soon" is not a duration`},
		{"[web]\nsession_idle = 30\n", "web.session_idle: 30 is not a duration"},
		{"[web]\nsession_idle = \"10s\"\n", "web.session_idle: 10s is out of bounds: want 1m..24h"},
		{"[web]\nlockout_failures = 0\n", "web.lockout_failures: 0 is out of bounds: want 1..100"},
		{"[web]\nlockout_failures = \"5\"\n", "web.lockout_failures: 5 is not a whole number"},
		{"[web]\nlockout_failures = 2.5\n", "web.lockout_failures: 2.5 is not a whole number"},
		{"[web]\ncommand_ttl = \"6m\"\n", "web.command_ttl: 6m is out of bounds: want 1s..5m"},
		{"[web]\nmin_password_len = 4\n", "web.min_password_len: 4 is out of bounds"},
		{"[privacy]\nimage_retention = \"721h\"\n", "privacy.image_retention: 721h is out of bounds: want 1m..720h"},
		{"[privacy]\nimage_retention = \"-1h\"\n", "privacy.image_retention"},
		{"[web]\nsession_idle = \"2h\"\nsession_max = \"1h\"\n", "web.session_max 1h is shorter than web.session_idle 2h"},
		{"[web]\nsesion_idle = \"2h\"\n", "web.sesion_idle: unknown key (known: session_idle, session_max"},
		{"[gates]\nx = 1\n", "unknown key gates"},
		{"web = 3\n", "web: line 1"},
		{"[web\n", "line 1"},
	} {
		_, err := Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	s, found, err := LoadDir(dir)
	if err != nil || found || s != Defaults() {
		t.Fatalf("no file: %+v %v %v", s, found, err)
	}
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte("[web]\ncommand_wait = \"2s\"\n"), 0o600)
	s, found, err = LoadDir(dir)
	if err != nil || !found || s.Web.CommandWait != 2*time.Second {
		t.Fatalf("file: %+v %v %v", s, found, err)
	}
	os.WriteFile(path, []byte("[web]\ncommand_wait = \"2 s\"\n"), 0o600)
	if _, found, err = LoadDir(dir); err == nil || !found || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "web.command_wait") {
		t.Fatalf("bad file: %v %v", found, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte("[web]\nsession_idle = \"1m\"\nsession_max = \"1m\"\n"))
	f.Add([]byte("[privacy]\nimage_retention = 5\n"))
	f.Add([]byte("web = 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if err := s.check(); err != nil {
			t.Fatalf("accepted %q: %v", data, err)
		}
	})
}

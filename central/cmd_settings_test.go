package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/central/internal/settings"
)

func TestConfigCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	code, out, _ := runInProcess(t, ctx, "config", "check", "--data", dir)
	if code != exitOK || !strings.Contains(out, "central.toml: absent, the defaults are in force") || !strings.Contains(out, `session_idle       = "30m"`) {
		t.Fatalf("absent: exit %d\n%s", code, out)
	}
	code, example, _ := runInProcess(t, ctx, "config", "check", "--example")
	if code != exitOK || example != settings.Example() {
		t.Fatalf("--example: exit %d\n%s", code, example)
	}
	// The example, edited, is a valid file.
	path := filepath.Join(dir, settings.FileName)
	os.WriteFile(path, []byte(strings.Replace(example, `image_retention    = "24h"`, `image_retention = "6h"`, 1)), 0o600)
	code, out, _ = runInProcess(t, ctx, "config", "check", "--data", dir)
	if code != exitOK || !strings.Contains(out, "central.toml: ok") || !strings.Contains(out, `image_retention    = "6h"`) {
		t.Fatalf("ok: exit %d\n%s", code, out)
	}
	other := filepath.Join(t.TempDir(), "other.toml")
	os.WriteFile(other, []byte("[web]\nlockout_failures = 500\n"), 0o600)
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{other}, exitError, "web.lockout_failures: 500 is out of bounds: want 1..100"},
		{[]string{"--data", dir, other}, exitError, "other.toml"},
		{[]string{filepath.Join(dir, "missing.toml")}, exitError, "missing.toml"},
		{[]string{"a.toml", "b.toml"}, exitUsage, "at most one FILE"},
	} {
		code, _, errOut := runInProcess(t, ctx, append([]string{"config", "check"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errOut, c.stderr)
		}
	}
	if code, out, _ := runInProcess(t, ctx, "config", "--help"); code != exitOK || !strings.Contains(out, "check checks central's own settings") {
		t.Fatalf("config --help: %d\n%s", code, out)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"autogate/central/internal/pki"
)

func TestListsAndConfigPush(t *testing.T) {
	ctx := context.Background()
	dir, files := t.TempDir(), t.TempDir()
	if _, err := pki.NewSigningKey(dir); err != nil {
		t.Fatal(err)
	}
	delta := filepath.Join(files, "lost.json")
	os.WriteFile(delta, []byte(`{"v":1,"list":"documents","ops":[
		{"op":"add","key":"UTO/L898902C3","document":{"document_number":"L898902C3","issuing_state":"UTO","document_type":"P","reason":"stolen"}}]}`), 0o600)
	policy := filepath.Join(files, "policy.toml")
	os.WriteFile(policy, []byte("min_validity_days = 90\n"), 0o600)

	for i, args := range [][]string{
		{"lists", "push", delta, "--data", dir},
		{"lists", "push", "--data", dir, delta, "--expires", "24h"},
	} {
		code, out, errs := runInProcess(t, ctx, args...)
		want := "queued list=documents versions=" + string(rune('1'+i)) + ".." + string(rune('1'+i)) + " ops=1\n"
		if code != exitOK || out != want {
			t.Fatalf("%v: code %d, stdout %q (want %q), stderr %q", args, code, out, want, errs)
		}
	}
	code, out, errs := runInProcess(t, ctx, "config", "push", policy, "--data", dir, "--direction", "exit")
	if code != exitOK || out != "queued config version=1\n" {
		t.Fatalf("config push: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runInProcess(t, ctx, "lists", "status", "--data", dir)
	if code != exitOK ||
		!regexp.MustCompile(`(?m)^documents\s+2\s+2\s+2\s`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^config\s+1\s+1\s+1\s`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^persons\s+0\s+0\s+0\s+-`).MatchString(out) {
		t.Fatalf("lists status: code %d\n%s", code, out)
	}
}

func TestListsAndConfigUsage(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	file := filepath.Join(empty, "d.json")
	os.WriteFile(file, []byte(`{"v":1,"list":"documents","ops":[]}`), 0o600)
	bad := filepath.Join(empty, "bad.json")
	os.WriteFile(bad, []byte(`{"v":1,"list":"documents","ops":[{"op":"explode","key":"UTO/1"}]}`), 0o600)
	withKey := t.TempDir()
	if _, err := pki.NewSigningKey(withKey); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"lists"}, exitUsage, "", "central lists push FILE"},
		{[]string{"lists", "pull"}, exitUsage, "", `unknown subcommand "pull"`},
		{[]string{"lists", "--help"}, exitOK, "status", ""},
		{[]string{"lists", "push", "--help"}, exitOK, "--expires", ""},
		{[]string{"lists", "push"}, exitUsage, "", "want exactly one FILE"},
		{[]string{"lists", "push", file, file}, exitUsage, "", "want exactly one FILE, got 2"},
		{[]string{"lists", "push", file, "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{[]string{"lists", "push", file, "--data", empty}, exitError, "", "central pki init"},
		{[]string{"lists", "push", filepath.Join(empty, "missing.json"), "--data", withKey}, exitError, "", "no such file"},
		{[]string{"lists", "push", bad, "--data", withKey}, exitError, "", "op 0"},
		{[]string{"lists", "status", "extra"}, exitUsage, "", "unexpected argument"},
		{[]string{"config"}, exitUsage, "", "central config push FILE.toml"},
		{[]string{"config", "push", file, "--direction", "up", "--data", withKey}, exitUsage, "", `--direction "up"`},
		{[]string{"config", "push", file, "--data", withKey}, exitError, "", "not valid TOML"},
		{[]string{"config", "push", "--help"}, exitOK, "[policy]", ""},
	} {
		code, out, errs := runInProcess(t, ctx, c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) {
			t.Errorf("%v: code %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", c.args, code, c.code, out, c.stdout, errs, c.stderr)
		}
	}
}

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRegistry puts a stand-in npm (a real shell process) first on PATH that
// serves one tarball and counts its calls, and writes a manifest pinning it.
func fakeRegistry(t *testing.T) (manifest, calls string) {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"package/LICENSE": "MIT\n", "package/model/net.bin": "weights"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	tgz := filepath.Join(dir, "served.tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())

	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	calls = filepath.Join(dir, "calls")
	script := fmt.Sprintf(`#!/bin/sh
echo "$@" >> %q
while [ $# -gt 0 ]; do case "$1" in --pack-destination) dest="$2"; shift;; esac; shift; done
/bin/cp %q "$dest/test-models-1.0.0.tgz"
printf '[{"filename":"test-models-1.0.0.tgz"}]'
`, calls, tgz)
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)

	manifest = filepath.Join(dir, "manifest.toml")
	toml := fmt.Sprintf(`[[model]]
name = "test"
package = "@test/models"
version = "1.0.0"
tarball_sha256 = %q
files = ["package/model/net.bin"]
licence = "package/LICENSE"
outputs = ["onnx/net.onnx"]
`, hex.EncodeToString(sum[:]))
	if err := os.WriteFile(manifest, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return manifest, calls
}

func countLines(t *testing.T, p string) int {
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestRunFetchesThenServesFromCache(t *testing.T) {
	manifest, calls := fakeRegistry(t)
	cache := filepath.Join(t.TempDir(), "cache")
	var out bytes.Buffer
	if rc := run([]string{"--manifest", manifest, "--cache", cache}, &out); rc != exitOK {
		t.Fatalf("first run exit %d: %s", rc, out.String())
	}
	if n := countLines(t, calls); n != 1 {
		t.Fatalf("npm called %d times on the first run, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(cache, "test", "package/model/net.bin")); err != nil {
		t.Fatalf("model file not extracted: %v", err)
	}
	out.Reset()
	if rc := run([]string{"--manifest", manifest, "--cache", cache, "--only", "test"}, &out); rc != exitOK {
		t.Fatalf("second run exit %d: %s", rc, out.String())
	}
	if n := countLines(t, calls); n != 1 {
		t.Fatalf("npm called again on the second run (%d calls): the cache was not used", n)
	}
	if !strings.Contains(out.String(), "already present, verified") {
		t.Errorf("second run output %q", out.String())
	}
}

func TestRunExitCodes(t *testing.T) {
	manifest, _ := fakeRegistry(t)
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[[model]]\nname = \"x\"\nversion = \"latest\"\n"), 0o644)
	cache := t.TempDir()
	cases := []struct {
		name string
		args []string
		path string // PATH for the run; "" keeps the fake npm
		want int
		out  string
	}{
		{"bad flag", []string{"--nope"}, "", exitUsage, "flag provided but not defined"},
		{"stray argument", []string{"--manifest", manifest, "extra"}, "", exitUsage, "unexpected argument"},
		{"bad manifest", []string{"--manifest", bad}, "", exitUsage, "field"},
		{"missing manifest", []string{"--manifest", filepath.Join(cache, "none.toml")}, "", exitUsage, "none.toml"},
		{"unknown --only", []string{"--manifest", manifest, "--only", "nope"}, "", exitUsage, "known: test"},
		{"no npm", []string{"--manifest", manifest, "--cache", cache}, t.TempDir(), exitFetch, "npm not found: apt-get install npm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			var out bytes.Buffer
			if rc := run(tc.args, &out); rc != tc.want {
				t.Fatalf("exit %d, want %d: %s", rc, tc.want, out.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("output %q does not contain %q", out.String(), tc.out)
			}
		})
	}
}

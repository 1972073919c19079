package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNPM writes a stand-in for npm that logs its arguments to calls.log
// and makes node_modules, or fails when the file "fail" exists in its
// folder.
func fakeNPM(t *testing.T) (npm, dir string) {
	t.Helper()
	dir = t.TempDir()
	npm = filepath.Join(dir, "npm")
	script := "#!/bin/sh\n" +
		"if [ -e '" + dir + "/fail' ]; then echo 'npm error code ECONNREFUSED' >&2; exit 1; fi\n" +
		"echo \"$@\" >> '" + dir + "/calls.log'\n" +
		"mkdir -p node_modules\n"
	if err := os.WriteFile(npm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return npm, dir
}

func calls(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "calls.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestNodeDepsInstallsOnceAndAgainWhenPackagesChange(t *testing.T) {
	npm, npmDir := fakeNPM(t)
	dir := filepath.Join(t.TempDir(), "verify-node")
	deps := NodeDeps{Dir: dir, NPM: npm}
	ctx := context.Background()

	modules, err := deps.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if modules != filepath.Join(dir, "node_modules") {
		t.Errorf("node_modules at %s", modules)
	}
	c := calls(t, npmDir)
	if len(c) != 1 || !strings.HasPrefix(c[0], "ci ") || !strings.Contains(c[0], "--ignore-scripts") || !strings.Contains(c[0], "--legacy-peer-deps") {
		t.Fatalf("npm calls %q, want one `npm ci --ignore-scripts --legacy-peer-deps …`", c)
	}
	for name, want := range map[string][]byte{"package.json": packageJSON, "package-lock.json": packageLock} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != string(want) {
			t.Errorf("%s in the install folder differs from the embedded one (err %v)", name, err)
		}
	}

	if _, err := deps.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if c := calls(t, npmDir); len(c) != 1 {
		t.Errorf("npm ran again although nothing changed: %q", c)
	}

	changed := deps
	changed.PackageJSON = append([]byte(`{"dependencies":{}}`), '\n')
	if _, err := changed.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	c = calls(t, npmDir)
	if len(c) != 2 || !strings.HasPrefix(c[1], "install ") {
		t.Errorf("npm calls %q after package.json changed without a lock file, want a second run, `npm install`", c)
	}

	// A removed node_modules is reinstalled even with a matching stamp.
	if err := os.RemoveAll(modules); err != nil {
		t.Fatal(err)
	}
	if _, err := changed.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if c := calls(t, npmDir); len(c) != 3 {
		t.Errorf("npm calls %q, want a reinstall of the deleted node_modules", c)
	}
}

func TestNodeDepsErrors(t *testing.T) {
	npm, npmDir := fakeNPM(t)
	dir := filepath.Join(t.TempDir(), "verify-node")
	if _, err := (NodeDeps{Dir: dir, NPM: npm}).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The packages change and the registry is down: the error says so and
	// the old stamp no longer vouches for node_modules.
	if err := os.WriteFile(filepath.Join(npmDir, "fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deps := NodeDeps{Dir: dir, NPM: npm, PackageJSON: []byte("{}\n")}
	_, err := deps.Ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ECONNREFUSED") || !strings.Contains(err.Error(), "registry") {
		t.Fatalf("err %v, want npm's message and a hint about the registry", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stampFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stamp survived a failed install: %v", err)
	}

	_, err = NodeDeps{Dir: dir, NPM: filepath.Join(npmDir, "no-such-npm")}.Ensure(context.Background())
	if !errors.Is(err, ErrNPMNotFound) {
		t.Errorf("missing npm: err %v, want ErrNPMNotFound", err)
	}
}

func TestNodeRunnerWithoutNode(t *testing.T) {
	r := NodeRunner{Node: filepath.Join(t.TempDir(), "no-such-node")}
	_, err := r.Run(context.Background(), tinySpec("linear.cjs"), t.TempDir(), nil, 0)
	if !errors.Is(err, ErrNodeNotFound) {
		t.Errorf("err %v, want ErrNodeNotFound", err)
	}
}

func TestFloat32sRoundTrip(t *testing.T) {
	v := []float32{0, -1.5, 3.25e-7, 1e30}
	got, err := DecodeFloat32s(EncodeFloat32s(v))
	if err != nil || len(got) != len(v) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Errorf("value %d: %v, want %v", i, got[i], v[i])
		}
	}
	if _, err := DecodeFloat32s([]byte{1, 2, 3}); err == nil {
		t.Error("3 bytes accepted as float32s")
	}
}

func TestLastLinesDropsStackFrames(t *testing.T) {
	out := "file.cjs:3\nError: weights missing\n    at load (file.cjs:3:9)\n    at main (file.cjs:9:2)\n\nNode.js v20.0.0\n"
	if got, want := lastLines(out, 2), "Error: weights missing | Node.js v20.0.0"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	if got := lastLines(" \n", 3); got != "(no output)" {
		t.Errorf("lastLines of blank output = %q", got)
	}
}

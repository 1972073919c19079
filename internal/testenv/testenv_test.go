package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"autogate/drivers/device"
)

// outcome records how a helper ended when handed a recorder instead of the
// real test, so a helper's Fatal or Skip can be checked without failing or
// skipping the test that checks it.
type outcome struct {
	testing.TB // everything not overridden goes to the real test
	fatal      string
	skip       string
}

func (o *outcome) Helper() {}

func (o *outcome) Fatal(args ...any) { o.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (o *outcome) Fatalf(format string, args ...any) {
	o.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcome) Skip(args ...any) { o.skip = fmt.Sprint(args...); runtime.Goexit() }
func (o *outcome) Skipf(format string, args ...any) {
	o.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// capture runs helper on its own goroutine, as the testing package runs a
// test, so that Goexit ends only the helper.
func capture(t *testing.T, helper func(tb testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		helper(o)
	}()
	<-done
	return o
}

func TestRepoRootHoldsGoModAndThisPackage(t *testing.T) {
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot = %s, which has no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv", "testenv.go")); err != nil {
		t.Fatalf("RepoRoot = %s, which is not the repository holding this package: %v", root, err)
	}
}

func TestRepoRootOutsideARepositoryFails(t *testing.T) {
	dir := t.TempDir()
	for d := dir; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			t.Skipf("the temporary folder %s lies inside a Go module (%s), so there is no place without go.mod to test from", dir, d)
		}
	}
	t.Chdir(dir)
	var root string
	o := capture(t, func(tb testing.TB) { root = RepoRoot(tb) })
	if !strings.Contains(o.fatal, "no go.mod") || !strings.Contains(o.fatal, dir) {
		t.Errorf("RepoRoot outside a repository returned %q, failing with %q; want a failure naming %s", root, o.fatal, dir)
	}
}

func TestSharedTestdataFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "mrz"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "mrz", "expected.json")
	if err := os.WriteFile(want, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(TestdataEnv, dir)
	if got := SharedTestdata(t, "mrz/expected.json"); got != want {
		t.Errorf("SharedTestdata = %s, want %s", got, want)
	}

	o := capture(t, func(tb testing.TB) { SharedTestdata(tb, "faces/none") })
	missing := filepath.Join(dir, "faces", "none")
	if !strings.Contains(o.skip, missing) || !strings.Contains(o.skip, TestdataEnv) || o.fatal != "" {
		t.Errorf("missing shared data: skip %q, fatal %q; want a skip naming %s and %s", o.skip, o.fatal, missing, TestdataEnv)
	}
}

func TestSharedTestdataDefaultsNextToTheRepository(t *testing.T) {
	t.Setenv(TestdataEnv, "")
	base := filepath.Join(RepoRoot(t), "..", "shared", "testdata")
	o := capture(t, func(tb testing.TB) { SharedTestdata(tb, "no-such-entry") })
	if want := filepath.Join(base, "no-such-entry"); !strings.Contains(o.skip, want+" ") {
		t.Errorf("skip %q, fatal %q; want a skip naming %s", o.skip, o.fatal, want)
	}
	if _, err := os.Stat(base); err == nil {
		if got := SharedTestdata(t, "."); got != base {
			t.Errorf("SharedTestdata(.) = %s, want %s", got, base)
		}
	}
}

func TestShippedProfile(t *testing.T) {
	p := ShippedProfile(t, "sim-gatectl")
	if p.Device.Kind != device.KindGateCtl || p.Name() != "sim-gatectl" {
		t.Errorf("ShippedProfile(sim-gatectl) = kind %q name %q", p.Device.Kind, p.Name())
	}
	if want := filepath.Join(RepoRoot(t), "firmware-config", "devices", "sim-gatectl.toml"); ShippedProfilePath(t, "sim-gatectl") != want {
		t.Errorf("ShippedProfilePath = %s, want %s", ShippedProfilePath(t, "sim-gatectl"), want)
	}

	o := capture(t, func(tb testing.TB) { ShippedProfile(tb, "no-such-device") })
	if !strings.Contains(o.fatal, "no-such-device") {
		t.Errorf("ShippedProfile of a missing profile: fatal %q, want a failure naming it", o.fatal)
	}
}

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"autogate/benchmarks/sync/syncbench"
	"autogate/internal/testenv"
)

// TestSmallDrain builds central, runs it as a process and drains a small
// backlog through the real uplink: the program itself checks that central
// counts and lists every crossing; here the figures and the depth series
// are checked.
func TestSmallDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds central; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "central-bin")
	build := exec.Command("go", "build", "-o", bin, "./central")
	build.Dir = testenv.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building central: %v\n%s", err, out)
	}
	out := filepath.Join(t.TempDir(), "drain.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--backlog", "300", "--batch-max", "40", "--central", bin, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r Result
	if err := syncbench.Load(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Backlog != 300 || r.Seconds <= 0 || len(r.Depth) < 1 || r.Depth[0][1] <= 0 || r.Depth[0][1] > 300 || r.Depth[len(r.Depth)-1][1] != 0 {
		t.Fatalf("figures %+v", r)
	}
	if !regexp.MustCompile(`^drain: backlog=300 seconds=[0-9.]+ rate=\d+ crossings/s\n$`).Match(stdout.Bytes()) {
		t.Fatalf("summary %q", stdout.String())
	}
}

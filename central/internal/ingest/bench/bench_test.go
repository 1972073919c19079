package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"

	"autogate/benchmarks/sync/syncbench"
)

// TestSmallRun runs the program at a small size: every crossing is stored
// and acked in both modes (the program checks central's count itself), the
// batched run used fewer messages, and the summary and JSON agree.
func TestSmallRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ingest.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--raw", "300", "--gates", "2", "--per-gate", "120", "--batch", "50", "--window", "100", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r Result
	if err := syncbench.Load(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Single.Crossings != 240 || r.Single.Messages != 240 || r.Batched.Crossings != 240 || r.Batched.Messages >= 240 || r.Batched.Messages < 6 {
		t.Fatalf("runs: single %+v, batched %+v", r.Single, r.Batched)
	}
	if r.RawPublishMsgsS <= 0 || r.RatioSingle <= 0 || r.PayloadBytes < 3000 {
		t.Fatalf("figures %+v", r)
	}
	if !regexp.MustCompile(`^ingest: raw_publish_msgs_s=\d+ ingest_crossings_s=\d+ \(single\) \d+ \(batched\) ratio=[0-9.]+ \(single\) [0-9.]+ \(batched\)\n$`).Match(stdout.Bytes()) {
		t.Fatalf("summary %q", stdout.String())
	}
	if code := run([]string{"--batch", "0"}, &stdout, &stderr); code != 2 {
		t.Fatalf("--batch 0: exit %d, want 2", code)
	}
}

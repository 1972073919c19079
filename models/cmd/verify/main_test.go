package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
)

func TestUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"too few crops": {"--crops", "5"},
		"unknown model": {"--model", "nosuch"},
		"argument":      {"extra"},
		"bad flag":      {"--nope"},
		"no LFW":        {"--lfw", filepath.Join(t.TempDir(), "absent")},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%s: exit %d, want %d; stderr %s", name, code, exitUsage, errb.String())
		}
	}
}

// TestMissingModelExitsOne runs the command on an empty cache: the model is
// reported MISSING, with `make models` named, in the table and the JSON.
func TestMissingModelExitsOne(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "verify.json")
	var out, errb bytes.Buffer
	code := run([]string{
		"--cache", filepath.Join(dir, "cache"), "--node-modules", dir, "--lfw", lfw,
		"--scripts", filepath.Join(root, "models", "verify", "js"),
		"--model", "mobilefacenet", "--crops", "20", "--out", reportPath,
	}, &out, &errb)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailed, errb.String())
	}
	if !strings.Contains(out.String(), "mobilefacenet") || !strings.Contains(out.String(), "MISSING") {
		t.Errorf("table does not report mobilefacenet MISSING:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "make models") {
		t.Errorf("stderr does not say `make models` makes it:\n%s", errb.String())
	}
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Crops) != 20 || len(rep.Models) != 1 || rep.Models[0].Status != "MISSING" || rep.MinCosine != 0.9999 {
		t.Errorf("report %+v", rep)
	}
}

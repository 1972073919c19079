package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
	"autogate/models/face"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"config"}, {"config", "check"}, {"run"}, {"run", "--no-such-flag"}} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("gate-agent %v: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := runCLI("--help"); code != 0 || !strings.Contains(out, "config check") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	root := testenv.RepoRoot(t)
	good := filepath.Join(root, "firmware-config", "gates", "example-entry-01.toml")
	// face.models_dir is taken from the working directory, as the agent does.
	t.Chdir(root)
	_, statErr := os.Stat(filepath.Join(root, face.DefaultDir, "blazeface.onnx"))
	code, out, _ := runCLI("config", "check", good)
	switch {
	case statErr == nil && (code != 0 || !strings.Contains(out, "ok")):
		t.Fatalf("exit %d: %s", code, out)
	case statErr != nil && (code != 1 || !strings.Contains(out, "face.models_dir") || !strings.Contains(out, "make models")):
		t.Fatalf("without the face models: exit %d, want 1 naming face.models_dir and make models: %s", code, out)
	}
	noModels := filepath.Join(t.TempDir(), "g.toml")
	src, _ := os.ReadFile(good)
	os.WriteFile(noModels, []byte(strings.ReplaceAll(strings.ReplaceAll(string(src), "../devices/", filepath.Join(root, "firmware-config", "devices")+"/"),
		`models_dir = "models/cache/onnx"`, `models_dir = "no/such/models"`)), 0o644)
	if code, out, _ := runCLI("config", "check", noModels); code != 1 || !strings.Contains(out, "face.models_dir") {
		t.Fatalf("missing models: exit %d: %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[gate]\nid = \"x\"\ndirection = \"up\"\n[devices.docreader]\nprofile = \""+
		filepath.Join("..", "..", "..", "nope.toml")+"\"\n"), 0o644)
	code, out, _ = runCLI("config", "check", good, bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1 when one file is bad", code)
	}
	for _, want := range []string{"INVALID", "gate.direction", "gate.post", "devices.docreader.profile", "devices.gatectl", "central.broker"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not name %s:\n%s", want, out)
		}
	}
}

func TestConfigCheckRefusesAProfileOfTheWrongKind(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "firmware-config", "gates", "example-entry-01.toml"))
	if err != nil {
		t.Fatal(err)
	}
	devices := filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices")
	s := strings.ReplaceAll(string(src), "../devices/", devices+"/")
	s = strings.Replace(s, devices+"/sim-docreader.toml", devices+"/sim-camera.toml", 1)
	path := filepath.Join(t.TempDir(), "g.toml")
	os.WriteFile(path, []byte(s), 0o644)
	code, out, _ := runCLI("config", "check", path)
	if code != 1 || !strings.Contains(out, "devices.docreader.profile") || !strings.Contains(out, "camera") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestRunWithABrokenConfigSaysWhatToDo(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("this is = = not toml"), 0o644)
	code, _, errOut := runCLI("run", "--config", bad)
	if code != 1 || !strings.Contains(errOut, "config check") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, _, errOut = runCLI("run", "--config", filepath.Join(t.TempDir(), "missing.toml"))
	if code != 1 || !strings.Contains(errOut, "missing.toml") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestConfigCheckWantsThePortOfARealSerialReader(t *testing.T) {
	root := testenv.RepoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "firmware-config", "gates", "example-entry-01.toml"))
	if err != nil {
		t.Fatal(err)
	}
	devices := filepath.Join(root, "firmware-config", "devices")
	s := strings.ReplaceAll(string(src), "../devices/", devices+"/")
	s = strings.Replace(s, devices+"/sim-docreader.toml", devices+"/rte6701.toml", 1)
	path := filepath.Join(t.TempDir(), "g.toml")
	os.WriteFile(path, []byte(s), 0o644)
	code, out, _ := runCLI("config", "check", path)
	if code != 1 || !strings.Contains(out, "devices.docreader.port") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

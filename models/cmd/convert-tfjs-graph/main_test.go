package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"autogate/internal/testenv"
	"autogate/models/internal/convcli"
	"autogate/models/onnx"
)

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"only-one"}, {"a", "b", "c"}, {"--bogus"}} {
		var stderr bytes.Buffer
		if code := command.Run(args, &stderr); code != convcli.ExitUsage {
			t.Errorf("command.Run(%q) = %d, want %d; stderr: %s", args, code, convcli.ExitUsage, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := command.Run([]string{"--help"}, &stderr); code != convcli.ExitOK || !strings.Contains(stderr.String(), "_FusedConv2D") {
		t.Errorf("--help: exit %d, %q; want 0 and the usage with the supported ops", code, stderr.String())
	}
}

func TestMissingInputSaysHowToGetIt(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := command.Run([]string{filepath.Join(dir, "absent.json"), filepath.Join(dir, "out.onnx")}, &stderr)
	if code != convcli.ExitConvert || !strings.Contains(stderr.String(), "make models") {
		t.Fatalf("exit %d, stderr %q; want %d and a hint to run make models", code, stderr.String(), convcli.ExitConvert)
	}
}

func TestUnsupportedOpLeavesNoOutput(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "model.json"), filepath.Join(dir, "out", "model.onnx")
	model := `{"format":"graph-model","modelTopology":{"node":[
		{"name":"input","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"1"},{"size":"4"}]}}}},
		{"name":"y","op":"Softplus","input":["input"]}]},"weightsManifest":[]}`
	if err := os.WriteFile(in, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := command.Run([]string{in, out}, &stderr); code != convcli.ExitConvert || !strings.Contains(stderr.String(), "Softplus") {
		t.Fatalf("exit %d, stderr %q; want %d and an error naming Softplus", code, stderr.String(), convcli.ExitConvert)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed conversion left %s behind (%v)", out, err)
	}
}

func TestConvertsBlazeFace(t *testing.T) {
	in := filepath.Join(testenv.RepoRoot(t), "models", "cache", "human-models", "package", "models", "blazeface.json")
	if _, err := os.Stat(in); err != nil {
		t.Skipf("%s not found: run `make models` (needs network) to test the conversion of the real model", in)
	}
	out := filepath.Join(t.TempDir(), "new", "folder", "blazeface.onnx")
	var stderr bytes.Buffer
	if code := command.Run([]string{in, out}, &stderr); code != convcli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadModel(b)
	if err != nil {
		t.Fatalf("the written file is not a readable ONNX model: %v", err)
	}
	var outs []string
	for _, o := range m.Graph.Outputs {
		outs = append(outs, o.Name)
	}
	if !slices.Equal(outs, []string{"regressors", "classificators"}) || m.Graph.Inputs[0].Name != "input" {
		t.Errorf("input %q, outputs %v; want input → [regressors classificators]", m.Graph.Inputs[0].Name, outs)
	}
}

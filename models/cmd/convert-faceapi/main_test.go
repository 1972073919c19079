package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
	"autogate/models/internal/convcli"
)

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, convcli.ExitOK, "usage: convert-faceapi --net landmark68|dlib"},
		{[]string{"--net", "landmark68", "only-one"}, convcli.ExitUsage, "got 1 arguments"},
		{[]string{"--net", "blazeface", "a.json", "b.onnx"}, convcli.ExitUsage, `not "blazeface"`},
		{[]string{"a.json", "b.onnx"}, convcli.ExitUsage, `--net must be landmark68 or dlib, not ""`},
		{[]string{"--bogus"}, convcli.ExitUsage, "flag provided but not defined"},
	} {
		var out bytes.Buffer
		if code := command.Run(c.args, &out); code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("run %v = %d, output %q; want %d and %q", c.args, code, out.String(), c.code, c.want)
		}
	}
}

func TestMissingAndBadManifest(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if code := command.Run([]string{"--net", "dlib", filepath.Join(dir, "nope.json"), filepath.Join(dir, "o.onnx")}, &out); code != convcli.ExitConvert || !strings.Contains(out.String(), "make models") {
		t.Errorf("missing manifest: %d %q", code, out.String())
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"paths":["w.bin"],"weights":[{"name":"fc","shape":[256,128],"dtype":"float32"}]}]`), 0o644)
	os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 100), 0o644)
	out.Reset()
	if code := command.Run([]string{"--net", "dlib", bad, filepath.Join(dir, "o.onnx")}, &out); code != convcli.ExitConvert || !strings.Contains(out.String(), "needs 131072 bytes") {
		t.Errorf("short shard: %d %q", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "o.onnx")); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind (%v)", "o.onnx", err)
	}
}

func TestConvertRealNets(t *testing.T) {
	modelDir := filepath.Join(testenv.RepoRoot(t), "models", "cache", "face-api", "package", "model")
	for _, c := range []struct{ net, manifest, output string }{
		{"landmark68", "face_landmark_68_model-weights_manifest.json", "landmarks"},
		{"dlib", "face_recognition_model-weights_manifest.json", "descriptor"},
	} {
		manifest := filepath.Join(modelDir, c.manifest)
		if _, err := os.Stat(manifest); os.IsNotExist(err) {
			t.Skipf("%s not found: run `make models` (needs network)", manifest)
		}
		out := filepath.Join(t.TempDir(), "new", "dir", c.net+".onnx")
		var log bytes.Buffer
		if code := command.Run([]string{"--net", c.net, manifest, out}, &log); code != convcli.ExitOK {
			t.Fatalf("%s: exit %d: %s", c.net, code, log.String())
		}
		net := gocv.ReadNetFromONNX(out)
		if net.Empty() {
			t.Fatalf("%s: OpenCV cannot load %s", c.net, out)
		}
		names := net.GetLayerNames()
		net.Close()
		if len(names) == 0 || !strings.Contains(log.String(), "converted") {
			t.Errorf("%s: %d layers, log %q", c.net, len(names), log.String())
		}
	}
}

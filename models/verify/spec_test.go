package verify

import (
	"strings"
	"testing"
)

func TestEmbeddedSpecs(t *testing.T) {
	specs, err := Specs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		script, onnx string
		size         int
		outputs      string
	}{
		"blazeface":        {"blazeface.cjs", "onnx/blazeface.onnx", 256, "regressors,classificators"},
		"face_landmark_68": {"faceapi_landmark68.cjs", "onnx/face_landmark_68.onnx", 112, "landmarks"},
		"dlib_resnet":      {"faceapi_dlib.cjs", "onnx/dlib_resnet.onnx", 150, "descriptor"},
		"mobilefacenet":    {"mobilefacenet.cjs", "onnx/mobilefacenet.onnx", 112, "embeddings_out"},
	}
	if len(specs) != len(want) {
		t.Fatalf("%d specs, want %d", len(specs), len(want))
	}
	for _, s := range specs {
		w, ok := want[s.Name]
		if !ok || s.Script != w.script || s.ONNX != w.onnx || s.Size != w.size || strings.Join(s.Outputs, ",") != w.outputs {
			t.Errorf("spec %+v, want %+v", s, w)
		}
		// Pixel 0 and 255 must land where the contracts say.
		lo, hi := s.Offset, 255*s.Scale+s.Offset
		switch s.Name {
		case "blazeface":
			if !near(lo, -1) || !near(hi, 1) {
				t.Errorf("blazeface maps 0..255 to %v..%v, want −1..1", lo, hi)
			}
		case "mobilefacenet":
			if !near(lo, -127.5/128) || !near(hi, 127.5/128) {
				t.Errorf("mobilefacenet maps 0..255 to %v..%v, want ±127.5/128", lo, hi)
			}
		default:
			if lo != 0 || hi != 255 {
				t.Errorf("%s maps 0..255 to %v..%v, want raw pixels", s.Name, lo, hi)
			}
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestParseSpecsRefuses(t *testing.T) {
	const good = `name = "m"
script = "m.cjs"
onnx = "onnx/m.onnx"
input = "input"
size = 8
scale = 1.0
offset = 0.0
outputs = ["y"]
`
	if _, err := ParseSpecs([]byte("[[model]]\n" + good)); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	for name, c := range map[string]struct{ body, want string }{
		"empty":         {"", "no [[model]]"},
		"unknown field": {"[[model]]\n" + good + "colour = 1\n", "colour"},
		"script path":   {"[[model]]\n" + strings.Replace(good, `"m.cjs"`, `"../m.cjs"`, 1), "plain file name"},
		"onnx escapes":  {"[[model]]\n" + strings.Replace(good, `"onnx/m.onnx"`, `"../m.onnx"`, 1), "inside the cache"},
		"onnx absolute": {"[[model]]\n" + strings.Replace(good, `"onnx/m.onnx"`, `"/m.onnx"`, 1), "inside the cache"},
		"size":          {"[[model]]\n" + strings.Replace(good, "size = 8", "size = 0", 1), "size 0"},
		"scale":         {"[[model]]\n" + strings.Replace(good, "scale = 1.0", "scale = 0.0", 1), "scale"},
		"no outputs":    {"[[model]]\n" + strings.Replace(good, `["y"]`, `[]`, 1), "outputs is empty"},
		"twice":         {"[[model]]\n" + good + "[[model]]\n" + good, "twice"},
		"not toml":      {"[[model]\n", "verify specs"},
	} {
		if _, err := ParseSpecs([]byte(c.body)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", name, err, c.want)
		}
	}
}

func TestSelect(t *testing.T) {
	specs := []Spec{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	got, err := Select(specs, []string{"c", "a"})
	if err != nil || len(got) != 2 || got[0].Name != "c" || got[1].Name != "a" {
		t.Errorf("Select(c, a) = %v, %v", got, err)
	}
	if got, _ := Select(specs, nil); len(got) != 3 {
		t.Errorf("Select() = %v, want all", got)
	}
	if _, err := Select(specs, []string{"z"}); err == nil || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("unknown name: err %v, want the known names listed", err)
	}
}

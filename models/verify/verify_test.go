package verify

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
	"autogate/models/onnx"
)

const tinySize = 8

// tinySpec is the harness tests' model: small enough that OpenCV and Node
// run it in milliseconds, with outputs that expose a wrong channel order or
// a swapped H/W (see testdata/js/tiny.cjs, which computes the same).
func tinySpec(script string) Spec {
	return Spec{
		Name: "tiny", Source: "testdata/js/tiny.cjs", Script: script,
		ONNX: "onnx/tiny.onnx", Input: "input", Size: tinySize,
		Scale: 1.0 / 255, Offset: -0.5, Outputs: []string{"mean", "lin", "pos"},
	}
}

// writeTinyModel builds the ONNX twin of tiny.cjs into cacheDir/rel.
func writeTinyModel(t *testing.T, cacheDir, rel string) {
	t.Helper()
	const s = tinySize
	b := onnx.NewBuilder("tiny", 11)
	x := b.Input("input", 1, 3, s, s)
	b.NodeOut("Flatten", []string{b.GlobalAveragePool(x)}, []string{"mean"}, onnx.AttrI("axis", 1))
	w := b.Const("w", []int64{2, 3}, []float32{0.5, -1, 2, 1.5, 0.25, -0.75})
	bias := b.Const("b", []int64{2}, []float32{0.1, -0.2})
	b.NodeOut("Gemm", []string{"mean", w, bias}, []string{"lin"}, onnx.AttrI("transB", 1))
	// pos: one Gemm over the NCHW-flattened input with weights row·1 and
	// col/(1+c).
	pw := make([]float32, 2*3*s*s)
	for c := range 3 {
		for y := range s {
			for xx := range s {
				i := (c*s+y)*s + xx
				pw[i] = float32(y)
				pw[3*s*s+i] = float32(xx) / float32(1+c)
			}
		}
	}
	flat := b.Flatten(x, 1)
	b.NodeOut("Gemm", []string{flat, b.Const("pw", []int64{2, 3 * s * s}, pw)}, []string{"pos"}, onnx.AttrI("transB", 1))
	b.Output("mean", 1, 3)
	b.Output("lin", 1, 2)
	b.Output("pos", 1, 2)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cacheDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found on PATH: install Node.js to test the harness against its Node scripts")
	}
}

// tinyVerifier returns a verifier over a fresh cache holding the tiny model
// and the testdata scripts.
func tinyVerifier(t *testing.T) *Verifier {
	t.Helper()
	cache := t.TempDir()
	writeTinyModel(t, cache, "onnx/tiny.onnx")
	scripts, err := filepath.Abs(filepath.Join("testdata", "js"))
	if err != nil {
		t.Fatal(err)
	}
	return &Verifier{CacheDir: cache, Runner: NodeRunner{ScriptDir: scripts}}
}

// randomInputs returns n preprocessed NHWC images of random pixels.
func randomInputs(spec Spec, n int) ([]float32, []string) {
	r := rand.New(rand.NewPCG(4, 2))
	in := make([]float32, n*spec.Size*spec.Size*3)
	for i := range in {
		in[i] = float32(float64(r.IntN(256))*spec.Scale + spec.Offset)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = "img" + string(rune('A'+i)) + ".jpg"
	}
	return in, names
}

func TestCheckTinyModelPasses(t *testing.T) {
	needNode(t)
	v := tinyVerifier(t)
	spec := tinySpec("linear.cjs")
	var stages []Stage
	v.Progress = func(p Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
	}
	in, names := randomInputs(spec, 6)
	r := v.Check(context.Background(), spec, in, names)
	if r.Status != StatusPass {
		t.Fatalf("status %s (%s), want PASS", r.Status, r.Detail)
	}
	if len(r.Outputs) != 3 {
		t.Fatalf("%d output results, want 3", len(r.Outputs))
	}
	wantValues := map[string]int{"mean": 3, "lin": 2, "pos": 2}
	for _, o := range r.Outputs {
		t.Logf("%s: %d values × %d crops, worst cosine %.9f, max |Δ| %.3g", o.Name, o.Values, o.Crops, o.WorstCosine, o.MaxAbsDiff)
		if o.Values != wantValues[o.Name] || o.Crops != 6 || !o.Pass {
			t.Errorf("output %+v, want %d values over 6 crops, passing", o, wantValues[o.Name])
		}
		if o.MaxAbsDiff > 1e-3 {
			t.Errorf("output %s: max |Δ| %g between two float32 computations of the same map", o.Name, o.MaxAbsDiff)
		}
	}
	if strings.Join([]string{string(stages[0]), string(stages[len(stages)-1])}, ",") != "onnx,source" {
		t.Errorf("progress stages %v, want onnx then source", stages)
	}
}

func TestCheckReportsPerturbedOutputAsFail(t *testing.T) {
	needNode(t)
	v := tinyVerifier(t)
	in, names := randomInputs(tinySpec(""), 5)
	r := v.Check(context.Background(), tinySpec("perturbed.cjs"), in, names)
	if r.Status != StatusFail {
		t.Fatalf("status %s (%s), want FAIL", r.Status, r.Detail)
	}
	for _, o := range r.Outputs {
		t.Logf("%s: worst cosine %.6f on %s, max |Δ| %.3g, pass %v", o.Name, o.WorstCosine, o.WorstCrop, o.MaxAbsDiff, o.Pass)
		switch o.Name {
		case "lin":
			if o.Pass || o.WorstCrop != names[2] || o.MaxAbsDiff < 0.5 {
				t.Errorf("perturbed output %+v: want failing, worst on %s, |Δ| ≥ 0.5", o, names[2])
			}
		default:
			if !o.Pass {
				t.Errorf("untouched output %s reported failing: %+v", o.Name, o)
			}
		}
	}
	if !strings.Contains(r.Detail, `"lin"`) || !strings.Contains(r.Detail, names[2]) {
		t.Errorf("detail %q does not name the output and the crop", r.Detail)
	}
}

func TestCheckMissing(t *testing.T) {
	v := tinyVerifier(t)
	in, names := randomInputs(tinySpec(""), 2)

	noModel := tinySpec("linear.cjs")
	noModel.ONNX = "onnx/absent.onnx"
	r := v.Check(context.Background(), noModel, in, names)
	if r.Status != StatusMissing || !strings.Contains(r.Detail, "make models") || !strings.Contains(r.Detail, "absent.onnx") {
		t.Errorf("absent model: %s %q, want MISSING naming the file and `make models`", r.Status, r.Detail)
	}

	noScript := tinySpec("not_written_yet.cjs")
	r = v.Check(context.Background(), noScript, in, names)
	if r.Status != StatusMissing || !strings.Contains(r.Detail, "not_written_yet.cjs") {
		t.Errorf("absent script: %s %q, want MISSING naming the script", r.Status, r.Detail)
	}
}

func TestCheckScriptErrors(t *testing.T) {
	needNode(t)
	v := tinyVerifier(t)
	in, names := randomInputs(tinySpec(""), 3)
	for script, want := range map[string]string{
		"crash.cjs": "weights not found",
		"short.cjs": "wrote 20 values, want 3 images × 7",
	} {
		r := v.Check(context.Background(), tinySpec(script), in, names)
		if r.Status != StatusError || !strings.Contains(r.Detail, want) {
			t.Errorf("%s: %s %q, want ERROR containing %q", script, r.Status, r.Detail, want)
		}
	}
}

func TestCheckRefusesWrongGraphBeforeOpenCV(t *testing.T) {
	v := tinyVerifier(t)
	for name, edit := range map[string]func(*Spec){
		`no output "nope"`: func(s *Spec) { s.Outputs = []string{"mean", "nope"} },
		`no input "image"`: func(s *Spec) { s.Input = "image" },
		"want [N 3 16 16]": func(s *Spec) { s.Size = 16 },
	} {
		spec := tinySpec("linear.cjs")
		edit(&spec)
		in, names := randomInputs(spec, 1)
		r := v.Check(context.Background(), spec, in, names)
		if r.Status != StatusError || !strings.Contains(r.Detail, name) {
			t.Errorf("%s: %s %q, want ERROR saying so", name, r.Status, r.Detail)
		}
	}
}

func TestPreprocessChannelOrderAndScale(t *testing.T) {
	// BGR (10, 20, 30) must reach the models as RGB 30, 20, 10.
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(10, 20, 30, 0), 20, 20, gocv.MatTypeCV8UC3)
	spec := tinySpec("")
	spec.Scale, spec.Offset = 0.5, -1
	in, err := Preprocess([]Face{{Name: "flat", Mat: img}, {Name: "flat2", Mat: img.Clone()}}, spec)
	CloseFaces([]Face{{Mat: img}})
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2*tinySize*tinySize*3 {
		t.Fatalf("%d values, want %d", len(in), 2*tinySize*tinySize*3)
	}
	for i := 0; i < len(in); i += 3 {
		if in[i] != 14 || in[i+1] != 9 || in[i+2] != 4 {
			t.Fatalf("pixel %d = %v, want [14 9 4] (RGB × 0.5 − 1)", i/3, in[i:i+3])
		}
	}
}

func TestToNCHW(t *testing.T) {
	// 2×3 image, 2 channels: value = 100·c + 10·y + x.
	const h, w, c = 2, 3, 2
	nhwc := make([]float32, h*w*c)
	for y := range h {
		for x := range w {
			for ch := range c {
				nhwc[(y*w+x)*c+ch] = float32(100*ch + 10*y + x)
			}
		}
	}
	got := ToNCHW(nhwc, h, w, c)
	want := []float32{0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ToNCHW = %v, want %v", got, want)
		}
	}
}

// TestLFWCropsThroughTinyModel runs the real crop pipeline (labels.csv,
// decoding, central crop, resize) end to end on the tiny model.
func TestLFWCropsThroughTinyModel(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	needNode(t)
	crops, err := LoadLFWCrops(lfw, 20)
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]bool{}
	for _, c := range crops {
		people[c.Identity] = true
	}
	if len(people) != 20 {
		t.Errorf("20 crops of %d people, want one per person", len(people))
	}
	faces, err := LoadFaces(lfw, crops)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFaces(faces)
	for _, f := range faces {
		if f.Mat.Rows() != 150 || f.Mat.Cols() != 150 {
			t.Fatalf("%s: crop %dx%d, want the central 150×150 of LFW's 250×250", f.Name, f.Mat.Cols(), f.Mat.Rows())
		}
	}
	spec := tinySpec("linear.cjs")
	in, err := Preprocess(faces, spec)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(faces))
	for i, f := range faces {
		names[i] = f.Name
	}
	r := tinyVerifier(t).Check(context.Background(), spec, in, names)
	if r.Status != StatusPass {
		t.Fatalf("status %s (%s), want PASS", r.Status, r.Detail)
	}
	again, err := LoadLFWCrops(lfw, 20)
	if err != nil || len(again) != len(crops) || again[7] != crops[7] {
		t.Errorf("a second pick differs: %v, %v", again, err)
	}
}

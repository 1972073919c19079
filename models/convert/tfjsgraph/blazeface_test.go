package tfjsgraph

import (
	"encoding/csv"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// blazeFacePath is where `make models` puts human-models' BlazeFace.
const blazeFacePath = "models/cache/human-models/package/models/blazeface.json"

func loadBlazeFace(t *testing.T) (*Model, map[string]tfjs.Tensor) {
	t.Helper()
	path := filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(blazeFacePath))
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("%s not found: run `make models` (needs network) to test against the real BlazeFace", path)
	}
	m, w, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m, w
}

func convertBlazeFace(t *testing.T) *onnx.Model {
	t.Helper()
	m, w := loadBlazeFace(t)
	om, err := Convert(m, w, BlazeFace())
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return om
}

// TestBlazeFaceOutputsAreWiredAsTheContract checks BlazeFace()'s choice of
// Identity nodes against the graph itself, and the converted shapes.
func TestBlazeFaceOutputsAreWiredAsTheContract(t *testing.T) {
	m, _ := loadBlazeFace(t)
	t.Log(m)
	byName := map[string]*Node{}
	for i := range m.Nodes {
		byName[m.Nodes[i].Name] = &m.Nodes[i]
	}
	for _, o := range BlazeFace().Outputs {
		for i, id := range o.From {
			n := byName[id]
			if n == nil || n.Op != "Identity" || len(n.Input) != 1 {
				t.Fatalf("%s: %q is not an Identity output of the graph", o.Name, id)
			}
			// The Reshape feeding it is named after the head: kind_1 is
			// stride 16, kind_2 stride 32.
			want := o.Name + "_" + string(rune('1'+i))
			if !strings.HasSuffix(n.Input[0], "/"+want) || byName[n.Input[0]].Op != "Reshape" {
				t.Errorf("%s part %d reads %q, want the Reshape %s", o.Name, i, n.Input[0], want)
			}
		}
	}
	om := convertBlazeFace(t)
	dims := func(vi *onnx.ValueInfo) []int64 {
		d := make([]int64, len(vi.Shape))
		for i, s := range vi.Shape {
			d[i] = s.Value
		}
		return d
	}
	g := om.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "input" || !slices.Equal(dims(g.Inputs[0]), []int64{1, 3, 256, 256}) {
		t.Errorf("input %q %v, want input [1 3 256 256]", g.Inputs[0].Name, dims(g.Inputs[0]))
	}
	if len(g.Outputs) != 2 || g.Outputs[0].Name != "regressors" || !slices.Equal(dims(g.Outputs[0]), []int64{1, 896, 16}) ||
		g.Outputs[1].Name != "classificators" || !slices.Equal(dims(g.Outputs[1]), []int64{1, 896, 1}) {
		t.Errorf("outputs %q %v, %q %v; want regressors [1 896 16], classificators [1 896 1]",
			g.Outputs[0].Name, dims(g.Outputs[0]), g.Outputs[1].Name, dims(g.Outputs[1]))
	}
	ops, count := g.OpTypes()
	t.Logf("ONNX ops %v", count)
	// 37 _FusedConv2D + 32 depthwise convs; channel Pads survive as Pad.
	if count["Conv"] != 69 || count["Pad"] != 2 || count["MaxPool"] != 3 || count["Concat"] != 2 {
		t.Errorf("ONNX ops %v, want 69 Conv, 2 Pad, 3 MaxPool, 2 Concat", ops)
	}
}

// anchor is a BlazeFace anchor centre in pixels of the 256 input.
type anchor struct{ x, y float64 }

// blazeFaceAnchors lists the 896 anchors in output order: the 16×16 grid of
// stride 16 with 2 anchors per cell, then the 8×8 grid of stride 32 with 6.
func blazeFaceAnchors() []anchor {
	var a []anchor
	for _, l := range []struct{ stride, per int }{{16, 2}, {32, 6}} {
		n := 256 / l.stride
		for y := range n {
			for x := range n {
				for range l.per {
					a = append(a, anchor{(float64(x) + 0.5) * float64(l.stride), (float64(y) + 0.5) * float64(l.stride)})
				}
			}
		}
	}
	return a
}

// lfwSample returns n LFW photos spread evenly over labels.csv.
func lfwSample(t *testing.T, n int) []string {
	t.Helper()
	dir := testenv.SharedTestdata(t, "faces/lfw")
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:]
	if len(rows) < n {
		t.Fatalf("labels.csv lists %d photos, want at least %d", len(rows), n)
	}
	var out []string
	for i := range n {
		out = append(out, filepath.Join(dir, filepath.FromSlash(rows[i*len(rows)/n][0])))
	}
	return out
}

// TestBlazeFaceFindsLFWFaces is a sanity check of the whole conversion: the
// converted detector, run by OpenCV with the contract's preprocessing, must
// find the face LFW centres in its photos. (Exact agreement with TF.js is
// checked by make models-verify.)
func TestBlazeFaceFindsLFWFaces(t *testing.T) {
	const photos = 60
	files := lfwSample(t, photos)
	b, err := convertBlazeFace(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	net, err := gocv.ReadNetFromONNXBytes(b)
	if err != nil {
		t.Fatalf("OpenCV refused the converted BlazeFace: %v", err)
	}
	defer net.Close()
	anchors := blazeFaceAnchors()
	found := 0
	var misses []string
	for _, file := range files {
		img := gocv.IMRead(file, gocv.IMReadColor)
		if img.Empty() {
			t.Fatalf("cannot read %s", file)
		}
		// Pad to a square (bottom/right) as the detector expects, then the
		// contract's input: 256×256 RGB, x/127.5 − 1.
		side := max(img.Rows(), img.Cols())
		sq := gocv.NewMat()
		gocv.CopyMakeBorder(img, &sq, 0, side-img.Rows(), 0, side-img.Cols(), gocv.BorderConstant, color.RGBA{})
		blob := gocv.BlobFromImage(sq, 1/127.5, image.Pt(256, 256), gocv.NewScalar(127.5, 127.5, 127.5, 0), true, false)
		net.SetInput(blob, "input")
		outs := net.ForwardLayers([]string{"regressors", "classificators"})
		reg, err1 := outs[0].DataPtrFloat32()
		cls, err2 := outs[1].DataPtrFloat32()
		if err1 != nil || err2 != nil || len(reg) != 896*16 || len(cls) != 896 {
			t.Fatalf("%s: outputs %v %v (%v, %v)", file, outs[0].Size(), outs[1].Size(), err1, err2)
		}
		// The best-scoring anchor must be the centred face (a few LFW photos
		// show a second, sharper face: those count as misses).
		best, bestScore := -1, 0.5
		for i, logit := range cls {
			if s := 1 / (1 + math.Exp(-float64(logit))); s >= bestScore {
				best, bestScore = i, s
			}
		}
		ok := false
		var cx, cy, w, h float64
		if best >= 0 {
			r := reg[best*16:]
			cx, cy = anchors[best].x+float64(r[0]), anchors[best].y+float64(r[1])
			w, h = float64(r[2]), float64(r[3])
			scale := 256 / float64(side) // LFW is 250 px with the face centred
			ok = math.Hypot(cx-float64(img.Cols())/2*scale, cy-float64(img.Rows())/2*scale) < 40 &&
				w > 50 && w < 180 && h > 50 && h < 180
		}
		if ok {
			found++
		} else {
			misses = append(misses, filepath.Base(file))
		}
		t.Logf("%s: score %.3f centre (%.0f, %.0f) size %.0f×%.0f", filepath.Base(file), bestScore, cx, cy, w, h)
		for _, m := range []gocv.Mat{img, sq, blob, outs[0], outs[1]} {
			m.Close()
		}
	}
	t.Logf("face found near the centre in %d of %d LFW photos; missed %v", found, len(files), misses)
	if found*100 < 95*len(files) {
		t.Fatalf("face found in %d of %d photos, want ≥ 95 %%; missed %v", found, len(files), misses)
	}
}

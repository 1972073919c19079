package main

import (
	"image"
	"image/color"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
)

// TestCutFaceFollowsHumansBox: a white box on black must fill the middle
// 1/1.4 of the 192² crop, centred, and outside the image is black.
func TestCutFaceFollowsHumansBox(t *testing.T) {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 300, 400, gocv.MatTypeCV8UC3)
	defer img.Close()
	box := image.Rect(100, 50, 240, 190) // 140² at centre (170, 120)
	gocv.Rectangle(&img, box, color.RGBA{255, 255, 255, 0}, -1)
	crop := cutFace(img, box, boxScale)
	defer crop.Close()
	if crop.Rows() != meshSize || crop.Cols() != meshSize {
		t.Fatalf("crop %d×%d, want %d²", crop.Cols(), crop.Rows(), meshSize)
	}
	half := meshSize / boxScale / 2 // ≈ 68.6 px
	for _, c := range []struct {
		x, y  int
		white bool
	}{
		{96, 96, true}, {96 - int(half) + 3, 96, true}, {96 + int(half) - 3, 96, true}, {96, 96 - int(half) + 3, true},
		{96 - int(half) - 4, 96, false}, {96 + int(half) + 4, 96, false}, {96, 96 + int(half) + 4, false},
	} {
		v := crop.GetVecbAt(c.y, c.x)[1]
		if c.white != (v > 200) || !c.white && v > 20 {
			t.Errorf("crop (%d,%d) = %d, want white %v", c.x, c.y, v, c.white)
		}
	}
	// A box at the image corner: what lies outside the image is black.
	corner := cutFace(img, image.Rect(0, 0, 60, 60), boxScale)
	defer corner.Close()
	if v := corner.GetVecbAt(5, 5)[0]; v != 0 {
		t.Errorf("outside the image = %d, want 0", v)
	}
}

// TestProxiesChangeThePhoto: every attack proxy keeps the size and alters
// the pixels; the genuine presentation is the photo itself.
func TestProxiesChangeThePhoto(t *testing.T) {
	img := gocv.NewMatWithSize(120, 160, gocv.MatTypeCV8UC3)
	defer img.Close()
	gocv.RandU(&img, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
	for pi, name := range presentations {
		shown, err := present(img, pi)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if pi == 0 {
			if shown.Ptr() != img.Ptr() {
				t.Errorf("genuine is a copy")
			}
			continue
		}
		if shown.Rows() != img.Rows() || shown.Cols() != img.Cols() || shown.Type() != img.Type() {
			t.Errorf("%s: %d×%d type %v, want the photo's", name, shown.Cols(), shown.Rows(), shown.Type())
		}
		diff := gocv.NewMat()
		gocv.AbsDiff(img, shown, &diff)
		if m := diff.Mean(); m.Val1+m.Val2+m.Val3 < 3 {
			t.Errorf("%s: mean change %v, want a visible change", name, m)
		}
		diff.Close()
		shown.Close()
	}
	if _, err := present(img, len(presentations)); err == nil {
		t.Error("an unknown presentation was accepted")
	}
}

func TestWilson(t *testing.T) {
	lo, hi := wilson(0, 10)
	if lo != 0 || math.Abs(hi-27.75) > 0.01 {
		t.Errorf("wilson(0,10) = [%.2f, %.2f], want [0, 27.75]", lo, hi)
	}
	lo, hi = wilson(5, 10)
	if math.Abs(lo-23.66) > 0.01 || math.Abs(hi-76.34) > 0.01 {
		t.Errorf("wilson(5,10) = [%.2f, %.2f], want [23.66, 76.34]", lo, hi)
	}
}

// TestEvaluateOnLFW runs the whole measurement on a few photos: every
// score is a probability, one per photo and presentation, and the
// liveness net calls most genuine photos live (it does on the full set;
// a wrong channel order or scale would break that).
func TestEvaluateOnLFW(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	dir := filepath.Join(testenv.RepoRoot(t), "models", "cache", "onnx")
	for _, f := range []string{"antispoof.onnx", "liveness.onnx", "blazeface.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("%s missing: run `make models`", f)
		}
	}
	r, err := evaluate(options{data: lfw, models: dir, n: 12, threads: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if r.used < 10 {
		t.Fatalf("faces found in %d of 12 photos", r.used)
	}
	for ni, n := range nets {
		for pi, p := range presentations {
			s := r.scores[ni][pi]
			if len(s) != r.used {
				t.Fatalf("%s %s: %d scores for %d photos", n.name, p, len(s), r.used)
			}
			for _, v := range s {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s %s: score %v", n.name, p, v)
				}
			}
		}
	}
	if m := median(r.scores[1][0]); m < 0.6 {
		t.Errorf("liveness median on genuine photos %.2f, want ≥ 0.6", m)
	}
	t.Logf("genuine medians: antispoof %.2f, liveness %.2f", median(r.scores[0][0]), median(r.scores[1][0]))
}

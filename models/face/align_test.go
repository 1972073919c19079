package face

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestSimilarityRecoversKnownTransform: points moved by a known rotation,
// scale and shift give back exactly that transform, with or without a
// little noise.
func TestSimilarityRecoversKnownTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ angle, scale, tx, ty, noise float64 }{
		{0, 1, 0, 0, 0},
		{30, 2.5, -14, 7, 0},
		{-170, 0.3, 100, -50, 0},
		{12, 1.7, 3, 4, 0.01},
	} {
		a := tc.angle * math.Pi / 180
		want := Affine{tc.scale * math.Cos(a), -tc.scale * math.Sin(a), tc.tx, tc.scale * math.Sin(a), tc.scale * math.Cos(a), tc.ty}
		var src, dst []Point
		for range 12 {
			p := Point{r.Float64()*200 - 100, r.Float64()*200 - 100}
			q := want.Apply(p)
			q[0] += tc.noise * r.NormFloat64()
			q[1] += tc.noise * r.NormFloat64()
			src, dst = append(src, p), append(dst, q)
		}
		got, ok := similarity(src, dst)
		if !ok {
			t.Fatalf("%+v: no transform", tc)
		}
		tol := 1e-9 + 10*tc.noise
		for i := range got {
			if !near(got[i], want[i], tol) {
				t.Fatalf("%+v: got %v, want %v", tc, got, want)
			}
		}
		inv, ok := got.Invert()
		if !ok {
			t.Fatal("not invertible")
		}
		if p := inv.Apply(got.Apply(Point{3, -8})); !near(p[0], 3, 1e-9) || !near(p[1], -8, 1e-9) {
			t.Fatalf("inverse maps back to %v", p)
		}
	}
}

// TestSimilarityRefusesReflectionAndDegenerate: a mirror image is not a
// similarity (the fit must not flip the face); coincident points have no
// transform.
func TestSimilarityRefusesReflectionAndDegenerate(t *testing.T) {
	src := []Point{{0, 0}, {10, 0}, {0, 10}}
	dst := []Point{{0, 0}, {-10, 0}, {0, 10}}
	m, ok := similarity(src, dst)
	if !ok {
		t.Fatal("no transform")
	}
	if det := m[0]*m[4] - m[1]*m[3]; det < 0 {
		t.Fatalf("fit reflects (det %g)", det)
	}
	if _, ok := similarity([]Point{{1, 1}, {1, 1}}, []Point{{0, 0}, {5, 5}}); ok {
		t.Fatal("coincident source points gave a transform")
	}
	if _, ok := similarity([]Point{{1, 1}}, []Point{{0, 0}}); ok {
		t.Fatal("one point gave a transform")
	}
}

// syntheticLandmarks places the 68 points of a face: dlib's mean face for
// 17–67 and a jaw arc, in a unit square mapped by m.
func syntheticLandmarks(m Affine) [68]Point {
	var lm [68]Point
	for i := range 17 {
		a := math.Pi * float64(i) / 16
		lm[i] = m.Apply(Point{0.49 - 0.5*math.Cos(a), 0.3 + 0.62*math.Sin(a)})
	}
	for i, p := range dlibMeanFace {
		lm[17+i] = m.Apply(p)
	}
	return lm
}

// TestChipTransforms: landmarks of the mean face, placed anywhere in the
// image, land on dlib's template in the 150 px chip (the eyes level and
// symmetric) and on the ArcFace template's eye row in the 112 px crop.
func TestChipTransforms(t *testing.T) {
	a := 20 * math.Pi / 180
	place := Affine{180 * math.Cos(a), -180 * math.Sin(a), 300, 180 * math.Sin(a), 180 * math.Cos(a), 120}
	lm := syntheticLandmarks(place)

	chip, ok := dlibChipTransform(&lm)
	if !ok {
		t.Fatal("no chip transform")
	}
	le, re := chip.Apply(mean(lm[36:42])), chip.Apply(mean(lm[42:48]))
	if !near(le[1], re[1], 1e-6) {
		t.Fatalf("eyes not level in the chip: %v %v", le, re)
	}
	// The template spans (x+0.25)/1.5·150: the nose bridge (27) is at x 0.490127.
	if p := chip.Apply(lm[27]); !near(p[0], (0.25+0.490127)/1.5*150, 1e-6) {
		t.Fatalf("nose bridge at %v in the chip", p)
	}

	arc, ok := arcFaceTransform(&lm)
	if !ok {
		t.Fatal("no ArcFace transform")
	}
	le, re = arc.Apply(mean(lm[36:42])), arc.Apply(mean(lm[42:48]))
	if !near(le[1], re[1], 3) || !near(le[1], 51.6, 4) || !(le[0] < re[0]) || !near(re[0]-le[0], 73.53-38.29, 4) {
		t.Fatalf("eyes in the ArcFace crop at %v %v", le, re)
	}
}

// TestWarpAreaPath: shrinking a large image through the area-averaging
// path puts a marked pixel where the transform says, as the plain
// bilinear path does.
func TestWarpAreaPath(t *testing.T) {
	img := gocv.NewMatWithSize(1000, 1200, gocv.MatTypeCV8UC3)
	defer img.Close()
	// A white 40×40 square centred on (600, 400).
	roi := img.Region(image.Rect(580, 380, 620, 420))
	roi.SetTo(gocv.NewScalar(255, 255, 255, 0))
	roi.Close()
	for _, scale := range []float64{0.9, 0.3, 0.1} {
		m := Affine{scale, 0, 56 - 600*scale, 0, scale, 56 - 400*scale}
		out := warp(img, m, 112)
		// Centroid of the bright pixels.
		var sx, sy, n float64
		for y := range 112 {
			for x := range 112 {
				v := float64(out.GetVecbAt(y, x)[0])
				sx, sy, n = sx+v*float64(x), sy+v*float64(y), n+v
			}
		}
		out.Close()
		cx, cy := sx/n, sy/n
		if !near(cx, 55.5, 0.6) || !near(cy, 55.5, 0.6) {
			t.Fatalf("scale %g: square centred at (%.2f, %.2f) in the crop, want (55.5, 55.5)", scale, cx, cy)
		}
	}
}

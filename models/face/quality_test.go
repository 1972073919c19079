package face

import (
	"math"
	"slices"
	"testing"

	"gocv.io/x/gocv"
)

func TestRampAndEyeAspect(t *testing.T) {
	for _, tc := range []struct{ v, limit, good, want float64 }{
		{10, 20, 40, 0}, {30, 20, 40, 0.5}, {50, 20, 40, 1},
		{200, 215, 185, 0.5}, {180, 215, 185, 1}, {220, 215, 185, 0}, {math.NaN(), 0, 1, 0},
	} {
		if got := ramp(tc.v, tc.limit, tc.good); got != tc.want {
			t.Errorf("ramp(%g, %g, %g) = %g, want %g", tc.v, tc.limit, tc.good, got, tc.want)
		}
	}
	open := []Point{{0, 0}, {3, -1.5}, {7, -1.5}, {10, 0}, {7, 1.5}, {3, 1.5}}
	if v := eyeAspect(open); !near(v, 0.3, 1e-12) {
		t.Errorf("open eye aspect %g, want 0.3", v)
	}
	closed := []Point{{0, 0}, {3, -0.2}, {7, -0.2}, {10, 0}, {7, 0.2}, {3, 0.2}}
	if v := eyeAspect(closed); v > 0.05 {
		t.Errorf("closed eye aspect %g", v)
	}
}

// TestQualityPose: a synthetic frontal face scores no pose problem; the
// same face rolled 40° is flagged, with the roll measured.
func TestQualityPose(t *testing.T) {
	grey := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(120, 0, 0, 0), 112, 112, gocv.MatTypeCV8U)
	defer grey.Close()
	// Texture, so the face is not "blurred".
	for y := 0; y < 112; y += 4 {
		for x := 0; x < 112; x += 4 {
			if (x/4+y/4)%2 == 0 {
				grey.SetUCharAt(y, x, 200)
			}
		}
	}
	frontal := syntheticLandmarks(Affine{150, 0, 100, 0, 150, 100})
	q := measureQuality(&frontal, grey)
	if slices.Contains(q.Problems, "pose") || math.Abs(q.RollDeg) > 1 || math.Abs(q.YawDeg) > 5 {
		t.Errorf("frontal face: %+v", q)
	}
	a := 40 * math.Pi / 180
	rolled := syntheticLandmarks(Affine{150 * math.Cos(a), -150 * math.Sin(a), 100, 150 * math.Sin(a), 150 * math.Cos(a), 100})
	q = measureQuality(&rolled, grey)
	if !slices.Contains(q.Problems, "pose") || !near(q.RollDeg, 40, 1) {
		t.Errorf("rolled face: %+v", q)
	}
	if q.Score != 0 {
		t.Errorf("rolled face scores %g", q.Score)
	}
}

package face

import (
	"math"
	"testing"
)

// TestBlazeAnchors: 896 anchors, the 512 of the stride-16 map first (two
// per cell, row by row), then the 384 of the stride-32 map (six per cell).
func TestBlazeAnchors(t *testing.T) {
	a := blazeAnchorCentres()
	if len(a) != 896 {
		t.Fatalf("%d anchors, want 896", len(a))
	}
	for _, tc := range []struct {
		i    int
		want Point
	}{
		{0, Point{8, 8}}, {1, Point{8, 8}}, {2, Point{24, 8}},
		{31, Point{248, 8}}, {32, Point{8, 24}}, {511, Point{248, 248}},
		{512, Point{16, 16}}, {517, Point{16, 16}}, {518, Point{48, 16}},
		{512 + 6*8, Point{16, 48}}, {895, Point{240, 240}},
	} {
		if a[tc.i] != tc.want {
			t.Errorf("anchor %d at %v, want %v", tc.i, a[tc.i], tc.want)
		}
	}
}

// TestDecodeBlaze: offsets and sizes are pixels relative to the anchor;
// scores are the sigmoid of the logits; low scores, NaN and non-positive
// sizes are dropped.
func TestDecodeBlaze(t *testing.T) {
	anchors := blazeAnchorCentres()
	reg := make([]float32, 896*16)
	logits := make([]float32, 896)
	for i := range logits {
		logits[i] = -10
	}
	set := func(i int, logit float32, r ...float32) {
		logits[i] = logit
		copy(reg[i*16:], r)
	}
	set(40, 2, 3, -4, 50, 60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) // anchor 40: (8+16·4, 8+16·1) = (72, 24)
	set(600, 0.1, 0, 0, 30, 30)                                      // score 0.525
	set(601, float32(math.NaN()), 0, 0, 30, 30)
	set(602, 5, 0, 0, -3, 30)
	got := decodeBlaze(reg, logits, anchors, 0.5)
	if len(got) != 2 {
		t.Fatalf("%d detections, want 2: %+v", len(got), got)
	}
	d := got[0]
	if d.X0 != 75-25 || d.X1 != 75+25 || d.Y0 != 20-30 || d.Y1 != 20+30 {
		t.Fatalf("box %+v, want centre (75, 20), 50×60", d)
	}
	if !near(d.Score, 1/(1+math.Exp(-2)), 1e-12) {
		t.Fatalf("score %g", d.Score)
	}
	if d.Keypoints[0] != (Point{73, 26}) || d.Keypoints[5] != (Point{83, 36}) {
		t.Fatalf("keypoints %v", d.Keypoints)
	}
	if !near(got[1].Score, 0.52497918747894, 1e-9) {
		t.Fatalf("second score %g", got[1].Score)
	}
	// Short outputs are not read past their end.
	if got := decodeBlaze(reg[:16*41], logits, anchors, 0.5); len(got) != 1 {
		t.Fatalf("short regressors: %d detections", len(got))
	}
}

func box(x0, y0, x1, y1, s float64) detection {
	return detection{X0: x0, Y0: y0, X1: x1, Y1: y1, Score: s}
}

// TestWeightedNMS on hand cases: overlapping boxes merge into their
// score-weighted mean with the best score; boxes overlapping by IoU ≤ 0.3
// stay apart.
func TestWeightedNMS(t *testing.T) {
	if got := weightedNMS(nil, 0.3); len(got) != 0 {
		t.Fatalf("nothing in, %d out", len(got))
	}
	// Two boxes, IoU 81/119 ≈ 0.68: merged.
	a, b := box(0, 0, 10, 10, 0.9), box(1, 1, 11, 11, 0.6)
	got := weightedNMS([]detection{b, a}, 0.3)
	if len(got) != 1 {
		t.Fatalf("%d boxes, want 1", len(got))
	}
	wantX0 := (0.9*0 + 0.6*1) / 1.5
	if !near(got[0].X0, wantX0, 1e-12) || !near(got[0].X1, wantX0+10, 1e-12) || got[0].Score != 0.9 {
		t.Fatalf("merged %+v, want x0 %g and score 0.9", got[0], wantX0)
	}
	// IoU of these two is 50/150 = 1/3 > 0.3: merged; shifted further to
	// IoU 40/160 = 0.25: kept apart, best first.
	if got := weightedNMS([]detection{box(0, 0, 10, 10, 0.7), box(5, 0, 15, 10, 0.8)}, 0.3); len(got) != 1 {
		t.Fatalf("IoU 1/3: %d boxes, want 1", len(got))
	}
	got = weightedNMS([]detection{box(0, 0, 10, 10, 0.7), box(6, 0, 16, 10, 0.8)}, 0.3)
	if len(got) != 2 || got[0].Score != 0.8 || !near(got[0].X0, 6, 1e-12) || !near(got[1].X0, 0, 1e-12) {
		t.Fatalf("IoU 0.25: %+v, want both, best first", got)
	}
	// Two faces side by side, each with a duplicate.
	got = weightedNMS([]detection{
		box(0, 0, 10, 10, 0.9), box(100, 0, 110, 10, 0.95),
		box(0.5, 0, 10.5, 10, 0.8), box(100, 0.5, 110, 10.5, 0.7),
	}, 0.3)
	if len(got) != 2 || got[0].X0 < 99 || got[1].X0 > 1 {
		t.Fatalf("two faces: %+v", got)
	}
}

func TestIoU(t *testing.T) {
	if v := iou(box(0, 0, 10, 10, 1), box(0, 0, 10, 10, 1)); v != 1 {
		t.Fatalf("same box IoU %g", v)
	}
	if v := iou(box(0, 0, 10, 10, 1), box(10, 0, 20, 10, 1)); v != 0 {
		t.Fatalf("touching boxes IoU %g", v)
	}
}

package pad

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestFitHomographyRecoversAPlanarMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := project(pose{})
	h := homography{1.05, 0.04, 12, -0.03, 0.97, -7, 2e-4, -1e-4}
	dst := make([]Point, len(src))
	for i, p := range src {
		dst[i] = h.apply(p)
	}
	got, ok := fitHomography(src, dst, shapeSet)
	if !ok {
		t.Fatal("fit failed")
	}
	for _, k := range shapeSet {
		if d := dist(got.apply(src[k]), dst[k]); d > 1e-6 {
			t.Fatalf("point %d off by %g px after the fit", k, d)
		}
	}
	// A turned 3-D face is not a homography of the frontal one.
	turned := project(pose{yaw: 8})
	got, _ = fitHomography(src, turned, shapeSet)
	var worst float64
	for _, k := range shapeSet {
		worst = max(worst, dist(got.apply(src[k]), turned[k]))
	}
	if worst < 0.5 {
		t.Errorf("an 8° yaw leaves at most %.3f px after the best homography; want parallax", worst)
	}
	_ = rng
}

func TestEAR(t *testing.T) {
	open, shut := EAR(project(pose{})), EAR(project(pose{closure: 0.9}))
	if open < 0.3 || open > 0.4 || shut > 0.05 {
		t.Errorf("EAR open %.3f (want ~0.36), shut %.3f (want ~0.04)", open, shut)
	}
	if ied := InterEye(project(pose{})); math.Abs(ied-iedPx) > 1 {
		t.Errorf("inter-eye distance %.2f px, want %.0f", ied, iedPx)
	}
}

// jitterPx is the landmark noise of the tests: 1 % of the inter-eye
// distance, about what a 68-point net shows on a webcam face.
const jitterPx = 0.5

func TestAssessSeparatesLiveFromAttacks(t *testing.T) {
	c := DefaultConfig()
	cases := []struct {
		name   string
		frames [][]Point
		attack bool
		reason string
	}{
		{"live: turns and blinks", live(36, 4, true), false, "blink"},
		{"live: turns, no blink", live(36, 4, false), false, "3-D motion"},
		{"live: stands still but blinks", live(36, 0, true), false, "blink"},
		{"still photo", still(36), true, "still picture"},
		{"photo moved in the plane", printed(36, 0), true, "flat picture"},
		{"photo moved and tilted", printed(36, 4e-4), true, "flat picture"},
	}
	for _, tc := range cases {
		for seed := range uint64(5) {
			r := c.Assess(burst(tc.frames, jitterPx, seed), nil)
			if r.Attack != tc.attack {
				t.Errorf("%s (seed %d): score %.2f attack %v, want attack %v\n%+v\n%s", tc.name, seed, r.Score, r.Attack, tc.attack, r.Cues, strings.Join(r.Reasons, "\n"))
				continue
			}
			if !strings.Contains(strings.Join(r.Reasons, "; "), tc.reason) {
				t.Errorf("%s: reasons %q do not mention %q", tc.name, r.Reasons, tc.reason)
			}
			if tc.attack != (r.Code == ReasonCode) {
				t.Errorf("%s: code %q", tc.name, r.Code)
			}
		}
	}
}

func TestAssessFrozenAndShortBursts(t *testing.T) {
	c := DefaultConfig()
	frozen := burst(still(20), 0, 0) // the same points every frame
	if r := c.Assess(frozen, nil); r.Score != 1 || r.Cues.Repeats != 19 || !strings.Contains(r.Reasons[0], "frozen") {
		t.Errorf("frozen feed: %+v", r)
	}
	short := burst(live(5, 4, false), jitterPx, 1)
	noFace := append(burst(live(20, 4, true), jitterPx, 1), Observation{})
	for i := range 15 {
		noFace[i].Landmarks = nil
	}
	for name, b := range map[string][]Observation{"5 frames": short, "5 of 21 with a face": noFace} {
		r := c.Assess(b, nil)
		if !r.Attack || r.Score != 1 || !strings.Contains(r.Reasons[0], "needed") {
			t.Errorf("%s: %+v", name, r)
		}
	}
}

func TestBlinkNeedsDipAndRecovery(t *testing.T) {
	c := DefaultConfig()
	// Eyes closing at the end of the burst and staying shut: no recovery.
	frames := live(36, 0, false)
	for i := 30; i < 36; i++ {
		f := project(pose{closure: 0.9})
		frames[i] = f
	}
	r := c.Assess(burst(frames, jitterPx, 3), nil)
	if r.Cues.Blink != 0 {
		t.Errorf("eyes shut at the end counted as a blink: %+v", r.Cues)
	}
	// A real blink is found, with its timing.
	r = c.Assess(burst(live(36, 0, true), jitterPx, 3), nil)
	if r.Cues.Blink < 1 || r.Cues.BlinkDuration < 60*time.Millisecond || r.Cues.BlinkDuration > 300*time.Millisecond {
		t.Errorf("blink: %+v", r.Cues)
	}
}

func TestScoreIsGradedAndHardwareMixesIn(t *testing.T) {
	c := DefaultConfig()
	seen := map[float64]bool{}
	for _, yaw := range []float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 6} {
		for seed := range uint64(4) {
			r := c.Assess(burst(live(36, yaw, false), jitterPx, seed), nil)
			if r.Score < 0 || r.Score > 1 || math.Abs(r.Score*Steps-math.Round(r.Score*Steps)) > 1e-9 {
				t.Fatalf("score %v not a step in [0, 1]", r.Score)
			}
			seen[r.Score] = true
		}
	}
	if len(seen) < 4 {
		t.Errorf("scores over growing head motion take only %d values: %v", len(seen), seen)
	}
	photo := burst(still(36), jitterPx, 1)
	r := c.Assess(photo, &HardwareSignal{Source: "nir", Score: 0, Confidence: 1})
	if r.Attack || r.Cues.Hardware == nil || !strings.Contains(strings.Join(r.Reasons, ";"), "nir") {
		t.Errorf("a fully confident hardware bona-fide verdict did not decide: %+v", r)
	}
	r = c.Assess(burst(live(36, 4, true), jitterPx, 1), &HardwareSignal{Source: "3d", Score: 1, Confidence: 0.6})
	if !r.Attack {
		t.Errorf("a confident hardware attack verdict was outvoted: %+v", r)
	}
}

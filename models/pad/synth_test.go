package pad

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// dotted draws the canonical face's landmarks as small dark dots on a
// light textured card, so where each landmark went can be read back from
// the pixels.
func dotted(t *testing.T) (gocv.Mat, []Point) {
	t.Helper()
	img := gocv.NewMatWithSize(300, 300, gocv.MatTypeCV8UC3)
	img.SetTo(gocv.NewScalar(200, 210, 220, 0))
	lm := project(pose{})
	for k := range lm { // centre the face in the card
		// Whole pixels, so each dot's centre is its landmark exactly.
		lm[k] = Point{math.Round(lm[k][0] - 320 + 150), math.Round(lm[k][1] - 240 + 120)}
	}
	for _, p := range lm {
		gocv.Circle(&img, image.Pt(int(math.Round(p[0])), int(math.Round(p[1]))), 1, color.RGBA{0, 0, 0, 0}, -1)
	}
	return img, lm
}

// darkCentroid is the centroid of darkness in a small window around p.
func darkCentroid(img gocv.Mat, p Point) (Point, bool) {
	var sx, sy, sw float64
	cx, cy := int(math.Round(p[0])), int(math.Round(p[1]))
	for y := cy - 2; y <= cy+2; y++ {
		for x := cx - 2; x <= cx+2; x++ {
			if x < 0 || y < 0 || x >= img.Cols() || y >= img.Rows() {
				continue
			}
			v := img.GetVecbAt(y, x)
			w := max(0, 150-(float64(v[0])+float64(v[1])+float64(v[2]))/3)
			sx, sy, sw = sx+w*float64(x), sy+w*float64(y), sw+w
		}
	}
	if sw == 0 {
		return Point{}, false
	}
	return Point{sx / sw, sy / sw}, true
}

// TestSynthesizeMovesPixelsWithTruth checks that every generator moves
// the picture's pixels exactly where it says the landmarks went.
func TestSynthesizeMovesPixelsWithTruth(t *testing.T) {
	img, lm := dotted(t)
	defer img.Close()
	for _, k := range Kinds {
		s, err := Synthesize(img, lm, k, SynthConfig{Frames: 20, Noise: 1, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for i, f := range s.Frames {
			for j, p := range s.Truth[i] {
				if j >= rightEye0 && j < leftEye0+6 || j >= 60 {
					continue // eyelid dots merge when the eye shuts; inner lips sit next to outer ones
				}
				got, ok := darkCentroid(f, p)
				if !ok {
					t.Fatalf("%s frame %d: no dot near landmark %d at %v", k, i, j, p)
				}
				worst = max(worst, dist(got, p))
			}
		}
		t.Logf("%s: worst dot %.2f px from its landmark", k, worst)
		if worst > 1 {
			t.Errorf("%s: a dot lies %.2f px from where the truth puts it", k, worst)
		}
		s.Close()
	}
}

func TestSynthesizeIsReproducibleAndLabelled(t *testing.T) {
	img, lm := dotted(t)
	defer img.Close()
	a, err := Synthesize(img, lm, BonaFide, SynthConfig{Frames: 12, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _ := Synthesize(img, lm, BonaFide, SynthConfig{Frames: 12, Seed: 9})
	defer b.Close()
	c, _ := Synthesize(img, lm, BonaFide, SynthConfig{Frames: 12, Seed: 10})
	defer c.Close()
	if string(a.Frames[7].ToBytes()) != string(b.Frames[7].ToBytes()) {
		t.Error("same seed, different frames")
	}
	if string(a.Frames[7].ToBytes()) == string(c.Frames[7].ToBytes()) {
		t.Error("different seeds, same frames")
	}
	if len(a.Offset) != 12 || a.Offset[11] != 11*33*time.Millisecond {
		t.Errorf("offsets %v", a.Offset)
	}
	if _, err := Synthesize(img, lm[:5], BonaFide, SynthConfig{}); err == nil || !strings.Contains(err.Error(), "landmarks") {
		t.Errorf("5 landmarks: %v", err)
	}
	if _, err := Synthesize(img, lm, "video", SynthConfig{}); err == nil {
		t.Error("unknown kind accepted")
	}
}

// TestCuesOnSyntheticTruth runs Assess on the generators' own landmarks
// plus detector-like jitter: the generators make what the cues look for.
func TestCuesOnSyntheticTruth(t *testing.T) {
	img, lm := dotted(t)
	defer img.Close()
	c := DefaultConfig()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for _, k := range Kinds {
		for seed := range uint64(4) {
			s, err := Synthesize(img, lm, k, SynthConfig{Frames: 30, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			obs := burst(s.Truth, jitterPx, seed)
			for i := range obs {
				obs[i].At = t0.Add(s.Offset[i])
			}
			s.Close()
			r := c.Assess(obs, nil)
			if r.Attack != (k != BonaFide) {
				t.Errorf("%s seed %d: score %.2f\n%+v\n%s", k, seed, r.Score, r.Cues, strings.Join(r.Reasons, "\n"))
			}
			if k == BonaFide && r.Cues.Blink < 1 {
				t.Errorf("%s seed %d: blink evidence %.2f, want the blink found", k, seed, r.Cues.Blink)
			}
		}
	}
}

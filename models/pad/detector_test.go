package pad

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
	"autogate/models/face"
)

// TestDetectorBursts runs the real landmark detector (models/face) over
// synthetic bursts of a few LFW photos: a replayed still must be called
// an attack and a bona-fide burst not, at the shipped thresholds.
// models/cmd/pad-eval does this at scale.
func TestDetectorBursts(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(t), "models", "cache", "onnx")
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("models/cache/onnx/%s is missing: run `make models` to test pad with the real detector", f)
		}
	}
	eng, err := face.Load(face.Config{Dir: dir})
	if err != nil && strings.Contains(err.Error(), "calibrat") {
		t.Skipf("models/face has no usable calibration yet (%v): run `go run ./models/cmd/calibrate`", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	photos, _ := filepath.Glob(filepath.Join(lfw, "*", "*.jpg"))
	if len(photos) < 3 {
		t.Skipf("%s holds fewer than 3 photos", lfw)
	}
	slices.Sort(photos)
	detect := func(img gocv.Mat) []Point {
		fs, err := eng.Detect(img)
		if err != nil || len(fs) == 0 {
			return nil
		}
		lm := make([]Point, NumLandmarks)
		for i, p := range fs[0].Landmarks {
			lm[i] = p
		}
		return lm
	}
	c := DefaultConfig()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, path := range []string{photos[0], photos[len(photos)/2], photos[len(photos)-1]} {
		img := gocv.IMRead(path, gocv.IMReadColor)
		lm := detect(img)
		if lm == nil {
			img.Close()
			t.Fatalf("%s: no face", path)
		}
		for _, k := range []Kind{BonaFide, ReplayedStill} {
			s, err := Synthesize(img, lm, k, SynthConfig{Frames: 20, Seed: uint64(i)})
			if err != nil {
				t.Fatal(err)
			}
			found := make([][]Point, len(s.Frames))
			for j, f := range s.Frames {
				found[j] = detect(f)
			}
			r := c.Assess(s.Observations(t0, found), nil)
			s.Close()
			if r.Attack != (k != BonaFide) {
				t.Errorf("%s %s: score %.2f\n%+v\n%s", filepath.Base(path), k, r.Score, r.Cues, strings.Join(r.Reasons, "\n"))
			}
		}
		img.Close()
	}
}

package face

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedCalibration: the embedded file names the three embedders,
// thresholds for every level that tighten with the level, and the
// held-out rates it was measured with.
func TestShippedCalibration(t *testing.T) {
	c, err := ShippedCalibration()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range EmbedderNames {
		found := false
		for _, m := range c.Models {
			found = found || m.Name == name
		}
		if !found {
			t.Errorf("calibration lacks %s", name)
		}
	}
	prev := math.Inf(-1)
	for _, l := range Levels {
		thr, err := c.Threshold(l)
		if err != nil {
			t.Fatal(err)
		}
		if !(thr > prev) {
			t.Errorf("level %s threshold %g not above the looser level's %g", l, thr, prev)
		}
		prev = thr
	}
	if !strings.Contains(c.Provenance, "pairs") {
		t.Errorf("provenance %q does not say what it was fitted on", c.Provenance)
	}
	// Round trip.
	b, err := c.Marshal("header")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCalibration(b); err != nil {
		t.Fatalf("marshalled calibration does not parse: %v", err)
	}
}

func TestCalibrationRefused(t *testing.T) {
	for name, text := range map[string]string{
		"empty":         ``,
		"no levels":     "[[model]]\nname='a'\nmetric='cosine'\nimpostor_std=1\nweight=1\n",
		"zero std":      "[[model]]\nname='a'\nmetric='cosine'\nimpostor_std=0\nweight=1\n[[level]]\nlevel='1%'\n[[level]]\nlevel='0.1%'\n[[level]]\nlevel='0.01%'\n",
		"bad metric":    "[[model]]\nname='a'\nmetric='dot'\nimpostor_std=1\nweight=1\n",
		"unknown field": "colour='red'\n",
	} {
		if _, err := ParseCalibration([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFuse(t *testing.T) {
	c := &Calibration{Models: []ModelCalibration{
		{Name: "a", Metric: MetricCosine, Mean: 0, Std: 0.5, Weight: 3},
		{Name: "b", Metric: MetricL2, Mean: -1, Std: 0.5, Weight: 1},
	}}
	x := map[string][]float32{"a": {1, 0}, "b": {0, 0}}
	y := map[string][]float32{"a": {1, 1}, "b": {0, 0.5}}
	fused, per := c.Fuse(x, y)
	za := (1/math.Sqrt2 - 0) / 0.5
	zb := (-0.5 + 1) / 0.5
	if !near(per["a"], za, 1e-6) || !near(per["b"], zb, 1e-6) || !near(fused, (3*za+zb)/4, 1e-6) {
		t.Fatalf("fused %g per %v, want %g, %g, %g", fused, per, (3*za+zb)/4, za, zb)
	}
	// A missing model or a zero vector never gives a number.
	if f, _ := c.Fuse(x, map[string][]float32{"a": {1, 0}}); !math.IsNaN(f) {
		t.Errorf("missing model fused to %g", f)
	}
	if f, _ := c.Fuse(x, map[string][]float32{"a": {0, 0}, "b": {0, 0}}); !math.IsNaN(f) {
		t.Errorf("zero vector fused to %g", f)
	}
	if f, _ := c.Fuse(x, map[string][]float32{"a": {1, 0, 0}, "b": {0, 0}}); !math.IsNaN(f) {
		t.Errorf("length mismatch fused to %g", f)
	}
}

// TestLoadMissingModel: a missing file is named, with `make models`.
func TestLoadMissingModel(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "make models") || !strings.Contains(err.Error(), filepath.Join(dir, "blazeface.onnx")) {
		t.Fatalf("Load of an empty folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blazeface.onnx"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Config{Dir: dir}); err == nil {
		t.Fatal("Load accepted a broken model file")
	}
	if _, err := Load(Config{Dir: dir, Level: "5%"}); err == nil || !strings.Contains(err.Error(), "5%") {
		t.Fatalf("unknown level: %v", err)
	}
}

func TestSetNumThreads(t *testing.T) {
	old := numThreads()
	defer setNumThreads(old)
	setNumThreads(1)
	if n := numThreads(); n != 1 {
		t.Fatalf("OpenCV threads %d after setting 1", n)
	}
	setNumThreads(0) // leaves the pool as it is
	if n := numThreads(); n != 1 {
		t.Fatalf("OpenCV threads %d after setting 0", n)
	}
}

// TestFuseLeavesOutUnweightedModels: a model weighted 0 is not part of the
// fusion, so templates without its embedding (EnrolFace does not compute
// it) still score; a calibration weighting nothing is refused.
func TestFuseLeavesOutUnweightedModels(t *testing.T) {
	c := &Calibration{
		Models: []ModelCalibration{
			{Name: "a", Metric: MetricCosine, Mean: 0.1, Std: 0.2, Weight: 1},
			{Name: "b", Metric: MetricL2, Mean: -1, Std: 0.1, Weight: 0},
		},
	}
	for _, l := range Levels {
		c.Levels = append(c.Levels, LevelThreshold{Level: l, Threshold: 3})
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	x := map[string][]float32{"a": {1, 0}}
	y := map[string][]float32{"a": {0.6, 0.8}}
	fused, per := c.Fuse(x, y)
	if want := (0.6 - 0.1) / 0.2; math.Abs(fused-want) > 1e-6 {
		t.Errorf("fused %g, want a's z-score %g", fused, want)
	}
	if _, ok := per["b"]; ok || len(per) != 1 {
		t.Errorf("per-model scores %v, want only a", per)
	}
	c.Models[0].Weight = 0
	if err := c.Check(); err == nil {
		t.Error("Check accepted a calibration that weights no model")
	}
}

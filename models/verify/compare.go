package verify

import (
	"fmt"
	"math"
)

// MinCosine is the pass criterion: every output's worst cosine over the
// crops must reach it.
const MinCosine = 0.9999

// OutputResult is the comparison of one output over all crops.
type OutputResult struct {
	Name string `json:"name"`
	// Values is the output's length per crop.
	Values int `json:"values"`
	Crops  int `json:"crops"`
	// WorstCosine is the smallest cosine similarity between the source and
	// the ONNX output over the crops (NaN if any value was NaN).
	WorstCosine float64 `json:"worst_cosine"`
	WorstCrop   string  `json:"worst_crop"`
	// MaxAbsDiff is the largest |source − ONNX| over all values and crops.
	MaxAbsDiff float64 `json:"max_abs_diff"`
	Pass       bool    `json:"pass"`
}

// SplitOutputs cuts a script's flat output (per image, each output in
// turn) into [image][output] slices of the given per-image sizes.
func SplitOutputs(flat []float32, n int, sizes []int) ([][][]float32, error) {
	per := 0
	for _, s := range sizes {
		per += s
	}
	if len(flat) != n*per {
		return nil, fmt.Errorf("the source runtime wrote %d values, want %d images × %d (output sizes %v)", len(flat), n, per, sizes)
	}
	out := make([][][]float32, n)
	off := 0
	for i := range out {
		out[i] = make([][]float32, len(sizes))
		for j, s := range sizes {
			out[i][j] = flat[off : off+s]
			off += s
		}
	}
	return out, nil
}

// Compare compares ref (the source runtime) with got (the ONNX model),
// both [image][output], output by output. crops names the images.
func Compare(outputs, crops []string, ref, got [][][]float32, minCosine float64) ([]OutputResult, error) {
	if len(ref) != len(got) || len(ref) != len(crops) {
		return nil, fmt.Errorf("compare: %d source results, %d ONNX results, %d crops", len(ref), len(got), len(crops))
	}
	res := make([]OutputResult, len(outputs))
	for j, name := range outputs {
		r := OutputResult{Name: name, Crops: len(crops), WorstCosine: math.Inf(1)}
		for i := range crops {
			if len(ref[i]) != len(outputs) || len(got[i]) != len(outputs) {
				return nil, fmt.Errorf("compare: crop %s has %d source and %d ONNX outputs, want %d", crops[i], len(ref[i]), len(got[i]), len(outputs))
			}
			a, b := ref[i][j], got[i][j]
			if len(a) != len(b) {
				return nil, fmt.Errorf("output %q of crop %s: source has %d values, ONNX %d", name, crops[i], len(a), len(b))
			}
			r.Values = len(a)
			if c := Cosine(a, b); worse(c, r.WorstCosine) {
				r.WorstCosine, r.WorstCrop = c, crops[i]
			}
			if d := MaxAbsDiff(a, b); !(d <= r.MaxAbsDiff) && !math.IsNaN(r.MaxAbsDiff) {
				r.MaxAbsDiff = d
			}
		}
		if len(crops) == 0 {
			r.WorstCosine = math.NaN() // nothing compared proves nothing
		}
		r.Pass = r.WorstCosine >= minCosine // false for NaN
		res[j] = r
	}
	return res, nil
}

// worse reports whether cosine c replaces the worst so far; a NaN is the
// worst of all and stays.
func worse(c, worst float64) bool {
	if math.IsNaN(worst) {
		return false
	}
	return math.IsNaN(c) || c < worst
}

// Cosine is the cosine similarity of a and b, computed in float64. Two
// all-zero vectors are equal (1); one all-zero vector is orthogonal (0).
func Cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	switch {
	case math.IsNaN(ab) || math.IsNaN(aa) || math.IsNaN(bb):
		return math.NaN()
	case aa == 0 && bb == 0:
		return 1
	case aa == 0 || bb == 0:
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// MaxAbsDiff is max |a[i] − b[i]|, NaN if any value is NaN.
func MaxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.NaN()
		}
		m = max(m, d)
	}
	return m
}

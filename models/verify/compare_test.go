package verify

import (
	"math"
	"strings"
	"testing"
)

func TestCosine(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 2, 3}, []float32{2, 4, 6}, 1},
		{[]float32{1, 0}, []float32{0, 1}, 0},
		{[]float32{1, 2}, []float32{-1, -2}, -1},
		{[]float32{0, 0}, []float32{0, 0}, 1},
		{[]float32{0, 0}, []float32{1, 0}, 0},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25},
	} {
		if got := Cosine(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if got := Cosine([]float32{1, nan}, []float32{1, 1}); !math.IsNaN(got) {
		t.Errorf("Cosine with NaN = %v, want NaN", got)
	}
	if got := MaxAbsDiff([]float32{1, 2, 3}, []float32{1, 2.5, 2}); got != 1 {
		t.Errorf("MaxAbsDiff = %v, want 1", got)
	}
	if got := MaxAbsDiff([]float32{1, nan}, []float32{1, 1}); !math.IsNaN(got) {
		t.Errorf("MaxAbsDiff with NaN = %v, want NaN", got)
	}
}

func TestSplitOutputs(t *testing.T) {
	flat := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	got, err := SplitOutputs(flat, 2, []int{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got[0][0][2] != 3 || got[0][1][0] != 4 || got[1][0][0] != 5 || got[1][1][0] != 8 {
		t.Errorf("SplitOutputs = %v", got)
	}
	if _, err := SplitOutputs(flat, 3, []int{3, 1}); err == nil || !strings.Contains(err.Error(), "wrote 8 values") {
		t.Errorf("wrong count: err %v", err)
	}
}

func TestCompare(t *testing.T) {
	ref := [][][]float32{{{1, 2, 3}}, {{1, 0, 0}}, {{0, 5, 0}}}
	got := [][][]float32{{{1, 2, 3}}, {{1, 0.01, 0}}, {{0, 5, 0.001}}}
	crops := []string{"a", "b", "c"}
	res, err := Compare([]string{"y"}, crops, ref, got, MinCosine)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	// b: cos = 1/sqrt(1.0001) ≈ 0.99995 passes 0.9999; |Δ| 0.01.
	if r.WorstCrop != "b" || math.Abs(r.WorstCosine-1/math.Sqrt(1.0001)) > 1e-6 || math.Abs(r.MaxAbsDiff-0.01) > 1e-6 || !r.Pass || r.Values != 3 || r.Crops != 3 {
		t.Errorf("Compare = %+v", r)
	}

	got[2][0][2] = 0.1 // c: cos ≈ 0.9998
	res, _ = Compare([]string{"y"}, crops, ref, got, MinCosine)
	if res[0].Pass || res[0].WorstCrop != "c" {
		t.Errorf("cosine 0.9998 on c: %+v, want failing on c", res[0])
	}

	got[0][0][1] = float32(math.NaN())
	res, _ = Compare([]string{"y"}, crops, ref, got, MinCosine)
	if res[0].Pass || !math.IsNaN(res[0].WorstCosine) || res[0].WorstCrop != "a" || !math.IsNaN(res[0].MaxAbsDiff) {
		t.Errorf("NaN on a: %+v, want NaN cosine and difference, failing on a", res[0])
	}

	if _, err := Compare([]string{"y"}, crops, ref, got[:2], MinCosine); err == nil {
		t.Error("Compare accepted 2 ONNX results for 3 crops")
	}
	short := [][][]float32{{{1, 2}}, {{1, 0, 0}}, {{0, 5, 0}}}
	if _, err := Compare([]string{"y"}, crops, ref, short, MinCosine); err == nil {
		t.Error("Compare accepted outputs of different lengths")
	}
}

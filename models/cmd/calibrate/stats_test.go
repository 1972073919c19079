package main

import (
	"math"
	"testing"
)

func TestThresholdAtFMR(t *testing.T) {
	imp := make([]float64, 1000)
	for i := range imp {
		imp[i] = float64(i) // 0 … 999
	}
	s := newScores([]float64{500, 995, 999.5, 2000}, imp)
	for _, tc := range []struct {
		target, wantFMR float64
	}{{0.01, 0.01}, {0.001, 0.001}, {0.0001, 0}, {0.0105, 0.01}} {
		thr := s.thresholdAtFMR(tc.target)
		fmr, _ := s.rates(thr)
		if fmr != tc.wantFMR {
			t.Errorf("target %g: threshold %g gives FMR %g, want %g", tc.target, thr, fmr, tc.wantFMR)
		}
		// One step lower would pass one more impostor, beyond the target.
		if fmr2, _ := s.rates(thr - 1); fmr2 <= tc.target {
			t.Errorf("target %g: threshold %g is not the lowest (at %g FMR is %g)", tc.target, thr, thr-1, fmr2)
		}
	}
	_, fnmr := s.rates(s.thresholdAtFMR(0.001))
	if fnmr != 0.5 { // 999 must fail: 500 and 995 fail, 999.5 and 2000 pass
		t.Errorf("FNMR %g, want 0.5", fnmr)
	}
}

func TestEERAndWeights(t *testing.T) {
	// Separated distributions: EER 0. Overlapping halves: EER 0.5.
	if e := newScores([]float64{5, 6, 7}, []float64{1, 2, 3}).eer(); e != 0 {
		t.Errorf("separated EER %g", e)
	}
	if e := newScores([]float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}).eer(); math.Abs(e-0.5) > 0.26 {
		t.Errorf("identical EER %g", e)
	}
	// Model 0 separates the pairs, model 1 is noise: the fit must put
	// (nearly) all weight on model 0.
	var gen, imp [2][]float64
	for i := range 2000 {
		n := math.Sin(float64(i)*12.9898) * 3
		imp[0], imp[1] = append(imp[0], float64(i%100)/100), append(imp[1], n)
		if i < 200 {
			gen[0], gen[1] = append(gen[0], 1.5+float64(i)/1000), append(gen[1], -n)
		}
	}
	w := fitWeights(gen[:], imp[:], 0.001)
	if !(w[0] > 0.8) {
		t.Errorf("weights %v, want most on model 0", w)
	}
	m, s := znorm([]float64{1, 3})
	if m != 2 || s != 1 {
		t.Errorf("znorm %g %g", m, s)
	}
}

// TestIdentityHalf: the split halves the identities exactly and does not
// depend on the order they are listed in.
func TestIdentityHalf(t *testing.T) {
	ids := []string{"lfw/a", "lfw/b", "lfw/c", "lfw/d", "deepface/e", "deepface/f"}
	one := identityHalf(ids)
	rev := identityHalf([]string{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]})
	inA := 0
	for _, id := range ids {
		if one[id] != rev[id] {
			t.Errorf("%s changes half with the listing order", id)
		}
		if one[id] {
			inA++
		}
	}
	if inA != 3 {
		t.Errorf("%d of 6 identities in half A", inA)
	}
}

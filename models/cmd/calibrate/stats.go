package main

import (
	"math"
	"slices"
	"sort"
)

// scores holds the genuine and impostor scores of one system, sorted
// ascending.
type scores struct {
	gen, imp []float64
}

func newScores(gen, imp []float64) scores {
	g, i := slices.Clone(gen), slices.Clone(imp)
	slices.Sort(g)
	slices.Sort(i)
	return scores{g, i}
}

// countAtLeast is how many of the sorted values are ≥ t.
func countAtLeast(sorted []float64, t float64) int {
	return len(sorted) - sort.SearchFloat64s(sorted, t)
}

// rates returns the false match and false non-match rates when pairs
// scoring ≥ t match.
func (s scores) rates(t float64) (fmr, fnmr float64) {
	if len(s.imp) > 0 {
		fmr = float64(countAtLeast(s.imp, t)) / float64(len(s.imp))
	}
	if len(s.gen) > 0 {
		fnmr = 1 - float64(countAtLeast(s.gen, t))/float64(len(s.gen))
	}
	return fmr, fnmr
}

// thresholdAtFMR is the lowest threshold whose false match rate is at most
// target: just above the impostor score that would make it exceed the
// target. With fewer than 1/target impostors it lies above every impostor.
func (s scores) thresholdAtFMR(target float64) float64 {
	n := len(s.imp)
	if n == 0 {
		return math.Inf(-1)
	}
	allowed := int(math.Floor(target * float64(n))) // impostors allowed to pass
	if allowed >= n {
		return math.Inf(-1)
	}
	v := s.imp[n-1-allowed] // the highest impostor that must fail
	return math.Nextafter(v, math.Inf(1))
}

// eer is the equal error rate, where FMR and FNMR cross (the mean of the
// two at the threshold where they are closest).
func (s scores) eer() float64 {
	best, bestGap := 1.0, math.Inf(1)
	for _, t := range s.candidates(4000) {
		fmr, fnmr := s.rates(t)
		if gap := math.Abs(fmr - fnmr); gap < bestGap {
			best, bestGap = (fmr+fnmr)/2, gap
		}
	}
	return best
}

// candidates are thresholds spread over the genuine scores and the top
// impostor scores: enough resolution where the curves are.
func (s scores) candidates(n int) []float64 {
	var out []float64
	for _, v := range []([]float64){s.gen, s.imp} {
		if len(v) == 0 {
			continue
		}
		step := max(1, len(v)/n)
		for i := 0; i < len(v); i += step {
			out = append(out, v[i])
		}
		out = append(out, v[len(v)-1])
	}
	// The top impostors decide the low-FMR end: take all of the top 0.2 %.
	top := max(0, len(s.imp)-len(s.imp)/500-1)
	out = append(out, s.imp[top:]...)
	slices.Sort(out)
	return slices.Compact(out)
}

// detPoint is one point of a DET curve.
type detPoint struct{ fmr, fnmr float64 }

// det returns the DET curve: (FMR, FNMR) at every candidate threshold.
func (s scores) det() []detPoint {
	var out []detPoint
	for _, t := range s.candidates(3000) {
		fmr, fnmr := s.rates(t)
		out = append(out, detPoint{fmr, fnmr})
	}
	return out
}

// znorm is the mean and standard deviation of impostor scores.
func znorm(imp []float64) (mean, std float64) {
	for _, v := range imp {
		mean += v
	}
	mean /= float64(len(imp))
	for _, v := range imp {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(imp)))
}

// fuse is the weighted mean of per-model z-scores, pair by pair.
func fuse(z [][]float64, w []float64) []float64 {
	out := make([]float64, len(z[0]))
	var sum float64
	for _, x := range w {
		sum += x
	}
	for m := range z {
		for i, v := range z[m] {
			out[i] += w[m] / sum * v
		}
	}
	return out
}

// fitWeights searches the weight simplex (steps of 1/20) for the fusion
// with the lowest FNMR at the target FMR, breaking ties by the FNMR at a
// ten times stricter FMR and then by the distance from equal weights. gen
// and imp are per model z-scores.
func fitWeights(gen, imp [][]float64, target float64) []float64 {
	const steps = 20
	k := len(gen)
	best := make([]float64, k)
	for i := range best {
		best[i] = 1
	}
	bestKey := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	w := make([]int, k)
	var walk func(i, left int)
	walk = func(i, left int) {
		if i == k-1 {
			w[i] = left
			ws := make([]float64, k)
			var spread float64
			for j := range w {
				ws[j] = float64(w[j]) / steps
				spread += math.Abs(ws[j] - 1/float64(k))
			}
			s := newScores(fuse(gen, ws), fuse(imp, ws))
			_, f1 := s.rates(s.thresholdAtFMR(target))
			_, f2 := s.rates(s.thresholdAtFMR(target / 10))
			key := [3]float64{f1, f2, spread}
			if slices.Compare(key[:], bestKey[:]) < 0 {
				bestKey, best = key, ws
			}
			return
		}
		for v := 0; v <= left; v++ {
			w[i] = v
			walk(i+1, left-v)
		}
	}
	walk(0, steps)
	return best
}

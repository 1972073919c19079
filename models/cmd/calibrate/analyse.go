package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"autogate/models/face"
)

// half is the pairs within one half of the identities: per model raw
// scores of genuine and impostor pairs, and which dataset each pair is from.
type half struct {
	name           string
	ids            int
	gen, imp       [][]float64 // [model][pair]
	genSet, impSet []string    // "lfw", "deepface" or "cross"
}

// fitted is what one half gave: the calibration and, for the per-model
// report, each model's own thresholds (z-scores) at the levels.
type fitted struct {
	cal      *face.Calibration
	modelThr [][]float64 // [model][level]
	equalThr []float64   // equal-weight fusion thresholds
	// allW and allThr are the fusion of every model when some are left
	// out of cal (nil otherwise).
	allW, allThr []float64
}

// evaluation of one system on one half at thresholds fitted on the other.
type evaluation struct {
	system    string
	eer       float64
	fmr, fnmr []float64 // per level
	// detFNMR is the FNMR at the level's FMR read off this half's own DET
	// curve: what the fitted normalisation and weights reach when the
	// threshold is set for exactly that FMR.
	detFNMR []float64
}

type report struct {
	photos, failed, multi int
	failures              map[string]int
	millis                []float64
	quality               []face.Quality
	halves                [2]*half
	fits                  [2]fitted
	evals                 [2][]evaluation // evals[i]: fitted on halves[i], measured on the other
	perSet                []evaluation    // fused, fitted on A, on B by dataset
	calA                  *face.Calibration
	elapsed               time.Duration
	embedded              int // photos embedded in this run, not from the cache
	genTotal, impTotal    int
	genUsed, impUsed      [2]int
	without               []string // embedders left out of the shipped fusion
}

func levelFMRs() []float64 {
	out := make([]float64, len(face.Levels))
	for i, l := range face.Levels {
		out[i], _ = l.FMR()
	}
	return out
}

func analyse(photos []photo, recs map[string]record, without []string) *report {
	r := &report{photos: len(photos), failures: map[string]int{}, without: without}
	var ok []photo
	var ids []string
	seen := map[string]bool{}
	for _, p := range photos {
		rec := recs[p.Rel]
		if rec.Faces > 1 {
			r.multi++
		}
		if rec.Err != "" || rec.Embeddings == nil {
			r.failed++
			r.failures[rec.Err]++
			continue
		}
		r.millis = append(r.millis, rec.Millis)
		r.quality = append(r.quality, rec.Quality)
		ok = append(ok, p)
		if !seen[p.Identity] {
			seen[p.Identity] = true
			ids = append(ids, p.Identity)
		}
	}
	inA := identityHalf(ids)
	r.halves = [2]*half{{name: "A"}, {name: "B"}}
	for _, id := range ids {
		if inA[id] {
			r.halves[0].ids++
		} else {
			r.halves[1].ids++
		}
	}
	for _, h := range r.halves {
		h.gen = make([][]float64, len(face.EmbedderNames))
		h.imp = make([][]float64, len(face.EmbedderNames))
	}
	for i := range ok {
		for j := i + 1; j < len(ok); j++ {
			a, b := ok[i], ok[j]
			genuine := a.Identity == b.Identity
			if genuine {
				r.genTotal++
			} else {
				r.impTotal++
			}
			if inA[a.Identity] != inA[b.Identity] {
				continue
			}
			h := r.halves[1]
			if inA[a.Identity] {
				h = r.halves[0]
			}
			set := a.Dataset
			if b.Dataset != a.Dataset {
				set = "cross"
			}
			ea, eb := recs[a.Rel].Embeddings, recs[b.Rel].Embeddings
			for m, name := range face.EmbedderNames {
				s := face.RawScore(metricOf(name), ea[name], eb[name])
				if genuine {
					h.gen[m] = append(h.gen[m], s)
				} else {
					h.imp[m] = append(h.imp[m], s)
				}
			}
			if genuine {
				h.genSet = append(h.genSet, set)
			} else {
				h.impSet = append(h.impSet, set)
			}
		}
	}
	for i, h := range r.halves {
		r.genUsed[i], r.impUsed[i] = len(h.gen[0]), len(h.imp[0])
	}
	for i := range 2 {
		r.fits[i] = fit(r.halves[i], without)
		r.evals[i] = evaluate(r.fits[i], r.halves[1-i])
	}
	r.calA = r.fits[0].cal
	fused := r.evals[0][len(r.evals[0])-1]
	for li := range r.calA.Levels {
		r.calA.Levels[li].HeldOutFMR = fused.fmr[li]
		r.calA.Levels[li].HeldOutFNMR = fused.fnmr[li]
	}
	r.calA.Provenance = fmt.Sprintf("%s; LFW subset + deepface set, %d photos (%d not enrolled), %d identities; "+
		"fitted on half A (%d identities, %d genuine / %d impostor pairs), held-out figures on half B (%d identities, %d / %d pairs)",
		time.Now().UTC().Format("2006-01-02"), r.photos, r.failed, len(ids),
		r.halves[0].ids, r.genUsed[0], r.impUsed[0], r.halves[1].ids, r.genUsed[1], r.impUsed[1])
	r.perSet = perDataset(r.fits[0], r.halves[1])
	return r
}

// zscores z-normalises every model's scores with the calibration.
func zscores(cal *face.Calibration, raw [][]float64) [][]float64 {
	out := make([][]float64, len(raw))
	for m, v := range raw {
		mc := cal.Models[m]
		out[m] = make([]float64, len(v))
		for i, s := range v {
			out[m][i] = (s - mc.Mean) / mc.Std
		}
	}
	return out
}

// fit z-normalises every model on h's impostors and fits the fusion
// weights (the models in without fixed at 0) and the level thresholds.
func fit(h *half, without []string) fitted {
	cal := &face.Calibration{}
	for m, name := range face.EmbedderNames {
		mean, std := znorm(h.imp[m])
		cal.Models = append(cal.Models, face.ModelCalibration{Name: name, Metric: metricOf(name), Mean: mean, Std: std})
	}
	zg, zi := zscores(cal, h.gen), zscores(cal, h.imp)
	w := fitWeightsWithout(zg, zi, without)
	for m := range cal.Models {
		cal.Models[m].Weight = w[m]
	}
	f := fitted{cal: cal}
	f.equalThr = thresholds(zg, zi, ones(len(w)))
	thr := thresholds(zg, zi, w)
	for li, l := range face.Levels {
		cal.Levels = append(cal.Levels, face.LevelThreshold{Level: l, Threshold: thr[li]})
	}
	if len(without) > 0 {
		f.allW = fitWeights(zg, zi, 0.001)
		f.allThr = thresholds(zg, zi, f.allW)
	}
	for m := range cal.Models {
		s := newScores(zg[m], zi[m])
		var thr []float64
		for _, target := range levelFMRs() {
			thr = append(thr, s.thresholdAtFMR(target))
		}
		f.modelThr = append(f.modelThr, thr)
	}
	return f
}

// thresholds are the fused-score thresholds of the levels for weights w.
func thresholds(zg, zi [][]float64, w []float64) []float64 {
	s := newScores(fuse(zg, w), fuse(zi, w))
	var out []float64
	for _, target := range levelFMRs() {
		out = append(out, s.thresholdAtFMR(target))
	}
	return out
}

// fitWeightsWithout fits the fusion weights of the models not in without
// and gives those 0.
func fitWeightsWithout(zg, zi [][]float64, without []string) []float64 {
	var g, i [][]float64
	var idx []int
	for m, name := range face.EmbedderNames {
		if !slices.Contains(without, name) {
			g, i, idx = append(g, zg[m]), append(i, zi[m]), append(idx, m)
		}
	}
	sub := fitWeights(g, i, 0.001)
	w := make([]float64, len(zg))
	for k, m := range idx {
		w[m] = sub[k]
	}
	return w
}

func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

func measure(system string, s scores, thr []float64) evaluation {
	e := evaluation{system: system, eer: s.eer()}
	for i, t := range thr {
		fmr, fnmr := s.rates(t)
		e.fmr, e.fnmr = append(e.fmr, fmr), append(e.fnmr, fnmr)
		_, det := s.rates(s.thresholdAtFMR(levelFMRs()[i]))
		e.detFNMR = append(e.detFNMR, det)
	}
	return e
}

// evaluate measures every model alone, the equal-weight fusion and the
// fitted fusion on h at the thresholds f chose on the other half.
func evaluate(f fitted, h *half) []evaluation {
	zg, zi := zscores(f.cal, h.gen), zscores(f.cal, h.imp)
	var out []evaluation
	for m, name := range face.EmbedderNames {
		out = append(out, measure(name, newScores(zg[m], zi[m]), f.modelThr[m]))
	}
	out = append(out, measure("fusion, equal weights", newScores(fuse(zg, ones(len(zg))), fuse(zi, ones(len(zi)))), f.equalThr))
	name := "fusion, fitted weights"
	if f.allW != nil {
		out = append(out, measure("fusion of all models, fitted weights", newScores(fuse(zg, f.allW), fuse(zi, f.allW)), f.allThr))
		name = "fusion shipped: fitted weights, without " + strings.Join(withoutOf(f.cal), ", ")
	}
	w, thr := weightsAndThresholds(f.cal)
	out = append(out, measure(name, newScores(fuse(zg, w), fuse(zi, w)), thr))
	return out
}

// perDataset splits the held-out half's pairs by dataset (fused score).
func perDataset(f fitted, h *half) []evaluation {
	zg, zi := zscores(f.cal, h.gen), zscores(f.cal, h.imp)
	w, thr := weightsAndThresholds(f.cal)
	fg, fi := fuse(zg, w), fuse(zi, w)
	var out []evaluation
	for _, set := range []string{"lfw", "deepface"} {
		var g, i []float64
		for k, s := range h.genSet {
			if s == set {
				g = append(g, fg[k])
			}
		}
		for k, s := range h.impSet {
			if s == set {
				i = append(i, fi[k])
			}
		}
		if len(g) == 0 || len(i) == 0 {
			continue
		}
		e := measure(fmt.Sprintf("%s only (%d genuine / %d impostor pairs)", set, len(g), len(i)), newScores(g, i), thr)
		out = append(out, e)
	}
	return out
}

// detCurves are the held-out DET curves (fitted on A, measured on B).
func (r *report) detCurves() []curve {
	h, f := r.halves[1], r.fits[0]
	zg, zi := zscores(f.cal, h.gen), zscores(f.cal, h.imp)
	var out []curve
	for m, name := range face.EmbedderNames {
		out = append(out, curve{name: name, points: newScores(zg[m], zi[m]).det()})
	}
	w, _ := weightsAndThresholds(f.cal)
	out = append(out, curve{name: "fused", points: newScores(fuse(zg, w), fuse(zi, w)).det()})
	return out
}

func pct(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v == 0:
		return "0"
	case v < 0.001:
		return fmt.Sprintf("%.4f %%", 100*v)
	}
	return fmt.Sprintf("%.2f %%", 100*v)
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Face comparison: calibration and held-out error rates\n\n")
	cached := fmt.Sprintf("embedded %d photos, the rest came from the embedding cache", r.embedded)
	if r.embedded == r.photos {
		cached = fmt.Sprintf("embedded all %d photos", r.photos)
	}
	p("Written by `go run ./models/cmd/calibrate` (%s; this run took %s and %s). Data: the LFW subset and the deepface set in the shared test data.\n\n",
		time.Now().UTC().Format("2006-01-02"), r.elapsed.Round(time.Second), cached)
	p("- Photos: %d; not enrolled: %d", r.photos, r.failed)
	if r.failed > 0 {
		var reasons []string
		for k, v := range r.failures {
			reasons = append(reasons, fmt.Sprintf("%d × %s", v, k))
		}
		sort.Strings(reasons)
		p(" (%s)", strings.Join(reasons, "; "))
	}
	p("; photos with more than one face (the most central large one taken): %d.\n", r.multi)
	p("- All pairs of enrolled photos: %d genuine, %d impostor. Identities split in two halves by a hash of their names; pairs across the halves are not used.\n", r.genTotal, r.impTotal)
	for i, h := range r.halves {
		p("- Half %s: %d identities, %d genuine / %d impostor pairs.\n", h.name, h.ids, r.genUsed[i], r.impUsed[i])
	}
	if len(r.millis) > 0 {
		ms := slices.Clone(r.millis)
		slices.Sort(ms)
		p("- Time per photo (decode, detect, 2× landmarks, quality, 3 embedders with mirror), 2 workers sharing this 2-core machine, measured when the photo was embedded: median %.0f ms.\n", ms[len(ms)/2])
	}
	p("\nZ-normalisation (impostor mean and spread per model), fusion weights (grid search, lowest FNMR at FMR 0.1 %%) and thresholds at each level are fitted on one half; the rates are measured on the other, at those thresholds (the FMR a threshold reaches on new identities differs from its target: that is the point of holding them back). The last column reads the held-out half's DET curve at each FMR instead, so it shows the normalisation and weights held out but not the threshold. The shipped `models/face/calibration.toml` is the fit on half A.\n")
	if len(r.without) > 0 {
		p("\nLeft out of the shipped fusion (weight 0, so the gate does not run it, to save its time): %s. Every model was still embedded here; the rows \"fusion of all models\" show what leaving it out costs.\n", strings.Join(r.without, ", "))
	}
	for i := range 2 {
		p("\n## Fitted on half %s, measured on half %s\n\n", r.halves[i].name, r.halves[1-i].name)
		p("| system | EER | FNMR at FMR 1 %% (FMR reached) | FNMR at FMR 0.1 %% (FMR reached) | FNMR at FMR 0.01 %% (FMR reached) | DET: FNMR at FMR ≤ 1 / 0.1 / 0.01 %% |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, e := range r.evals[i] {
			p("| %s | %s |", e.system, pct(e.eer))
			for l := range e.fmr {
				p(" %s (%s) |", pct(e.fnmr[l]), pct(e.fmr[l]))
			}
			p(" %s / %s / %s |\n", pct(e.detFNMR[0]), pct(e.detFNMR[1]), pct(e.detFNMR[2]))
		}
		w := []string{}
		for _, m := range r.fits[i].cal.Models {
			w = append(w, fmt.Sprintf("%s %.2f", m.Name, m.Weight))
		}
		p("\nFusion weights fitted: %s.\n", strings.Join(w, ", "))
		if all := r.fits[i].allW; all != nil {
			w = w[:0]
			for m, name := range face.EmbedderNames {
				w = append(w, fmt.Sprintf("%s %.2f", name, all[m]))
			}
			p("All-model fusion weights (not shipped): %s.\n", strings.Join(w, ", "))
		}
	}
	p("\n## Held-out half B by dataset (fitted fusion, thresholds from half A)\n\n")
	p("| pairs | EER | FNMR at FMR 1 %% | FNMR at FMR 0.1 %% | FNMR at FMR 0.01 %% |\n| --- | --- | --- | --- | --- |\n")
	for _, e := range r.perSet {
		p("| %s | %s |", e.system, pct(e.eer))
		for l := range e.fmr {
			p(" %s (FMR %s) |", pct(e.fnmr[l]), pct(e.fmr[l]))
		}
		p("\n")
	}
	p("\n## Shipped thresholds (fit on half A)\n\n| level | threshold (fused z-score) | held-out FMR | held-out FNMR |\n| --- | --- | --- | --- |\n")
	for _, l := range r.calA.Levels {
		p("| %s | %.4f | %s | %s |\n", l.Level, l.Threshold, pct(l.HeldOutFMR), pct(l.HeldOutFNMR))
	}
	p("\nThe target the gate is held to: FNMR ≤ 2 %% at FMR ≤ 0.1 %% on the held-out half.\n")
	p("\nThe DET curve of half B (fit on half A) is in face-det.png. Note that at FMR 0.01 %% the held-out impostor count allows only a handful of false matches, so that column is coarse.\n")
	p("\n## Quality of the enrolled photos\n\n")
	p("%s\n", qualitySummary(r.quality))
	return b.String()
}

func qualitySummary(qs []face.Quality) string {
	if len(qs) == 0 {
		return "none"
	}
	problems := map[string]int{}
	var scores []float64
	for _, q := range qs {
		scores = append(scores, q.Score)
		for _, p := range q.Problems {
			problems[p]++
		}
	}
	slices.Sort(scores)
	var ps []string
	for k, v := range problems {
		ps = append(ps, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(ps)
	return fmt.Sprintf("Quality score: median %.2f, 10th percentile %.2f. Problems flagged: %s.",
		scores[len(scores)/2], scores[len(scores)/10], strings.Join(ps, ", "))
}

// withoutOf names the models a calibration gives no weight.
func withoutOf(c *face.Calibration) []string {
	var out []string
	for _, m := range c.Models {
		if m.Weight == 0 {
			out = append(out, m.Name)
		}
	}
	return out
}

// weightsAndThresholds lists a calibration's fusion weights (model order)
// and thresholds (level order).
func weightsAndThresholds(c *face.Calibration) (w, thr []float64) {
	for _, m := range c.Models {
		w = append(w, m.Weight)
	}
	for _, l := range c.Levels {
		thr = append(thr, l.Threshold)
	}
	return w, thr
}

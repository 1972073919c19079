package synth

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// weighted is a list of names with cumulative probabilities.
type weighted struct {
	names []string
	cum   []float64 // rising, last = 1
}

// parseWeighted reads "name=share, name, ...": explicit shares in percent,
// the rest sharing what is left (or everything) by a Zipf law on rank.
func parseWeighted(spec string) (weighted, error) {
	var (
		w        weighted
		explicit []float64 // 0 where not given
		sum      float64
	)
	for entry := range strings.SplitSeq(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, share, hasShare := strings.Cut(entry, "=")
		v := 0.0
		if hasShare {
			var err error
			if v, err = strconv.ParseFloat(share, 64); err != nil || v <= 0 {
				return w, fmt.Errorf("name %q: bad share %q", name, share)
			}
		}
		w.names = append(w.names, name)
		explicit = append(explicit, v)
		sum += v
	}
	if len(w.names) == 0 {
		return w, nil
	}
	if sum > 100 {
		return w, fmt.Errorf("shares add up to %.1f%%", sum)
	}
	// Zipf weights for the rest, by rank among them.
	var zipf []float64
	var zipfSum float64
	rank := 0
	for _, v := range explicit {
		z := 0.0
		if v == 0 {
			rank++
			z = 1 / math.Pow(float64(rank), zipfExponent)
		}
		zipf = append(zipf, z)
		zipfSum += z
	}
	rest := 100 - sum
	if sum == 0 {
		rest = 100
	}
	total := 0.0
	for i, v := range explicit {
		if v == 0 && zipfSum > 0 {
			v = rest * zipf[i] / zipfSum
		}
		total += v
		w.cum = append(w.cum, total)
	}
	for i := range w.cum {
		w.cum[i] /= total
	}
	return w, nil
}

// zipfExponent shapes every list without explicit shares: the first name
// of 40 takes about 20 %, the tenth about 2.5 %.
const zipfExponent = 0.95

func (w *weighted) draw(r *rng) int {
	u := r.float()
	i := sort.SearchFloat64s(w.cum, u)
	if i >= len(w.cum) {
		i = len(w.cum) - 1
	}
	return i
}

// share is the probability of name i.
func (w *weighted) share(i int) float64 {
	if i == 0 {
		return w.cum[0]
	}
	return w.cum[i] - w.cum[i-1]
}

// table is a tableSpec made ready to draw from.
type table struct {
	*tableSpec
	surnames                     weighted // male forms
	femaleSurnames               []string
	male, female                 weighted
	middleMale, middleFemale     weighted
	tokenVariants                map[string][]string
	hasMiddle, hasSecondSurnames bool
}

var (
	tables      []*table
	nationality weighted // over tables
)

func init() {
	total := 0.0
	for i := range tableSpecs {
		t, err := prepare(&tableSpecs[i])
		if err != nil {
			panic("synth: name table " + tableSpecs[i].code + ": " + err.Error())
		}
		tables = append(tables, t)
		total += t.share
		nationality.names = append(nationality.names, t.code)
		nationality.cum = append(nationality.cum, total)
	}
	for i := range nationality.cum {
		nationality.cum[i] /= total
	}
}

func prepare(spec *tableSpec) (*table, error) {
	t := &table{tableSpec: spec, tokenVariants: map[string][]string{}}
	for k, v := range spec.tokenVariants {
		t.tokenVariants[k] = v
	}
	var err error
	if t.surnames, err = parseWeighted(spec.surnames); err != nil {
		return nil, err
	}
	for i, name := range t.surnames.names {
		male, female, paired := strings.Cut(name, "|")
		switch {
		case !paired && spec.feminine != nil:
			female = spec.feminine(male)
		case !paired:
			female = male
		}
		t.surnames.names[i] = male
		t.femaleSurnames = append(t.femaleSurnames, female)
	}
	for _, l := range []struct {
		dst  *weighted
		spec string
	}{{&t.male, spec.male}, {&t.female, spec.female}, {&t.middleMale, spec.middleMale}, {&t.middleFemale, spec.middleFemale}} {
		if *l.dst, err = parseWeighted(l.spec); err != nil {
			return nil, err
		}
		for i, name := range l.dst.names {
			l.dst.names[i] = t.joinSyllables(name)
		}
	}
	t.hasMiddle = len(t.middleMale.names) > 0
	t.hasSecondSurnames = spec.doubleSurname > 0
	return t, nil
}

// joinSyllables writes "Xiu·ying" as "Xiuying" and records "Xiu Ying" and
// "Xiu-Ying" as its other spellings.
func (t *table) joinSyllables(name string) string {
	first, rest, ok := strings.Cut(name, "·")
	if !ok {
		return name
	}
	joined := first + rest
	t.tokenVariants[joined] = []string{first + " " + titleWords(rest), first + "-" + titleWords(rest)}
	return joined
}

// Nationalities returns the ICAO codes the generator draws from, the most
// frequent first. Germany is "D", as in its documents.
func Nationalities() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.code
	}
	return out
}

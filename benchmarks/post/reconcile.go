package main

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"autogate/benchmarks/population"
	"autogate/internal/wire"
)

// Report compares what the gates recorded with what central stored.
type Report struct {
	Travellers int `json:"travellers"`
	Crossings  int `json:"crossings"` // recorded in the gates' SQLite
	Delivered  int `json:"delivered"` // of those, stored at central
	Lost       int `json:"lost"`      // recorded at a gate, missing at central
	// Duplicates counts central rows beyond one per gate crossing (the same
	// gate sequence number twice) and rows no gate recorded.
	Duplicates int `json:"duplicates"`
	Passed     int `json:"passed"`
	Referred   int `json:"referred"`
	// WrongDecisions counts crossings whose decision differs from what the
	// population planted (an expired document that passed, say).
	WrongDecisions  int                `json:"wrong_decisions"`
	MedianCrossingS float64            `json:"median_crossing_s"`
	P95SoftwareMS   float64            `json:"p95_software_ms"`
	StageMedianMS   map[string]float64 `json:"stage_median_ms"`
	CrossingSeconds []float64          `json:"-"`
	PerGate         []GateReport       `json:"per_gate"`
}

// GateReport is one gate's share.
type GateReport struct {
	Gate      string `json:"gate"`
	Crossings int    `json:"crossings"`
	Delivered int    `json:"delivered"`
	Passed    int    `json:"passed"`
	Referred  int    `json:"referred"`
}

// Reconcile reads every gate's store and central's API and compares them.
func (s *Post) Reconcile(ctx context.Context, ts []population.Traveller) (Report, error) {
	r := Report{Travellers: len(ts), StageMedianMS: map[string]float64{}}
	expect := map[string]string{}
	for _, t := range ts {
		expect[t.Fields.DocumentNumber] = t.Expect
	}
	var software []float64
	stages := map[string][]float64{}
	for i, g := range s.gates {
		local, err := s.GateCrossings(ctx, i)
		if err != nil {
			return r, err
		}
		remote, err := s.CentralCrossings(ctx, g.ID)
		if err != nil {
			return r, fmt.Errorf("asking central for %s's crossings: %w", g.ID, err)
		}
		gr := GateReport{Gate: g.ID, Crossings: len(local)}
		atCentral := map[string]int{}
		seqs := map[int64]int{}
		for _, c := range remote {
			atCentral[c.ID]++
			seqs[c.Seq]++
		}
		known := map[string]bool{}
		for _, c := range local {
			known[c.ID] = true
			if atCentral[c.ID] > 0 {
				gr.Delivered++
			} else {
				r.Lost++
			}
			if c.Decision == wire.DecisionPass {
				gr.Passed++
			} else {
				gr.Referred++
			}
			if want, ok := expect[c.Document.DocumentNumber]; ok && want != c.Decision {
				r.WrongDecisions++
			}
			d := c.EndedAt.Sub(c.StartedAt).Seconds()
			r.CrossingSeconds = append(r.CrossingSeconds, d)
			software = append(software, c.SoftwareMS)
			for _, st := range c.Stages {
				stages[st.Name] = append(stages[st.Name], float64(st.End.Sub(st.Start).Microseconds())/1000)
			}
		}
		for _, n := range seqs {
			r.Duplicates += n - 1
		}
		for id := range atCentral {
			if !known[id] {
				r.Duplicates++
			}
		}
		r.Crossings += gr.Crossings
		r.Delivered += gr.Delivered
		r.Passed += gr.Passed
		r.Referred += gr.Referred
		r.PerGate = append(r.PerGate, gr)
	}
	r.MedianCrossingS = quantile(r.CrossingSeconds, 0.5)
	r.P95SoftwareMS = quantile(software, 0.95)
	for name, v := range stages {
		r.StageMedianMS[name] = quantile(v, 0.5)
	}
	return r, nil
}

// SummaryLine is the simulator's contract line.
func (r Report) SummaryLine() string {
	return fmt.Sprintf("summary: travellers=%d crossings=%d delivered=%d lost=%d duplicates=%d passed=%d referred=%d median_crossing_s=%.2f p95_software_ms=%.2f",
		r.Travellers, r.Crossings, r.Delivered, r.Lost, r.Duplicates, r.Passed, r.Referred, r.MedianCrossingS, r.P95SoftwareMS)
}

// quantile is the nearest-rank quantile (0 for no data).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

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
	// population planted (an expired document that passed, an impostor
	// who passed), except genuine travellers referred for biometric
	// reasons only: those are counted in Faces.
	WrongDecisions int `json:"wrong_decisions"`
	// Unplanned counts crossings whose document number no traveller has
	// (the document was not read): they cannot be judged.
	Unplanned       int                `json:"unplanned"`
	Faces           *FaceReport        `json:"faces,omitempty"`
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

// FaceReport is how the face stage did, by what the camera was shown.
type FaceReport struct {
	// Genuine counts the crossings of genuine travellers nothing else was
	// planted on; FalseRejects those of them referred for biometric
	// reasons only (by reason: the first biometric referral), FNMR their
	// share — a false non-match rate of the whole face stage (capture,
	// liveness and comparison).
	Genuine        int            `json:"genuine"`
	GenuinePassed  int            `json:"genuine_passed"`
	FalseRejects   int            `json:"false_rejects"`
	FalseRejectsBy map[string]int `json:"false_rejects_by_reason"`
	FNMR           float64        `json:"fnmr"`
	// Impostors and attacks, and how many of them passed (each one a
	// wrong decision: a security failure); Reasons why they were referred.
	Impostors         int            `json:"impostors"`
	ImpostorsAccepted int            `json:"impostors_accepted"`
	ImpostorReasons   map[string]int `json:"impostor_reasons"`
	Attacks           int            `json:"attacks"`
	AttacksAccepted   int            `json:"attacks_accepted"`
	AttackReasons     map[string]int `json:"attack_reasons"`
	// StageMedianMS is the median time of the face checks of a crossing
	// (capture, liveness, comparison) where they ran.
	StageMedianMS float64 `json:"stage_median_ms"`
}

// biometric are the face stage's referral reasons that can fall on a
// genuine traveller: a false reject, not a wrong decision.
var biometric = map[string]bool{
	"no_match": true, "low_quality": true, "no_face": true, "presentation_attack": true, "multiple_faces": true,
}

// referReasons lists the reasons of a crossing's referring checks.
func referReasons(c wire.Crossing) []string {
	var out []string
	for _, ch := range c.Checks {
		if ch.Result != wire.ResultPass && ch.Reason != "" {
			out = append(out, ch.Reason)
		}
	}
	return out
}

// faceMS is the time of a crossing's face checks (false when none ran).
func faceMS(c wire.Crossing) (float64, bool) {
	var ms float64
	ran := false
	for _, ch := range c.Checks {
		if strings.HasPrefix(ch.Name, "face_") {
			ms += ch.DurationMS
			ran = true
		}
	}
	return ms, ran
}

// judge compares a crossing with the plan: wrong is a decision against
// it, falseReject a genuine traveller referred for biometric reasons only
// (reason: the first of them).
func judge(t population.Traveller, c wire.Crossing) (wrong bool, falseReject string) {
	if c.Decision == t.Expect {
		return false, ""
	}
	if t.Presentation != population.Genuine || c.Decision != wire.DecisionRefer {
		return true, ""
	}
	reasons := referReasons(c)
	for _, r := range reasons {
		if !biometric[r] {
			return true, ""
		}
	}
	if len(reasons) == 0 {
		return true, ""
	}
	return false, reasons[0]
}

// add counts one crossing of a traveller with a face.
func (f *FaceReport) add(t population.Traveller, c wire.Crossing, falseReject string) {
	passed := c.Decision == wire.DecisionPass
	switch {
	case t.Presentation == population.Genuine && t.Why == "":
		f.Genuine++
		if passed {
			f.GenuinePassed++
		}
		if falseReject != "" {
			f.FalseRejects++
			f.FalseRejectsBy[falseReject]++
		}
	case t.Presentation == population.Impostor:
		f.Impostors++
		if passed {
			f.ImpostorsAccepted++
		}
		for _, r := range referReasons(c) {
			f.ImpostorReasons[r]++
		}
	case t.Presentation.Attack():
		f.Attacks++
		if passed {
			f.AttacksAccepted++
		}
		for _, r := range referReasons(c) {
			f.AttackReasons[r]++
		}
	}
}

// Reconcile reads every gate's store and central's API and compares them.
func (s *Post) Reconcile(ctx context.Context, ts []population.Traveller) (Report, error) {
	r := Report{Travellers: len(ts), StageMedianMS: map[string]float64{}}
	plan := map[string]population.Traveller{}
	faces := false
	for _, t := range ts {
		plan[t.Fields.DocumentNumber] = t
		faces = faces || t.Presentation != ""
	}
	if faces {
		r.Faces = &FaceReport{FalseRejectsBy: map[string]int{}, ImpostorReasons: map[string]int{}, AttackReasons: map[string]int{}}
	}
	var faceTimes []float64
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
			if t, ok := plan[c.Document.DocumentNumber]; ok {
				wrong, falseReject := judge(t, c)
				if wrong {
					r.WrongDecisions++
				}
				if r.Faces != nil {
					r.Faces.add(t, c, falseReject)
				}
			} else {
				r.Unplanned++
			}
			if ms, ok := faceMS(c); ok {
				faceTimes = append(faceTimes, ms)
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
	if r.Faces != nil {
		r.Faces.StageMedianMS = quantile(faceTimes, 0.5)
		if r.Faces.Genuine > 0 {
			r.Faces.FNMR = float64(r.Faces.FalseRejects) / float64(r.Faces.Genuine)
		}
	}
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

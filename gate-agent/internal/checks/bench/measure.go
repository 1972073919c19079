package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"autogate/gate-agent/internal/checks"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

// documentReport is what the document lookups found.
type documentReport struct {
	Listed        int `json:"listed"`
	ListedFound   int `json:"listed_found"`
	Unlisted      int `json:"unlisted"`
	UnlistedFound int `json:"unlisted_found"`
}

// presentNumber writes a document number as a reader or an officer may
// hand it on: as issued, lower case, with MRZ fillers, with a hyphen.
func presentNumber(number string, how int) string {
	switch how % 4 {
	case 1:
		return strings.ToLower(number)
	case 2:
		return number + "<<"
	case 3:
		if len(number) > 2 {
			return number[:2] + "-" + number[2:]
		}
	}
	return number
}

// lookupDocuments looks up n documents, half of them listed, and returns
// each call's duration.
func lookupDocuments(ctx context.Context, r *replica.Replica, cfg settings, gen generator, rng *rand.Rand, n int) ([]time.Duration, documentReport, error) {
	var rep documentReport
	out := make([]time.Duration, 0, n)
	for i := range n {
		listed := i%2 == 0
		var d lists.Document
		if listed {
			d = gen.Document(rng.IntN(cfg.Documents))
		} else {
			d = gen.TravelDocument(rng.IntN(maxDocumentIndex))
		}
		var got *lists.Document
		var err error
		out = append(out, timed(func() { got, err = r.FindDocument(ctx, d.IssuingState, presentNumber(d.Number, i/2)) }))
		if err != nil {
			return out, rep, fmt.Errorf("looking up %s: %w", documentKey(d), err)
		}
		if listed {
			rep.Listed++
			if got != nil {
				rep.ListedFound++
			}
		} else {
			rep.Unlisted++
			if got != nil {
				rep.UnlistedFound++
			}
		}
	}
	return out, rep, nil
}

// searchResult is one person search as the watchlist check makes it.
type searchResult struct {
	took  time.Duration
	hits  int
	found bool // the listed person presented is among the hits
	best  identity.Result
}

// searchPersons runs the watchlist check's search (checks.Query, then
// FindPersons at the policy's threshold) for each traveller.
func searchPersons(ctx context.Context, r *replica.Replica, threshold float64, ts []traveller) ([]searchResult, error) {
	out := make([]searchResult, 0, len(ts))
	for _, t := range ts {
		var hits []replica.PersonHit
		var err error
		took := timed(func() {
			q := checks.Query(wire.Document{Surname: t.doc.Surname, GivenNames: t.doc.GivenNames, BirthDate: t.doc.BirthDate, Nationality: t.doc.Nationality})
			hits, err = r.FindPersons(ctx, q, threshold)
		})
		if err != nil {
			return out, fmt.Errorf("searching %s, %s: %w", t.doc.Surname, t.doc.GivenNames, err)
		}
		r := searchResult{took: took, hits: len(hits), found: t.personID != "" && found(hits, t.personID)}
		if len(hits) > 0 {
			r.best = hits[0].Result
		}
		out = append(out, r)
	}
	return out, nil
}

// Kinds of false hit, by the best hit's name and date similarity: a
// namesake born the same day no name search can tell apart; one whose date
// is partly unknown or near; one whose name is only similar.
const (
	falseHitNamesake    = "same_name_same_date"
	falseHitNearDate    = "same_name_other_date"
	falseHitSimilarName = "similar_name"
)

// sameScore treats scores this close to 1 as equal (float rounding).
const sameScore = 0.999

func falseHitKind(best identity.Result) string {
	switch {
	case best.Name < sameScore:
		return falseHitSimilarName
	case best.Date < sameScore:
		return falseHitNearDate
	}
	return falseHitNamesake
}

// Kinds of traveller in the checks stage's mix.
const (
	mixClean          = "not_listed"
	mixListedDocument = "listed_document"
	mixListedPerson   = "listed_person"
)

// stageReport is how the checks stage decided on the traveller mix.
type stageReport struct {
	// Decisions counts, per kind of traveller, the worst result of its
	// checks: pass, refer or alert.
	Decisions map[string]map[string]int `json:"decisions"`
	Checks    []string                  `json:"checks"`
}

// runStage runs every check of l per traveller, each in its goroutine as
// the flow does, and times the stage from the first start to the last end.
func runStage(ctx context.Context, l checks.Lists, ts []traveller, kinds []string, now time.Time) ([]time.Duration, stageReport, error) {
	cs := l.Checks()
	rep := stageReport{Decisions: map[string]map[string]int{}}
	for _, c := range cs {
		rep.Checks = append(rep.Checks, c.Name())
	}
	out := make([]time.Duration, 0, len(ts))
	results := make([][]wire.Check, len(cs))
	for i, t := range ts {
		in := flow.Input{Lines: t.doc.Lines, MRZ: t.doc, Now: now}
		out = append(out, timed(func() {
			var wg sync.WaitGroup
			for j, c := range cs {
				wg.Go(func() { results[j] = c.Run(ctx, in) })
			}
			wg.Wait()
		}))
		decision := wire.ResultPass
		for _, rs := range results {
			for _, r := range rs {
				if r.Name == "lists_replica" && r.Result != wire.ResultPass {
					return out, rep, fmt.Errorf("the replica check refers everyone (%s: %s): the stage would not be measured as a gate runs it", r.Reason, r.Message)
				}
				if r.Reason == checks.ReasonListUnavailable {
					return out, rep, fmt.Errorf("check %s could not consult the lists: %s", r.Name, r.Message)
				}
				decision = worse(decision, r.Result)
			}
		}
		if rep.Decisions[kinds[i]] == nil {
			rep.Decisions[kinds[i]] = map[string]int{}
		}
		rep.Decisions[kinds[i]][decision]++
	}
	return out, rep, nil
}

var resultRank = map[string]int{wire.ResultPass: 0, wire.ResultRefer: 1, wire.ResultAlert: 2}

func worse(a, b string) string {
	if resultRank[b] > resultRank[a] {
		return b
	}
	return a
}

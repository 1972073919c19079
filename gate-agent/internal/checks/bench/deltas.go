package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
)

// deltaReport is one delta applied after the build.
type deltaReport struct {
	Name string `json:"name"`
	List string `json:"list"`
	// Rows are the delta's operations (records added, changed, removed),
	// not the index rows they cost.
	Rows     int     `json:"rows"`
	Added    int64   `json:"added"`
	Changed  int64   `json:"changed"`
	Removed  int64   `json:"removed"`
	Seconds  float64 `json:"seconds"`
	RowsPerS float64 `json:"rows_per_s"`
	// Undo deltas restore the built lists for the next run; they are
	// reported, not held to the target.
	Undo bool `json:"undo,omitempty"`
}

// deltaPlan is a delta to apply, with what undoes it.
type deltaPlan struct {
	name, list string
	ops        []lists.Op
}

// applyDeltas applies, each as one delta: fresh documents; fresh persons;
// a mix of adds, changes and removes on each list; then the deltas that
// put the built lists back.
func applyDeltas(ctx context.Context, r *replica.Replica, cfg settings, gen generator, rng *rand.Rand) ([]deltaReport, error) {
	var out []deltaReport
	for _, plan := range planDeltas(cfg, gen, rng) {
		a, err := applyOps(ctx, r, plan.list, false, plan.ops)
		if err != nil {
			return out, fmt.Errorf("%s delta: %w", plan.name, err)
		}
		out = append(out, deltaReport{
			Name: plan.name, List: plan.list, Rows: len(plan.ops),
			Added: a.Added, Changed: a.Changed, Removed: a.Removed,
			Seconds: a.Duration.Seconds(), RowsPerS: float64(len(plan.ops)) / a.Duration.Seconds(),
			Undo: len(out) >= 4,
		})
	}
	return out, nil
}

// planDeltas lays out the six deltas. Mixed deltas add a fifth of their
// size in new records and split the rest between changes and removes of
// built records; the undo deltas remove what was added, change back what
// was changed and add back what was removed.
func planDeltas(cfg settings, gen generator, rng *rand.Rand) []deltaPlan {
	nd, np := cfg.DeltaDocuments, cfg.DeltaPersons
	docs := func(first, n int) []lists.Document {
		out := make([]lists.Document, n)
		for i := range out {
			out[i] = gen.Document(first + i)
		}
		return out
	}
	persons := func(idx []int) []lists.Person {
		out := make([]lists.Person, len(idx))
		for i, j := range idx {
			out[i] = gen.Person(j)
		}
		return out
	}
	newDocs, mixDocs := docs(cfg.Documents, nd), docs(cfg.Documents+nd, nd/5)
	builtDocs := distinct(rng, cfg.Documents, nd-nd/5)
	var changedDocs, removedDocs []lists.Document
	for i, j := range builtDocs {
		if i%2 == 0 {
			changedDocs = append(changedDocs, gen.Document(j))
		} else {
			removedDocs = append(removedDocs, gen.Document(j))
		}
	}
	newPersons := persons(span(cfg.Persons, np))
	mixPersons := persons(span(cfg.Persons+np, np/5))
	builtPersons := persons(distinct(rng, cfg.Persons, np-np/5))
	half := len(builtPersons) / 2
	changedPersons, removedPersons := builtPersons[:half], builtPersons[half:]
	// Other names for the changed persons: an alias the officer added.
	extra := persons(span(cfg.Persons+np+np/5, half))

	var mixDocOps, undoDocOps, mixPersonOps, undoPersonOps []lists.Op
	for _, d := range mixDocs {
		mixDocOps = append(mixDocOps, addDocument(d))
		undoDocOps = append(undoDocOps, removeOp(documentKey(d)))
	}
	for _, d := range changedDocs {
		c := d
		c.Reason = lists.DocumentReasons[(slices.Index(lists.DocumentReasons, d.Reason)+1)%len(lists.DocumentReasons)]
		mixDocOps = append(mixDocOps, lists.Op{Op: lists.OpChange, Key: documentKey(d), Document: &c})
		undoDocOps = append(undoDocOps, lists.Op{Op: lists.OpChange, Key: documentKey(d), Document: &d})
	}
	for _, d := range removedDocs {
		mixDocOps = append(mixDocOps, removeOp(documentKey(d)))
		undoDocOps = append(undoDocOps, addDocument(d))
	}
	for _, d := range newDocs {
		undoDocOps = append(undoDocOps, removeOp(documentKey(d)))
	}
	for _, p := range mixPersons {
		mixPersonOps = append(mixPersonOps, addPerson(p))
		undoPersonOps = append(undoPersonOps, removeOp(p.ID))
	}
	for i, p := range changedPersons {
		c := p
		c.Category = lists.Categories[(slices.Index(lists.Categories, p.Category)+1)%len(lists.Categories)]
		c.Aliases = append(slices.Clone(p.Aliases), lists.Alias{Surname: extra[i].Surname, GivenNames: extra[i].GivenNames})
		mixPersonOps = append(mixPersonOps, lists.Op{Op: lists.OpChange, Key: p.ID, Person: &c})
		undoPersonOps = append(undoPersonOps, lists.Op{Op: lists.OpChange, Key: p.ID, Person: &p})
	}
	for _, p := range removedPersons {
		mixPersonOps = append(mixPersonOps, removeOp(p.ID))
		undoPersonOps = append(undoPersonOps, addPerson(p))
	}
	for _, p := range newPersons {
		undoPersonOps = append(undoPersonOps, removeOp(p.ID))
	}
	var addDocOps, addPersonOps []lists.Op
	for _, d := range newDocs {
		addDocOps = append(addDocOps, addDocument(d))
	}
	for _, p := range newPersons {
		addPersonOps = append(addPersonOps, addPerson(p))
	}
	return []deltaPlan{
		{"documents: add", lists.ListDocuments, addDocOps},
		{"persons: add", lists.ListPersons, addPersonOps},
		{"documents: add, change, remove", lists.ListDocuments, mixDocOps},
		{"persons: add, change, remove", lists.ListPersons, mixPersonOps},
		{"documents: undo", lists.ListDocuments, undoDocOps},
		{"persons: undo", lists.ListPersons, undoPersonOps},
	}
}

func documentKey(d lists.Document) string { return lists.DocumentKey(d.IssuingState, d.Number) }

func removeOp(key string) lists.Op { return lists.Op{Op: lists.OpRemove, Key: key} }

func addPerson(p lists.Person) lists.Op { return lists.Op{Op: lists.OpAdd, Key: p.ID, Person: &p} }

// span is first, first+1, ... n indices.
func span(first, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}

// distinct draws k distinct indices below n.
func distinct(rng *rand.Rand, n, k int) []int {
	seen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for len(out) < k {
		if i := rng.IntN(n); !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

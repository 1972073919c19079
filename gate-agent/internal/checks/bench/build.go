package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"autogate/gate-agent/internal/replica"
	"autogate/internal/identity"
	"autogate/internal/lists"
)

// Records per delta while building: central splits a national list into
// deltas its size limit (lists.MaxDeltaBytes) allows.
const (
	personsPerDelta   = 50_000
	documentsPerDelta = 250_000
)

// buildReport is how the replica came to be.
type buildReport struct {
	Reused bool `json:"reused"`
	// Names are the searchable names: each person's own and its aliases.
	Names             int     `json:"names,omitempty"`
	Deltas            int     `json:"deltas,omitempty"`
	PersonsSeconds    float64 `json:"persons_apply_seconds,omitempty"`
	DocumentsSeconds  float64 `json:"documents_apply_seconds,omitempty"`
	PersonsRowsPerS   float64 `json:"persons_rows_per_s,omitempty"`
	DocumentsRowsPerS float64 `json:"documents_rows_per_s,omitempty"`
	// WallSeconds includes generating the records.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
}

// openReplica opens the cached replica when it holds the lists asked for,
// and builds it otherwise.
func openReplica(ctx context.Context, cfg settings, gen generator, stderr io.Writer) (*replica.Replica, buildReport, error) {
	if !cfg.Rebuild {
		if _, err := os.Stat(cfg.DB); err == nil {
			r, err := replica.Open(ctx, cfg.DB)
			if err == nil {
				why := holds(ctx, r, cfg, gen)
				if why == nil {
					return r, buildReport{Reused: true}, nil
				}
				fmt.Fprintf(stderr, "rebuilding %s: %v\n", cfg.DB, why)
				r.Close()
			} else {
				fmt.Fprintf(stderr, "rebuilding %s: %v\n", cfg.DB, err)
			}
		}
	}
	if err := removeDatabase(cfg.DB); err != nil {
		return nil, buildReport{}, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.DB), 0o755); err != nil {
		return nil, buildReport{}, fmt.Errorf("creating the database's folder: %w", err)
	}
	r, err := replica.Open(ctx, cfg.DB)
	if err != nil {
		return nil, buildReport{}, err
	}
	rep, err := build(ctx, r, cfg, gen, stderr)
	if err != nil {
		r.Close()
		return nil, rep, fmt.Errorf("building the replica %s: %w", cfg.DB, err)
	}
	return r, rep, nil
}

// removeDatabase deletes a database file with its WAL and shared memory.
func removeDatabase(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the old database: %w", err)
		}
	}
	return nil
}

// holds says why the replica is not the one cfg asks for (nil when it is):
// the list counts, and a few of the generator's records looked up.
func holds(ctx context.Context, r *replica.Replica, cfg settings, gen generator) error {
	st, err := r.Versions(ctx)
	if err != nil {
		return err
	}
	want := map[string]int64{lists.ListPersons: int64(cfg.Persons), lists.ListDocuments: int64(cfg.Documents)}
	for _, s := range st {
		if n, ok := want[s.List]; ok && s.Count != n {
			return fmt.Errorf("its %s list holds %d records, not %d", s.List, s.Count, n)
		}
	}
	for _, i := range []int{0, cfg.Documents / 2, cfg.Documents - 1} {
		d := gen.Document(i)
		got, err := r.FindDocument(ctx, d.IssuingState, d.Number)
		if err != nil {
			return err
		}
		if got == nil || got.Reason != d.Reason {
			return fmt.Errorf("document %d of seed %d (%s) is not in it as generated", i, cfg.Seed, lists.DocumentKey(d.IssuingState, d.Number))
		}
	}
	for _, i := range []int{0, cfg.Persons - 1} {
		p := gen.Person(i)
		birth, _ := identity.ParseDate(p.BirthDate)
		q := identity.Prepare(identity.Person{Name: identity.Name{Surname: p.Surname, Given: p.GivenNames}, Birth: birth, Nationality: p.Nationality})
		hits, err := r.FindPersons(ctx, q, identity.DefaultThreshold)
		if err != nil {
			return err
		}
		if !found(hits, p.ID) {
			return fmt.Errorf("person %d of seed %d (%s) is not found by its own name", i, cfg.Seed, p.ID)
		}
	}
	return nil
}

// build fills an empty replica: each list as one full delta followed by
// adds, as central would send a national list in parts.
func build(ctx context.Context, r *replica.Replica, cfg settings, gen generator, stderr io.Writer) (buildReport, error) {
	began := time.Now()
	bar := newBar(stderr, int64(cfg.Persons+cfg.Documents), "building the replica")
	rep := buildReport{}
	personsTime, err := buildList(ctx, r, &rep, bar, lists.ListPersons, cfg.Persons, personsPerDelta, func(i int) lists.Op {
		p := gen.Person(i)
		rep.Names += 1 + len(p.Aliases)
		return addPerson(p)
	})
	if err != nil {
		return rep, err
	}
	documentsTime, err := buildList(ctx, r, &rep, bar, lists.ListDocuments, cfg.Documents, documentsPerDelta, func(i int) lists.Op {
		return addDocument(gen.Document(i))
	})
	if err != nil {
		return rep, err
	}
	if bar != nil {
		bar.Finish()
	}
	rep.PersonsSeconds, rep.DocumentsSeconds = personsTime.Seconds(), documentsTime.Seconds()
	rep.PersonsRowsPerS = float64(cfg.Persons) / personsTime.Seconds()
	rep.DocumentsRowsPerS = float64(cfg.Documents) / documentsTime.Seconds()
	rep.WallSeconds = time.Since(began).Seconds()
	return rep, nil
}

// buildList applies the adds of records 0 to n-1 of a list, perDelta a
// delta, and returns the time spent applying them.
func buildList(ctx context.Context, r *replica.Replica, rep *buildReport, bar *progressbar.ProgressBar, list string, n, perDelta int, add func(i int) lists.Op) (time.Duration, error) {
	var took time.Duration
	for first := 0; first < n; first += perDelta {
		ops := make([]lists.Op, 0, perDelta)
		for i := first; i < min(first+perDelta, n); i++ {
			ops = append(ops, add(i))
		}
		a, err := applyOps(ctx, r, list, first == 0, ops)
		if err != nil {
			return took, err
		}
		took += a.Duration
		rep.Deltas++
		if bar != nil {
			bar.Add(len(ops))
		}
	}
	return took, nil
}

// applyOps applies ops as the next delta of list (a full one replaces the
// list).
func applyOps(ctx context.Context, r *replica.Replica, list string, full bool, ops []lists.Op) (replica.Applied, error) {
	st, err := r.Versions(ctx)
	if err != nil {
		return replica.Applied{}, err
	}
	var have int64
	for _, s := range st {
		if s.List == list {
			have = s.Version
		}
	}
	d := lists.Delta{V: lists.DeltaVersion, List: list, From: have, To: have + 1, Full: full, IssuedAt: time.Now(), Ops: ops}
	if full {
		d.From = 0
	}
	return r.Apply(ctx, d)
}

func addDocument(d lists.Document) lists.Op {
	return lists.Op{Op: lists.OpAdd, Key: lists.DocumentKey(d.IssuingState, d.Number), Document: &d}
}

// newBar is a progress bar on stderr when it is a terminal, else nil.
func newBar(stderr io.Writer, total int64, what string) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(200*time.Millisecond))
}

// found reports whether the person with id is among hits.
func found(hits []replica.PersonHit, id string) bool {
	for _, h := range hits {
		if h.Person.ID == id {
			return true
		}
	}
	return false
}

package replica

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

var (
	benchPersons = flag.Int("replica.persons", 100_000, "persons in the lookup benchmarks' replica")
	benchDocs    = flag.Int("replica.docs", 500_000, "documents in the lookup benchmarks' replica")
)

// applyRate applies b.N deltas of perDelta records, made by next, on top
// of a replica holding base records, and reports rows/s.
func applyRate(b *testing.B, list string, base, perDelta int, next func(first, n int) []lists.Op) {
	r, _ := openTemp(b)
	ctx := context.Background()
	for first := 0; first < base; first += perDelta {
		v := status(b, r, list).Version
		mustApply(b, r, delta(list, v, next(first, perDelta)...))
	}
	deltas := make([]lists.Delta, b.N)
	for i := range deltas {
		deltas[i] = delta(list, int64(base/perDelta+i), next(base+i*perDelta, perDelta)...)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range deltas {
		if _, err := r.Apply(ctx, deltas[i]); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*perDelta)/elapsed.Seconds(), "rows/s")
	if size, err := r.Size(ctx); err == nil {
		b.ReportMetric(float64(size)/float64(base+b.N*perDelta), "bytes/row")
	}
}

func BenchmarkApplyDocuments(b *testing.B) {
	g := synth.New(10)
	applyRate(b, lists.ListDocuments, 200_000, 20_000, func(first, n int) []lists.Op {
		return addOps(synthDocuments(g, first, n), docOp)
	})
}

func BenchmarkApplyPersons(b *testing.B) {
	g := synth.New(11)
	applyRate(b, lists.ListPersons, 20_000, 5_000, func(first, n int) []lists.Op {
		return addOps(synthPersons(g, first, n), personOp)
	})
}

// lookupFixture is a replica of benchPersons persons and benchDocs
// documents, built once per test binary.
var lookupFixture struct {
	once    sync.Once
	dir     string
	r       *Replica
	persons []lists.Person
	docs    []lists.Document
	err     error
}

func lookupReplica(b *testing.B) (*Replica, []lists.Person, []lists.Document) {
	f := &lookupFixture
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "replica-bench-"); f.err != nil {
			return
		}
		ctx := context.Background()
		if f.r, f.err = Open(ctx, filepath.Join(f.dir, FileName)); f.err != nil {
			return
		}
		g := synth.New(12)
		f.persons, f.docs = synthPersons(g, 0, *benchPersons), synthDocuments(g, 0, *benchDocs)
		start := time.Now()
		_, f.err = f.r.Import(ctx, f.persons, f.docs, time.Now())
		size, _ := f.r.Size(ctx)
		fmt.Fprintf(os.Stderr, "lookup replica: %d persons, %d documents imported in %v, %.1f MB\n",
			len(f.persons), len(f.docs), time.Since(start).Round(time.Millisecond), float64(size)/1e6)
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.r, f.persons, f.docs
}

// reportLatencies runs call b.N times and reports its p50 and p99.
func reportLatencies(b *testing.B, call func(i int) error) {
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := call(i); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkFindDocument(b *testing.B) {
	r, _, docs := lookupReplica(b)
	ctx := context.Background()
	g := synth.New(12) // the fixture's seed: its travellers are not listed
	reportLatencies(b, func(i int) error {
		// Half the checks are of travellers' documents, not on the list.
		d := docs[(i*7919)%len(docs)]
		if i%2 == 1 {
			t := g.TravelDocument(i)
			d = lists.Document{IssuingState: t.IssuingState, Number: t.Number}
		}
		found, err := r.FindDocument(ctx, d.IssuingState, d.Number)
		if err == nil && (found != nil) != (i%2 == 0) {
			err = fmt.Errorf("document %s/%s found=%v", d.IssuingState, d.Number, found != nil)
		}
		return err
	})
}

func BenchmarkFindPersons(b *testing.B) {
	r, persons, _ := lookupReplica(b)
	ctx := context.Background()
	g := synth.New(14)
	queries := make([]identity.Prepared, 1000)
	for i := range queries {
		// Half are listed persons as an MRZ gives them, half travellers not listed.
		p := persons[(i*7919)%len(persons)]
		if i%2 == 1 {
			p = g.Person(len(persons) + i)
		}
		d, err := identity.ParseDate(p.BirthDate)
		if err != nil {
			b.Fatal(err)
		}
		queries[i] = identity.Prepare(identity.Person{Name: identity.Name{Surname: p.Surname, Given: p.GivenNames}, Birth: d})
	}
	var hits int
	reportLatencies(b, func(i int) error {
		found, err := r.FindPersons(ctx, queries[i%len(queries)], identity.DefaultThreshold)
		hits += len(found)
		return err
	})
	b.ReportMetric(float64(hits)/float64(b.N), "hits/query")
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if f := &lookupFixture; f.r != nil {
		f.r.Close()
	}
	if lookupFixture.dir != "" {
		os.RemoveAll(lookupFixture.dir)
	}
	os.Exit(code)
}

package replica

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

var issued = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openTemp(t testing.TB) (*Replica, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, path
}

// delta builds a delta of list from version from to from+1.
func delta(list string, from int64, ops ...lists.Op) lists.Delta {
	return lists.Delta{V: 1, List: list, From: from, To: from + 1, IssuedAt: issued, Ops: ops}
}

func full(list string, to int64, ops ...lists.Op) lists.Delta {
	return lists.Delta{V: 1, List: list, To: to, Full: true, IssuedAt: issued, Ops: ops}
}

// op builds an op of key; set puts the record in it (not for a remove).
func op(kind, key string, set func(*lists.Op)) lists.Op {
	o := lists.Op{Op: kind, Key: key}
	if kind != lists.OpRemove {
		set(&o)
	}
	return o
}

func docOp(kind string, d lists.Document) lists.Op {
	return op(kind, lists.DocumentKey(d.IssuingState, d.Number), func(o *lists.Op) { o.Document = &d })
}

func personOp(kind string, p lists.Person) lists.Op {
	return op(kind, p.ID, func(o *lists.Op) { o.Person = &p })
}

func visaOp(kind string, v lists.Visa) lists.Op {
	return op(kind, v.ID, func(o *lists.Op) { o.Visa = &v })
}

func registeredOp(kind string, g lists.Registered) lists.Op {
	return op(kind, lists.DocumentKey(g.IssuingState, g.DocumentNumber), func(o *lists.Op) { o.Registered = &g })
}

func movementOp(kind string, m lists.Movement) lists.Op {
	return op(kind, m.ID, func(o *lists.Op) { o.Movement = &m })
}

// mustVerify fails the test when Verify finds the replica damaged.
func mustVerify(t testing.TB, r *Replica) {
	t.Helper()
	if err := r.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func mustApply(t testing.TB, r *Replica, d lists.Delta) Applied {
	t.Helper()
	a, err := r.Apply(context.Background(), d)
	if err != nil {
		t.Fatalf("applying %s %d→%d: %v", d.List, d.From, d.To, err)
	}
	return a
}

func status(t testing.TB, r *Replica, list string) ListStatus {
	t.Helper()
	vs, err := r.Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.List == list {
			return v
		}
	}
	t.Fatalf("Versions has no list %q", list)
	return ListStatus{}
}

// rowCount counts the rows of a table, bypassing the replica's bookkeeping.
func rowCount(t testing.TB, r *Replica, table string) int64 {
	t.Helper()
	var n int64
	if err := r.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// synthDocuments returns lost/stolen documents first … first+n-1 of the
// lists' generator: realistic states and number shapes.
func synthDocuments(g *synth.Generator, first, n int) []lists.Document {
	out := make([]lists.Document, n)
	for i := range out {
		out[i] = g.Document(first + i)
	}
	return out
}

// synthPersons returns persons first … first+n-1 of the lists' generator:
// names per nationality with realistic frequencies, aliases.
func synthPersons(g *synth.Generator, first, n int) []lists.Person {
	out := make([]lists.Person, n)
	for i := range out {
		out[i] = g.Person(first + i)
	}
	return out
}

func addOps[T any](recs []T, op func(string, T) lists.Op) []lists.Op {
	out := make([]lists.Op, len(recs))
	for i, rec := range recs {
		out[i] = op(lists.OpAdd, rec)
	}
	return out
}

package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"autogate/internal/lists"
)

// Applied reports what one delta (or one list of an Import) changed.
type Applied struct {
	List                    string
	From, To                int64 // the version before and after
	Added, Changed, Removed int64
	Duration                time.Duration
}

// ReplayError refuses a delta whose version the replica already holds (or
// has gone past): it was applied before.
type ReplayError struct {
	List    string
	Have    int64
	DeltaTo int64
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("list %s: delta to version %d is a replay: the replica already holds version %d (nothing to do)", e.List, e.DeltaTo, e.Have)
}

// GapError refuses a delta that does not start from the version in force:
// some versions are missing and the gate must ask central for a resync.
type GapError struct {
	List      string
	Have      int64
	DeltaFrom int64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("list %s: delta starts from version %d but the replica holds version %d: request a full resync of %s from central", e.List, e.DeltaFrom, e.Have, e.List)
}

// OpError refuses a delta one of whose operations does not fit the
// replica (an add of a key it holds, a change or remove of one it lacks).
// Nothing of the delta was applied; the gate should ask for a resync.
type OpError struct {
	List, Op, Key string
	Why           string
}

func (e *OpError) Error() string {
	return fmt.Sprintf("list %s: %s of %q: %s; nothing of the delta was applied: request a full resync of %s from central", e.List, e.Op, e.Key, e.Why, e.List)
}

// counts is what a list's writer did. adopted counts movements this gate
// recorded that central's delta added: changes to the caller, new records
// of central's list to its count.
type counts struct{ added, changed, removed, adopted int64 }

// listWriter applies ops to one list's tables inside a transaction.
type listWriter interface {
	// clear empties the list for a full resync.
	clear(ctx context.Context, tx *sql.Tx) error
	apply(ctx context.Context, tx *sql.Tx, adds, changes, removes []lists.Op) (counts, error)
}

func writerFor(list string) (listWriter, error) {
	if list == lists.ListPersons {
		return personsList{}, nil
	}
	if t, ok := simpleLists[list]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("unknown list %q (known: %s)", list, strings.Join(lists.Names, ", "))
}

// Apply validates d and applies it in one transaction: all of it or, on
// any error, nothing. A delta the replica already holds gives a
// *ReplayError, one that skips versions a *GapError, an operation that does
// not fit the replica's content an *OpError.
func (r *Replica) Apply(ctx context.Context, d lists.Delta) (Applied, error) {
	start := time.Now()
	a := Applied{List: d.List, To: d.To}
	if err := d.Validate(); err != nil {
		return a, fmt.Errorf("list replica: refusing the %s delta to version %d: %w", d.List, d.To, err)
	}
	w, err := writerFor(d.List)
	if err != nil {
		return a, fmt.Errorf("list replica: refusing the delta: %w", err)
	}
	adds, changes, removes, err := splitOps(d)
	if err != nil {
		return a, err
	}
	err = r.write(ctx, fmt.Sprintf("applying the %s delta to version %d", d.List, d.To), func(tx *sql.Tx) error {
		st, err := listStatus(ctx, tx, d.List)
		if err != nil {
			return err
		}
		a.From = st.Version
		switch {
		case d.To <= st.Version:
			return &ReplayError{List: d.List, Have: st.Version, DeltaTo: d.To}
		case !d.Full && d.From != st.Version:
			return &GapError{List: d.List, Have: st.Version, DeltaFrom: d.From}
		}
		if d.Full {
			if err := w.clear(ctx, tx); err != nil {
				return err
			}
			st.Count = 0
		}
		c, err := w.apply(ctx, tx, adds, changes, removes)
		if err != nil {
			return err
		}
		a.Added, a.Changed, a.Removed = c.added, c.changed+c.adopted, c.removed
		return setVersion(ctx, tx, d.List, d.To, d.IssuedAt, st.Count+c.added+c.adopted-c.removed)
	})
	a.Duration = time.Since(start)
	return a, err
}

func splitOps(d lists.Delta) (adds, changes, removes []lists.Op, err error) {
	for _, op := range d.Ops {
		switch op.Op {
		case lists.OpAdd:
			adds = append(adds, op)
		case lists.OpChange:
			changes = append(changes, op)
		case lists.OpRemove:
			removes = append(removes, op)
		default:
			return nil, nil, nil, &OpError{List: d.List, Op: op.Op, Key: op.Key, Why: "unknown operation (add, change or remove)"}
		}
	}
	return adds, changes, removes, nil
}

func setVersion(ctx context.Context, tx *sql.Tx, list string, version int64, issuedAt time.Time, count int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE list_versions SET version = ?, issued_at = ?, applied_at = ?, count = ? WHERE list = ?",
		version, ts(issuedAt), ts(time.Now()), count, list)
	return err
}

// Import loads persons and documents the gate was given locally (a first
// load, a CSV import) in one transaction, with upsert semantics: a record
// whose key is absent is added, one whose key is present replaces it.
// Persons without an ID get lists.PersonID. Each list given records moves
// up one version, so the replica no longer follows central's numbering
// and central's next delta for it gives a *GapError (a resync).
func (r *Replica) Import(ctx context.Context, persons []lists.Person, docs []lists.Document, issuedAt time.Time) ([]Applied, error) {
	start := time.Now()
	// A list given, even empty, is imported (an empty file says the list
	// is empty as of now); a nil one is left alone.
	givenPersons, givenDocs := persons != nil, docs != nil
	persons, err := preparePersonImport(persons)
	if err != nil {
		return nil, err
	}
	docs, err = prepareDocumentImport(docs)
	if err != nil {
		return nil, err
	}
	var out []Applied
	err = r.write(ctx, "importing lists", func(tx *sql.Tx) error {
		out = out[:0]
		for _, l := range []struct {
			list   string
			given  bool
			upsert func() (counts, error)
		}{
			{lists.ListPersons, givenPersons, func() (counts, error) { return upsertPersons(ctx, tx, persons) }},
			{lists.ListDocuments, givenDocs, func() (counts, error) { return upsertDocuments(ctx, tx, docs) }},
		} {
			if !l.given {
				continue
			}
			st, err := listStatus(ctx, tx, l.list)
			if err != nil {
				return err
			}
			c, err := l.upsert()
			if err != nil {
				return err
			}
			a := Applied{List: l.list, From: st.Version, To: st.Version + 1, Added: c.added, Changed: c.changed}
			if err := setVersion(ctx, tx, l.list, a.To, issuedAt, st.Count+c.added); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Duration = time.Since(start)
	}
	return out, nil
}

// lastByKey keeps the last record of each key, in first-seen order: an
// import file that names a record twice means its later line.
func lastByKey[T any](recs []T, key func(T) string) []T {
	at := make(map[string]int, len(recs))
	out := make([]T, 0, len(recs))
	for _, rec := range recs {
		k := key(rec)
		if i, ok := at[k]; ok {
			out[i] = rec
			continue
		}
		at[k] = len(out)
		out = append(out, rec)
	}
	return out
}

func prepareDocumentImport(docs []lists.Document) ([]lists.Document, error) {
	for i, d := range docs {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("list replica: import: document %d (%s): %w", i+1, lists.DocumentKey(d.IssuingState, d.Number), err)
		}
	}
	return lastByKey(docs, func(d lists.Document) string {
		return documentSortKey(lists.NormaliseState(d.IssuingState), lists.NormaliseDocumentNumber(d.Number))
	}), nil
}

// upsertDocuments counts the keys of each batch already present, then adds
// or replaces the batch in one statement.
func upsertDocuments(ctx context.Context, tx *sql.Tx, docs []lists.Document) (counts, error) {
	rows, err := documentRows(docs)
	if err != nil {
		return counts{}, err
	}
	var c counts
	in := newInserter(ctx, tx, lists.ListDocuments, "INSERT", "documents", documentsTable.cols(),
		" ON CONFLICT DO UPDATE SET type = excluded.type, reason = excluded.reason", false)
	for batch := range slices.Chunk(rows, batchRows) {
		present, err := countPresentDocuments(ctx, tx, batch)
		if err != nil {
			return c, err
		}
		c.changed += present
		c.added += int64(len(batch)) - present
		for _, row := range batch {
			if err := in.add(row.label, row.vals...); err != nil {
				return c, err
			}
		}
	}
	return c, in.flush()
}

func countPresentDocuments(ctx context.Context, tx *sql.Tx, batch []keyedRow) (int64, error) {
	args := make([]any, 0, 2*len(batch))
	for _, row := range batch {
		args = append(args, row.vals[0], row.vals[1])
	}
	q := "SELECT COUNT(*) FROM documents WHERE (issuing_state, number) IN (VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?), ", len(batch)), ", ") + ")"
	var n int64
	err := tx.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// errMissing is what a change or remove of a key the list lacks says.
const errMissing = "the key is not in the list"

var errNoRecord = errors.New("the operation carries no record for its list")

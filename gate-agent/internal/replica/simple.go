package replica

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"autogate/internal/lists"
)

// simpleList is a list stored as one table, one row per record.
type simpleList struct {
	list    string
	table   string
	keyCols []string
	valCols []string
	// scope selects the rows central sent (movements also holds the gate's
	// own, local ones); "" for all rows.
	scope string
	// row gives a record's key values (all text) and other values.
	row func(op lists.Op) (keyedRow, error)
	// removeKey parses a remove op's key into the key values.
	removeKey func(key string) ([]any, error)
}

// keyedRow is one table row: key values first, then the others.
type keyedRow struct {
	label string // the op's key, for errors
	sort  string // key values joined, in SQLite's BINARY order
	vals  []any
}

func (t simpleList) cols() []string { return append(slices.Clone(t.keyCols), t.valCols...) }

func (t simpleList) where() string {
	w := strings.Join(t.keyCols, " = ? AND ") + " = ?"
	if t.scope != "" {
		w += " AND " + t.scope
	}
	return w
}

func (t simpleList) clear(ctx context.Context, tx *sql.Tx) error {
	q := "DELETE FROM " + t.table
	if t.scope != "" {
		q += " WHERE " + t.scope
	}
	_, err := tx.ExecContext(ctx, q)
	return err
}

func (t simpleList) apply(ctx context.Context, tx *sql.Tx, adds, changes, removes []lists.Op) (counts, error) {
	var c counts
	var tolerate func(op lists.Op) (bool, error)
	if t.list == lists.ListMovements {
		var err error
		if tolerate, err = purgedMovement(ctx, tx); err != nil {
			return c, err
		}
	}
	del, err := tx.PrepareContext(ctx, "DELETE FROM "+t.table+" WHERE "+t.where())
	if err != nil {
		return c, err
	}
	defer del.Close()
	for _, op := range removes {
		key, err := t.removeKey(op.Key)
		if err != nil {
			return c, &OpError{List: t.list, Op: op.Op, Key: op.Key, Why: err.Error()}
		}
		n, err := t.exactlyOne(ctx, del, op, tolerate, key...)
		if err != nil {
			return c, err
		}
		c.removed += n
	}
	upd, err := tx.PrepareContext(ctx, "UPDATE "+t.table+" SET "+strings.Join(t.valCols, " = ?, ")+" = ? WHERE "+t.where())
	if err != nil {
		return c, err
	}
	defer upd.Close()
	for _, op := range changes {
		row, err := t.row(op)
		if err != nil {
			return c, err
		}
		n := len(t.keyCols)
		changed, err := t.exactlyOne(ctx, upd, op, tolerate, append(slices.Clone(row.vals[n:]), row.vals[:n]...)...)
		if err != nil {
			return c, err
		}
		c.changed += changed
	}
	rows := make([]keyedRow, 0, len(adds))
	for _, op := range adds {
		row, err := t.row(op)
		if err != nil {
			return c, err
		}
		rows = append(rows, row)
	}
	if t.list == lists.ListMovements {
		if rows, err = adoptLocalMovements(ctx, tx, rows); err != nil {
			return c, err
		}
		c.adopted = int64(len(adds) - len(rows))
	}
	c.added, err = insertSorted(ctx, tx, t, rows)
	return c, err
}

// exactlyOne runs a change or remove that must touch one row and returns
// the rows it touched; a missing row is an OpError unless tolerate accepts
// it as already done.
func (t simpleList) exactlyOne(ctx context.Context, st *sql.Stmt, op lists.Op, tolerate func(lists.Op) (bool, error), args ...any) (int64, error) {
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n, err
	}
	if tolerate != nil {
		if ok, err := tolerate(op); ok || err != nil {
			return 0, err
		}
	}
	return 0, &OpError{List: t.list, Op: op.Op, Key: op.Key, Why: errMissing}
}

// insertSorted adds rows in key order (b-tree pages are then filled one
// after the other) and returns how many it added.
func insertSorted(ctx context.Context, tx *sql.Tx, t simpleList, rows []keyedRow) (int64, error) {
	slices.SortFunc(rows, func(a, b keyedRow) int { return strings.Compare(a.sort, b.sort) })
	in := newInserter(ctx, tx, t.list, "INSERT", t.table, t.cols(), "", true)
	for _, row := range rows {
		if err := in.add(row.label, row.vals...); err != nil {
			return in.rows, err
		}
	}
	err := in.flush()
	return in.rows, err
}

func documentSortKey(state, number string) string { return state + "\x00" + number }

// documentKey parses "ISSUING_STATE/NUMBER" into normalised key values.
func documentKey(key string) ([]any, error) {
	state, number, ok := strings.Cut(key, "/")
	if !ok || state == "" || number == "" {
		return nil, fmt.Errorf("key %q is not ISSUING_STATE/NUMBER", key)
	}
	return []any{lists.NormaliseState(state), lists.NormaliseDocumentNumber(number)}, nil
}

func idKey(key string) ([]any, error) {
	if key == "" {
		return nil, fmt.Errorf("empty key")
	}
	return []any{key}, nil
}

func keyed(op lists.Op, vals ...any) keyedRow {
	return keyedRow{label: op.Key, vals: vals}
}

func documentRow(label string, d lists.Document) (keyedRow, error) {
	reason, ok := reasonCodes[d.Reason]
	if !ok {
		return keyedRow{}, &OpError{List: lists.ListDocuments, Op: "add", Key: label, Why: fmt.Sprintf("reason %q is not one of %s", d.Reason, strings.Join(lists.DocumentReasons, ", "))}
	}
	state, number := lists.NormaliseState(d.IssuingState), lists.NormaliseDocumentNumber(d.Number)
	return keyedRow{label: label, sort: documentSortKey(state, number), vals: []any{state, number, d.Type, reason}}, nil
}

func documentRows(docs []lists.Document) ([]keyedRow, error) {
	rows := make([]keyedRow, 0, len(docs))
	for _, d := range docs {
		row, err := documentRow(lists.DocumentKey(d.IssuingState, d.Number), d)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b keyedRow) int { return strings.Compare(a.sort, b.sort) })
	return rows, nil
}

// reasonCodes store a document's reason in one byte: 5 M rows stay compact.
var reasonCodes = map[string]int{lists.ReasonLost: 1, lists.ReasonStolen: 2, lists.ReasonRevoked: 3}

func reasonName(code int) string {
	for name, c := range reasonCodes {
		if c == code {
			return name
		}
	}
	return fmt.Sprintf("unknown(%d)", code)
}

func missingRecord(list string, op lists.Op) error {
	return &OpError{List: list, Op: op.Op, Key: op.Key, Why: errNoRecord.Error()}
}

var documentsTable = simpleList{
	list: lists.ListDocuments, table: "documents",
	keyCols: []string{"issuing_state", "number"}, valCols: []string{"type", "reason"},
	removeKey: documentKey,
	row: func(op lists.Op) (keyedRow, error) {
		if op.Document == nil {
			return keyedRow{}, missingRecord(lists.ListDocuments, op)
		}
		return documentRow(op.Key, *op.Document)
	},
}

var simpleLists = map[string]simpleList{
	lists.ListDocuments: documentsTable,
	lists.ListVisas: {
		list: lists.ListVisas, table: "visas",
		keyCols:   []string{"id"},
		valCols:   []string{"issuing_state", "number", "kind", "valid_from", "valid_until", "entries", "stay_days"},
		removeKey: idKey,
		row: func(op lists.Op) (keyedRow, error) {
			v := op.Visa
			if v == nil {
				return keyedRow{}, missingRecord(lists.ListVisas, op)
			}
			row := keyed(op, v.ID, lists.NormaliseState(v.IssuingState), lists.NormaliseDocumentNumber(v.DocumentNumber), v.Kind, v.ValidFrom, v.ValidUntil, v.Entries, v.StayDays)
			row.sort = v.ID
			return row, nil
		},
	},
	lists.ListRegistered: {
		list: lists.ListRegistered, table: "registered",
		keyCols: []string{"issuing_state", "number"}, valCols: []string{"programme", "valid_until"},
		removeKey: documentKey,
		row: func(op lists.Op) (keyedRow, error) {
			g := op.Registered
			if g == nil {
				return keyedRow{}, missingRecord(lists.ListRegistered, op)
			}
			state, number := lists.NormaliseState(g.IssuingState), lists.NormaliseDocumentNumber(g.DocumentNumber)
			row := keyed(op, state, number, g.Programme, g.ValidUntil)
			row.sort = documentSortKey(state, number)
			return row, nil
		},
	},
	lists.ListMovements: {
		list: lists.ListMovements, table: "movements",
		keyCols: []string{"id"}, valCols: movementValCols,
		scope:     "local = 0",
		removeKey: idKey,
		row: func(op lists.Op) (keyedRow, error) {
			m := op.Movement
			if m == nil {
				return keyedRow{}, missingRecord(lists.ListMovements, op)
			}
			row := keyed(op, movementValues(*m)...)
			row.sort = m.ID
			return row, nil
		},
	},
}

var movementValCols = []string{"issuing_state", "number", "direction", "at", "gate"}

// movementValues are a movement's id and movementValCols.
func movementValues(m lists.Movement) []any {
	return []any{m.ID, lists.NormaliseState(m.IssuingState), lists.NormaliseDocumentNumber(m.DocumentNumber), m.Direction, m.At.UnixNano(), m.Gate}
}

// adoptLocalMovements turns central's adds of movements this gate recorded
// itself into changes that make them central's, and returns the adds left.
func adoptLocalMovements(ctx context.Context, tx *sql.Tx, rows []keyedRow) ([]keyedRow, error) {
	var nlocal int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM movements WHERE local = 1").Scan(&nlocal); err != nil || nlocal == 0 {
		return rows, err
	}
	adopt, err := tx.PrepareContext(ctx, "UPDATE movements SET "+strings.Join(movementValCols, " = ?, ")+" = ?, local = 0 WHERE id = ? AND local = 1")
	if err != nil {
		return nil, err
	}
	defer adopt.Close()
	left := rows[:0]
	for _, row := range rows {
		res, err := adopt.ExecContext(ctx, append(slices.Clone(row.vals[1:]), row.vals[0])...)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			left = append(left, row)
		}
	}
	return left, nil
}

// metaPurgedBefore holds the horizon of the last PurgeMovements.
const metaPurgedBefore = "movements_purged_before"

// purgedMovement returns a test for changes and removes of movements the
// replica no longer holds because PurgeMovements deleted them: a remove
// whose id (a crossing's ULID) or a change whose time is older than the
// purge horizon is accepted as already done.
func purgedMovement(ctx context.Context, tx *sql.Tx) (func(lists.Op) (bool, error), error) {
	var ns int64
	err := tx.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", metaPurgedBefore).Scan(&ns)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	horizon := movementAt(ns)
	return func(op lists.Op) (bool, error) {
		if op.Op == lists.OpChange {
			return op.Movement != nil && op.Movement.At.Before(horizon), nil
		}
		id, err := ulid.ParseStrict(op.Key)
		return err == nil && ulid.Time(id.Time()).Before(horizon), nil
	}, nil
}

// movementAt reads a stored movement time.
func movementAt(ns int64) time.Time { return time.Unix(0, ns).UTC() }

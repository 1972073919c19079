package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"autogate/internal/lists"
)

// readStmts are the lookups, prepared once (database/sql prepares each
// again on every pooled connection it runs on).
type readStmts struct {
	document, visas, registration, movements *sql.Stmt
	personRecord                             *sql.Stmt
	// search[1] filters by birth year, search[0] does not.
	search [2]searchStmts
}

// searchStmts find candidate names by their index keys (?1, a JSON array)
// and birth years (?2, a JSON array, in the filtering variant); shared
// takes the number of keys to share last.
type searchStmts struct {
	// postings counts each key's index rows.
	postings *sql.Stmt
	// names returns every name filed under one of the keys.
	names *sql.Stmt
	// shared returns the names filed under at least so many of the keys.
	shared *sql.Stmt
}

const (
	keysIn  = " key IN (SELECT value FROM json_each(?1))"
	yearsIn = " AND birth_year IN (SELECT value FROM json_each(?2))"
)

func (s *readStmts) all() []**sql.Stmt {
	out := []**sql.Stmt{&s.document, &s.visas, &s.registration, &s.movements, &s.personRecord}
	for i := range s.search {
		out = append(out, &s.search[i].postings, &s.search[i].names, &s.search[i].shared)
	}
	return out
}

func (s *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	queries := []string{
		"SELECT type, reason FROM documents WHERE issuing_state = ? AND number = ?",
		`SELECT id, kind, valid_from, valid_until, entries, stay_days FROM visas
			WHERE issuing_state = ? AND number = ? ORDER BY valid_from, id`,
		"SELECT programme, valid_until FROM registered WHERE issuing_state = ? AND number = ?",
		`SELECT id, direction, at, gate FROM movements
			WHERE issuing_state = ? AND number = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?`,
		"SELECT record FROM persons WHERE pid = ?",
	}
	for _, v := range []struct{ years, share string }{{"", "?2"}, {yearsIn, "?3"}} {
		queries = append(queries,
			"SELECT key, COUNT(*) FROM name_keys WHERE"+keysIn+v.years+" GROUP BY key",
			"SELECT name_id, prepared FROM person_names WHERE name_id IN (SELECT name_id FROM name_keys WHERE"+keysIn+v.years+")",
			"SELECT name_id, prepared FROM person_names WHERE name_id IN (SELECT name_id FROM name_keys WHERE"+keysIn+v.years+
				" GROUP BY name_id HAVING COUNT(*) >= "+v.share+")")
	}
	for i, st := range s.all() {
		var err error
		if *st, err = db.PrepareContext(ctx, queries[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *readStmts) close() {
	for _, st := range s.all() {
		if *st != nil {
			(*st).Close()
		}
	}
}

// FindDocument returns the lost, stolen or revoked document with this
// issuing state and number (normalised as at insert), or nil when the list
// does not hold it.
func (r *Replica) FindDocument(ctx context.Context, issuingState, number string) (*lists.Document, error) {
	d := lists.Document{IssuingState: lists.NormaliseState(issuingState), Number: lists.NormaliseDocumentNumber(number)}
	var reason int
	err := r.stmts.document.QueryRowContext(ctx, d.IssuingState, d.Number).Scan(&d.Type, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(r.path, "looking up a document", err)
	}
	d.Reason = reasonName(reason)
	return &d, nil
}

// Visas returns the visas and permits held for a travel document, by
// validity start.
func (r *Replica) Visas(ctx context.Context, issuingState, number string) ([]lists.Visa, error) {
	state, num := lists.NormaliseState(issuingState), lists.NormaliseDocumentNumber(number)
	return collect(ctx, r, "looking up visas", r.stmts.visas, []any{state, num}, func(rows *sql.Rows) (lists.Visa, error) {
		v := lists.Visa{IssuingState: state, DocumentNumber: num}
		err := rows.Scan(&v.ID, &v.Kind, &v.ValidFrom, &v.ValidUntil, &v.Entries, &v.StayDays)
		return v, err
	})
}

// collect runs a lookup and reads every row with scan.
func collect[T any](ctx context.Context, r *Replica, doing string, st *sql.Stmt, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, classify(r.path, doing, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		rec, err := scan(rows)
		if err != nil {
			return nil, classify(r.path, doing, err)
		}
		out = append(out, rec)
	}
	return out, classify(r.path, doing, rows.Err())
}

// Registration returns the travel document's enrolment as a registered
// traveller, or nil when it has none.
func (r *Replica) Registration(ctx context.Context, issuingState, number string) (*lists.Registered, error) {
	g := lists.Registered{IssuingState: lists.NormaliseState(issuingState), DocumentNumber: lists.NormaliseDocumentNumber(number)}
	err := r.stmts.registration.QueryRowContext(ctx, g.IssuingState, g.DocumentNumber).Scan(&g.Programme, &g.ValidUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(r.path, "looking up a registration", err)
	}
	return &g, nil
}

// Movements returns the travel document's movements at or after since,
// newest first, at most limit of them (limit ≤ 0: all).
func (r *Replica) Movements(ctx context.Context, issuingState, number string, since time.Time, limit int) ([]lists.Movement, error) {
	state, num := lists.NormaliseState(issuingState), lists.NormaliseDocumentNumber(number)
	if limit <= 0 {
		limit = -1
	}
	return collect(ctx, r, "looking up movements", r.stmts.movements, []any{state, num, since.UnixNano(), limit}, func(rows *sql.Rows) (lists.Movement, error) {
		m := lists.Movement{IssuingState: state, DocumentNumber: num}
		var at int64
		err := rows.Scan(&m.ID, &m.Direction, &at, &m.Gate)
		m.At = movementAt(at)
		return m, err
	})
}

// RecordMovement journals one of the gate's own crossings, so the next
// traveller check sees it before central sends it back. A movement already
// held (same id) is left as it is. It does not change the movements list's
// version; when central's delta later adds the same id, the row becomes
// central's. It waits for an Apply in progress: call it off the crossing's
// critical path.
func (r *Replica) RecordMovement(ctx context.Context, m lists.Movement) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("list replica: refusing movement %q: %w", m.ID, err)
	}
	if m.ID == "" {
		return fmt.Errorf("list replica: refusing a movement without id (the crossing's id)")
	}
	return r.write(ctx, "recording movement "+m.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO movements (id, "+strings.Join(movementValCols, ", ")+", local) VALUES (?, ?, ?, ?, ?, ?, 1)",
			movementValues(m)...)
		return err
	})
}

// PurgeMovements deletes every movement older than before, central's and
// the gate's own, and returns how many it deleted. Central's later changes
// and removes of movements purged are then accepted as already done.
func (r *Replica) PurgeMovements(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := r.write(ctx, "purging movements", func(tx *sql.Tx) error {
		var central int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM movements WHERE at < ? AND local = 0", before.UnixNano()).Scan(&central); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM movements WHERE at < ?", before.UnixNano())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE list_versions SET count = count - ? WHERE list = ?", central, lists.ListMovements); err != nil {
			return err
		}
		// Keep the latest horizon: an earlier purge date must not shrink it.
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?1, ?2)
			ON CONFLICT (key) DO UPDATE SET value = ?2 WHERE ?2 > CAST(value AS INTEGER)`, metaPurgedBefore, before.UnixNano())
		return err
	})
	return n, err
}

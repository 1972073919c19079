package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"autogate/internal/sqlitedb"
	"autogate/internal/wire"
)

// FileName is the database file inside the agent's data folder.
const FileName = "gate.db"

var migrations = []string{
	`CREATE TABLE crossings (
		seq        INTEGER PRIMARY KEY,
		id         TEXT NOT NULL UNIQUE,
		state      TEXT NOT NULL CHECK (state IN ('decided', 'recorded')),
		decision   TEXT NOT NULL,
		started_at TEXT NOT NULL,
		payload    TEXT NOT NULL,
		acked_at   TEXT
	);
	CREATE TABLE outbox (
		seq          INTEGER PRIMARY KEY REFERENCES crossings(seq),
		enqueued_at  TEXT NOT NULL,
		attempts     INTEGER NOT NULL DEFAULT 0,
		last_sent_at TEXT
	);`,
	// Ids (nonces) of the signed commands this gate has accepted, kept
	// past their expiry so a recorded command is never executed twice.
	`CREATE TABLE commands_seen (
		id         TEXT PRIMARY KEY,
		expires_at TEXT NOT NULL,
		seen_at    TEXT NOT NULL
	);`,
}

// Store is an open gate database.
type Store struct {
	db *sql.DB
}

// Option adjusts Open.
type Option func(*options)

type options struct{ maxPages int }

// WithMaxPages caps the database at n pages (SQLite's max_page_count), so
// tests can fill it like a full disk. The pool is then one connection: the
// pragma holds per connection.
func WithMaxPages(n int) Option { return func(o *options) { o.maxPages = n } }

// Open opens the database in dataDir, creating it if needed.
func Open(ctx context.Context, dataDir string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	db, err := sqlitedb.Open(ctx, filepath.Join(dataDir, FileName), migrations)
	if err != nil {
		return nil, fmt.Errorf("gate store: %w", err)
	}
	if o.maxPages > 0 {
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", o.maxPages)); err != nil {
			db.Close()
			return nil, fmt.Errorf("gate store: %w", err)
		}
	}
	return &Store{db: db}, nil
}

// diskFull says in words what a full disk means for a write that failed
// with SQLITE_FULL or ENOSPC; other errors pass unchanged.
func diskFull(err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("%w — the gate's disk is full: free space in its data folder; until then no traveller can be admitted", err)
	}
	return err
}

func isDiskFull(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrFull || se.SystemErrno == syscall.ENOSPC)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Decide journals a decided crossing before the doors act on it, and assigns
// its gate-local sequence number (c.Seq).
func (s *Store) Decide(ctx context.Context, c *wire.Crossing) (err error) {
	defer func() { err = diskFull(err) }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journalling crossing %s: %w", c.ID, err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM crossings").Scan(&c.Seq); err != nil {
		return fmt.Errorf("journalling crossing %s: %w", c.ID, err)
	}
	_, err = tx.ExecContext(ctx,
		"INSERT INTO crossings (seq, id, state, decision, started_at, payload) VALUES (?, ?, 'decided', ?, ?, ?)",
		c.Seq, c.ID, c.Decision, ts(c.StartedAt), wire.Encode(c))
	if err != nil {
		return fmt.Errorf("journalling crossing %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journalling crossing %s: %w", c.ID, err)
	}
	return nil
}

// Record completes a decided crossing and queues it for central, in one transaction.
func (s *Store) Record(ctx context.Context, c wire.Crossing) (err error) {
	defer func() { err = diskFull(err) }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording crossing %s: %w", c.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx,
		"UPDATE crossings SET state = 'recorded', decision = ?, payload = ? WHERE seq = ? AND id = ? AND state = 'decided'",
		c.Decision, wire.Encode(c), c.Seq, c.ID)
	if err != nil {
		return fmt.Errorf("recording crossing %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("recording crossing %s (seq %d): it was not journalled as decided", c.ID, c.Seq)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO outbox (seq, enqueued_at) VALUES (?, ?)", c.Seq, ts(time.Now())); err != nil {
		return fmt.Errorf("queueing crossing %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording crossing %s: %w", c.ID, err)
	}
	return nil
}

// Recover finishes crossings a crash left decided but not recorded: finish
// amends each (e.g. notes that the door outcome is unknown) before it is
// recorded and queued. It returns how many it finished.
func (s *Store) Recover(ctx context.Context, finish func(*wire.Crossing)) (int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT payload FROM crossings WHERE state = 'decided' ORDER BY seq")
	if err != nil {
		return 0, fmt.Errorf("recovering crossings: %w", err)
	}
	var pending []wire.Crossing
	for rows.Next() {
		var payload []byte
		var c wire.Crossing
		if err := rows.Scan(&payload); err != nil {
			rows.Close()
			return 0, err
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			rows.Close()
			return 0, fmt.Errorf("recovering crossings: stored payload unreadable: %w", err)
		}
		pending = append(pending, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i := range pending {
		finish(&pending[i])
		if err := s.Record(ctx, pending[i]); err != nil {
			return i, err
		}
	}
	return len(pending), nil
}

// Item is one outbox entry ready to publish.
type Item struct {
	Seq     int64
	ID      string
	Payload []byte
}

// Pending returns up to limit outbox entries with seq > afterSeq, in order.
func (s *Store) Pending(ctx context.Context, afterSeq int64, limit int) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT o.seq, c.id, c.payload FROM outbox o JOIN crossings c ON c.seq = o.seq
		WHERE o.seq > ? ORDER BY o.seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.Seq, &it.ID, &it.Payload); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// MarkSent counts a publish attempt of the given outbox entries.
func (s *Store) MarkSent(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := []any{ts(time.Now())}
	for _, q := range seqs {
		args = append(args, q)
	}
	_, err := s.db.ExecContext(ctx,
		"UPDATE outbox SET attempts = attempts + 1, last_sent_at = ? WHERE seq IN ("+placeholders(len(seqs))+")", args...)
	return err
}

// Release deletes the outbox entries of crossings central has acknowledged;
// it ignores ids it does not hold (a repeated ack). It returns how many it released.
func (s *Store) Release(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := s.release(ctx, ids, true)
	if isDiskFull(err) {
		// The ack times do not fit on a full disk; the outbox must still
		// drain, so release without them.
		n, err = s.release(ctx, ids, false)
	}
	return n, err
}

func (s *Store) release(ctx context.Context, ids []string, stamp bool) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := placeholders(len(ids))
	res, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE seq IN (SELECT seq FROM crossings WHERE id IN ("+in+"))", args...)
	if err != nil {
		return 0, fmt.Errorf("releasing acknowledged crossings: %w", err)
	}
	n, _ := res.RowsAffected()
	if stamp {
		if _, err := tx.ExecContext(ctx, "UPDATE crossings SET acked_at = ? WHERE acked_at IS NULL AND id IN ("+in+")",
			append([]any{ts(time.Now())}, args...)...); err != nil {
			return 0, err
		}
	}
	return int(n), tx.Commit()
}

// OutboxLastSeq is the highest seq waiting in the outbox (0 when empty).
func (s *Store) OutboxLastSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM outbox").Scan(&n)
	return n, err
}

// OutboxDepth counts crossings not yet acknowledged by central.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&n)
	return n, err
}

// Summary describes one stored crossing.
type Summary struct {
	Seq      int64
	ID       string
	State    string
	Decision string
	Acked    bool
}

// Crossings lists every stored crossing in sequence order.
func (s *Store) Crossings(ctx context.Context) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, state, decision,
		acked_at IS NOT NULL OR (state = 'recorded' AND seq NOT IN (SELECT seq FROM outbox))
		FROM crossings ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var c Summary
		if err := rows.Scan(&c.Seq, &c.ID, &c.State, &c.Decision, &c.Acked); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Crossing returns one stored crossing by id.
func (s *Store) Crossing(ctx context.Context, id string) (wire.Crossing, error) {
	var payload []byte
	var c wire.Crossing
	err := s.db.QueryRowContext(ctx, "SELECT payload FROM crossings WHERE id = ?", id).Scan(&payload)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("crossing %s: not in this gate's store", id)
	}
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(payload, &c)
}

// RememberCommand records a command id (its nonce) and reports whether it
// is new: false means it was seen before and must not run again. Ids whose
// command expired more than keep ago are forgotten (an expired command is
// refused on its expiry alone).
func (s *Store) RememberCommand(ctx context.Context, id string, expires time.Time, keep time.Duration) (fresh bool, err error) {
	now := time.Now()
	if _, err := s.db.ExecContext(ctx, "DELETE FROM commands_seen WHERE expires_at < ?", ts(now.Add(-keep))); err != nil {
		return false, fmt.Errorf("pruning seen commands: %w", err)
	}
	res, err := s.db.ExecContext(ctx, "INSERT OR IGNORE INTO commands_seen (id, expires_at, seen_at) VALUES (?, ?, ?)",
		id, ts(expires), ts(now))
	if err != nil {
		return false, fmt.Errorf("remembering command %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

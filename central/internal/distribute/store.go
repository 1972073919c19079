package distribute

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"autogate/internal/lists"
	"autogate/internal/sqlitedb"
	"autogate/internal/wire"
)

// FileName is the queue's database inside central's data folder. It is a
// file of its own, so `central lists push` never writes central.db, which
// `central serve` keeps busy with crossings.
const FileName = "updates.db"

// timeLayout is fixed-width so that text order equals time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// migrations are applied in order by internal/sqlitedb; a released step is
// never edited.
var migrations = []string{
	// 1: the signed updates, one row per version of a list or of the config.
	`
CREATE TABLE updates (
	id           INTEGER PRIMARY KEY,
	kind         TEXT    NOT NULL CHECK (kind IN ('delta', 'config')),
	list         TEXT    NOT NULL,
	version      INTEGER NOT NULL CHECK (version >= 1),
	from_version INTEGER NOT NULL,
	full         INTEGER NOT NULL DEFAULT 0,
	ops          INTEGER NOT NULL DEFAULT 0,
	payload      BLOB    NOT NULL,
	issued_at    TEXT    NOT NULL,
	expires_at   TEXT    NOT NULL,
	created_at   TEXT    NOT NULL,
	published    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (list, version)
);
CREATE INDEX updates_unpublished ON updates(id) WHERE published = 0;
`,
}

// Update is one signed update: a version of a list, or of the gates'
// configuration (List = wire.ConfigList).
type Update struct {
	ID        int64
	Kind      string // wire.SignedDelta or wire.SignedConfig
	List      string
	Version   int64
	From      int64 // the version it applies on (0 for a full delta)
	Full      bool
	Ops       int
	Payload   []byte // the signed envelope, as published
	IssuedAt  time.Time
	ExpiresAt time.Time
	CreatedAt time.Time
	Published bool
}

// Store is the queue of signed updates. It is safe for concurrent use, and
// several processes (serve, the CLI) may open it at once.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the queue in dataDir.
func Open(dataDir string) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("updates: empty data folder: pass one with --data")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("updates: creating data folder %s: %w (choose a writable folder with --data)", dataDir, err)
	}
	path := filepath.Join(dataDir, FileName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlitedb.Open(ctx, path, migrations)
	if err != nil {
		return nil, fmt.Errorf("updates: %w (restore the file from a backup: the gates hold its versions)", err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Names are the lists central versions, in order, the configuration last.
var Names = append(slices.Clone(lists.Names), wire.ConfigList)

// Latest returns the latest version of every list and of the configuration
// (0 when central never queued one).
func (s *Store) Latest(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(Names))
	for _, n := range Names {
		out[n] = 0
	}
	rows, err := s.db.QueryContext(ctx, "SELECT list, MAX(version) FROM updates GROUP BY list")
	if err != nil {
		return nil, fmt.Errorf("updates: reading the latest versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var list string
		var v int64
		if err := rows.Scan(&list, &v); err != nil {
			return nil, err
		}
		out[list] = v
	}
	return out, rows.Err()
}

// ListStatus is what central holds of one list (or of the configuration).
type ListStatus struct {
	List        string
	Version     int64 // latest; 0 when none was queued
	Kept        int   // versions kept to answer resyncs
	Unpublished int   // queued, not yet published by central serve
	LastQueued  time.Time
	ExpiresAt   time.Time // of the latest version
}

// Status returns every list of Names, in that order.
func (s *Store) Status(ctx context.Context) ([]ListStatus, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT list, MAX(version), COUNT(*), SUM(published = 0), MAX(created_at), MAX(expires_at)
FROM updates GROUP BY list`)
	if err != nil {
		return nil, fmt.Errorf("updates: reading the status: %w", err)
	}
	defer rows.Close()
	got := map[string]ListStatus{}
	for rows.Next() {
		var st ListStatus
		var created, expires string
		if err := rows.Scan(&st.List, &st.Version, &st.Kept, &st.Unpublished, &created, &expires); err != nil {
			return nil, err
		}
		st.LastQueued, _ = time.Parse(timeLayout, created)
		st.ExpiresAt, _ = time.Parse(timeLayout, expires)
		got[st.List] = st
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ListStatus, 0, len(Names))
	for _, n := range Names {
		st := got[n]
		st.List = n
		out = append(out, st)
	}
	return out, nil
}

const updateCols = "id, kind, list, version, from_version, full, ops, payload, issued_at, expires_at, created_at, published"

func scanUpdates(rows *sql.Rows) ([]Update, error) {
	defer rows.Close()
	var out []Update
	for rows.Next() {
		var u Update
		var issued, expires, created string
		if err := rows.Scan(&u.ID, &u.Kind, &u.List, &u.Version, &u.From, &u.Full, &u.Ops, &u.Payload,
			&issued, &expires, &created, &u.Published); err != nil {
			return nil, err
		}
		var err error
		if u.IssuedAt, err = time.Parse(timeLayout, issued); err == nil {
			if u.ExpiresAt, err = time.Parse(timeLayout, expires); err == nil {
				u.CreatedAt, err = time.Parse(timeLayout, created)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("updates: row %d has a bad time: %w", u.ID, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Unpublished returns up to limit queued updates central serve has not
// published yet, in the order they were queued.
func (s *Store) Unpublished(ctx context.Context, limit int) ([]Update, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+updateCols+" FROM updates WHERE published = 0 ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("updates: reading the queue: %w", err)
	}
	return scanUpdates(rows)
}

// MarkPublished records that the update went out on the fleet topic.
func (s *Store) MarkPublished(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, "UPDATE updates SET published = 1 WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("updates: marking update %d published: %w", id, err)
	}
	return nil
}

// After returns every update of list newer than version have, in version
// order.
func (s *Store) After(ctx context.Context, list string, have int64) ([]Update, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+updateCols+" FROM updates WHERE list = ? AND version > ? ORDER BY version", list, have)
	if err != nil {
		return nil, fmt.Errorf("updates: reading %s after version %d: %w", list, have, err)
	}
	return scanUpdates(rows)
}

// insert adds the updates build returns, given the list's latest version,
// in one write transaction: two pushes at once cannot take one version.
func (s *Store) insert(ctx context.Context, list string, build func(latest int64) ([]Update, error)) ([]Update, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("updates: %w", err)
	}
	defer tx.Rollback()
	var latest int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM updates WHERE list = ?", list).Scan(&latest); err != nil {
		return nil, fmt.Errorf("updates: reading the latest %s version: %w", list, err)
	}
	ups, err := build(latest)
	if err != nil {
		return nil, err
	}
	created := time.Now().UTC().Format(timeLayout)
	for _, u := range ups {
		_, err := tx.ExecContext(ctx, `INSERT INTO updates (kind, list, version, from_version, full, ops, payload, issued_at, expires_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Kind, u.List, u.Version, u.From, u.Full, u.Ops, u.Payload,
			u.IssuedAt.UTC().Format(timeLayout), u.ExpiresAt.UTC().Format(timeLayout), created)
		if err != nil {
			return nil, fmt.Errorf("updates: queueing %s version %d: %w", u.List, u.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("updates: committing: %w", err)
	}
	return ups, nil
}

package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"autogate/internal/lists"
	"autogate/internal/sqlitedb"
)

// FileName is the replica's database file inside the agent's data folder.
const FileName = "lists.db"

const (
	// readConns bounds the connections the checks read through; the writer
	// has one more of its own.
	readConns = 4
	// writerCacheKiB is the page cache of the writing connection: a bulk
	// apply touches many b-tree pages of a 5 M-row table.
	writerCacheKiB = 128 << 10
	// walLimitBytes truncates the WAL back to this after a large apply.
	walLimitBytes = 64 << 20
)

var migrations = []string{
	`CREATE TABLE list_versions (
		list       TEXT PRIMARY KEY,
		version    INTEGER NOT NULL DEFAULT 0,
		issued_at  TEXT,
		applied_at TEXT,
		count      INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO list_versions (list) VALUES ('persons'), ('documents'), ('visas'), ('registered'), ('movements');
	CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
	CREATE TABLE documents (
		issuing_state TEXT NOT NULL,
		number        TEXT NOT NULL,
		type          TEXT NOT NULL,
		reason        INTEGER NOT NULL,
		PRIMARY KEY (issuing_state, number)
	) WITHOUT ROWID;
	CREATE TABLE persons (
		pid    INTEGER PRIMARY KEY,
		id     TEXT NOT NULL UNIQUE,
		record TEXT NOT NULL
	);
	-- name_id = pid << 10 | (alias + 1): a person's names are one rowid range.
	CREATE TABLE person_names (
		name_id    INTEGER PRIMARY KEY,
		birth_year INTEGER NOT NULL,
		prepared   TEXT NOT NULL
	);
	CREATE TABLE name_keys (
		key        TEXT NOT NULL,
		birth_year INTEGER NOT NULL,
		name_id    INTEGER NOT NULL,
		PRIMARY KEY (key, birth_year, name_id)
	) WITHOUT ROWID;
	CREATE TABLE visas (
		id            TEXT PRIMARY KEY,
		issuing_state TEXT NOT NULL,
		number        TEXT NOT NULL,
		kind          TEXT NOT NULL,
		valid_from    TEXT NOT NULL,
		valid_until   TEXT NOT NULL,
		entries       INTEGER NOT NULL,
		stay_days     INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX visas_document ON visas (issuing_state, number);
	CREATE TABLE registered (
		issuing_state TEXT NOT NULL,
		number        TEXT NOT NULL,
		programme     TEXT NOT NULL,
		valid_until   TEXT NOT NULL,
		PRIMARY KEY (issuing_state, number)
	) WITHOUT ROWID;
	-- local = 1: recorded by this gate and not (yet) sent by central.
	CREATE TABLE movements (
		id            TEXT PRIMARY KEY,
		issuing_state TEXT NOT NULL,
		number        TEXT NOT NULL,
		direction     TEXT NOT NULL,
		at            INTEGER NOT NULL,
		gate          TEXT NOT NULL,
		local         INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE INDEX movements_document ON movements (issuing_state, number, at);
	CREATE INDEX movements_local ON movements (id) WHERE local = 1;`,
}

// Replica is an open replica. Lookups are safe for concurrent use and run
// beside an Apply (they see the lists as they were before it commits).
type Replica struct {
	path   string
	db     *sql.DB
	writer *sql.Conn
	// writeSem serialises this process's writes (one token) and lets a
	// waiting writer give up with its context.
	writeSem chan struct{}
	stmts    readStmts
}

// Open opens the replica at path (normally <data folder>/FileName),
// creating and migrating it as needed. A file that is not a replica, or is
// damaged, gives a *CorruptError saying what to do. Open does not read the
// whole file: call Verify for that.
func Open(ctx context.Context, path string) (*Replica, error) {
	db, err := sqlitedb.Open(ctx, path, migrations)
	if err != nil {
		return nil, classify(path, "sqlite", err)
	}
	db.SetMaxOpenConns(readConns + 1)
	db.SetMaxIdleConns(readConns + 1)
	r := &Replica{path: path, db: db, writeSem: make(chan struct{}, 1)}
	if err := r.init(ctx); err != nil {
		r.Close()
		return nil, classify(path, "opening", err)
	}
	return r, nil
}

func (r *Replica) init(ctx context.Context) error {
	w, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	r.writer = w
	for _, p := range []string{
		fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB),
		fmt.Sprintf("PRAGMA journal_size_limit = %d", walLimitBytes),
		// Checkpoint after ~40 MB of WAL, not 4: a page a delta touches
		// again before then is copied to the database once.
		"PRAGMA wal_autocheckpoint = 10000",
		"PRAGMA temp_store = MEMORY",
		// A power cut may roll back the last deltas (the version with them):
		// central sends them again. Commits then need no fsync of their own.
		"PRAGMA synchronous = NORMAL",
	} {
		if _, err := w.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	// Read every list's row: a file whose schema pages are damaged, or
	// another database, fails here.
	if _, err := r.Versions(ctx); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return &CorruptError{Path: r.path, What: "schema", Err: errors.New("the file is another database, not a list replica (no list_versions table)")}
		}
		return err
	}
	if err := r.stmts.prepare(ctx, r.db); err != nil {
		return err
	}
	return r.checkIndexScheme(ctx)
}

// Close closes the replica.
func (r *Replica) Close() error {
	r.stmts.close()
	if r.writer != nil {
		r.writer.Close()
	}
	return r.db.Close()
}

// CorruptError says the replica file is damaged or not a replica at all.
// The lists in it cannot be trusted: the gate must rebuild it.
type CorruptError struct {
	Path string
	What string // what found the damage: "quick_check", "persons count", ...
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("list replica %s is damaged (%s: %v): move the file aside and re-import the lists or resync them from central", e.Path, e.What, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// classify turns SQLite's "malformed" and "not a database" errors into a
// *CorruptError and wraps the others with what was being done.
func classify(path, doing string, err error) error {
	if err == nil {
		return nil
	}
	var ce *CorruptError
	if errors.As(err, &ce) {
		if ce.Path == "" {
			ce.Path = path
		}
		return err
	}
	var gap *GapError
	var replay *ReplayError
	var op *OpError
	if errors.As(err, &gap) || errors.As(err, &replay) || errors.As(err, &op) {
		return err // they say all there is to say
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB) {
		return &CorruptError{Path: path, What: doing, Err: err}
	}
	return fmt.Errorf("list replica %s: %s: %w", path, doing, err)
}

// ListStatus is the state of one list in the replica.
type ListStatus struct {
	List      string    `json:"list"`
	Version   int64     `json:"version"`
	IssuedAt  time.Time `json:"issued_at"`  // when central issued the version in force (zero: never applied)
	AppliedAt time.Time `json:"applied_at"` // when this replica applied it
	// Count is the records central sent; Local is the movements this gate
	// recorded that central has not sent (movements list only).
	Count int64 `json:"count"`
	Local int64 `json:"local"`
}

// Versions returns every list of lists.Names, in that order.
func (r *Replica) Versions(ctx context.Context) ([]ListStatus, error) {
	out := make([]ListStatus, 0, len(lists.Names))
	for _, name := range lists.Names {
		st, err := listStatus(ctx, r.db, name)
		if err != nil {
			return nil, classify(r.path, "reading list versions", err)
		}
		if name == lists.ListMovements {
			if err := r.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM movements WHERE local = 1").Scan(&st.Local); err != nil {
				return nil, classify(r.path, "counting local movements", err)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func listStatus(ctx context.Context, q queryer, list string) (ListStatus, error) {
	st := ListStatus{List: list}
	var issued, applied sql.NullString
	err := q.QueryRowContext(ctx, "SELECT version, issued_at, applied_at, count FROM list_versions WHERE list = ?", list).
		Scan(&st.Version, &issued, &applied, &st.Count)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("list %q has no version row (the file is not a list replica)", list)
	}
	if err != nil {
		return st, err
	}
	st.IssuedAt, err = parseTS(issued)
	if err == nil {
		st.AppliedAt, err = parseTS(applied)
	}
	return st, err
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTS(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s.String)
}

// Size returns the database's size in bytes (pages in use and free), not
// counting the WAL.
func (r *Replica) Size(ctx context.Context) (int64, error) {
	var n int64
	err := r.db.QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n)
	return n, classify(r.path, "reading its size", err)
}

// countQueries count each list's records as central sent them.
var countQueries = map[string]string{
	lists.ListPersons:    "SELECT COUNT(*) FROM persons",
	lists.ListDocuments:  "SELECT COUNT(*) FROM documents",
	lists.ListVisas:      "SELECT COUNT(*) FROM visas",
	lists.ListRegistered: "SELECT COUNT(*) FROM registered",
	lists.ListMovements:  "SELECT COUNT(*) FROM movements WHERE local = 0",
}

// Verify reads the whole file (PRAGMA quick_check: b-tree structure, page
// use, record formats) and checks that every list holds as many records as
// its version row says. It returns a *CorruptError naming what failed.
// It takes seconds on national-scale lists: run it at start-up or when a
// lookup reported damage, not per crossing. SQLite keeps no checksums: a
// flipped bit inside a record's bytes that leaves the structure intact is
// not found.
func (r *Replica) Verify(ctx context.Context) error {
	rows, err := r.db.QueryContext(ctx, "PRAGMA quick_check(20)")
	if err != nil {
		return &CorruptError{Path: r.path, What: "quick_check", Err: err}
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return &CorruptError{Path: r.path, What: "quick_check", Err: err}
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return &CorruptError{Path: r.path, What: "quick_check", Err: err}
	}
	if len(problems) > 0 {
		return &CorruptError{Path: r.path, What: "quick_check", Err: fmt.Errorf("%d problems, first: %s", len(problems), problems[0])}
	}
	for _, name := range lists.Names {
		st, err := listStatus(ctx, r.db, name)
		if err != nil {
			return &CorruptError{Path: r.path, What: "list versions", Err: err}
		}
		var n int64
		if err := r.db.QueryRowContext(ctx, countQueries[name]).Scan(&n); err != nil {
			return &CorruptError{Path: r.path, What: name + " count", Err: err}
		}
		if n != st.Count {
			return &CorruptError{Path: r.path, What: name + " count", Err: fmt.Errorf("version %d should hold %d records, the table holds %d", st.Version, st.Count, n)}
		}
	}
	return nil
}

// lockWrite takes this process's write token, or gives up with ctx.
func (r *Replica) lockWrite(ctx context.Context) error {
	select {
	case r.writeSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("list replica %s: waiting for another write to finish: %w", r.path, ctx.Err())
	}
}

func (r *Replica) unlockWrite() { <-r.writeSem }

// write runs fn in one immediate transaction on the writing connection.
func (r *Replica) write(ctx context.Context, doing string, fn func(tx *sql.Tx) error) error {
	if err := r.lockWrite(ctx); err != nil {
		return err
	}
	defer r.unlockWrite()
	tx, err := r.writer.BeginTx(ctx, nil)
	if err != nil {
		return classify(r.path, doing, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return classify(r.path, doing, err)
	}
	return classify(r.path, doing, tx.Commit())
}

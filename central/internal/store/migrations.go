package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one step of the schema. Steps are never edited once released:
// a change to the schema is a new step at the end of the list.
type migration struct {
	version int
	name    string
	sql     string
}

// Times are stored as fixed-width UTC text (see timeLayout) so that string
// order is time order and the file stays readable with the sqlite3 shell.
var migrations = []migration{
	{
		version: 1,
		name:    "gates, crossings, rejects",
		sql: `
CREATE TABLE gates (
	id                 TEXT PRIMARY KEY,
	post               TEXT    NOT NULL DEFAULT '',
	state              TEXT    NOT NULL DEFAULT 'unknown',
	mode               TEXT    NOT NULL DEFAULT '',
	devices            TEXT    NOT NULL DEFAULT '{}',
	outbox_depth       INTEGER NOT NULL DEFAULT 0,
	version            TEXT    NOT NULL DEFAULT '',
	status_at          TEXT    NOT NULL DEFAULT '',
	status_received_at TEXT    NOT NULL DEFAULT '',
	last_crossing_at   TEXT    NOT NULL DEFAULT '',
	last_seq           INTEGER NOT NULL DEFAULT 0,
	crossings          INTEGER NOT NULL DEFAULT 0,
	passes             INTEGER NOT NULL DEFAULT 0,
	refers             INTEGER NOT NULL DEFAULT 0,
	duplicates         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE crossings (
	id                TEXT PRIMARY KEY,
	gate              TEXT    NOT NULL REFERENCES gates(id),
	post              TEXT    NOT NULL,
	seq               INTEGER NOT NULL,
	direction         TEXT    NOT NULL,
	started_at        TEXT    NOT NULL,
	ended_at          TEXT    NOT NULL,
	decision          TEXT    NOT NULL CHECK (decision IN ('pass', 'refer')),
	door              TEXT    NOT NULL,
	doc_format        TEXT    NOT NULL,
	doc_code          TEXT    NOT NULL,
	doc_issuing_state TEXT    NOT NULL,
	doc_number        TEXT    NOT NULL,
	doc_surname       TEXT    NOT NULL,
	doc_given_names   TEXT    NOT NULL,
	doc_nationality   TEXT    NOT NULL,
	doc_birth_date    TEXT    NOT NULL,
	doc_sex           TEXT    NOT NULL,
	doc_expiry_date   TEXT    NOT NULL,
	refer_reasons     TEXT    NOT NULL,
	checks            TEXT    NOT NULL,
	stages            TEXT    NOT NULL,
	device_ms         REAL    NOT NULL,
	software_ms       REAL    NOT NULL,
	received_at       TEXT    NOT NULL,
	payload           TEXT    NOT NULL
);
CREATE INDEX crossings_gate_seq ON crossings (gate, seq);
CREATE INDEX crossings_started_at ON crossings (started_at);

CREATE TABLE rejects (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at TEXT    NOT NULL,
	topic       TEXT    NOT NULL,
	gate        TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	error       TEXT    NOT NULL,
	size        INTEGER NOT NULL
);

CREATE TABLE reject_totals (
	reason TEXT PRIMARY KEY,
	count  INTEGER NOT NULL
);
`,
	},
}

// migrate applies every migration not yet recorded in schema_migrations. Each
// step runs in its own immediate transaction and checks the record inside it,
// so two processes opening the same fresh file cannot both apply a step.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion reports the highest migration applied to the open database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version of %s: %w", s.path, err)
	}
	return int(v.Int64), nil
}

package store

import (
	"context"
	"fmt"

	"autogate/internal/sqlitedb"
)

// migrations are applied by internal/sqlitedb in order, each in its own
// transaction, and tracked by PRAGMA user_version. A step is never edited once
// released: a change to the schema is a new step at the end of the list.
//
// Times are stored as fixed-width UTC text (see timeLayout) so that string
// order is time order and the file stays readable with the sqlite3 shell.
var migrations = []string{
	// 1: gates, crossings, rejects
	`
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
	// 2: officers' commands to gates and the gates' acknowledgements. A
	// row may start from either side: the command as sent, or an ack of a
	// command sent by another central process (then action etc. are '').
	`
CREATE TABLE commands (
	id         TEXT PRIMARY KEY,
	gate       TEXT NOT NULL,
	action     TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	officer    TEXT NOT NULL DEFAULT '',
	crossing   TEXT NOT NULL DEFAULT '',
	issued_at  TEXT NOT NULL DEFAULT '',
	expires_at TEXT NOT NULL DEFAULT '',
	ack_result TEXT NOT NULL DEFAULT '',
	ack_reason TEXT NOT NULL DEFAULT '',
	ack_detail TEXT NOT NULL DEFAULT '',
	ack_mode   TEXT NOT NULL DEFAULT '',
	acked_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX commands_gate_issued ON commands (gate, issued_at);
`,
	// 3: what a gate's status says beyond its state, so central can tell a
	// silent gate (stale: no status for three heartbeats) and show alarms.
	`
ALTER TABLE gates ADD COLUMN heartbeat_s     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gates ADD COLUMN config_version  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gates ADD COLUMN disk_free_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gates ADD COLUMN alarms          TEXT    NOT NULL DEFAULT '[]';
ALTER TABLE gates ADD COLUMN lists           TEXT    NOT NULL DEFAULT '{}';
`,
	// 4: referrals as the gates send them live (the officers' queue) and
	// their images, kept apart so the retention purge deletes the images
	// and nothing else. Search: doc_number is matched by prefix as a range
	// on its plain index (MRZ numbers are stored upper-case; the query is
	// upper-cased), names by a case-insensitive LIKE over the rows of the
	// started_at window.
	`
CREATE TABLE referrals (
	id              TEXT PRIMARY KEY,
	gate            TEXT NOT NULL,
	post            TEXT NOT NULL,
	received_at     TEXT NOT NULL,
	held_until      TEXT NOT NULL DEFAULT '',
	payload         TEXT NOT NULL,
	doc_number      TEXT NOT NULL,
	doc_surname     TEXT NOT NULL,
	doc_given_names TEXT NOT NULL
);
CREATE INDEX referrals_post_received ON referrals (post, received_at);
CREATE INDEX referrals_received ON referrals (received_at);

CREATE TABLE referral_images (
	referral    TEXT NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	data        BLOB NOT NULL,
	received_at TEXT NOT NULL,
	PRIMARY KEY (referral, kind)
);
CREATE INDEX referral_images_received ON referral_images (received_at);

CREATE INDEX commands_crossing ON commands (crossing, id);
CREATE INDEX crossings_doc_number ON crossings (doc_number);
`,
}

// SchemaVersion reports how many migrations the open database has applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := sqlitedb.Version(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("reading schema version of %s: %w", s.path, err)
	}
	return v, nil
}

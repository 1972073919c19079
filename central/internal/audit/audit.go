package audit

import (
	"context"
	"errors"
	"time"
)

// Actions recorded (stable: reports and scripts key on them).
const (
	ActionLogin        = "login"
	ActionLoginFailed  = "login_failed"
	ActionLogout       = "logout"
	ActionUserAdd      = "user_add"
	ActionUserChange   = "user_change" // disable, enable, unlock, password, totp
	ActionCommand      = "command"     // an officer's command to a gate, with its reason
	ActionCommandAck   = "command_ack" // the gate's answer to it
	ActionListsPush    = "lists_push"
	ActionConfigPush   = "config_push"
	ActionGateAdd      = "gate_add"
	ActionImagesPurged = "images_purged"
)

// Entry is one record. Actor is the user name (or "cli:<os user>" for a
// command run on central's host, "central" for central itself); Target
// what was acted on (a gate, a user, a list); Detail the rest.
type Entry struct {
	Seq    int64             `json:"seq"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Post   string            `json:"post,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
	Prev   string            `json:"prev"` // hex SHA-256 of the previous record ("" for the first)
	Hash   string            `json:"hash"` // hex SHA-256 of Prev and this record's canonical encoding
}

// Break names the first record whose chain does not hold.
type Break struct {
	Seq    int64
	Reason string // e.g. "hash does not match its content", "prev does not match record 41", "record 42 missing"
}

// Result of Verify.
type Result struct {
	Records int64  // records checked
	Head    string // hash of the last record
	Broken  *Break // nil when the chain is intact
}

// ErrNotImplemented is returned by stubs under construction.
var ErrNotImplemented = errors.New("audit: not implemented yet")

// Log is the audit log. Safe for concurrent use by several processes:
// appends are serialised by SQLite's write lock, so the chain never forks.
type Log struct{ impl }

// Open opens (creating if needed) DIR/audit.db.
func Open(dataDir string) (*Log, error) { return openLog(dataDir) }

// Close closes the database.
func (l *Log) Close() error { return l.close() }

// Path is the database file.
func (l *Log) Path() string { return l.path() }

// Append chains and stores e (Seq, Prev and Hash are set here; a zero At
// is now) and returns it as stored.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) { return l.append(ctx, e) }

// Entries returns up to limit records, newest first, with Seq < before
// (0: from the newest); when post is not "" only that post's records.
func (l *Log) Entries(ctx context.Context, post string, before int64, limit int) ([]Entry, error) {
	return l.entries(ctx, post, before, limit)
}

// Verify walks the whole chain.
func (l *Log) Verify(ctx context.Context) (Result, error) { return l.verify(ctx) }

package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"autogate/internal/sqlitedb"
)

// FileName is the log's database inside central's data folder.
const FileName = "audit.db"

// migrations are applied in order by internal/sqlitedb; a released step is
// never edited. detail is the canonical JSON of Entry.Detail; at is the
// exact RFC 3339 text that was hashed.
var migrations = []string{
	`
CREATE TABLE records (
	seq    INTEGER PRIMARY KEY,
	at     TEXT    NOT NULL,
	actor  TEXT    NOT NULL,
	action TEXT    NOT NULL,
	target TEXT    NOT NULL DEFAULT '',
	post   TEXT    NOT NULL DEFAULT '',
	detail TEXT    NOT NULL DEFAULT '{}',
	prev   TEXT    NOT NULL,
	hash   TEXT    NOT NULL
);
CREATE INDEX records_post ON records(post, seq);
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`,
}

// Log is the audit log. Safe for concurrent use by several processes:
// appends are serialised by SQLite's write lock, so the chain never forks.
type Log struct {
	db   *sql.DB
	file string
}

// Open opens (creating if needed) DIR/audit.db.
func Open(dataDir string) (*Log, error) {
	if dataDir == "" {
		return nil, errors.New("audit: empty data folder: pass one with --data")
	}
	path := filepath.Join(dataDir, FileName)
	db, err := sqlitedb.Open(context.Background(), path, migrations)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Log{db: db, file: path}, nil
}

// Close closes the database.
func (l *Log) Close() error { return l.db.Close() }

// Path is the database file.
func (l *Log) Path() string { return l.file }

// canonical is the encoding a record's hash covers: every field always
// present, in this order; encoding/json sorts the detail's keys.
type canonical struct {
	Seq    int64             `json:"seq"`
	At     string            `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target"`
	Post   string            `json:"post"`
	Detail map[string]string `json:"detail"`
}

// chainHash is SHA-256(prev || "\n" || canonical JSON), hex.
func chainHash(prev string, c canonical) (string, error) {
	if c.Detail == nil {
		c.Detail = map[string]string{} // nil and empty hash alike
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte("\n"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkEntry refuses what could not be hashed back the same way (JSON
// replaces invalid UTF-8) or is missing.
func checkEntry(e Entry) error {
	if strings.TrimSpace(e.Actor) == "" || strings.TrimSpace(e.Action) == "" {
		return errors.New("audit: a record needs an actor and an action")
	}
	fields := []string{e.Actor, e.Action, e.Target, e.Post}
	for k, v := range e.Detail {
		fields = append(fields, k, v)
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return fmt.Errorf("audit: %q is not valid UTF-8", f)
		}
	}
	return nil
}

// Append chains and stores e (Seq, Prev and Hash are set here; a zero At
// is now) and returns it as stored.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := checkEntry(e); err != nil {
		return Entry{}, err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	at := e.At.UTC().Format(time.RFC3339Nano)
	e.At, _ = time.Parse(time.RFC3339Nano, at) // as Entries will return it
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	detailJSON, err := json.Marshal(detail)
	if err != nil {
		return Entry{}, err
	}
	// The connection string makes this an IMMEDIATE transaction: the write
	// lock is taken before the last record is read, so two writers (serve
	// and a CLI command) cannot both chain onto the same record.
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	var last int64
	var prev string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("audit: reading the last record: %w", err)
	}
	e.Seq, e.Prev = last+1, prev
	e.Hash, err = chainHash(prev, canonical{e.Seq, at, e.Actor, e.Action, e.Target, e.Post, detail})
	if err != nil {
		return Entry{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO records (seq, at, actor, action, target, post, detail, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, at, e.Actor, e.Action, e.Target, e.Post, string(detailJSON), e.Prev, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit: appending: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, fmt.Errorf("audit: appending: %w", err)
	}
	return e, nil
}

const columns = `seq, at, actor, action, target, post, detail, prev, hash`

// stored is a row as read, with the exact texts that were hashed.
type stored struct {
	Entry
	at, detail string
}

func scan(rows *sql.Rows) (stored, error) {
	var r stored
	err := rows.Scan(&r.Seq, &r.at, &r.Actor, &r.Action, &r.Target, &r.Post, &r.detail, &r.Prev, &r.Hash)
	return r, err
}

// decode fills At and Detail from their stored texts.
func (r *stored) decode() error {
	at, err := time.Parse(time.RFC3339Nano, r.at)
	if err != nil {
		return fmt.Errorf("time %q is not RFC 3339", r.at)
	}
	r.At = at
	r.Detail = nil
	if err := json.Unmarshal([]byte(r.detail), &r.Detail); err != nil {
		return fmt.Errorf("detail is not a JSON object of strings: %v", err)
	}
	if len(r.Detail) == 0 {
		r.Detail = nil
	}
	return nil
}

// Entries returns up to limit records, newest first, with Seq < before
// (0: from the newest); when post is not "" only that post's records.
func (l *Log) Entries(ctx context.Context, post string, before int64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	q := `SELECT ` + columns + ` FROM records WHERE seq < ?`
	args := []any{before}
	if post != "" {
		q += ` AND post = ?`
		args = append(args, post)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	rows, err := l.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if err := r.decode(); err != nil {
			return nil, fmt.Errorf("audit: record %d: %v: run 'central audit verify'", r.Seq, err)
		}
		out = append(out, r.Entry)
	}
	return out, rows.Err()
}

// Verify walks the records in seq order, from 1, and stops at the first
// that does not hold: a missing seq, a hash that does not match the
// record's content and prev, or a prev that is not the previous record's
// hash. A chain alone cannot tell that records were cut off its end; the
// head hash Verify reports, kept elsewhere, can.
func (l *Log) Verify(ctx context.Context) (Result, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+columns+` FROM records ORDER BY seq`)
	if err != nil {
		return Result{}, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var res Result
	want := int64(1)
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return Result{}, fmt.Errorf("audit: %w", err)
		}
		if b := check(r, want, res.Head); b != nil {
			res.Broken = b
			return res, nil
		}
		res.Records++
		res.Head = r.Hash
		want++
	}
	return res, rows.Err()
}

// check returns why record r, expected to be number want and to follow
// the record whose hash is prev, breaks the chain, or nil.
func check(r stored, want int64, prev string) *Break {
	if r.Seq != want {
		return &Break{Seq: want, Reason: fmt.Sprintf("record %d missing", want)}
	}
	if err := r.decode(); err != nil {
		return &Break{Seq: r.Seq, Reason: err.Error()}
	}
	h, err := chainHash(r.Prev, canonical{r.Seq, r.at, r.Actor, r.Action, r.Target, r.Post, r.Detail})
	if err != nil || h != r.Hash {
		return &Break{Seq: r.Seq, Reason: "hash does not match its content"}
	}
	if r.Prev != prev {
		if want == 1 {
			return &Break{Seq: r.Seq, Reason: "prev of the first record is not empty"}
		}
		return &Break{Seq: r.Seq, Reason: fmt.Sprintf("prev does not match record %d", want-1)}
	}
	return nil
}

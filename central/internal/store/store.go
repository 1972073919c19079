package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"autogate/internal/sqlitedb"
	"autogate/internal/wire"
)

// FileName is the database file inside the data folder.
const FileName = "central.db"

// KeepRejects is how many refused messages are kept for inspection; older
// ones are pruned (their totals per reason are kept for ever).
const KeepRejects = 1000

// timeLayout is fixed-width so that text order equals time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Store is central's database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the database in dataDir and brings its
// schema up to date.
func Open(dataDir string) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("store: empty data folder: pass one with --data")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: creating data folder %s: %w (choose a writable folder with --data)", dataDir, err)
	}
	path := filepath.Join(dataDir, FileName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlitedb.Open(ctx, path, migrations)
	if err != nil {
		return nil, fmt.Errorf("store: %w (restore the file from a backup or move it aside to start empty)", err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Outcome is what became of one crossing of a batch.
type Outcome int

const (
	// Inserted: the crossing is new and now stored.
	Inserted Outcome = iota + 1
	// Duplicate: the same id from the same gate was already stored; a
	// re-delivery, which the gate may be told is stored.
	Duplicate
	// Conflict: the id is already stored for another gate. Nothing is
	// written and the gate must not be told its crossing is stored.
	Conflict
	// Unstorable: the crossing cannot be encoded for storage (e.g. a time
	// JSON cannot represent). Nothing is written; a reject is recorded, so
	// one bad record never fails the batch it arrived in.
	Unstorable
)

func (o Outcome) String() string {
	switch o {
	case Inserted:
		return "inserted"
	case Duplicate:
		return "duplicate"
	case Conflict:
		return "conflict"
	case Unstorable:
		return "unstorable"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Reject is a message ingest refused.
type Reject struct {
	ReceivedAt time.Time `json:"received_at"`
	Topic      string    `json:"topic"`
	Gate       string    `json:"gate,omitempty"` // from the topic, when it had a valid one
	Reason     string    `json:"reason"`         // stable code, e.g. "malformed"
	Error      string    `json:"error"`
	Size       int       `json:"size"`
}

// Batch is everything one ingest round writes in one transaction.
type Batch struct {
	Crossings []wire.Crossing
	Statuses  []wire.Status
	Rejects   []Reject
	// ReceivedAt stamps the crossings and statuses; zero means now.
	ReceivedAt time.Time
}

// Result tells what Apply did.
type Result struct {
	Inserted, Duplicates, Conflicts, Unstorable int
	// Outcomes[i] is the outcome of Batch.Crossings[i].
	Outcomes []Outcome
}

// ReasonIDConflict is recorded as a reject when a crossing id is already
// stored for another gate.
const ReasonIDConflict = "id_conflict"

// ReasonUnstorable is recorded as a reject when a crossing cannot be encoded.
const ReasonUnstorable = "unstorable"

// Apply writes a batch in one transaction. On error nothing is written.
func (s *Store) Apply(ctx context.Context, b Batch) (Result, error) {
	now := b.ReceivedAt
	if now.IsZero() {
		now = time.Now()
	}
	res := Result{Outcomes: make([]Outcome, len(b.Crossings))}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("store %s: begin: %w", s.path, err)
	}
	defer tx.Rollback()

	for _, st := range b.Statuses {
		if err := upsertStatus(ctx, tx, st, now); err != nil {
			return Result{}, fmt.Errorf("store %s: status of gate %s: %w", s.path, st.Gate, err)
		}
	}
	rejects := b.Rejects
	for i, c := range b.Crossings {
		row, encErr := encodeCrossing(c)
		if encErr != nil {
			res.Outcomes[i] = Unstorable
			res.Unstorable++
			rejects = append(rejects, Reject{
				ReceivedAt: now, Topic: wire.GateTopic(c.Gate, wire.KindCrossings), Gate: c.Gate,
				Reason: ReasonUnstorable, Error: fmt.Sprintf("crossing %s: %v", c.ID, encErr),
			})
			continue
		}
		out, err := insertCrossing(ctx, tx, c, row, now)
		if err != nil {
			return Result{}, fmt.Errorf("store %s: crossing %s of gate %s: %w", s.path, c.ID, c.Gate, err)
		}
		res.Outcomes[i] = out
		switch out {
		case Inserted:
			res.Inserted++
		case Duplicate:
			res.Duplicates++
		case Conflict:
			res.Conflicts++
			rejects = append(rejects, Reject{
				ReceivedAt: now, Topic: wire.GateTopic(c.Gate, wire.KindCrossings), Gate: c.Gate,
				Reason: ReasonIDConflict,
				Error:  fmt.Sprintf("crossing id %s is already stored for another gate", c.ID),
			})
		}
	}
	if err := insertRejects(ctx, tx, rejects); err != nil {
		return Result{}, fmt.Errorf("store %s: recording rejects: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("store %s: commit: %w", s.path, err)
	}
	return res, nil
}

// InsertCrossings stores crossings idempotently by id in one transaction.
// A crossing already stored counts as a duplicate. A crossing whose id is
// held by another gate, or that cannot be encoded, is not written: a reject is
// recorded, the rest of the batch is stored, and an error says so.
func (s *Store) InsertCrossings(ctx context.Context, cs []wire.Crossing) (inserted, duplicates int, err error) {
	res, err := s.Apply(ctx, Batch{Crossings: cs})
	if err != nil {
		return 0, 0, err
	}
	if res.Conflicts+res.Unstorable > 0 {
		return res.Inserted, res.Duplicates, fmt.Errorf("store %s: %d crossing(s) refused (id held by another gate or not encodable); see the rejects", s.path, res.Conflicts+res.Unstorable)
	}
	return res.Inserted, res.Duplicates, nil
}

// UpsertStatus records a gate's status.
func (s *Store) UpsertStatus(ctx context.Context, st wire.Status) error {
	_, err := s.Apply(ctx, Batch{Statuses: []wire.Status{st}})
	return err
}

// RecordRejects records refused messages.
func (s *Store) RecordRejects(ctx context.Context, rs []Reject) error {
	_, err := s.Apply(ctx, Batch{Rejects: rs})
	return err
}

func ensureGate(ctx context.Context, tx *sql.Tx, gate string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO gates (id) VALUES (?) ON CONFLICT (id) DO NOTHING`, gate)
	return err
}

func upsertStatus(ctx context.Context, tx *sql.Tx, st wire.Status, now time.Time) error {
	if err := ensureGate(ctx, tx, st.Gate); err != nil {
		return err
	}
	if st.State == wire.StateOffline {
		// An offline status is usually the last will, composed when the gate
		// connected: its devices, mode and outbox depth are stale, so only
		// the state (and identity fields, when given) are taken from it.
		_, err := tx.ExecContext(ctx, `UPDATE gates SET
			state = ?, status_at = ?, status_received_at = ?,
			post = CASE WHEN ? = '' THEN post ELSE ? END,
			version = CASE WHEN ? = '' THEN version ELSE ? END
			WHERE id = ?`,
			st.State, formatTime(st.At), formatTime(now), st.Post, st.Post, st.Version, st.Version, st.Gate)
		return err
	}
	devices := st.Devices
	if devices == nil {
		devices = map[string]string{}
	}
	dj, err := json.Marshal(devices)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE gates SET
		state = ?, mode = ?, devices = ?, outbox_depth = ?, status_at = ?, status_received_at = ?,
		post = CASE WHEN ? = '' THEN post ELSE ? END,
		version = CASE WHEN ? = '' THEN version ELSE ? END
		WHERE id = ?`,
		st.State, st.Mode, string(dj), st.OutboxDepth, formatTime(st.At), formatTime(now),
		st.Post, st.Post, st.Version, st.Version, st.Gate)
	if err != nil {
		return err
	}
	return recordStatusDetail(ctx, tx, st)
}

// encodedCrossing holds the JSON columns of a crossing row.
type encodedCrossing struct{ checks, stages, payload string }

// encodeCrossing fails for the few values a decoded crossing can hold that
// JSON cannot encode again (e.g. a time zone offset beyond ±24h).
func encodeCrossing(c wire.Crossing) (encodedCrossing, error) {
	checks, err := json.Marshal(nonNil(c.Checks))
	if err != nil {
		return encodedCrossing{}, err
	}
	stages, err := json.Marshal(nonNil(c.Stages))
	if err != nil {
		return encodedCrossing{}, err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return encodedCrossing{}, err
	}
	return encodedCrossing{string(checks), string(stages), string(payload)}, nil
}

func insertCrossing(ctx context.Context, tx *sql.Tx, c wire.Crossing, row encodedCrossing, now time.Time) (Outcome, error) {
	if err := ensureGate(ctx, tx, c.Gate); err != nil {
		return 0, err
	}
	d := c.Document
	r, err := tx.ExecContext(ctx, `INSERT INTO crossings (
		id, gate, post, seq, direction, started_at, ended_at, decision, door,
		doc_format, doc_code, doc_issuing_state, doc_number, doc_surname, doc_given_names,
		doc_nationality, doc_birth_date, doc_sex, doc_expiry_date,
		refer_reasons, checks, stages, device_ms, software_ms, received_at, payload
	) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Gate, c.Post, c.Seq, c.Direction, formatTime(c.StartedAt), formatTime(c.EndedAt), c.Decision, c.Door,
		d.Format, d.DocumentCode, d.IssuingState, d.DocumentNumber, d.Surname, d.GivenNames,
		d.Nationality, d.BirthDate, d.Sex, d.ExpiryDate,
		strings.Join(ReferReasons(c), ","), row.checks, row.stages, c.DeviceMS, c.SoftwareMS,
		formatTime(now), row.payload)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		var owner string
		if err := tx.QueryRowContext(ctx, `SELECT gate FROM crossings WHERE id = ?`, c.ID).Scan(&owner); err != nil {
			return 0, err
		}
		if owner != c.Gate {
			return Conflict, nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE gates SET duplicates = duplicates + 1 WHERE id = ?`, c.Gate)
		return Duplicate, err
	}
	pass, refer := 0, 0
	if c.Decision == wire.DecisionPass {
		pass = 1
	} else {
		refer = 1
	}
	_, err = tx.ExecContext(ctx, `UPDATE gates SET
		crossings = crossings + 1, passes = passes + ?, refers = refers + ?,
		last_seq = max(last_seq, ?),
		last_crossing_at = max(last_crossing_at, ?),
		post = CASE WHEN post = '' THEN ? ELSE post END
		WHERE id = ?`,
		pass, refer, c.Seq, formatTime(c.EndedAt), c.Post, c.Gate)
	return Inserted, err
}

func insertRejects(ctx context.Context, tx *sql.Tx, rs []Reject) error {
	if len(rs) == 0 {
		return nil
	}
	for _, r := range rs {
		at := r.ReceivedAt
		if at.IsZero() {
			at = time.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejects (received_at, topic, gate, reason, error, size) VALUES (?, ?, ?, ?, ?, ?)`,
			formatTime(at), r.Topic, r.Gate, r.Reason, r.Error, r.Size); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reject_totals (reason, count) VALUES (?, 1)
			ON CONFLICT (reason) DO UPDATE SET count = count + 1`, r.Reason); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM rejects WHERE id <= (SELECT max(id) FROM rejects) - ?`, KeepRejects)
	return err
}

// ReferReasons lists why a crossing was referred: the reason code (or, when
// the gate gave none, the name) of every check that did not pass.
func ReferReasons(c wire.Crossing) []string {
	var out []string
	for _, ch := range c.Checks {
		if ch.Result == wire.ResultPass {
			continue
		}
		r := ch.Reason
		if r == "" {
			r = ch.Name
		}
		if r == "" {
			r = ch.Result
		}
		out = append(out, r)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(timeLayout, s)
}

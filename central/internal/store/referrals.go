package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"autogate/internal/wire"
)

// Image kinds of a referral.
const (
	ImageChipPhoto   = "chip_photo"
	ImageLiveCapture = "live_capture"
)

// Referral states, as the console shows them.
const (
	ReferralWaiting = "waiting" // the traveller is (or may be) in the lane; no officer has settled it
	ReferralSettled = "settled" // an officer's command settled it (see Command)
	ReferralClosed  = "closed"  // the crossing record arrived without an officer's command
)

// Referral is a referral as central holds it: the gate's notice, its
// images' presence (the images themselves are read one at a time, and
// purged after the retention), the officer's latest command on it and,
// once the crossing record has arrived, its door outcome.
type Referral struct {
	ID         string        `json:"id"` // the crossing's id
	Gate       string        `json:"gate"`
	Post       string        `json:"post"`
	ReceivedAt time.Time     `json:"received_at"`
	HeldUntil  time.Time     `json:"held_until,omitzero"`
	Crossing   wire.Crossing `json:"crossing"` // as decided (the referral's copy)
	Images     []string      `json:"images"`   // kinds still held: ImageChipPhoto, ImageLiveCapture
	// Door is the recorded crossing's door outcome ("" until it arrives).
	Door string `json:"door,omitempty"`
	// Command is the latest officer command naming this crossing, with
	// its ack when the gate answered (nil when none).
	Command *Command `json:"command,omitempty"`
	State   string   `json:"state"` // ReferralWaiting, ReferralSettled, ReferralClosed
}

// ReferralQuery selects referrals, newest first.
type ReferralQuery struct {
	Post  string    // "" = every post
	Since time.Time // received at or after
	Limit int       // 1..MaxLimit; 0 means 100
}

// ErrReferralConflict: a referral's crossing id is already held by a
// referral of another gate; nothing is written.
var ErrReferralConflict = errors.New("the crossing id is already held by another gate's referral")

// PutReferral stores a referral and its images (idempotent by crossing id:
// a repeat delivery changes nothing and reports false).
func (s *Store) PutReferral(ctx context.Context, r wire.Referral, receivedAt time.Time) (bool, error) {
	c := r.Crossing
	payload, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("store %s: referral %s cannot be encoded: %w", s.path, c.ID, err)
	}
	if receivedAt.IsZero() {
		receivedAt = time.Now()
	}
	at := formatTime(receivedAt)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store %s: begin: %w", s.path, err)
	}
	defer tx.Rollback()
	d := c.Document
	res, err := tx.ExecContext(ctx, `INSERT INTO referrals
		(id, gate, post, received_at, held_until, payload, doc_number, doc_surname, doc_given_names)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Gate, c.Post, at, formatTime(r.HeldUntil), string(payload), d.DocumentNumber, d.Surname, d.GivenNames)
	if err != nil {
		return false, fmt.Errorf("store %s: referral %s: %w", s.path, c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return false, fmt.Errorf("store %s: referral %s: %w", s.path, c.ID, err)
		}
		var owner string
		if err := tx.QueryRowContext(ctx, `SELECT gate FROM referrals WHERE id = ?`, c.ID).Scan(&owner); err != nil {
			return false, fmt.Errorf("store %s: referral %s: %w", s.path, c.ID, err)
		}
		if owner != c.Gate {
			return false, fmt.Errorf("store %s: referral %s of gate %s: %w (%s)", s.path, c.ID, c.Gate, ErrReferralConflict, owner)
		}
		return false, nil // a re-delivery
	}
	for _, img := range []struct {
		kind string
		data []byte
	}{{ImageChipPhoto, r.ChipPhoto}, {ImageLiveCapture, r.LiveCapture}} {
		if len(img.data) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO referral_images (referral, kind, data, received_at) VALUES (?, ?, ?, ?)`,
			c.ID, img.kind, img.data, at); err != nil {
			return false, fmt.Errorf("store %s: referral %s: %s: %w", s.path, c.ID, img.kind, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store %s: commit: %w", s.path, err)
	}
	return true, nil
}

// referralSelect reads a referral with, in the same statement, which
// images are still held (the primary key index answers, the blobs are not
// read), the recorded crossing's door, the latest command naming it and
// whether any command on it was done.
const referralSelect = `SELECT r.id, r.gate, r.post, r.received_at, r.held_until, r.payload,
	chip.kind IS NOT NULL, live.kind IS NOT NULL, coalesce(x.door, ''), x.id IS NOT NULL,
	EXISTS (SELECT 1 FROM commands d WHERE d.crossing = r.id AND d.ack_result = 'done'),
	cmd.id IS NOT NULL, coalesce(cmd.id, ''), coalesce(cmd.gate, ''), coalesce(cmd.action, ''), coalesce(cmd.reason, ''),
	coalesce(cmd.officer, ''), coalesce(cmd.crossing, ''), coalesce(cmd.issued_at, ''), coalesce(cmd.expires_at, ''),
	coalesce(cmd.ack_result, ''), coalesce(cmd.ack_reason, ''), coalesce(cmd.ack_detail, ''), coalesce(cmd.ack_mode, ''),
	coalesce(cmd.acked_at, '')
FROM referrals r
LEFT JOIN referral_images chip ON chip.referral = r.id AND chip.kind = 'chip_photo'
LEFT JOIN referral_images live ON live.referral = r.id AND live.kind = 'live_capture'
LEFT JOIN crossings x ON x.id = r.id
LEFT JOIN commands cmd ON cmd.id = (SELECT l.id FROM commands l WHERE l.crossing = r.id ORDER BY l.id DESC LIMIT 1)`

func scanReferral(sc interface{ Scan(...any) error }) (Referral, error) {
	var r Referral
	var received, held, payload string
	var chip, live, recorded, done, hasCmd bool
	var c Command
	var issued, expires, acked string
	if err := sc.Scan(&r.ID, &r.Gate, &r.Post, &received, &held, &payload,
		&chip, &live, &r.Door, &recorded, &done,
		&hasCmd, &c.ID, &c.Gate, &c.Action, &c.Reason, &c.Officer, &c.Crossing, &issued, &expires,
		&c.AckResult, &c.AckReason, &c.AckDetail, &c.AckMode, &acked); err != nil {
		return Referral{}, err
	}
	if err := json.Unmarshal([]byte(payload), &r.Crossing); err != nil {
		return Referral{}, fmt.Errorf("referral %s: stored crossing unreadable: %w", r.ID, err)
	}
	var err error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&r.ReceivedAt, received}, {&r.HeldUntil, held}, {&c.IssuedAt, issued}, {&c.ExpiresAt, expires}, {&c.AckedAt, acked}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return Referral{}, fmt.Errorf("referral %s: %w", r.ID, err)
		}
	}
	r.Images = []string{}
	if chip {
		r.Images = append(r.Images, ImageChipPhoto)
	}
	if live {
		r.Images = append(r.Images, ImageLiveCapture)
	}
	if hasCmd {
		r.Command = &c
	}
	switch {
	case done:
		r.State = ReferralSettled
	case recorded:
		r.State = ReferralClosed
	default:
		r.State = ReferralWaiting
	}
	return r, nil
}

// Referrals returns referrals newest first.
func (s *Store) Referrals(ctx context.Context, q ReferralQuery) ([]Referral, error) {
	limit, err := limitOr(q.Limit, 100)
	if err != nil {
		return nil, err
	}
	// Filters are added only when set, so that the (post, received_at) and
	// (received_at) indexes serve the ORDER BY.
	var where []string
	var args []any
	if q.Post != "" {
		where = append(where, "r.post = ?")
		args = append(args, q.Post)
	}
	if !q.Since.IsZero() {
		where = append(where, "r.received_at >= ?")
		args = append(args, formatTime(q.Since))
	}
	text := referralSelect
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += " ORDER BY r.received_at DESC, r.id DESC LIMIT ?"
	out, err := queryRows(ctx, s.db, scanReferral, text, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing referrals: %w", s.path, err)
	}
	return out, nil
}

// Referral returns one referral by crossing id.
func (s *Store) Referral(ctx context.Context, id string) (Referral, bool, error) {
	r, err := scanReferral(s.db.QueryRowContext(ctx, referralSelect+` WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Referral{}, false, nil
	}
	if err != nil {
		return Referral{}, false, fmt.Errorf("store %s: referral %s: %w", s.path, id, err)
	}
	return r, true, nil
}

// ReferralImage returns one image (JPEG) of a referral, if still held.
func (s *Store) ReferralImage(ctx context.Context, id, kind string) ([]byte, bool, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM referral_images WHERE referral = ? AND kind = ?`, id, kind).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store %s: %s of referral %s: %w", s.path, kind, id, err)
	}
	return data, true, nil
}

// PurgeImages deletes every referral image received before t and reports
// how many it deleted; the referrals themselves (decision, checks,
// scores) stay.
func (s *Store) PurgeImages(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM referral_images WHERE received_at < ?`, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("store %s: purging referral images received before %s: %w", s.path, before, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store %s: purging referral images: %w", s.path, err)
	}
	return n, nil
}

// CommandsFor returns the commands naming a crossing, newest first.
func (s *Store) CommandsFor(ctx context.Context, crossing string) ([]Command, error) {
	if crossing == "" {
		return nil, errors.New("store: commands for which crossing? (an empty id names the gate-wide commands)")
	}
	out, err := queryRows(ctx, s.db, scanCommand, `SELECT `+commandColumns+` FROM commands WHERE crossing = ? ORDER BY id DESC`, crossing)
	if err != nil {
		return nil, fmt.Errorf("store %s: commands for crossing %s: %w", s.path, crossing, err)
	}
	return out, nil
}

// SearchQuery finds recent crossings by document number or name.
type SearchQuery struct {
	Text  string    // a document number (whole or its start), or part of a surname or given names; case-insensitive
	Post  string    // "" = every post
	Since time.Time // started at or after; zero = any time
	Limit int       // 1..MaxLimit; 0 means 50
}

// SearchCrossings returns matching crossings, newest first.
//
// A text that may be a document number (3 or more ASCII letters and
// digits) is looked up as a doc_number prefix through its index, and as a
// name; any other text as a name only. Names are matched as a substring,
// case-insensitively (LIKE), of "surname given names" and "given names
// surname": a scan of the crossings started since Since, through the
// started_at index, so a console should always pass a window.
func (s *Store) SearchCrossings(ctx context.Context, q SearchQuery) ([]wire.Crossing, error) {
	sqlText, args, err := searchStatement(q)
	if err != nil {
		return nil, err
	}
	out, err := queryRows(ctx, s.db, scanSearchRow, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: searching crossings for %q: %w", s.path, q.Text, err)
	}
	return out, nil
}

// scanSearchRow reads a row of searchStatement: started_at and id (the
// UNION's order) and the crossing.
func scanSearchRow(sc interface{ Scan(...any) error }) (wire.Crossing, error) {
	var started, id, payload string
	if err := sc.Scan(&started, &id, &payload); err != nil {
		return wire.Crossing{}, err
	}
	var c wire.Crossing
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return wire.Crossing{}, fmt.Errorf("stored crossing %s unreadable: %w", id, err)
	}
	return c, nil
}

// searchStatement is the SQL SearchCrossings runs for q, and its arguments.
func searchStatement(q SearchQuery) (string, []any, error) {
	text := strings.Join(strings.Fields(q.Text), " ")
	if text == "" {
		return "", nil, errors.New("store: search for what? Give a document number or part of a name")
	}
	limit, err := limitOr(q.Limit, 50)
	if err != nil {
		return "", nil, err
	}
	var filter string
	var fargs []any
	if q.Post != "" {
		filter += " AND post = ?"
		fargs = append(fargs, q.Post)
	}
	if !q.Since.IsZero() {
		filter += " AND started_at >= ?"
		fargs = append(fargs, formatTime(q.Since))
	}
	like := "%" + likeEscaper.Replace(text) + "%"
	sqlText := `SELECT started_at, id, payload FROM crossings
		WHERE (doc_surname || ' ' || doc_given_names LIKE ? ESCAPE '\'
			OR doc_given_names || ' ' || doc_surname LIKE ? ESCAPE '\')` + filter
	args := append([]any{like, like}, fargs...)
	if lo, hi, ok := docNumberRange(text); ok {
		// UNION, not OR: each arm then uses its own index.
		sqlText += ` UNION SELECT started_at, id, payload FROM crossings
		WHERE doc_number >= ? AND doc_number < ?` + filter
		args = append(append(args, lo, hi), fargs...)
	}
	sqlText += ` ORDER BY 1 DESC, 2 DESC LIMIT ?`
	return sqlText, append(args, limit), nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// docNumberRange turns text that may be a document number into the range
// [lo, hi) of the stored (upper-case) numbers it starts: false when text
// is not 3 or more ASCII letters and digits.
func docNumberRange(text string) (lo, hi string, ok bool) {
	if len(text) < 3 {
		return "", "", false
	}
	for _, r := range text {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", "", false
		}
	}
	lo = strings.ToUpper(text)
	// The last character is a letter or digit, so its successor is one byte.
	hi = lo[:len(lo)-1] + string(lo[len(lo)-1]+1)
	return lo, hi, true
}

// limitOr checks a query's limit: 1..MaxLimit, and 0 means def.
func limitOr(limit, def int) (int, error) {
	if limit == 0 {
		return def, nil
	}
	if limit < 0 || limit > MaxLimit {
		return 0, fmt.Errorf("store: limit %d out of range 1..%d", limit, MaxLimit)
	}
	return limit, nil
}

// queryRows runs a query and reads every row with scan (e.g. scanCommand).
func queryRows[T any](ctx context.Context, db *sql.DB, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

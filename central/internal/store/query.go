package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"autogate/internal/wire"
)

// Gate is what central knows about one gate: its last status and the
// counters of the crossings it delivered.
type Gate struct {
	ID               string            `json:"id"`
	Post             string            `json:"post"`
	State            string            `json:"state"` // online, offline, or unknown before any status
	Mode             string            `json:"mode"`
	Devices          map[string]string `json:"devices"`
	OutboxDepth      int               `json:"outbox_depth"`
	Version          string            `json:"version"`
	StatusAt         time.Time         `json:"status_at,omitzero"`          // gate's clock
	StatusReceivedAt time.Time         `json:"status_received_at,omitzero"` // central's clock
	LastCrossingAt   time.Time         `json:"last_crossing_at,omitzero"`   // latest ended_at stored
	LastSeq          int64             `json:"last_seq"`
	Crossings        int64             `json:"crossings"`
	Passes           int64             `json:"passes"`
	Refers           int64             `json:"refers"`
	Duplicates       int64             `json:"duplicate_deliveries"`
	// From the gate's last online status.
	HeartbeatS    int              `json:"heartbeat_s"` // 0: the gate did not say
	ConfigVersion int64            `json:"config_version"`
	DiskFreeBytes int64            `json:"disk_free_bytes"`
	Alarms        []string         `json:"alarms"`
	Lists         map[string]int64 `json:"lists"`
	// Stale is set by the reader (see IsStale): the gate says it is online
	// but its status is overdue.
	Stale bool `json:"stale"`
}

// StateUnknown is a gate's state before central has seen a status from it.
const StateUnknown = "unknown"

// StateStale is how a stale gate is counted and shown: it says online, but
// central has not heard from it for StaleHeartbeats heartbeats.
const StateStale = "stale"

// StaleHeartbeats is how many heartbeats a status may be late before its
// gate is stale; DefaultHeartbeatS stands in for a gate that does not say.
const (
	StaleHeartbeats   = 3
	DefaultHeartbeatS = 10
)

// IsStale reports whether the gate says it is online but its last status,
// as central received it, is older than StaleHeartbeats heartbeats at now:
// a hung gate, or a link that died without the broker noticing yet.
func (g Gate) IsStale(now time.Time) bool {
	if g.State != wire.StateOnline || g.StatusReceivedAt.IsZero() {
		return false
	}
	hb := g.HeartbeatS
	if hb <= 0 {
		hb = DefaultHeartbeatS
	}
	return now.Sub(g.StatusReceivedAt) > time.Duration(StaleHeartbeats*hb)*time.Second
}

// DisplayState is the state to show and count: online, offline, unknown,
// or stale for an online gate gone silent.
func (g Gate) DisplayState(now time.Time) string {
	if g.IsStale(now) {
		return StateStale
	}
	return g.State
}

// recordStatusDetail keeps what an online status says beyond its state,
// devices and outbox depth (upsertStatus writes those).
func recordStatusDetail(ctx context.Context, tx *sql.Tx, st wire.Status) error {
	alarms, err := json.Marshal(nonNil(st.Alarms))
	if err != nil {
		return err
	}
	lists := st.Lists
	if lists == nil {
		lists = map[string]int64{}
	}
	lj, err := json.Marshal(lists)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE gates SET
		heartbeat_s = ?, config_version = ?, disk_free_bytes = ?, alarms = ?, lists = ?
		WHERE id = ?`,
		st.HeartbeatS, st.ConfigVersion, st.DiskFreeBytes, string(alarms), string(lj), st.Gate)
	return err
}

// Gates lists every known gate, ordered by id.
func (s *Store) Gates(ctx context.Context) ([]Gate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, post, state, mode, devices, outbox_depth, version,
		status_at, status_received_at, last_crossing_at, last_seq, crossings, passes, refers, duplicates,
		heartbeat_s, config_version, disk_free_bytes, alarms, lists
		FROM gates ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing gates: %w", s.path, err)
	}
	defer rows.Close()
	gates := []Gate{}
	for rows.Next() {
		var g Gate
		var devices, statusAt, statusRecv, lastCrossing, alarms, lists string
		if err := rows.Scan(&g.ID, &g.Post, &g.State, &g.Mode, &devices, &g.OutboxDepth, &g.Version,
			&statusAt, &statusRecv, &lastCrossing, &g.LastSeq, &g.Crossings, &g.Passes, &g.Refers, &g.Duplicates,
			&g.HeartbeatS, &g.ConfigVersion, &g.DiskFreeBytes, &alarms, &lists); err != nil {
			return nil, fmt.Errorf("store %s: reading gate: %w", s.path, err)
		}
		for _, col := range []struct {
			name, src string
			dst       any
		}{{"devices", devices, &g.Devices}, {"alarms", alarms, &g.Alarms}, {"lists", lists, &g.Lists}} {
			if err := json.Unmarshal([]byte(col.src), col.dst); err != nil {
				return nil, fmt.Errorf("store %s: gate %s: %s column: %w", s.path, g.ID, col.name, err)
			}
		}
		for _, f := range []struct {
			dst *time.Time
			src string
		}{{&g.StatusAt, statusAt}, {&g.StatusReceivedAt, statusRecv}, {&g.LastCrossingAt, lastCrossing}} {
			t, err := parseTime(f.src)
			if err != nil {
				return nil, fmt.Errorf("store %s: gate %s: %w", s.path, g.ID, err)
			}
			*f.dst = t
		}
		gates = append(gates, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: listing gates: %w", s.path, err)
	}
	return gates, nil
}

// GatePost is the post a gate belongs to ("" for a gate central has not
// heard of, or that never said).
func (s *Store) GatePost(ctx context.Context, gate string) (string, error) {
	var post string
	err := s.db.QueryRowContext(ctx, `SELECT post FROM gates WHERE id = ?`, gate).Scan(&post)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store %s: the post of gate %s: %w", s.path, gate, err)
	}
	return post, nil
}

// Counts are crossing counts over some span.
type Counts struct {
	Crossings int64 `json:"crossings"`
	Passes    int64 `json:"passes"`
	Refers    int64 `json:"refers"`
}

// CountsSince counts, per gate, the crossings that started at or after t
// (e.g. local midnight for "today").
func (s *Store) CountsSince(ctx context.Context, t time.Time) (map[string]Counts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT gate, count(*),
		coalesce(sum(decision = 'pass'), 0), coalesce(sum(decision = 'refer'), 0)
		FROM crossings WHERE started_at >= ? GROUP BY gate`, formatTime(t))
	if err != nil {
		return nil, fmt.Errorf("store %s: counting crossings since %s: %w", s.path, t, err)
	}
	defer rows.Close()
	out := map[string]Counts{}
	for rows.Next() {
		var gate string
		var c Counts
		if err := rows.Scan(&gate, &c.Crossings, &c.Passes, &c.Refers); err != nil {
			return nil, fmt.Errorf("store %s: counting crossings: %w", s.path, err)
		}
		out[gate] = c
	}
	return out, rows.Err()
}

// Order of a crossings query, by crossing id (ULIDs sort by the time the
// gate minted them).
type Order string

const (
	Asc  Order = "asc"
	Desc Order = "desc"
)

// MaxLimit bounds one crossings query.
const MaxLimit = 10000

// Query selects crossings. Zero fields do not filter.
type Query struct {
	Gate    string
	Since   time.Time // crossings that started at or after Since
	AfterID string    // crossings whose id sorts after AfterID (a ULID cursor)
	Limit   int       // 1..MaxLimit; 0 means 100
	Order   Order     // Asc or Desc; "" means Desc
}

// Crossings returns crossings as the gates sent them, ordered by id.
func (s *Store) Crossings(ctx context.Context, q Query) ([]wire.Crossing, error) {
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return nil, fmt.Errorf("store: limit %d out of range 1..%d", q.Limit, MaxLimit)
	}
	if q.Order == "" {
		q.Order = Desc
	}
	if q.Order != Asc && q.Order != Desc {
		return nil, fmt.Errorf("store: order %q (want asc or desc)", q.Order)
	}
	var where []string
	var args []any
	if q.Gate != "" {
		where = append(where, "gate = ?")
		args = append(args, q.Gate)
	}
	if !q.Since.IsZero() {
		where = append(where, "started_at >= ?")
		args = append(args, formatTime(q.Since))
	}
	if q.AfterID != "" {
		where = append(where, "id > ?")
		args = append(args, q.AfterID)
	}
	sqlText := "SELECT payload FROM crossings"
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	// q.Order is one of two constants, checked above.
	sqlText += " ORDER BY id " + string(q.Order) + " LIMIT ?"
	args = append(args, q.Limit)

	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: querying crossings: %w", s.path, err)
	}
	defer rows.Close()
	out := []wire.Crossing{}
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("store %s: reading crossing: %w", s.path, err)
		}
		var c wire.Crossing
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			return nil, fmt.Errorf("store %s: stored crossing payload unreadable: %w", s.path, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: querying crossings: %w", s.path, err)
	}
	return out, nil
}

// Crossing returns one stored crossing by id.
func (s *Store) Crossing(ctx context.Context, id string) (wire.Crossing, bool, error) {
	var payload string
	err := s.db.QueryRowContext(ctx, `SELECT payload FROM crossings WHERE id = ?`, id).Scan(&payload)
	if err == sql.ErrNoRows {
		return wire.Crossing{}, false, nil
	}
	if err != nil {
		return wire.Crossing{}, false, fmt.Errorf("store %s: reading crossing %s: %w", s.path, id, err)
	}
	var c wire.Crossing
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return wire.Crossing{}, false, fmt.Errorf("store %s: stored crossing %s unreadable: %w", s.path, id, err)
	}
	return c, true, nil
}

// Count counts the stored crossings of one gate, or of all gates when gate
// is "".
func (s *Store) Count(ctx context.Context, gate string) (int64, error) {
	var n int64
	var err error
	if gate == "" {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM crossings`).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM crossings WHERE gate = ?`, gate).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("store %s: counting crossings: %w", s.path, err)
	}
	return n, nil
}

// Has reports which of ids are stored (for any gate).
func (s *Store) Has(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		var one int
		err := s.db.QueryRowContext(ctx, `SELECT 1 FROM crossings WHERE id = ?`, id).Scan(&one)
		switch {
		case err == sql.ErrNoRows:
			out[id] = false
		case err != nil:
			return nil, fmt.Errorf("store %s: looking up crossing %s: %w", s.path, id, err)
		default:
			out[id] = true
		}
	}
	return out, nil
}

// Stats sums up the store for the API and the dashboard.
type Stats struct {
	TotalCrossings      int64            `json:"total_crossings"`
	PerGate             map[string]int64 `json:"per_gate"`
	DuplicateDeliveries int64            `json:"duplicate_deliveries"`
	RejectedByReason    map[string]int64 `json:"rejected_by_reason"`
	RejectedTotal       int64            `json:"rejected_total"`
}

// Stats returns the totals.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{PerGate: map[string]int64{}, RejectedByReason: map[string]int64{}}
	// No transaction: BEGIN would take the write lock (_txlock=immediate)
	// and stall ingest for a read; figures a few ms apart are fine here.
	rows, err := s.db.QueryContext(ctx, `SELECT id, crossings, duplicates FROM gates`)
	if err != nil {
		return Stats{}, fmt.Errorf("store %s: stats: %w", s.path, err)
	}
	for rows.Next() {
		var id string
		var n, dup int64
		if err := rows.Scan(&id, &n, &dup); err != nil {
			rows.Close()
			return Stats{}, fmt.Errorf("store %s: stats: %w", s.path, err)
		}
		st.PerGate[id] = n
		st.TotalCrossings += n
		st.DuplicateDeliveries += dup
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("store %s: stats: %w", s.path, err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT reason, count FROM reject_totals`)
	if err != nil {
		return Stats{}, fmt.Errorf("store %s: stats: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var reason string
		var n int64
		if err := rows.Scan(&reason, &n); err != nil {
			return Stats{}, fmt.Errorf("store %s: stats: %w", s.path, err)
		}
		st.RejectedByReason[reason] = n
		st.RejectedTotal += n
	}
	return st, rows.Err()
}

// Rejects returns the most recent refused messages, newest first.
func (s *Store) Rejects(ctx context.Context, limit int) ([]Reject, error) {
	if limit <= 0 || limit > KeepRejects {
		limit = KeepRejects
	}
	rows, err := s.db.QueryContext(ctx, `SELECT received_at, topic, gate, reason, error, size
		FROM rejects ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing rejects: %w", s.path, err)
	}
	defer rows.Close()
	out := []Reject{}
	for rows.Next() {
		var r Reject
		var at string
		if err := rows.Scan(&at, &r.Topic, &r.Gate, &r.Reason, &r.Error, &r.Size); err != nil {
			return nil, fmt.Errorf("store %s: reading reject: %w", s.path, err)
		}
		if r.ReceivedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("store %s: reject time: %w", s.path, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

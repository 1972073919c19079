package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"autogate/internal/wire"
)

// Command is an officer's command as central recorded it, with the gate's
// acknowledgement once one arrived (AckResult "" until then).
type Command struct {
	ID        string    `json:"id"`
	Gate      string    `json:"gate"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
	Officer   string    `json:"officer,omitempty"`
	Crossing  string    `json:"crossing,omitempty"`
	IssuedAt  time.Time `json:"issued_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	AckResult string    `json:"ack_result,omitempty"` // done, refused
	AckReason string    `json:"ack_reason,omitempty"` // the gate's refusal code
	AckDetail string    `json:"ack_detail,omitempty"`
	AckMode   string    `json:"ack_mode,omitempty"` // the gate's mode after the command
	AckedAt   time.Time `json:"acked_at,omitzero"`  // central's clock, when the ack arrived
}

// RecordCommand records a command about to be sent. Recording it again, or
// after its ack (sent by another central process), fills in its fields.
func (s *Store) RecordCommand(ctx context.Context, c wire.Command) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO commands (id, gate, action, reason, officer, crossing, issued_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET gate = excluded.gate, action = excluded.action, reason = excluded.reason,
			officer = excluded.officer, crossing = excluded.crossing, issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
		c.ID, c.Gate, c.Action, c.Reason, c.Officer, c.Crossing, formatTime(c.IssuedAt), formatTime(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store %s: recording command %s: %w", s.path, c.ID, err)
	}
	return nil
}

// RecordCommandAck records a gate's acknowledgement received at. The first
// ack of a command is kept: several central processes (serve, the CLI)
// may record the same one. An ack naming no command (the gate could not
// read the message) cannot be kept here.
func (s *Store) RecordCommandAck(ctx context.Context, a wire.CommandAck, at time.Time) error {
	if a.ID == "" {
		return errors.New("store: a command ack without a command id cannot be recorded")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO commands (id, gate, ack_result, ack_reason, ack_detail, ack_mode, acked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET ack_result = excluded.ack_result, ack_reason = excluded.ack_reason,
			ack_detail = excluded.ack_detail, ack_mode = excluded.ack_mode, acked_at = excluded.acked_at
		WHERE ack_result = ''`,
		a.ID, a.Gate, a.Result, a.Reason, a.Detail, a.Mode, formatTime(at))
	if err != nil {
		return fmt.Errorf("store %s: recording the ack of command %s: %w", s.path, a.ID, err)
	}
	return nil
}

const commandColumns = `id, gate, action, reason, officer, crossing, issued_at, expires_at,
	ack_result, ack_reason, ack_detail, ack_mode, acked_at`

func scanCommand(sc interface{ Scan(...any) error }) (Command, error) {
	var c Command
	var issued, expires, acked string
	if err := sc.Scan(&c.ID, &c.Gate, &c.Action, &c.Reason, &c.Officer, &c.Crossing, &issued, &expires,
		&c.AckResult, &c.AckReason, &c.AckDetail, &c.AckMode, &acked); err != nil {
		return Command{}, err
	}
	var err error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&c.IssuedAt, issued}, {&c.ExpiresAt, expires}, {&c.AckedAt, acked}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return Command{}, fmt.Errorf("command %s: %w", c.ID, err)
		}
	}
	return c, nil
}

// Command returns one recorded command; false when central has no record.
func (s *Store) Command(ctx context.Context, id string) (Command, bool, error) {
	c, err := scanCommand(s.db.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Command{}, false, nil
	}
	if err != nil {
		return Command{}, false, fmt.Errorf("store %s: %w", s.path, err)
	}
	return c, true, nil
}

// Commands lists the latest commands, newest first (ids are ULIDs), of one
// gate or of every gate when gate is "".
func (s *Store) Commands(ctx context.Context, gate string, limit int) ([]Command, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+commandColumns+` FROM commands
		WHERE ? = '' OR gate = ? ORDER BY id DESC LIMIT ?`, gate, gate, limit)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []Command
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s.path, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

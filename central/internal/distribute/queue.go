package distribute

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"autogate/internal/lists"
	"autogate/internal/wire"
)

// DefaultExpires is how long a gate accepts a signed update after central
// issued it.
const DefaultExpires = 7 * 24 * time.Hour

// envelopeHeadroom is what the signed envelope adds around a body (kind,
// key id, base64 signature), with room to spare.
const envelopeHeadroom = 1024

// Options of one push.
type Options struct {
	Expires time.Duration // 0: DefaultExpires
	Now     time.Time     // issue time; zero: now
}

func (o Options) times() (issued, expires time.Time, err error) {
	if o.Expires == 0 {
		o.Expires = DefaultExpires
	}
	if o.Expires < time.Minute {
		return issued, expires, fmt.Errorf("expiry %s is too short: a gate must have time to receive the update (give at least 1m, default %s)", o.Expires, DefaultExpires)
	}
	issued = o.Now
	if issued.IsZero() {
		issued = time.Now()
	}
	issued = issued.UTC()
	return issued, issued.Add(o.Expires), nil
}

// Queued says what a push queued.
type Queued struct {
	List        string
	First, Last int64 // the versions it took
	Ops         int
	Bytes       int // signed bytes in all
}

// ErrTooLarge refuses a full delta that does not fit one signed message.
var ErrTooLarge = errors.New("too large for one signed message")

// ReadDelta reads a delta file for QueueDelta: like lists.DecodeDelta, but
// from, to and issued_at may be left out, since central sets them.
func ReadDelta(r io.Reader) (lists.Delta, error) {
	data, err := io.ReadAll(io.LimitReader(r, lists.MaxDeltaBytes+1))
	if err != nil {
		return lists.Delta{}, fmt.Errorf("reading the delta: %w", err)
	}
	if len(data) > lists.MaxDeltaBytes {
		return lists.Delta{}, fmt.Errorf("%w: more than %d bytes; split it into several files", lists.ErrDeltaTooLarge, lists.MaxDeltaBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d lists.Delta
	if err := dec.Decode(&d); err != nil {
		return lists.Delta{}, fmt.Errorf("%w: %v (a delta is one JSON object: v, list, ops, and full for a replacement)", lists.ErrDeltaMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return lists.Delta{}, fmt.Errorf("%w: data after the delta's JSON object", lists.ErrDeltaMalformed)
	}
	if d.V != 0 && d.V != lists.DeltaVersion {
		return lists.Delta{}, fmt.Errorf("%w: v is %d; this build writes version %d", lists.ErrDeltaVersion, d.V, lists.DeltaVersion)
	}
	return d, nil
}

// numbering checks the versions a delta file states, if any, against the
// list's latest version at central and returns the ones it takes.
func numbering(d lists.Delta, latest int64) (from, to int64, err error) {
	next := latest + 1
	if latest == 0 {
		// Central holds nothing of this list yet: gates may already hold
		// versions of it (imported from CSV at the gate), so the first delta
		// may say where they stand and central's numbering starts there.
		switch {
		case d.Full && d.From == 0 && d.To > 0:
			return 0, d.To, nil
		case !d.Full && d.From > 0 && (d.To == 0 || d.To == d.From+1):
			return d.From, d.From + 1, nil
		}
	}
	if d.Full {
		if d.From != 0 || (d.To != 0 && d.To != next) {
			return 0, 0, fmt.Errorf("the full delta says %d→%d but central's latest %s version is %d: a full delta goes 0→%d; leave from and to out and central numbers it", d.From, d.To, d.List, latest, next)
		}
		return 0, next, nil
	}
	if (d.From != 0 || d.To != 0) && (d.From != latest || d.To != next) {
		return 0, 0, fmt.Errorf("the delta says %d→%d but central's latest %s version is %d: the next delta goes %d→%d; leave from and to out and central numbers it", d.From, d.To, d.List, latest, latest, next)
	}
	return latest, next, nil
}

// QueueDelta signs d with key and queues it: it moves the list from its
// latest version at central to the next, or, when its ops do not fit one
// signed message, to as many consecutive versions as it takes. Central sets
// issued_at (now) and expires_at. A full delta cannot be split and is
// refused with ErrTooLarge when it does not fit.
func (s *Store) QueueDelta(ctx context.Context, key ed25519.PrivateKey, d lists.Delta, o Options) (Queued, error) {
	if !slices.Contains(lists.Names, d.List) {
		return Queued{}, fmt.Errorf("list %q is not one of %s", d.List, strings.Join(lists.Names, ", "))
	}
	issued, expires, err := o.times()
	if err != nil {
		return Queued{}, err
	}
	d.V, d.IssuedAt, d.ExpiresAt = lists.DeltaVersion, issued, expires
	chunks, err := splitOps(d, wire.MaxSignedBytes)
	if err != nil {
		return Queued{}, err
	}
	if d.Full && len(chunks) > 1 {
		return Queued{}, fmt.Errorf("%w: the full delta of %s holds %d ops, which need %d signed messages; a full delta replaces the list at once and cannot be split. Push a full delta with part of the records, then the rest as ordinary deltas of adds (central splits those)",
			ErrTooLarge, d.List, len(d.Ops), len(chunks))
	}
	q := Queued{List: d.List, Ops: len(d.Ops)}
	ups, err := s.insert(ctx, d.List, func(latest int64) ([]Update, error) {
		if d.From, d.To, err = numbering(d, latest); err != nil {
			return nil, err
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("the %s delta is not valid: %w", d.List, err)
		}
		ups := make([]Update, 0, len(chunks))
		for i, ops := range chunks {
			part := d
			part.Ops = ops
			if !d.Full {
				part.From = d.From + int64(i)
				part.To = part.From + 1
			}
			payload, err := wire.Sign(key, wire.SignedDelta, part)
			if err != nil {
				return nil, err
			}
			ups = append(ups, Update{Kind: wire.SignedDelta, List: d.List, Version: part.To, From: part.From, Full: d.Full,
				Ops: len(ops), Payload: payload, IssuedAt: issued, ExpiresAt: expires})
		}
		return ups, nil
	})
	if err != nil {
		return Queued{}, err
	}
	q.First, q.Last = ups[0].Version, ups[len(ups)-1].Version
	for _, u := range ups {
		q.Bytes += len(u.Payload)
	}
	return q, nil
}

// splitOps cuts d's ops into runs whose signed message stays under limit
// bytes; there is always at least one run (a delta may have no ops).
func splitOps(d lists.Delta, limit int) ([][]lists.Op, error) {
	head := d
	head.Ops = []lists.Op{}
	head.From, head.To = math.MaxInt64-1, math.MaxInt64 // the widest numbers a part may carry
	hb, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("encoding the delta: %w", err)
	}
	budget := limit - len(hb) - envelopeHeadroom
	var out [][]lists.Op
	cur, size := []lists.Op{}, 0
	for i, op := range d.Ops {
		ob, err := json.Marshal(op)
		if err != nil {
			return nil, fmt.Errorf("encoding op %d (key %q): %w", i, op.Key, err)
		}
		n := len(ob) + 1 // and its comma
		if n > budget {
			return nil, fmt.Errorf("%w: op %d (key %q) alone is %d bytes, more than one signed message holds (%d)", ErrTooLarge, i, op.Key, n, budget)
		}
		if size+n > budget && len(cur) > 0 {
			out = append(out, cur)
			cur, size = []lists.Op{}, 0
		}
		cur = append(cur, op)
		size += n
	}
	return append(out, cur), nil
}

// CheckPolicy checks that policy is TOML holding the contents of a gate
// file's [policy] table. Central checks the syntax only: the policy's
// meaning is the gate's (gate-agent/internal/config), and each gate
// validates it fully and refuses one it cannot enforce.
func CheckPolicy(policy string) error {
	var m map[string]any
	if err := toml.Unmarshal([]byte(policy), &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("the policy is not valid TOML: line %d, column %d: %v", row, col, de)
		}
		return fmt.Errorf("the policy is not valid TOML: %w", err)
	}
	if _, ok := m["policy"]; ok {
		return errors.New("the file holds a [policy] table: write only its contents, without the [policy] header ([policy.actions] becomes [actions])")
	}
	return nil
}

// QueueConfig signs and queues a gate configuration: the contents of a
// [policy] table, for the gates of direction ("" for every gate), as the
// next configuration version.
func (s *Store) QueueConfig(ctx context.Context, key ed25519.PrivateKey, policy, direction string, o Options) (Queued, error) {
	if direction != "" && direction != lists.DirectionEntry && direction != lists.DirectionExit {
		return Queued{}, fmt.Errorf("direction %q: want entry, exit, or none for every gate", direction)
	}
	if err := CheckPolicy(policy); err != nil {
		return Queued{}, err
	}
	issued, expires, err := o.times()
	if err != nil {
		return Queued{}, err
	}
	ups, err := s.insert(ctx, wire.ConfigList, func(latest int64) ([]Update, error) {
		c := wire.ConfigUpdate{V: wire.SchemaVersion, Version: latest + 1, Direction: direction, Policy: policy, IssuedAt: issued, ExpiresAt: expires}
		payload, err := wire.Sign(key, wire.SignedConfig, c)
		if err != nil {
			return nil, err
		}
		return []Update{{Kind: wire.SignedConfig, List: wire.ConfigList, Version: c.Version, From: latest,
			Payload: payload, IssuedAt: issued, ExpiresAt: expires}}, nil
	})
	if err != nil {
		return Queued{}, err
	}
	return Queued{List: wire.ConfigList, First: ups[0].Version, Last: ups[0].Version, Bytes: len(ups[0].Payload)}, nil
}

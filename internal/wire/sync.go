package wire

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CrossingBatch carries several crossings of one gate in one message, in
// seq order; central acknowledges the ids it committed.
type CrossingBatch struct {
	V         int        `json:"v"`
	Gate      string     `json:"gate"`
	Crossings []Crossing `json:"crossings"`
}

// MaxBatchCrossings bounds a batch; the byte limit (MaxMessageBytes) binds too.
const MaxBatchCrossings = 500

// DecodeBatch decodes and validates a batch received on topicGate's batches
// topic: every crossing must be valid and claim that gate.
func DecodeBatch(topicGate string, payload []byte) (CrossingBatch, error) {
	var b CrossingBatch
	if err := decode(payload, &b); err != nil {
		return CrossingBatch{}, err
	}
	if b.Gate != topicGate {
		return CrossingBatch{}, fmt.Errorf("%w: batch claims gate %q but arrived on gate %q's topic", ErrInvalid, b.Gate, topicGate)
	}
	if len(b.Crossings) == 0 || len(b.Crossings) > MaxBatchCrossings {
		return CrossingBatch{}, fmt.Errorf("%w: batch of %d crossings (want 1–%d)", ErrInvalid, len(b.Crossings), MaxBatchCrossings)
	}
	for i := range b.Crossings {
		if b.Crossings[i].V != SchemaVersion {
			return CrossingBatch{}, fmt.Errorf("%w: crossing %d of the batch: v=%d", ErrUnknownVersion, i, b.Crossings[i].V)
		}
		if err := b.Crossings[i].validate(topicGate); err != nil {
			return CrossingBatch{}, err
		}
	}
	return b, nil
}

// Command actions an officer may send to a gate.
const (
	ActionOpenExit = "open_exit" // let the traveller in the lane through the exit
	ActionReturn   = "return"    // send the traveller back through the entrance
	ActionLock     = "lock"      // take no more travellers until unlocked
	ActionUnlock   = "unlock"
	// ActionManualBooth sends the traveller back through the entrance
	// with the prompt to see an officer at the manual booth.
	ActionManualBooth = "manual_booth"
)

// Actions are every command action, in the order officers' tools list them.
var Actions = []string{ActionOpenExit, ActionReturn, ActionManualBooth, ActionLock, ActionUnlock}

// IsAction reports whether a is one of Actions.
func IsAction(a string) bool { return slices.Contains(Actions, a) }

// Command is an officer's override, signed by central (SignedCommand). ID
// is a fresh ULID, the nonce: a gate executes each id at most once and
// refuses any command past ExpiresAt (seconds after IssuedAt).
type Command struct {
	V         int       `json:"v"`
	ID        string    `json:"id"`
	Gate      string    `json:"gate"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
	Officer   string    `json:"officer,omitempty"`
	Crossing  string    `json:"crossing,omitempty"` // the referral it settles, if any
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Validate checks a command's fields (not its signature or expiry).
func (c Command) Validate() error {
	if c.V != SchemaVersion {
		return fmt.Errorf("%w: command v=%d", ErrUnknownVersion, c.V)
	}
	if !validID(c.ID) {
		return fmt.Errorf("%w: command id %q is not a canonical ULID", ErrInvalid, c.ID)
	}
	if err := ValidateGateID(c.Gate); err != nil {
		return fmt.Errorf("%w: command: %v", ErrInvalid, err)
	}
	if !IsAction(c.Action) {
		return fmt.Errorf("%w: command action %q (want one of %s)", ErrInvalid, c.Action, strings.Join(Actions, ", "))
	}
	if c.Reason == "" {
		return fmt.Errorf("%w: command %s has no reason", ErrInvalid, c.ID)
	}
	if c.Crossing != "" && !validID(c.Crossing) {
		return fmt.Errorf("%w: command crossing %q is not a canonical ULID", ErrInvalid, c.Crossing)
	}
	return nil
}

// Command outcomes in CommandAck.
const (
	CommandDone    = "done"    // executed
	CommandRefused = "refused" // not executed; Reason says why
)

// CommandAck is a gate's answer to a command (or to a message it could
// not even read as one: ID is then empty).
type CommandAck struct {
	V      int       `json:"v"`
	ID     string    `json:"id,omitempty"`
	Gate   string    `json:"gate"`
	Result string    `json:"result"`
	Reason string    `json:"reason,omitempty"` // refusal reason code, e.g. "expired", "replayed", "bad_signature"
	Detail string    `json:"detail,omitempty"`
	Mode   string    `json:"mode,omitempty"` // the gate's mode after the command
	At     time.Time `json:"at"`
}

// DecodeCommandAck decodes an ack received on topicGate's command_acks topic.
func DecodeCommandAck(topicGate string, payload []byte) (CommandAck, error) {
	var a CommandAck
	if err := decode(payload, &a); err != nil {
		return CommandAck{}, err
	}
	if a.Gate != topicGate {
		return CommandAck{}, fmt.Errorf("%w: command ack claims gate %q but arrived on gate %q's topic", ErrInvalid, a.Gate, topicGate)
	}
	if a.Result != CommandDone && a.Result != CommandRefused {
		return CommandAck{}, fmt.Errorf("%w: command ack result %q", ErrInvalid, a.Result)
	}
	if a.ID != "" && !validID(a.ID) {
		return CommandAck{}, fmt.Errorf("%w: command ack id %q", ErrInvalid, a.ID)
	}
	return a, nil
}

// ConfigList is the name a ResyncRequest and FleetVersions give the gate
// configuration, beside the lists' names.
const ConfigList = "config"

// ConfigUpdate is a gate configuration from central (SignedConfig): the
// [policy] table of a gate file, as TOML, for every gate of Direction
// ("" = both directions).
type ConfigUpdate struct {
	V         int       `json:"v"`
	Version   int64     `json:"version"`
	Direction string    `json:"direction,omitempty"`
	Policy    string    `json:"policy"` // TOML of the [policy] table's contents
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ResyncRequest asks central for what a gate misses of one list (or of
// the configuration): every update after Have.
type ResyncRequest struct {
	V    int       `json:"v"`
	Gate string    `json:"gate"`
	List string    `json:"list"`
	Have int64     `json:"have"`
	Why  string    `json:"why,omitempty"` // "gap", "behind", "start"
	At   time.Time `json:"at"`
}

// DecodeResync decodes a resync request received on topicGate's resync topic.
func DecodeResync(topicGate string, payload []byte) (ResyncRequest, error) {
	var r ResyncRequest
	if err := decode(payload, &r); err != nil {
		return ResyncRequest{}, err
	}
	if r.Gate != topicGate {
		return ResyncRequest{}, fmt.Errorf("%w: resync claims gate %q but arrived on gate %q's topic", ErrInvalid, r.Gate, topicGate)
	}
	if r.List == "" || len(r.List) > 32 || r.Have < 0 {
		return ResyncRequest{}, fmt.Errorf("%w: resync list %q have %d", ErrInvalid, r.List, r.Have)
	}
	return r, nil
}

// FleetVersions is central's retained statement of the latest versions.
type FleetVersions struct {
	V     int              `json:"v"`
	Lists map[string]int64 `json:"lists"` // includes ConfigList
	At    time.Time        `json:"at"`
}

// DecodeFleetVersions decodes the retained versions message.
func DecodeFleetVersions(payload []byte) (FleetVersions, error) {
	var f FleetVersions
	if err := decode(payload, &f); err != nil {
		return FleetVersions{}, err
	}
	for l, v := range f.Lists {
		if l == "" || len(l) > 32 || v < 0 {
			return FleetVersions{}, fmt.Errorf("%w: versions list %q = %d", ErrInvalid, l, v)
		}
	}
	return f, nil
}

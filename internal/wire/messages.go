package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// SchemaVersion is the message schema this build speaks. A message with any
// other "v" is refused with ErrUnknownVersion.
const SchemaVersion = 1

// MaxMessageBytes bounds every payload; a crossing record is a few kilobytes.
const MaxMessageBytes = 256 << 10

// Decode errors, wrapped with detail; callers count them by kind.
var (
	ErrTooLarge       = errors.New("message too large")
	ErrMalformed      = errors.New("malformed message")
	ErrUnknownVersion = errors.New("unknown schema version")
	ErrInvalid        = errors.New("invalid message")
)

// Decisions a gate takes for a crossing.
const (
	DecisionPass  = "pass"  // every check passed: exit opened
	DecisionRefer = "refer" // sent to an officer
)

// Results of one check.
const (
	ResultPass  = "pass"
	ResultRefer = "refer"
	ResultAlert = "alert" // refer, and alert officers silently
)

// Crossing is one traveller's passage through a gate, as recorded by the gate.
type Crossing struct {
	V         int       `json:"v"`
	ID        string    `json:"id"` // ULID minted at the gate
	Gate      string    `json:"gate"`
	Post      string    `json:"post"`
	Seq       int64     `json:"seq"` // gate-local, strictly increasing
	Direction string    `json:"direction"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Decision  string    `json:"decision"`
	Door      string    `json:"door"` // what the doors did, e.g. "exit" or "entrance"
	Document  Document  `json:"document"`
	Checks    []Check   `json:"checks"`
	Stages    []Stage   `json:"stages"`
	// DeviceMS is the time spent waiting on devices; SoftwareMS the rest.
	DeviceMS   float64 `json:"device_ms"`
	SoftwareMS float64 `json:"software_ms"`
}

// Document is what the gate read from the travel document.
type Document struct {
	Format         string `json:"format"` // TD1, TD2, TD3, MRVA, MRVB
	DocumentCode   string `json:"document_code"`
	IssuingState   string `json:"issuing_state"`
	DocumentNumber string `json:"document_number"`
	Surname        string `json:"surname"`
	GivenNames     string `json:"given_names"`
	Nationality    string `json:"nationality"`
	BirthDate      string `json:"birth_date"` // YYYY-MM-DD
	Sex            string `json:"sex"`
	ExpiryDate     string `json:"expiry_date"` // YYYY-MM-DD
}

// Check is the outcome of one check of the crossing.
type Check struct {
	Name       string  `json:"name"`
	Result     string  `json:"result"`            // pass, refer, alert
	Reason     string  `json:"reason,omitempty"`  // stable code, e.g. "document_expired"
	Message    string  `json:"message,omitempty"` // for the officer
	DurationMS float64 `json:"duration_ms"`
	// Scores are the figures behind the result, e.g. the face comparison's
	// "face_score" and "face_threshold" or the "pad_score" (finite numbers).
	Scores map[string]float64 `json:"scores,omitempty"`
}

// Stage is one timed stage of the crossing flow.
type Stage struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Ack is central's acknowledgement, sent only after its own durable commit.
type Ack struct {
	V   int       `json:"v"`
	IDs []string  `json:"ids"`
	At  time.Time `json:"at"`
}

// Status is a gate's retained state; the broker publishes the last will
// (State "offline") when the gate vanishes.
type Status struct {
	V           int               `json:"v"`
	Gate        string            `json:"gate"`
	Post        string            `json:"post,omitempty"`
	State       string            `json:"state"`          // online, offline
	Mode        string            `json:"mode,omitempty"` // normal, refer_all, locked
	At          time.Time         `json:"at"`
	Devices     map[string]string `json:"devices,omitempty"` // device → state
	OutboxDepth int               `json:"outbox_depth"`
	Version     string            `json:"version,omitempty"` // agent build
	// Lists are the versions in force of the gate's list replica.
	Lists map[string]int64 `json:"lists,omitempty"`
	// Alarms say why the gate is not in normal mode, for the officers.
	Alarms []string `json:"alarms,omitempty"`
	// ConfigVersion is the version of central's signed configuration in
	// force (0: the gate file's own policy only).
	ConfigVersion int64 `json:"config_version,omitempty"`
	// HeartbeatS is how often the gate refreshes its status: central calls
	// a gate stale when its last status is three heartbeats old.
	HeartbeatS int `json:"heartbeat_s,omitempty"`
	// DiskFreeBytes is the free space on the gate's data folder's disk.
	DiskFreeBytes int64 `json:"disk_free_bytes,omitempty"`
}

// Gate states in Status.
const (
	StateOnline  = "online"
	StateOffline = "offline"
)

// NewID mints a crossing id: a ULID, so ids sort by time.
func NewID() string { return ulid.Make().String() }

// Encode marshals any message; it never fails for the types of this package.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wire: encoding %T: %v", v, err))
	}
	return b
}

// decode applies the checks every message shares: size, JSON shape, version.
func decode(payload []byte, v any) error {
	if len(payload) > MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(payload), MaxMessageBytes)
	}
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if probe.V == nil {
		return fmt.Errorf("%w: no schema version field \"v\"", ErrMalformed)
	}
	if *probe.V != SchemaVersion {
		return fmt.Errorf("%w: v=%d (this build speaks v=%d)", ErrUnknownVersion, *probe.V, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	return nil
}

// DecodeCrossing decodes and validates a crossing received on topicGate's
// crossings topic.
func DecodeCrossing(topicGate string, payload []byte) (Crossing, error) {
	var c Crossing
	if err := decode(payload, &c); err != nil {
		return Crossing{}, err
	}
	return c, c.validate(topicGate)
}

// validID accepts ULIDs in their canonical (upper-case) form only: central
// pages by id, and a lower-case id would sort apart from its peers.
func validID(id string) bool {
	_, err := ulid.ParseStrict(id)
	return err == nil && id == strings.ToUpper(id)
}

func (c *Crossing) validate(topicGate string) error {
	if !validID(c.ID) {
		return fmt.Errorf("%w: id %q is not a canonical ULID", ErrInvalid, c.ID)
	}
	if c.Gate != topicGate {
		return fmt.Errorf("%w: crossing %s claims gate %q but arrived on gate %q's topic", ErrInvalid, c.ID, c.Gate, topicGate)
	}
	if c.Seq <= 0 {
		return fmt.Errorf("%w: crossing %s: seq %d must be positive", ErrInvalid, c.ID, c.Seq)
	}
	if c.Decision != DecisionPass && c.Decision != DecisionRefer {
		return fmt.Errorf("%w: crossing %s: decision %q (want pass or refer)", ErrInvalid, c.ID, c.Decision)
	}
	if c.StartedAt.IsZero() || c.EndedAt.Before(c.StartedAt) {
		return fmt.Errorf("%w: crossing %s: times started_at=%s ended_at=%s", ErrInvalid, c.ID, c.StartedAt, c.EndedAt)
	}
	for _, ch := range c.Checks {
		if ch.Result != ResultPass && ch.Result != ResultRefer && ch.Result != ResultAlert {
			return fmt.Errorf("%w: crossing %s: check %q result %q", ErrInvalid, c.ID, ch.Name, ch.Result)
		}
	}
	return nil
}

// DecodeAck decodes an acknowledgement.
func DecodeAck(payload []byte) (Ack, error) {
	var a Ack
	if err := decode(payload, &a); err != nil {
		return Ack{}, err
	}
	for _, id := range a.IDs {
		if !validID(id) {
			return Ack{}, fmt.Errorf("%w: ack names %q, not a canonical ULID", ErrInvalid, id)
		}
	}
	return a, nil
}

// DecodeStatus decodes a gate status received on topicGate's status topic.
func DecodeStatus(topicGate string, payload []byte) (Status, error) {
	var s Status
	if err := decode(payload, &s); err != nil {
		return Status{}, err
	}
	if s.Gate != topicGate {
		return Status{}, fmt.Errorf("%w: status claims gate %q but arrived on gate %q's topic", ErrInvalid, s.Gate, topicGate)
	}
	if s.State != StateOnline && s.State != StateOffline {
		return Status{}, fmt.Errorf("%w: status state %q (want online or offline)", ErrInvalid, s.State)
	}
	return s, nil
}

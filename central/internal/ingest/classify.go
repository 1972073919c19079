package ingest

import (
	"encoding/json"
	"errors"
	"fmt"

	"autogate/internal/wire"
)

// Reasons a message is refused; they label the rejects metric and the
// store's reject records.
const (
	ReasonBadTopic       = "bad_topic"       // not autogate/v1/gates/{valid gate id}/{kind}
	ReasonUnknownKind    = "unknown_kind"    // a kind central does not ingest
	ReasonTooLarge       = "too_large"       // over wire.MaxMessageBytes
	ReasonMalformed      = "malformed"       // not JSON, trailing data, no "v"
	ReasonUnknownVersion = "unknown_version" // "v" this build does not speak
	ReasonGateMismatch   = "gate_mismatch"   // body names another gate than the topic
	ReasonInvalid        = "invalid"         // fields fail validation (id not a ULID, bad decision, ...)
)

// Reasons lists every reason Classify can give, for pre-registering metrics.
var Reasons = []string{
	ReasonBadTopic, ReasonUnknownKind, ReasonTooLarge, ReasonMalformed,
	ReasonUnknownVersion, ReasonGateMismatch, ReasonInvalid,
}

// Message is a message Classify accepted: exactly one of Crossing, Batch or
// Status is set, unless Cleared.
type Message struct {
	Topic    string
	Gate     string
	Kind     string // wire.KindCrossings, wire.KindBatches or wire.KindStatus
	Crossing *wire.Crossing
	// Batch holds several crossings of the gate; one bad crossing refuses
	// the whole message, so a stored batch is always complete.
	Batch  *wire.CrossingBatch
	Status *wire.Status
	// Cleared is an empty payload on a status topic: an operator deleting a
	// decommissioned gate's retained status. Nothing to store.
	Cleared bool
}

// Rejection says why a message was refused.
type Rejection struct {
	Topic  string
	Gate   string // from the topic, when it had a valid one
	Reason string // one of Reasons
	Err    error
	Size   int
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("refused message on %q (%d bytes): %s: %v", r.Topic, r.Size, r.Reason, r.Err)
}

// Classify decodes one MQTT message: it either accepts it (a Message) or
// refuses it (a Rejection), never both, and never panics.
func Classify(topic string, payload []byte) (Message, *Rejection) {
	gate, kind, err := wire.ParseGateTopic(topic)
	if err != nil {
		return Message{}, &Rejection{Topic: topic, Reason: ReasonBadTopic, Err: err, Size: len(payload)}
	}
	reject := func(reason string, err error) (Message, *Rejection) {
		return Message{}, &Rejection{Topic: topic, Gate: gate, Reason: reason, Err: err, Size: len(payload)}
	}
	switch kind {
	case wire.KindCrossings:
		c, err := wire.DecodeCrossing(gate, payload)
		if err != nil {
			return reject(reasonOf(err, gate, payload), err)
		}
		return Message{Topic: topic, Gate: gate, Kind: kind, Crossing: &c}, nil
	case wire.KindBatches:
		b, err := wire.DecodeBatch(gate, payload)
		if err != nil {
			return reject(reasonOf(err, gate, payload), err)
		}
		return Message{Topic: topic, Gate: gate, Kind: kind, Batch: &b}, nil
	case wire.KindStatus:
		if len(payload) == 0 {
			return Message{Topic: topic, Gate: gate, Kind: kind, Cleared: true}, nil
		}
		s, err := wire.DecodeStatus(gate, payload)
		if err != nil {
			return reject(reasonOf(err, gate, payload), err)
		}
		return Message{Topic: topic, Gate: gate, Kind: kind, Status: &s}, nil
	default:
		return reject(ReasonUnknownKind, fmt.Errorf("topic kind %q is not ingested by central (want %s, %s or %s)", kind, wire.KindCrossings, wire.KindBatches, wire.KindStatus))
	}
}

// reasonOf maps a wire decode error to a reason. wire reports a body naming
// another gate as ErrInvalid like any other field error; that case is told
// apart here because it points at a misconfigured or hostile gate, not a bug.
func reasonOf(err error, topicGate string, payload []byte) string {
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, wire.ErrMalformed):
		return ReasonMalformed
	case errors.Is(err, wire.ErrUnknownVersion):
		return ReasonUnknownVersion
	case errors.Is(err, wire.ErrInvalid):
		var probe struct {
			Gate string `json:"gate"`
		}
		if json.Unmarshal(payload, &probe) == nil && probe.Gate != topicGate {
			return ReasonGateMismatch
		}
		return ReasonInvalid
	}
	return ReasonInvalid
}

// Crossings are the crossings the message carries: one, a batch's, or none.
func (m Message) Crossings() []wire.Crossing {
	switch {
	case m.Crossing != nil:
		return []wire.Crossing{*m.Crossing}
	case m.Batch != nil:
		return m.Batch.Crossings
	}
	return nil
}

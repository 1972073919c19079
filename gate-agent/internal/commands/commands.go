package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

// Refusal reasons: stable codes in CommandAck.Reason and in the metric's
// reason label (officers' consoles and scripts key on them).
const (
	ReasonBadSignature  = "bad_signature"  // the signature does not verify
	ReasonUnknownKey    = "unknown_key"    // signed by a key the gate does not hold (or it holds none)
	ReasonMalformed     = "malformed"      // not a signed envelope, oversize, unknown envelope version, unreadable body
	ReasonExpired       = "expired"        // past its expiry (clock skew allowed)
	ReasonReplayed      = "replayed"       // this command id was seen before
	ReasonWrongGate     = "wrong_gate"     // meant for another gate
	ReasonInvalid       = "invalid"        // fields fail validation, or a signed message of another kind
	ReasonNotApplicable = "not_applicable" // e.g. open_exit with nobody held in the lane
	ReasonFailed        = "failed"         // the gate could not carry it out (door fault, store error)
)

// Defaults for Options.
const (
	DefaultSkew    = 5 * time.Second
	MinKeep        = time.Hour
	DefaultTimeout = 30 * time.Second
)

// maxDetail bounds the human-readable detail an ack carries.
const maxDetail = 300

// Executor carries out a checked command on the lane (the flow does). It
// refuses with an error; one with a CommandReason() string method gives
// the reason code (not_applicable, failed), any other error counts as
// failed.
type Executor interface {
	Execute(ctx context.Context, c wire.Command) error
}

// PublishFunc sends one MQTT message (uplink.Publish).
type PublishFunc func(topic string, qos byte, retained bool, payload []byte) error

// Options configure a Handler.
type Options struct {
	Gate string
	// Keyring holds central's signing keys (from the gate's credentials);
	// without one every command is refused.
	Keyring  wire.Keyring
	Store    *store.Store // remembers command ids (nonces)
	Executor Executor
	Publish  PublishFunc
	// Mode reports the gate's mode for the ack (normal, locked, refer_all).
	Mode func() string
	// Skew is the clock difference allowed between central and the gate
	// when checking expiry (default DefaultSkew).
	Skew time.Duration
	// Keep is how long a command id is remembered past its expiry (at
	// least MinKeep).
	Keep time.Duration
	// Timeout bounds one command's execution (default DefaultTimeout).
	Timeout  time.Duration
	Now      func() time.Time // tests
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Handler checks, executes and acknowledges the commands sent to one gate.
type Handler struct {
	opts     Options
	log      *slog.Logger
	mHandled *prometheus.CounterVec
}

// New prepares a handler; subscribe its OnMessage to Topic().
func New(opts Options) (*Handler, error) {
	if err := wire.ValidateGateID(opts.Gate); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	if opts.Store == nil || opts.Executor == nil || opts.Publish == nil {
		return nil, errors.New("commands: a store, an executor and a publish function are required")
	}
	if opts.Skew <= 0 {
		opts.Skew = DefaultSkew
	}
	opts.Keep = max(opts.Keep, MinKeep)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	h := &Handler{
		opts: opts,
		log:  opts.Logger.With("component", "commands"),
		mHandled: promauto.With(opts.Registry).NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_commands_total",
			Help: "Officers' commands received, by action, result (done, refused) and refusal reason."}, []string{"action", "result", "reason"}),
	}
	if len(opts.Keyring) == 0 {
		h.log.Warn("no central signing key: every officer command will be refused; configure [central] credentials")
	}
	return h, nil
}

// Topic is the gate's commands topic.
func (h *Handler) Topic() string { return wire.GateTopic(h.opts.Gate, wire.KindCommands) }

// OnMessage is the MQTT handler for Topic().
func (h *Handler) OnMessage(_ mqtt.Client, m mqtt.Message) {
	h.Handle(context.Background(), m.Payload())
}

// refusal is a command turned down before or during execution.
type refusal struct {
	reason string
	err    error
}

// Handle checks and executes one message from the commands topic, and
// publishes and returns the gate's acknowledgement.
func (h *Handler) Handle(ctx context.Context, payload []byte) wire.CommandAck {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	cmd, ref := h.admit(ctx, payload)
	if ref == nil {
		ref = h.execute(ctx, cmd)
	}
	ack := wire.CommandAck{V: wire.SchemaVersion, Gate: h.opts.Gate, Result: wire.CommandDone, At: h.opts.Now().UTC()}
	if canonicalID(cmd.ID) {
		ack.ID = cmd.ID
	} else if ref != nil {
		// Refused before its body could be trusted: the id it claims still
		// lets central tell its officer why, and a refusal runs nothing.
		ack.ID = claimedID(payload)
	}
	if h.opts.Mode != nil {
		ack.Mode = h.opts.Mode()
	}
	action := cmd.Action
	if !wire.IsAction(action) {
		action = "unknown" // the label stays bounded whatever arrives
	}
	if ref != nil {
		ack.Result, ack.Reason = wire.CommandRefused, ref.reason
		ack.Detail = truncate(ref.err.Error(), maxDetail)
		h.log.Warn("refused an officer command", "command", ack.ID, "action", action, "officer", cmd.Officer,
			"reason", ref.reason, "err", ref.err)
	} else {
		h.log.Info("officer command done", "command", cmd.ID, "action", cmd.Action, "officer", cmd.Officer,
			"crossing", cmd.Crossing, "why", cmd.Reason, "mode", ack.Mode)
	}
	h.mHandled.WithLabelValues(action, ack.Result, ack.Reason).Inc()
	if err := h.opts.Publish(wire.GateTopic(h.opts.Gate, wire.KindCommandAcks), 1, false, wire.Encode(ack)); err != nil {
		// The command stands (or stays refused); central only misses the
		// answer and its officer sees no acknowledgement.
		h.log.Error("cannot send the command acknowledgement to central", "command", ack.ID, "result", ack.Result, "err", err)
	}
	return ack
}

// admit runs every check a command must pass before the lane sees it, in
// order: signature, body, fields, gate, expiry, nonce.
func (h *Handler) admit(ctx context.Context, payload []byte) (wire.Command, *refusal) {
	var cmd wire.Command
	if len(h.opts.Keyring) == 0 {
		return cmd, &refusal{ReasonUnknownKey, errors.New("no central signing key on this gate: configure [central] credentials")}
	}
	body, err := wire.Verify(payload, wire.SignedCommand, h.opts.Keyring)
	if err != nil {
		return cmd, &refusal{verifyReason(err, payload), err}
	}
	if err := json.Unmarshal(body, &cmd); err != nil {
		return wire.Command{}, &refusal{ReasonMalformed, fmt.Errorf("signed command body: %w", err)}
	}
	if err := cmd.Validate(); err != nil {
		return cmd, &refusal{ReasonInvalid, err}
	}
	if cmd.Gate != h.opts.Gate {
		return cmd, &refusal{ReasonWrongGate, fmt.Errorf("command %s is for gate %q, this is %q", cmd.ID, cmd.Gate, h.opts.Gate)}
	}
	if err := wire.CheckExpiry(cmd.IssuedAt, cmd.ExpiresAt, h.opts.Now(), h.opts.Skew); err != nil {
		if errors.Is(err, wire.ErrExpired) {
			return cmd, &refusal{ReasonExpired, err}
		}
		return cmd, &refusal{ReasonInvalid, err}
	}
	fresh, err := h.opts.Store.RememberCommand(ctx, cmd.ID, cmd.ExpiresAt, h.opts.Keep)
	if err != nil {
		// Not run unless its id is on record: otherwise a replay after
		// the store recovers would run it again.
		return cmd, &refusal{ReasonFailed, err}
	}
	if !fresh {
		return cmd, &refusal{ReasonReplayed, fmt.Errorf("command %s was received before; a command runs at most once", cmd.ID)}
	}
	return cmd, nil
}

func (h *Handler) execute(ctx context.Context, cmd wire.Command) (ref *refusal) {
	defer func() {
		// A panicking executor must not take the gate's MQTT client down;
		// what the lane did is in its own log.
		if r := recover(); r != nil {
			ref = &refusal{ReasonFailed, fmt.Errorf("executing the command panicked: %v", r)}
		}
	}()
	err := h.opts.Executor.Execute(ctx, cmd)
	if err == nil {
		return nil
	}
	var coded interface{ CommandReason() string }
	if errors.As(err, &coded) && coded.CommandReason() == ReasonNotApplicable {
		return &refusal{ReasonNotApplicable, err}
	}
	return &refusal{ReasonFailed, err}
}

func verifyReason(err error, payload []byte) string {
	switch {
	case errors.Is(err, wire.ErrBadSignature):
		return ReasonBadSignature
	case errors.Is(err, wire.ErrUnknownKey):
		return ReasonUnknownKey
	case errors.Is(err, wire.ErrInvalid):
		// Verify found the wrong kind: an envelope with no signature at
		// all (a bare command) is a bad signature, not another kind.
		var env struct {
			Sig []byte `json:"sig"`
		}
		if json.Unmarshal(payload, &env) != nil || len(env.Sig) == 0 {
			return ReasonBadSignature
		}
		return ReasonInvalid
	}
	return ReasonMalformed
}

// claimedID is the command id an unverified envelope's body claims, or "".
func claimedID(payload []byte) string {
	var env struct {
		Body struct {
			ID string `json:"id"`
		} `json:"body"`
	}
	if len(payload) > wire.MaxSignedBytes || json.Unmarshal(payload, &env) != nil || !canonicalID(env.Body.ID) {
		return ""
	}
	return env.Body.ID
}

// canonicalID is wire's rule for ids: a ULID in upper case. An ack names
// only such an id, since central refuses any other.
func canonicalID(id string) bool {
	_, err := ulid.ParseStrict(id)
	return err == nil && id == strings.ToUpper(id)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

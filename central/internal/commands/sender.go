package commands

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// Bounds of a command's time to live: long enough for the broker to
// deliver it, short enough that a recorded command is soon worthless.
const (
	DefaultTTL = 10 * time.Second
	MaxTTL     = 5 * time.Minute
)

// ErrNoAck means no acknowledgement arrived before the wait ended.
var ErrNoAck = errors.New("no acknowledgement")

// Reasons an ack is refused (the rejects metric's label and the store's
// reject records).
const (
	RejectBadTopic       = store.ReasonBadTopic
	RejectTooLarge       = store.ReasonTooLarge
	RejectMalformed      = store.ReasonMalformed
	RejectUnknownVersion = store.ReasonUnknownVersion
	RejectInvalid        = store.ReasonInvalid
)

// PublishFunc sends one MQTT message (ingest.Publish, or a CLI's client).
type PublishFunc func(topic string, qos byte, retained bool, payload []byte) error

// Options configure a Sender.
type Options struct {
	Key     ed25519.PrivateKey // central's signing key (pki.LoadSigningKey)
	Publish PublishFunc
	// Store, when set, records every command sent and every ack received,
	// and the refused acks beside ingest's rejects.
	Store *store.Store
	// OnAck, when set, is called after each ack is recorded (the web
	// console shows it live); it must not block.
	OnAck    func(wire.CommandAck)
	Now      func() time.Time // tests
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Sender signs and sends commands and matches the gates' acks to them.
type Sender struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	pending map[string]*pending

	mSent     *prometheus.CounterVec
	mAcks     *prometheus.CounterVec
	mRejected *prometheus.CounterVec
}

// pending is a sent command waiting for its ack.
type pending struct {
	gate    string
	expires time.Time
	ack     chan wire.CommandAck // room for one
}

// NewSender prepares a sender; subscribe its HandleAck to AcksFilter().
func NewSender(opts Options) (*Sender, error) {
	if len(opts.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("commands: no signing key (run 'central pki init' to create one)")
	}
	if opts.Publish == nil {
		return nil, errors.New("commands: no publish function")
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
	f := promauto.With(opts.Registry)
	return &Sender{
		opts: opts, log: opts.Logger.With("component", "commands"), pending: map[string]*pending{},
		mSent: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_commands_sent_total",
			Help: "Signed officers' commands published to gates, by action."}, []string{"action"}),
		mAcks: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_command_acks_total",
			Help: "Gates' command acknowledgements received, by result and refusal reason."}, []string{"result", "reason"}),
		mRejected: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_command_acks_rejected_total",
			Help: "Messages on the command_acks topics refused as unreadable, by reason."}, []string{"reason"}),
	}, nil
}

// AcksFilter is the subscription for every gate's command acks.
func AcksFilter() string { return wire.AllGates(wire.KindCommandAcks) }

// Send signs a command for gate and publishes it, valid for ttl (0 means
// DefaultTTL). Its ack can then be awaited with WaitAck(ctx, cmd.ID).
func (s *Sender) Send(ctx context.Context, gate, action, reason, officer, crossing string, ttl time.Duration) (wire.Command, error) {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 0 || ttl > MaxTTL {
		return wire.Command{}, fmt.Errorf("command time to live %s: want more than 0 and at most %s", ttl, MaxTTL)
	}
	now := s.opts.Now().UTC()
	c := wire.Command{V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Action: action, Reason: reason,
		Officer: officer, Crossing: crossing, IssuedAt: now, ExpiresAt: now.Add(ttl)}
	if err := c.Validate(); err != nil {
		return wire.Command{}, err
	}
	payload, err := wire.Sign(s.opts.Key, wire.SignedCommand, c)
	if err != nil {
		return wire.Command{}, err
	}
	// On record before it leaves: every command a gate may execute is in
	// central's store.
	if s.opts.Store != nil {
		if err := s.opts.Store.RecordCommand(ctx, c); err != nil {
			return wire.Command{}, fmt.Errorf("command not sent: %w", err)
		}
	}
	s.mu.Lock()
	for id, p := range s.pending {
		if now.After(p.expires.Add(time.Minute)) { // never awaited
			delete(s.pending, id)
		}
	}
	s.pending[c.ID] = &pending{gate: gate, expires: c.ExpiresAt, ack: make(chan wire.CommandAck, 1)}
	s.mu.Unlock()
	if err := s.opts.Publish(wire.GateTopic(gate, wire.KindCommands), 1, false, payload); err != nil {
		s.forget(c.ID)
		return wire.Command{}, fmt.Errorf("sending command %s to gate %s: %w", c.ID, gate, err)
	}
	s.mSent.WithLabelValues(action).Inc()
	s.log.Info("command sent", "command", c.ID, "gate", gate, "action", action, "officer", officer, "crossing", crossing,
		"why", reason, "expires", c.ExpiresAt)
	return c, nil
}

func (s *Sender) forget(id string) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

// WaitAck waits for the ack of a command this Sender sent, until ctx ends
// (then the error wraps ErrNoAck).
func (s *Sender) WaitAck(ctx context.Context, id string) (wire.CommandAck, error) {
	s.mu.Lock()
	p, ok := s.pending[id]
	s.mu.Unlock()
	if !ok {
		return wire.CommandAck{}, fmt.Errorf("command %s was not sent by this process (or its ack was already taken)", id)
	}
	defer s.forget(id)
	select {
	case a := <-p.ack:
		return a, nil
	case <-ctx.Done():
		return wire.CommandAck{}, fmt.Errorf("%w from gate %s for command %s: %v", ErrNoAck, p.gate, id, ctx.Err())
	}
}

// HandleAck is the MQTT handler for AcksFilter(). It acknowledges the
// message to the broker itself, after recording it: ingest's client
// leaves that to each handler.
func (s *Sender) HandleAck(_ mqtt.Client, m mqtt.Message) {
	s.Receive(context.Background(), m.Topic(), m.Payload())
	m.Ack()
}

// Receive decodes one message from a command_acks topic, records it and
// hands it to the command waiting for it. A message that is not a valid
// ack is refused: counted, logged and kept with the rejects.
func (s *Sender) Receive(ctx context.Context, topic string, payload []byte) (wire.CommandAck, error) {
	now := s.opts.Now()
	gate, kind, err := wire.ParseGateTopic(topic)
	if err == nil && kind != wire.KindCommandAcks {
		err = fmt.Errorf("topic %q is not a command_acks topic", topic)
	}
	if err != nil {
		return wire.CommandAck{}, s.reject(ctx, topic, "", RejectBadTopic, err, len(payload), now)
	}
	a, err := wire.DecodeCommandAck(gate, payload)
	if err != nil {
		return wire.CommandAck{}, s.reject(ctx, topic, gate, rejectReason(err), err, len(payload), now)
	}
	s.mAcks.WithLabelValues(a.Result, labelReason(a.Reason)).Inc()
	if a.ID == "" {
		s.log.Warn("a gate could not read a message on its commands topic", "gate", gate, "reason", a.Reason, "detail", a.Detail)
		return a, nil
	}
	if s.opts.Store != nil {
		if err := s.opts.Store.RecordCommandAck(ctx, a, now); err != nil {
			s.log.Error("cannot record a command ack", "gate", gate, "command", a.ID, "err", err)
		}
	}
	level := slog.LevelInfo
	if a.Result != wire.CommandDone {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "command acknowledged", "gate", gate, "command", a.ID, "result", a.Result,
		"reason", a.Reason, "detail", a.Detail, "mode", a.Mode)
	if s.opts.OnAck != nil {
		s.opts.OnAck(a)
	}
	s.mu.Lock()
	p, ok := s.pending[a.ID]
	s.mu.Unlock()
	if ok {
		select {
		case p.ack <- a:
		default: // a second ack (a redelivery): the first stands
		}
	}
	return a, nil
}

func (s *Sender) reject(ctx context.Context, topic, gate, reason string, err error, size int, at time.Time) error {
	s.mRejected.WithLabelValues(reason).Inc()
	s.log.Warn("refused a command ack", "topic", topic, "reason", reason, "bytes", size, "err", err)
	if s.opts.Store != nil {
		r := store.Reject{ReceivedAt: at, Topic: topic, Gate: gate, Reason: reason, Error: err.Error(), Size: size}
		if err := s.opts.Store.RecordRejects(ctx, []store.Reject{r}); err != nil {
			s.log.Error("cannot record a refused command ack", "err", err)
		}
	}
	return fmt.Errorf("%s: %w", reason, err)
}

func rejectReason(err error) string { return store.DecodeRejectReason(err) }

// gateReasons are the refusal codes gates send (gate-agent's commands
// package); any other keeps the metric's label set bounded as "other".
var gateReasons = map[string]bool{"": true, "bad_signature": true, "unknown_key": true, "malformed": true,
	"expired": true, "replayed": true, "wrong_gate": true, "invalid": true, "not_applicable": true, "failed": true}

func labelReason(r string) string {
	if gateReasons[r] {
		return r
	}
	return "other"
}

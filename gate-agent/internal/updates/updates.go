package updates

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

// Defaults of Options.
const (
	DefaultSkew        = 5 * time.Minute
	DefaultGapWait     = time.Second
	DefaultResyncEvery = 2 * time.Second
	DefaultBehindAlarm = time.Minute
	maxResyncEvery     = time.Minute
	maxPending         = 32 // held out-of-order updates per list
	tickEvery          = 250 * time.Millisecond
)

// ErrNoKey refuses every update of a gate that holds no central key.
var ErrNoKey = errors.New("no central signing key: configure [central] credentials")

// Options configure the gate's updates.
type Options struct {
	Gate      string
	Direction string // the gate's: entry | exit
	// DataDir holds ConfigFile, the configuration from central in force.
	DataDir string
	// Keyring holds central's signing keys (from the gate's credentials);
	// without one every update is refused.
	Keyring wire.Keyring
	// Replica receives the deltas; nil (it could not be opened) refuses them.
	Replica *replica.Replica
	// Publish sends a resync request (uplink.Uplink.Publish).
	Publish func(topic string, qos byte, retained bool, payload []byte) error
	// Apply puts a configuration's policy in force (the gate rebuilds its
	// checks); an error leaves the configuration in force unchanged.
	Apply func(config.Policy) error
	// Applied, when set, is told of every delta applied (e.g. to refresh the
	// replica's health monitor).
	Applied func(replica.Applied)
	// Skew is the clock difference allowed between central and the gate
	// when checking expiry and issue times.
	Skew time.Duration
	// GapWait is how long a gap (or a fleet version above the gate's) may
	// last before the gate asks for a resync: deliveries are handled
	// concurrently, so the missing version is often just behind.
	GapWait time.Duration
	// ResyncEvery is the least time between two resync requests for one
	// list; it doubles (up to a minute) while central's answer brings
	// nothing.
	ResyncEvery time.Duration
	// BehindAlarm: a list behind central's version for this long is
	// reported as an alarm in the gate's status.
	BehindAlarm time.Duration
	Logger      *slog.Logger
	Registry    prometheus.Registerer
	Now         func() time.Time
}

// message is one delivery waiting for the worker.
type message struct {
	topic   string
	payload []byte
}

// pending is an update that came before the one it follows: it waits for
// its turn (or for a resync) in memory.
type pending struct {
	to    int64
	delta *lists.Delta
	cfg   *signedConfig
}

// Updates verifies and applies the updates central sends. Deliveries are
// queued and handled one at a time, in Run.
type Updates struct {
	o        Options
	log      *slog.Logger
	ownTopic string
	in       chan message
	done     chan struct{}
	doneOnce sync.Once

	// Worker state: touched only by Run's goroutine (and by LoadConfig
	// before Run starts).
	fleet      map[string]int64
	pend       map[string][]pending
	behindFrom map[string]time.Time
	lastAsk    map[string]time.Time
	askEvery   map[string]time.Duration
	applied    []byte // the signed configuration in force
	cfgLatest  []byte // a newer one that is not in force (refused or for the other direction)

	mu          sync.Mutex
	cfgVersion  int64
	configAlarm string
	behind      map[string]string // list → alarm text, when behind too long

	mRejected *prometheus.CounterVec
	mApplied  *prometheus.CounterVec
	mReplayed *prometheus.CounterVec
	mResync   *prometheus.CounterVec
	mVersion  prometheus.Gauge
}

// New prepares the gate's updates; LoadConfig then Run start them.
func New(o Options) (*Updates, error) {
	if err := wire.ValidateGateID(o.Gate); err != nil {
		return nil, fmt.Errorf("updates: %w", err)
	}
	if o.Publish == nil || o.Apply == nil {
		return nil, errors.New("updates: Publish and Apply are required")
	}
	o.Skew = cmp.Or(max(o.Skew, 0), DefaultSkew)
	o.GapWait = cmp.Or(max(o.GapWait, 0), DefaultGapWait)
	o.ResyncEvery = cmp.Or(max(o.ResyncEvery, 0), DefaultResyncEvery)
	o.BehindAlarm = cmp.Or(max(o.BehindAlarm, 0), DefaultBehindAlarm)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.Registry = cmp.Or[prometheus.Registerer](o.Registry, prometheus.NewRegistry())
	if o.Now == nil {
		o.Now = time.Now
	}
	f := promauto.With(o.Registry)
	return &Updates{
		o: o, log: o.Logger.With("component", "updates"),
		ownTopic:   wire.GateTopic(o.Gate, wire.KindUpdates),
		in:         make(chan message, 64),
		done:       make(chan struct{}),
		fleet:      map[string]int64{},
		pend:       map[string][]pending{},
		behindFrom: map[string]time.Time{},
		lastAsk:    map[string]time.Time{},
		askEvery:   map[string]time.Duration{},
		behind:     map[string]string{},
		mRejected: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_updates_rejected_total",
			Help: "Updates from central refused and not applied, by reason."}, []string{"reason"}),
		mApplied: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_updates_applied_total",
			Help: "Signed updates applied, by kind (delta, config)."}, []string{"kind"}),
		mReplayed: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_updates_replayed_total",
			Help: "Signed updates dropped because the gate already holds their version (a QoS 1 re-delivery, or a replay), by kind."}, []string{"kind"}),
		mResync: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_resync_requests_total",
			Help: "Resync requests sent to central, by list."}, []string{"list"}),
		mVersion: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_config_version",
			Help: "Version of central's configuration the gate holds (0: only its gate file's)."}),
	}, nil
}

// Handlers are the subscriptions to give the uplink: the fleet's updates
// and versions, and the gate's own updates topic.
func (u *Updates) Handlers() map[string]mqtt.MessageHandler {
	h := func(_ mqtt.Client, m mqtt.Message) { u.Handle(m.Topic(), m.Payload()) }
	return map[string]mqtt.MessageHandler{wire.FleetUpdates: h, wire.FleetVersionsTopic: h, u.ownTopic: h}
}

// Handle queues one delivery for Run. It waits while the queue is full
// (paho gives every delivery its own goroutine) and drops the delivery once
// Run has returned: a lost update is asked for again as a resync.
func (u *Updates) Handle(topic string, payload []byte) {
	select {
	case u.in <- message{topic, payload}:
	case <-u.done:
	}
}

// Run handles deliveries one at a time and asks for resyncs, until ctx
// ends.
func (u *Updates) Run(ctx context.Context) error {
	defer u.doneOnce.Do(func() { close(u.done) })
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-u.in:
			u.process(ctx, m.topic, m.payload)
		case <-t.C:
			u.tick(ctx)
		}
	}
}

// ConfigVersion is the version of central's configuration the gate holds,
// for its status.
func (u *Updates) ConfigVersion() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.cfgVersion
}

// Alarms are the updates' alarms for the gate's status: a configuration
// refused, lists behind central for long.
func (u *Updates) Alarms() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	if u.configAlarm != "" {
		out = append(out, u.configAlarm)
	}
	for _, l := range names {
		if a := u.behind[l]; a != "" {
			out = append(out, a)
		}
	}
	return out
}

// names are the lists a gate follows, and its configuration.
var names = append(slices.Clone(lists.Names), wire.ConfigList)

// process handles one delivery.
func (u *Updates) process(ctx context.Context, topic string, payload []byte) {
	switch topic {
	case wire.FleetVersionsTopic:
		u.onVersions(payload)
	case wire.FleetUpdates, u.ownTopic:
		u.onUpdate(ctx, topic, payload)
	default:
		u.refuse("topic", topic, fmt.Errorf("no updates are expected on %s", topic))
	}
}

// refuse counts and logs an update that is not applied.
func (u *Updates) refuse(reason, topic string, err error, attrs ...any) {
	u.mRejected.WithLabelValues(reason).Inc()
	u.log.Warn("refused an update from central", append([]any{"reason", reason, "topic", topic, "err", err}, attrs...)...)
}

// verifyReason is the stable reason code of a signature or decoding error.
func verifyReason(err error) string {
	for _, c := range []struct {
		err    error
		reason string
	}{
		{wire.ErrExpired, "expired"},
		{wire.ErrBadSignature, "bad_signature"},
		{wire.ErrUnknownKey, "unknown_key"},
		{wire.ErrTooLarge, "too_large"},
		{wire.ErrMalformed, "malformed"},
		{wire.ErrUnknownVersion, "unknown_version"},
	} {
		if errors.Is(err, c.err) {
			return c.reason
		}
	}
	return "invalid"
}

func (u *Updates) onUpdate(ctx context.Context, topic string, payload []byte) {
	if len(u.o.Keyring) == 0 {
		u.refuse("no_key", topic, ErrNoKey)
		return
	}
	// The kind only picks what to verify the message as: it is covered by
	// the signature, so a forged kind fails Verify.
	var probe struct {
		Kind string `json:"kind"`
	}
	if len(payload) > wire.MaxSignedBytes {
		u.refuse("too_large", topic, fmt.Errorf("%w: %d bytes", wire.ErrTooLarge, len(payload)))
		return
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		u.refuse("malformed", topic, fmt.Errorf("%w: %v", wire.ErrMalformed, err))
		return
	}
	if probe.Kind == "" {
		u.refuse("unsigned", topic, errors.New("not a signed envelope from central"))
		return
	}
	if probe.Kind != wire.SignedDelta && probe.Kind != wire.SignedConfig {
		u.refuse("wrong_kind", topic, fmt.Errorf("a signed %q where a delta or a configuration was expected", probe.Kind))
		return
	}
	body, err := wire.Verify(payload, probe.Kind, u.o.Keyring)
	if err != nil {
		u.refuse(verifyReason(err), topic, err)
		return
	}
	if probe.Kind == wire.SignedConfig {
		c, err := decodeConfig(body)
		if err != nil {
			u.refuse("invalid", topic, err)
			return
		}
		if u.checkExpiry(topic, c.IssuedAt, c.ExpiresAt, wire.ConfigList, c.Version) {
			u.takeConfig(ctx, signedConfig{raw: payload, c: c})
		}
		return
	}
	d, err := lists.DecodeDelta(bytes.NewReader(body))
	if err != nil {
		u.refuse("invalid", topic, err)
		return
	}
	if u.checkExpiry(topic, d.IssuedAt, d.ExpiresAt, d.List, d.To) {
		u.takeDelta(ctx, d)
	}
}

// checkExpiry refuses an update past its expiry, without one, or issued in
// the future; it reports whether the update may be used.
func (u *Updates) checkExpiry(topic string, issued, expires time.Time, list string, version int64) bool {
	err := wire.CheckExpiry(issued, expires, u.o.Now(), u.o.Skew)
	if err != nil {
		u.refuse(verifyReason(err), topic, err, "list", list, "version", version)
	}
	return err == nil
}

// takeDelta applies a verified delta, or holds it when it comes before the
// version it follows.
func (u *Updates) takeDelta(ctx context.Context, d lists.Delta) {
	if u.o.Replica == nil {
		u.refuse("no_replica", "", errors.New("the list replica could not be opened; re-import the lists"), "list", d.List, "version", d.To)
		return
	}
	a, err := u.o.Replica.Apply(ctx, d)
	var gap *replica.GapError
	var replay *replica.ReplayError
	var op *replica.OpError
	switch {
	case errors.As(err, &replay):
		u.mReplayed.WithLabelValues(wire.SignedDelta).Inc()
		u.log.Debug("dropped a delta the replica already holds", "list", d.List, "to", d.To, "have", replay.Have)
	case errors.As(err, &gap):
		u.hold(d.List, pending{to: d.To, delta: &d})
		u.log.Info("a delta came before the one it follows; holding it", "list", d.List, "from", d.From, "have", gap.Have)
	case errors.As(err, &op):
		u.refuse("does_not_fit", "", err, "list", d.List, "version", d.To)
	case err != nil:
		u.refuse("apply_failed", "", err, "list", d.List, "version", d.To)
	default:
		u.mApplied.WithLabelValues(wire.SignedDelta).Inc()
		u.log.Info("applied a delta from central", "list", d.List, "from", a.From, "to", a.To, "full", d.Full,
			"added", a.Added, "changed", a.Changed, "removed", a.Removed, "seconds", a.Duration.Seconds())
		if u.o.Applied != nil {
			u.o.Applied(a)
		}
		u.progress(d.List)
		u.drain(ctx, d.List, a.To)
	}
}

// hold keeps an update that came early, up to maxPending per list (a resync
// brings the rest).
func (u *Updates) hold(list string, p pending) {
	ps := u.pend[list]
	for _, q := range ps {
		if q.to == p.to {
			return
		}
	}
	if len(ps) >= maxPending {
		u.log.Warn("too many updates held out of order; dropping one (a resync brings it)", "list", list, "version", p.to)
		return
	}
	u.pend[list] = append(ps, p)
}

// drain applies the held updates that now follow the version in force.
func (u *Updates) drain(ctx context.Context, list string, have int64) {
	ps := u.pend[list]
	var next *pending
	keep := ps[:0]
	for i := range ps {
		switch {
		case ps[i].to <= have:
		case ps[i].to == have+1 && next == nil:
			p := ps[i]
			next = &p
		default:
			keep = append(keep, ps[i])
		}
	}
	u.pend[list] = keep
	if next == nil {
		return
	}
	// Held updates are checked for expiry again: they may have waited.
	switch {
	case next.delta != nil:
		if u.checkExpiry("", next.delta.IssuedAt, next.delta.ExpiresAt, list, next.to) {
			u.takeDelta(ctx, *next.delta)
		}
	case next.cfg != nil:
		if u.checkExpiry("", next.cfg.c.IssuedAt, next.cfg.c.ExpiresAt, list, next.to) {
			u.takeConfig(ctx, *next.cfg)
		}
	}
}

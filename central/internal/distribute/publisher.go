package distribute

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/internal/lists"
	"autogate/internal/wire"
)

// PublishFunc sends one message on central's MQTT connection and waits for
// the broker to take it (ingest.Ingest.Publish).
type PublishFunc func(topic string, qos byte, retained bool, payload []byte) error

// Defaults of PublisherOptions.
const (
	DefaultEvery         = 500 * time.Millisecond
	DefaultResyncEvery   = 2 * time.Second
	DefaultVersionsEvery = time.Minute
	DefaultResignTTL     = time.Hour
)

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Every is how often the queue is looked at.
	Every time.Duration
	// ResyncEvery: one resync answer per gate and list at most this often,
	// so a misbehaving gate cannot make central flood the broker.
	ResyncEvery time.Duration
	// VersionsEvery: the retained versions are republished at least this
	// often (a broker restarted without persistence forgets them).
	VersionsEvery time.Duration
	// Key, when set, re-signs versions that have expired when a resync
	// needs them (with a fresh expiry of ResignTTL): a gate away longer
	// than the expiry can still catch up, one version at a time, while a
	// recorded old message stays useless to anyone else. Without it such
	// a resync is unservable.
	Key       ed25519.PrivateKey
	ResignTTL time.Duration
	Logger    *slog.Logger
	Registry  prometheus.Registerer
}

// Publisher publishes the queue to the fleet and answers resync requests.
type Publisher struct {
	st      *Store
	publish PublishFunc
	o       PublisherOptions
	log     *slog.Logger

	resync chan wire.ResyncRequest

	mu         sync.Mutex
	lastAnswer map[string]time.Time // gate + "/" + list

	sentVersions map[string]int64
	sentAt       time.Time
	failing      bool // publications fail: logged once, not every round (true until the first goes out)

	mPublished   *prometheus.CounterVec
	mPending     prometheus.Gauge
	mResync      *prometheus.CounterVec
	mRefused     *prometheus.CounterVec
	mUnservable  *prometheus.CounterVec
	mResyncSent  prometheus.Counter
	mPublishFail prometheus.Counter
}

// NewPublisher publishes st's queue through publish.
func NewPublisher(st *Store, publish PublishFunc, o PublisherOptions) *Publisher {
	o.Every = cmp.Or(max(o.Every, 0), DefaultEvery)
	o.ResyncEvery = cmp.Or(max(o.ResyncEvery, 0), DefaultResyncEvery)
	o.VersionsEvery = cmp.Or(max(o.VersionsEvery, 0), DefaultVersionsEvery)
	o.ResignTTL = cmp.Or(max(o.ResignTTL, 0), DefaultResignTTL)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.Registry = cmp.Or[prometheus.Registerer](o.Registry, prometheus.NewRegistry())
	f := promauto.With(o.Registry)
	return &Publisher{
		st: st, publish: publish, o: o,
		log:        o.Logger.With("component", "distribute"),
		resync:     make(chan wire.ResyncRequest, 64),
		lastAnswer: map[string]time.Time{},
		failing:    true, // ingest connects after the publisher starts; it logs its own trouble
		mPublished: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_updates_published_total",
			Help: "Signed updates published to every gate, by kind (delta, config)."}, []string{"kind"}),
		mPending: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_central_updates_pending",
			Help: "Signed updates queued and not yet published (at the last look)."}),
		mResync: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_resync_requests_total",
			Help: "Resync requests from gates accepted, by list."}, []string{"list"}),
		mRefused: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_resync_refused_total",
			Help: "Resync requests refused, by reason (malformed, invalid, unknown_list, rate_limited, busy)."}, []string{"reason"}),
		mUnservable: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_central_resync_unservable_total",
			Help: "Resync requests central could not answer (the updates after the gate's version are no longer kept or have expired), by list."}, []string{"list"}),
		mResyncSent: f.NewCounter(prometheus.CounterOpts{Name: "autogate_central_resync_updates_sent_total",
			Help: "Signed updates sent to single gates answering their resync requests."}),
		mPublishFail: f.NewCounter(prometheus.CounterOpts{Name: "autogate_central_updates_publish_failures_total",
			Help: "Publications of updates or versions the broker did not take (retried)."}),
	}
}

// Subscriptions are the publisher's subscriptions, for ingest.Config.Extra.
func (p *Publisher) Subscriptions() map[string]mqtt.MessageHandler {
	return map[string]mqtt.MessageHandler{
		wire.AllGates(wire.KindResync): func(_ mqtt.Client, m mqtt.Message) { _ = p.HandleResync(m.Topic(), m.Payload()) },
	}
}

// Run publishes the queue every few hundred milliseconds and answers
// resync requests until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.o.Every)
	defer t.Stop()
	p.Round(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.Round(ctx)
		case r := <-p.resync:
			p.answer(ctx, r)
		}
	}
}

// Round publishes what is queued, in order, then the retained versions when
// they changed (or are due again). It stops at the first publication the
// broker does not take; the next round retries.
func (p *Publisher) Round(ctx context.Context) {
	for {
		ups, err := p.st.Unpublished(ctx, 16)
		if err != nil {
			p.log.Error("cannot read the update queue", "err", err)
			return
		}
		if len(ups) == 0 {
			break
		}
		p.mPending.Set(float64(len(ups)))
		for _, u := range ups {
			if err := p.publish(wire.FleetUpdates, 1, false, u.Payload); err != nil {
				p.failed("an update", err, "list", u.List, "version", u.Version)
				return
			}
			p.recovered()
			if err := p.st.MarkPublished(ctx, u.ID); err != nil {
				// Published twice at worst: a gate counts the second as a replay.
				p.log.Error("cannot mark an update published", "list", u.List, "version", u.Version, "err", err)
				return
			}
			p.mPublished.WithLabelValues(u.Kind).Inc()
			p.log.Info("published an update", "kind", u.Kind, "list", u.List, "version", u.Version, "ops", u.Ops, "bytes", len(u.Payload))
		}
	}
	p.mPending.Set(0)
	latest, err := p.st.Latest(ctx)
	if err != nil {
		p.log.Error("cannot read the latest versions", "err", err)
		return
	}
	now := time.Now()
	if maps.Equal(latest, p.sentVersions) && now.Sub(p.sentAt) < p.o.VersionsEvery {
		return
	}
	msg := wire.FleetVersions{V: wire.SchemaVersion, Lists: latest, At: now.UTC()}
	if err := p.publish(wire.FleetVersionsTopic, 1, true, wire.Encode(msg)); err != nil {
		p.failed("the fleet versions", err)
		return
	}
	p.recovered()
	p.sentVersions, p.sentAt = latest, now
}

// failed counts a publication the broker did not take; the first of a
// run is logged (Round retries every few hundred milliseconds).
func (p *Publisher) failed(what string, err error, attrs ...any) {
	p.mPublishFail.Inc()
	if !p.failing {
		p.failing = true
		p.log.Warn("cannot publish "+what+"; retrying until the broker takes it", append([]any{"err", err}, attrs...)...)
	}
}

func (p *Publisher) recovered() {
	if p.failing {
		p.failing = false
		p.log.Info("publishing to the gates")
	}
}

// HandleResync takes a gate's resync request from its resync topic: a
// malformed one, one for a list central does not keep, or one that comes
// too soon after the last answer to that gate for that list is refused,
// counted and logged; an accepted one is answered by Run.
func (p *Publisher) HandleResync(topic string, payload []byte) error {
	gate, kind, err := wire.ParseGateTopic(topic)
	if err == nil && kind != wire.KindResync {
		err = fmt.Errorf("topic %s is not a resync topic", topic)
	}
	var r wire.ResyncRequest
	if err == nil {
		r, err = wire.DecodeResync(gate, payload)
	}
	if err == nil && !slices.Contains(Names, r.List) {
		err = fmt.Errorf("%w: no list %q (central keeps %v)", errUnknownList, r.List, Names)
	}
	if err != nil {
		p.refuse(reason(err), topic, err)
		return err
	}
	key := r.Gate + "/" + r.List
	now := time.Now()
	p.mu.Lock()
	if len(p.lastAnswer) > 10000 {
		// Bounded even when anyone may publish (a broker without the PKI's ACL).
		maps.DeleteFunc(p.lastAnswer, func(_ string, t time.Time) bool { return now.Sub(t) >= p.o.ResyncEvery })
	}
	last, seen := p.lastAnswer[key]
	ok := !seen || now.Sub(last) >= p.o.ResyncEvery
	if ok {
		p.lastAnswer[key] = now
	}
	p.mu.Unlock()
	if !ok {
		err := fmt.Errorf("gate %s asked to resync %s again within %s", r.Gate, r.List, p.o.ResyncEvery)
		p.refuse("rate_limited", topic, err)
		return err
	}
	select {
	case p.resync <- r:
		p.mResync.WithLabelValues(r.List).Inc()
		return nil
	default:
		err := errors.New("too many resync requests waiting")
		p.refuse("busy", topic, err)
		return err
	}
}

var errUnknownList = errors.New("unknown list")

func reason(err error) string {
	switch {
	case errors.Is(err, errUnknownList):
		return "unknown_list"
	case errors.Is(err, wire.ErrMalformed), errors.Is(err, wire.ErrTooLarge), errors.Is(err, wire.ErrUnknownVersion):
		return "malformed"
	}
	return "invalid"
}

func (p *Publisher) refuse(reason, topic string, err error) {
	p.mRefused.WithLabelValues(reason).Inc()
	p.log.Warn("refused a resync request", "reason", reason, "topic", topic, "err", err)
}

// answer sends a gate, on its own updates topic and in version order, every
// update of the list after the version it has: from the last full delta
// when there is one, else from its version on. When central cannot serve
// from there it sends nothing: the gate stays behind, in alarm, until an
// operator pushes a full delta.
func (p *Publisher) answer(ctx context.Context, r wire.ResyncRequest) {
	ups, err := p.st.After(ctx, r.List, r.Have)
	if err != nil {
		p.log.Error("cannot answer a resync request", "gate", r.Gate, "list", r.List, "err", err)
		return
	}
	now := time.Now()
	serve, why := plan(ups, r.Have, now, p.o.Key != nil)
	if why != "" {
		p.mUnservable.WithLabelValues(r.List).Inc()
		advice := "push a full delta of " + r.List + " (central lists push FILE with \"full\": true) so the gate can start over"
		if r.List == wire.ConfigList {
			advice = "the gate keeps the configuration it has; it cannot take a newer one until it holds the missing versions"
		}
		p.log.Error("cannot resync a gate: "+why, "gate", r.Gate, "list", r.List, "have", r.Have, "todo", advice)
		return
	}
	topic := wire.GateTopic(r.Gate, wire.KindUpdates)
	for _, u := range serve {
		payload := u.Payload
		if now.After(u.ExpiresAt) {
			if payload, err = resign(p.o.Key, u, now, p.o.ResignTTL); err != nil {
				p.log.Error("cannot re-sign an expired version for a resync", "gate", r.Gate, "list", r.List, "version", u.Version, "err", err)
				return
			}
		}
		if err := p.publish(topic, 1, false, payload); err != nil {
			p.mPublishFail.Inc()
			p.log.Warn("resync answer cut short; the gate will ask again", "gate", r.Gate, "list", r.List, "version", u.Version, "err", err)
			return
		}
		p.mResyncSent.Inc()
	}
	if len(serve) > 0 {
		p.log.Info("resynced a gate", "gate", r.Gate, "list", r.List, "have", r.Have, "why", r.Why,
			"from", serve[0].Version, "to", serve[len(serve)-1].Version)
	}
}

// plan picks the updates that bring a list from version have to central's
// latest (ups: every update after have, in version order); why is set when
// that cannot be done. Expired versions are served only when they can be
// re-signed.
func plan(ups []Update, have int64, now time.Time, canResign bool) (serve []Update, why string) {
	if len(ups) == 0 {
		return nil, "" // the gate is current (or ahead)
	}
	start := -1
	for i, u := range ups {
		if u.Full {
			start = i
		}
	}
	if start < 0 {
		if ups[0].From != have {
			return nil, fmt.Sprintf("central no longer keeps the updates from version %d on (the oldest it keeps goes from %d)", have, ups[0].From)
		}
		start = 0
	}
	serve = ups[start:]
	for _, u := range serve {
		if now.After(u.ExpiresAt) && !canResign {
			return nil, fmt.Sprintf("version %d expired at %s; gates refuse it", u.Version, u.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	return serve, ""
}

// resign signs an update's body again with a fresh issue time and expiry.
func resign(key ed25519.PrivateKey, u Update, now time.Time, ttl time.Duration) ([]byte, error) {
	var env wire.Signed
	if err := json.Unmarshal(u.Payload, &env); err != nil {
		return nil, fmt.Errorf("stored version %d of %s: %w", u.Version, u.List, err)
	}
	var body any
	switch u.Kind {
	case wire.SignedDelta:
		var d lists.Delta
		if err := json.Unmarshal(env.Body, &d); err != nil {
			return nil, err
		}
		d.IssuedAt, d.ExpiresAt = now.UTC(), now.Add(ttl).UTC()
		body = d
	case wire.SignedConfig:
		var c wire.ConfigUpdate
		if err := json.Unmarshal(env.Body, &c); err != nil {
			return nil, err
		}
		c.IssuedAt, c.ExpiresAt = now.UTC(), now.Add(ttl).UTC()
		body = c
	default:
		return nil, fmt.Errorf("stored version %d of %s: kind %q", u.Version, u.List, u.Kind)
	}
	return wire.Sign(key, u.Kind, body)
}

package referrals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// DefaultRetention is how long referral images are kept when Options
// does not say.
const DefaultRetention = 24 * time.Hour

// PurgeEvery is how often RunPurge deletes expired images.
const PurgeEvery = time.Minute

// handleTimeout bounds one message's store write in Handle, so a jammed
// database cannot hold the MQTT client's handler for ever.
const handleTimeout = 10 * time.Second

// Results of one referral message (the autogate_referrals_total label).
const (
	ResultStored    = "stored"    // new, now stored
	ResultDuplicate = "duplicate" // a re-delivery of a stored referral
	ResultRefused   = "refused"   // not a valid referral: recorded with the rejects
	ResultFailed    = "failed"    // valid, but the store could not write it
)

// Options configure a Receiver.
type Options struct {
	Store     *store.Store
	Retention time.Duration // images older than this are purged; 0 = DefaultRetention
	// OnNew is called after a new referral is stored (not on duplicates);
	// it runs on the MQTT client's handler, so it must not block.
	OnNew func(store.Referral)
	// OnPurge is called after a purge that deleted images (central audits it).
	OnPurge  func(images int64, receivedBefore time.Time)
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Now      func() time.Time // tests
}

// Receiver stores the gates' referrals and purges their images.
type Receiver struct {
	opts    Options
	log     *slog.Logger
	mResult *prometheus.CounterVec
	mPurged prometheus.Counter
}

// New prepares a receiver; subscribe its Handle to Filter().
func New(o Options) *Receiver {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := promauto.With(o.Registry)
	r := &Receiver{opts: o, log: o.Logger.With("component", "referrals"),
		mResult: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_referrals_total",
			Help: "Referral messages from the gates, by result: stored, duplicate, refused (invalid), failed (not written)."},
			[]string{"result"}),
		mPurged: f.NewCounter(prometheus.CounterOpts{Name: "autogate_referral_images_purged_total",
			Help: "Referral images deleted after the retention."}),
	}
	for _, res := range []string{ResultStored, ResultDuplicate, ResultRefused, ResultFailed} {
		r.mResult.WithLabelValues(res) // shown as 0 from the start
	}
	return r
}

// Filter is the subscription for every gate's referrals.
func Filter() string { return wire.AllGates(wire.KindReferrals) }

// Handle is the paho handler for Filter(). It stores the message, then
// acknowledges it to the broker (ingest's client leaves that to each
// handler; a second Ack is harmless).
func (r *Receiver) Handle(_ mqtt.Client, m mqtt.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), handleTimeout)
	defer cancel()
	_ = r.Receive(ctx, m.Topic(), m.Payload()) // refusals and failures are logged and counted there
	m.Ack()
}

// Receive decodes one message from a referrals topic and stores it. A
// message that is not a valid referral is refused (the error says why)
// and recorded with the rejects; a re-delivery is not an error.
func (r *Receiver) Receive(ctx context.Context, topic string, payload []byte) error {
	now := r.opts.Now()
	gate, kind, err := wire.ParseGateTopic(topic)
	if err == nil && kind != wire.KindReferrals {
		err = fmt.Errorf("topic %q is not a referrals topic", topic)
	}
	if err != nil {
		return r.refuse(ctx, store.Reject{ReceivedAt: now, Topic: topic, Reason: store.ReasonBadTopic,
			Error: err.Error(), Size: len(payload)})
	}
	ref, err := wire.DecodeReferral(gate, payload)
	if err != nil {
		return r.refuse(ctx, store.Reject{ReceivedAt: now, Topic: topic, Gate: gate, Reason: store.DecodeRejectReason(err),
			Error: err.Error(), Size: len(payload)})
	}
	id := ref.Crossing.ID
	isNew, err := r.opts.Store.PutReferral(ctx, ref, now)
	if errors.Is(err, store.ErrReferralConflict) {
		return r.refuse(ctx, store.Reject{ReceivedAt: now, Topic: topic, Gate: gate, Reason: store.ReasonIDConflict,
			Error: err.Error(), Size: len(payload)})
	}
	if err != nil {
		r.mResult.WithLabelValues(ResultFailed).Inc()
		r.log.Error("cannot store a referral; the officers will not see it until its crossing record arrives",
			"gate", gate, "crossing", id, "err", err)
		return err
	}
	if !isNew {
		r.mResult.WithLabelValues(ResultDuplicate).Inc()
		r.log.Debug("referral delivered again", "gate", gate, "crossing", id)
		return nil
	}
	r.mResult.WithLabelValues(ResultStored).Inc()
	r.log.Info("referral received", "gate", gate, "post", ref.Crossing.Post, "crossing", id,
		"reasons", store.ReferReasons(ref.Crossing), "held_until", ref.HeldUntil)
	if r.opts.OnNew == nil {
		return nil
	}
	// Read back: the crossing record or an officer's command may already
	// be there, and the console shows the referral as the store holds it.
	stored, ok, err := r.opts.Store.Referral(ctx, id)
	if err != nil || !ok {
		r.log.Error("cannot read back a stored referral for the console", "crossing", id, "found", ok, "err", err)
		return nil
	}
	r.opts.OnNew(stored)
	return nil
}

// refuse counts, logs and records a refused message, and returns why.
func (r *Receiver) refuse(ctx context.Context, rej store.Reject) error {
	r.log.Warn("refused a referral message", "topic", rej.Topic, "reason", rej.Reason, "bytes", rej.Size, "err", rej.Error)
	if err := r.opts.Store.RecordRejects(ctx, []store.Reject{rej}); err != nil {
		r.log.Error("cannot record a refused referral message", "err", err)
	}
	r.mResult.WithLabelValues(ResultRefused).Inc() // after the record: a watcher of the count finds it
	return fmt.Errorf("%s: %s", rej.Reason, rej.Error)
}

// Purge deletes the referral images older than the retention, once, and
// reports how many it deleted.
func (r *Receiver) Purge(ctx context.Context) (int64, error) {
	before := r.opts.Now().Add(-r.opts.Retention)
	n, err := r.opts.Store.PurgeImages(ctx, before)
	if err != nil {
		r.log.Error("cannot purge referral images; biometric images are kept past their retention until it works",
			"before", before, "err", err)
		return 0, err
	}
	r.mPurged.Add(float64(n))
	level := slog.LevelDebug
	if n > 0 {
		level = slog.LevelInfo
		if r.opts.OnPurge != nil {
			r.opts.OnPurge(n, before)
		}
	}
	r.log.Log(ctx, level, "purged referral images", "images", n, "received_before", before, "retention", r.opts.Retention)
	return n, nil
}

// RunPurge purges at once and then every PurgeEvery until ctx ends.
func (r *Receiver) RunPurge(ctx context.Context) {
	t := time.NewTicker(PurgeEvery)
	defer t.Stop()
	for {
		_, _ = r.Purge(ctx) // logged there; the next tick tries again
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

package uplink

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/internal/wire"
)

// DefaultReferralQueue is ReferralOptions.Depth when unset: referrals wait
// while one is being published; more pile up only when the broker stalls,
// and by then their travellers have mostly been settled.
const DefaultReferralQueue = 8

// ReferralOptions configure a Referrals sender.
type ReferralOptions struct {
	Gate string
	// Publish sends one message and waits for the broker (Uplink.Publish).
	Publish func(topic string, qos byte, retained bool, payload []byte) error
	// Connected reports whether the broker connection is up
	// (Uplink.Connected); nil counts as always up.
	Connected func() bool
	Depth     int
	Logger    *slog.Logger
	Registry  prometheus.Registerer
}

// Referrals sends referred crossings live to the officers of the post, on
// the gate's referrals topic (QoS 1, not retained). It is best effort and
// never holds up the lane: Send only queues, and when the queue is full
// the oldest referral waiting is dropped. A referral dropped, or not sent
// because the link is down, loses nothing: the crossing itself travels
// through the outbox.
type Referrals struct {
	opts  ReferralOptions
	log   *slog.Logger
	queue chan wire.Referral
	mSent *prometheus.CounterVec
}

// NewReferrals prepares a sender; Run publishes what Send queues.
func NewReferrals(o ReferralOptions) *Referrals {
	if o.Depth <= 0 {
		o.Depth = DefaultReferralQueue
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	q := &Referrals{opts: o, log: o.Logger.With("component", "referrals"), queue: make(chan wire.Referral, o.Depth),
		mSent: promauto.With(o.Registry).NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_referrals_sent_total",
			Help: "Referrals sent live to the post's officers, or dropped (queue full, link down, broker refused)."}, []string{"result"})}
	q.mSent.WithLabelValues("sent")
	q.mSent.WithLabelValues("dropped")
	return q
}

// Send queues r without blocking (flow.Options.Referred).
func (q *Referrals) Send(r wire.Referral) {
	for {
		select {
		case q.queue <- r:
			return
		default:
		}
		select {
		case old := <-q.queue:
			q.drop(old, "the referral queue is full: dropped the oldest referral (its crossing still goes through the outbox)")
		default:
			// Run took one meanwhile: there is room now.
		}
	}
}

// Run publishes queued referrals until ctx ends.
func (q *Referrals) Run(ctx context.Context) error {
	topic := wire.GateTopic(q.opts.Gate, wire.KindReferrals)
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-q.queue:
			if q.opts.Connected != nil && !q.opts.Connected() {
				q.log.Info("not connected to central: referral not sent live (the crossing goes through the outbox)",
					"crossing", r.Crossing.ID, "seq", r.Crossing.Seq)
				q.mSent.WithLabelValues("dropped").Inc()
				continue
			}
			if err := q.opts.Publish(topic, 1, false, referralPayload(r, q.log)); err != nil {
				q.drop(r, "referral not sent live (the crossing goes through the outbox)", "err", err)
				continue
			}
			q.mSent.WithLabelValues("sent").Inc()
		}
	}
}

func (q *Referrals) drop(r wire.Referral, msg string, attrs ...any) {
	q.mSent.WithLabelValues("dropped").Inc()
	q.log.Warn(msg, append([]any{"crossing", r.Crossing.ID, "seq", r.Crossing.Seq}, attrs...)...)
}

// referralPayload encodes r within wire.MaxMessageBytes: two images at
// their largest, base64 in JSON, with a long record, could pass it, and
// central refuses the whole message then. The live capture goes first,
// then the chip's photo: the record alone still tells the officer why.
func referralPayload(r wire.Referral, log *slog.Logger) []byte {
	b := wire.Encode(r)
	for _, img := range []*[]byte{&r.LiveCapture, &r.ChipPhoto} {
		if len(b) <= wire.MaxMessageBytes {
			break
		}
		log.Warn("referral too large for one message: an image is left out", "crossing", r.Crossing.ID, "bytes", len(b), "limit", wire.MaxMessageBytes)
		*img = nil
		b = wire.Encode(r)
	}
	return b
}

package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/gate-agent/internal/store"
	"autogate/internal/wire"
)

// Options configure the uplink.
type Options struct {
	Broker         string // tcp://host:port
	Gate           string
	AckTimeout     time.Duration // republish what central has not acknowledged by then
	MaxInflight    int           // published but unacknowledged crossings at most
	Heartbeat      time.Duration // status refresh interval
	ConnectTimeout time.Duration
	// Status returns the gate's current status; the uplink fills in the
	// version, state, time and outbox depth.
	Status func() wire.Status
	// TLS, when set, is the client side of a tls:// broker: central's CA
	// and the gate's own certificate.
	TLS *tls.Config
	// Subscriptions are further topics (filters) to subscribe to at QoS 1
	// on every connection, besides the gate's acks: commands, updates,
	// fleet-wide topics. Handlers run on paho's goroutines.
	Subscriptions map[string]mqtt.MessageHandler
	Logger        *slog.Logger
	Registry      prometheus.Registerer
}

// Uplink publishes a gate's outbox to central.
type Uplink struct {
	opts   Options
	store  *store.Store
	client mqtt.Client
	log    *slog.Logger

	kick  chan struct{}
	acks  chan []string
	done  chan struct{} // closed when Run returns, so late acks never block paho
	epoch atomic.Int64  // incremented on every (re)connection

	mu    sync.Mutex
	depth int

	mPublished prometheus.Counter
	mAcked     prometheus.Counter
	mRejected  *prometheus.CounterVec
	mDepth     prometheus.Gauge
	mConnected prometheus.Gauge
}

// New prepares an uplink; Run connects it.
func New(opts Options, st *store.Store) *Uplink {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	f := promauto.With(opts.Registry)
	u := &Uplink{
		opts:  opts,
		store: st,
		log:   opts.Logger.With("component", "uplink", "broker", opts.Broker),
		kick:  make(chan struct{}, 1),
		acks:  make(chan []string, 256),
		done:  make(chan struct{}),
		mPublished: f.NewCounter(prometheus.CounterOpts{Name: "autogate_gate_crossings_published_total",
			Help: "Crossing publications to central, including republications."}),
		mAcked: f.NewCounter(prometheus.CounterOpts{Name: "autogate_gate_crossings_acked_total",
			Help: "Crossings released from the outbox on central's acknowledgement."}),
		mRejected: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_messages_rejected_total",
			Help: "Messages from central refused, by reason."}, []string{"reason"}),
		mDepth: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_outbox_depth",
			Help: "Crossings recorded but not yet acknowledged by central."}),
		mConnected: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_mqtt_connected",
			Help: "1 while the gate is connected to the broker."}),
	}
	u.client = mqtt.NewClient(u.clientOptions())
	return u
}

func (u *Uplink) clientOptions() *mqtt.ClientOptions {
	will := wire.Status{V: wire.SchemaVersion, Gate: u.opts.Gate, State: wire.StateOffline, At: time.Now().UTC()}
	o := mqtt.NewClientOptions().
		AddBroker(u.opts.Broker).
		SetClientID("autogate-gate-"+u.opts.Gate).
		// Unacknowledged crossings live in the gate's SQLite outbox, not in
		// the broker session: a clean session plus republishing is enough.
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10*time.Second).
		SetKeepAlive(10*time.Second).
		SetPingTimeout(5*time.Second).
		SetConnectTimeout(u.opts.ConnectTimeout).
		SetWriteTimeout(5*time.Second).
		SetOrderMatters(false).
		SetTLSConfig(u.opts.TLS).
		SetBinaryWill(wire.GateTopic(u.opts.Gate, wire.KindStatus), wire.Encode(will), 1, true).
		SetOnConnectHandler(u.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			u.mConnected.Set(0)
			u.log.Warn("lost the broker; crossings stay in the outbox until it is back", "err", err)
		})
	return o
}

func (u *Uplink) onConnect(c mqtt.Client) {
	u.mConnected.Set(1)
	u.log.Info("connected to the broker")
	subs := map[string]mqtt.MessageHandler{wire.GateTopic(u.opts.Gate, wire.KindAcks): u.onAck}
	for topic, h := range u.opts.Subscriptions {
		subs[topic] = h
	}
	for topic, h := range subs {
		t := c.Subscribe(topic, 1, h)
		if !t.WaitTimeout(u.opts.ConnectTimeout) || t.Error() != nil {
			u.log.Error("subscribing failed; will retry on reconnect", "topic", topic, "err", t.Error())
			c.Disconnect(0)
			return
		}
	}
	u.publishStatus(wire.StateOnline)
	u.epoch.Add(1)
	u.poke()
}

func (u *Uplink) onAck(_ mqtt.Client, m mqtt.Message) {
	ack, err := wire.DecodeAck(m.Payload())
	if err != nil {
		u.mRejected.WithLabelValues(rejectReason(err)).Inc()
		u.log.Warn("refused an ack from central", "topic", m.Topic(), "err", err)
		return
	}
	select {
	case u.acks <- ack.IDs:
	case <-u.done:
	}
}

func rejectReason(err error) string {
	for _, e := range []error{wire.ErrTooLarge, wire.ErrMalformed, wire.ErrUnknownVersion, wire.ErrInvalid} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "other"
}

// Kick tells the uplink the outbox has a new row.
func (u *Uplink) Kick() { u.poke() }

func (u *Uplink) poke() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// Publish sends one message on the gate's connection (QoS 1 unless told
// otherwise) and waits for the broker to take it.
func (u *Uplink) Publish(topic string, qos byte, retained bool, payload []byte) error {
	if !u.client.IsConnectionOpen() {
		return errors.New("not connected to the broker")
	}
	t := u.client.Publish(topic, qos, retained, payload)
	if !t.WaitTimeout(5 * time.Second) {
		return fmt.Errorf("publishing on %s: the broker did not confirm in 5s", topic)
	}
	return t.Error()
}

// Connected reports whether the broker connection is up.
func (u *Uplink) Connected() bool { return u.client.IsConnectionOpen() }

// Depth is the outbox depth last seen.
func (u *Uplink) Depth() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.depth
}

func (u *Uplink) status(state string) wire.Status {
	var s wire.Status
	if u.opts.Status != nil {
		s = u.opts.Status()
	}
	s.V, s.Gate, s.State, s.At = wire.SchemaVersion, u.opts.Gate, state, time.Now().UTC()
	s.OutboxDepth = u.Depth()
	return s
}

func (u *Uplink) publishStatus(state string) {
	t := u.client.Publish(wire.GateTopic(u.opts.Gate, wire.KindStatus), 1, true, wire.Encode(u.status(state)))
	if !t.WaitTimeout(5*time.Second) || t.Error() != nil {
		u.log.Warn("publishing status failed", "err", t.Error())
	}
}

// Run connects and drains the outbox until ctx ends, then publishes the
// gate's offline status and disconnects.
func (u *Uplink) Run(ctx context.Context) error {
	u.refreshDepth(ctx)
	u.client.Connect() // with ConnectRetry this keeps trying in the background
	defer func() {
		close(u.done)
		if u.client.IsConnectionOpen() {
			u.publishStatus(wire.StateOffline)
		}
		u.client.Disconnect(500)
		u.mConnected.Set(0)
	}()

	heartbeat := time.NewTicker(u.opts.Heartbeat)
	defer heartbeat.Stop()
	retry := time.NewTicker(u.opts.AckTimeout / 4)
	defer retry.Stop()

	inflight := map[string]time.Time{} // crossing id → first publication in this epoch
	var lastSeq int64                  // highest seq published in this epoch
	var epoch int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case ids := <-u.acks:
			n, err := u.store.Release(ctx, ids)
			if err != nil {
				u.log.Error("releasing acknowledged crossings failed; they will be republished", "err", err)
			}
			u.mAcked.Add(float64(n))
			for _, id := range ids {
				delete(inflight, id)
			}
			u.refreshDepth(ctx)
		case <-u.kick:
			u.refreshDepth(ctx)
		case <-retry.C:
			// Go back N: anything unacknowledged past the timeout is
			// republished in order, with everything after it.
			for _, sent := range inflight {
				if time.Since(sent) > u.opts.AckTimeout {
					u.log.Warn("central has not acknowledged in time; republishing the unacknowledged crossings",
						"ack_timeout", u.opts.AckTimeout, "inflight", len(inflight))
					clear(inflight)
					lastSeq = 0
					break
				}
			}
		case <-heartbeat.C:
			u.refreshDepth(ctx)
			if u.client.IsConnectionOpen() {
				u.publishStatus(wire.StateOnline)
			}
		}
		if !u.client.IsConnectionOpen() {
			continue
		}
		if e := u.epoch.Load(); e != epoch {
			epoch = e
			clear(inflight)
			lastSeq = 0
		}
		var err error
		lastSeq, err = u.fill(ctx, inflight, lastSeq)
		if err != nil && ctx.Err() == nil {
			u.log.Warn("publishing crossings failed; will retry", "err", err)
		}
	}
}

// fill publishes outbox rows after lastSeq until MaxInflight are unacknowledged.
func (u *Uplink) fill(ctx context.Context, inflight map[string]time.Time, lastSeq int64) (int64, error) {
	for len(inflight) < u.opts.MaxInflight {
		items, err := u.store.Pending(ctx, lastSeq, u.opts.MaxInflight-len(inflight))
		if err != nil || len(items) == 0 {
			return lastSeq, err
		}
		tokens := make([]mqtt.Token, len(items))
		for i, it := range items {
			tokens[i] = u.client.Publish(wire.GateTopic(u.opts.Gate, wire.KindCrossings), 1, false, it.Payload)
		}
		seqs := make([]int64, 0, len(items))
		for i, t := range tokens {
			if !t.WaitTimeout(u.opts.AckTimeout) {
				return lastSeq, fmt.Errorf("broker did not confirm crossing %s in %s", items[i].ID, u.opts.AckTimeout)
			}
			if t.Error() != nil {
				return lastSeq, fmt.Errorf("publishing crossing %s: %w", items[i].ID, t.Error())
			}
			inflight[items[i].ID] = time.Now()
			lastSeq = items[i].Seq
			seqs = append(seqs, items[i].Seq)
			u.mPublished.Inc()
		}
		if err := u.store.MarkSent(ctx, seqs); err != nil {
			u.log.Warn("counting publish attempts failed", "err", err)
		}
	}
	return lastSeq, nil
}

func (u *Uplink) refreshDepth(ctx context.Context) {
	d, err := u.store.OutboxDepth(ctx)
	if err != nil {
		return
	}
	u.mu.Lock()
	u.depth = d
	u.mu.Unlock()
	u.mDepth.Set(float64(d))
}

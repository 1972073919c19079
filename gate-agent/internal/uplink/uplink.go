package uplink

import (
	"context"
	"crypto/tls"
	"encoding/json"
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
	BatchMax       int           // crossings per batch message at most (default DefaultBatchMax)
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
	mMessages  *prometheus.CounterVec
	mAcked     prometheus.Counter
	mRejected  *prometheus.CounterVec
	mDepth     prometheus.Gauge
	mConnected prometheus.Gauge
}

// DefaultBatchMax is Options.BatchMax when unset.
const DefaultBatchMax = 100

// maxBatchBytes bounds a batch message under central's limit, with room
// for the envelope.
const maxBatchBytes = wire.MaxMessageBytes - 8<<10

// New prepares an uplink; Run connects it.
func New(opts Options, st *store.Store) *Uplink {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BatchMax <= 0 {
		opts.BatchMax = DefaultBatchMax
	}
	opts.BatchMax = min(opts.BatchMax, wire.MaxBatchCrossings)
	if opts.MaxInflight <= 0 {
		opts.MaxInflight = opts.BatchMax
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
		mMessages: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_crossing_messages_published_total",
			Help: "Messages carrying crossings to central, by kind: batches, or crossings sent alone (too large or invalid for a batch)."},
			[]string{"kind"}),
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
		SetClientID(wire.GateClientID(u.opts.Gate)).
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
	s.HeartbeatS = max(1, int(u.opts.Heartbeat.Round(time.Second)/time.Second))
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

	var w window
	w.inflight = map[string]time.Time{}
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
				delete(w.inflight, id)
			}
			u.refreshDepth(ctx)
		case <-u.kick:
			u.refreshDepth(ctx)
		case <-retry.C:
			// Go back N: anything unacknowledged past the timeout is
			// republished in order, with everything after it.
			for _, sent := range w.inflight {
				if time.Since(sent) > u.opts.AckTimeout {
					u.log.Warn("central has not acknowledged in time; republishing the unacknowledged crossings",
						"ack_timeout", u.opts.AckTimeout, "inflight", len(w.inflight))
					w.rewind()
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
			// A new connection: what waits now is the backlog; whatever is
			// recorded from here on is live and overtakes it.
			mark, err := u.store.OutboxLastSeq(ctx)
			if err != nil {
				u.log.Warn("reading the outbox failed; will retry", "err", err)
				continue
			}
			epoch = e
			w.mark = mark
			w.rewind()
		}
		if err := u.fill(ctx, &w); err != nil && ctx.Err() == nil {
			u.log.Warn("publishing crossings failed; will retry", "err", err)
		}
	}
}

// window is what one connection has published and not yet seen acked.
//
// Fairness: after a long outage the backlog drains in seq order, but a
// traveller recorded meanwhile must not wait behind it. Rows above mark
// (the highest outbox seq when the connection came up) are live: every fill
// round publishes them first, then continues the backlog where it was.
type window struct {
	inflight map[string]time.Time // crossing id → publication in this epoch
	mark     int64                // backlog: seq ≤ mark; live: seq > mark
	backlog  int64                // highest backlog seq published
	live     int64                // highest live seq published
}

// rewind forgets what is in flight so that it is all published again.
func (w *window) rewind() {
	clear(w.inflight)
	w.backlog, w.live = 0, w.mark
}

// fill publishes outbox rows, live ones first, until MaxInflight crossings
// are unacknowledged or nothing is left.
func (u *Uplink) fill(ctx context.Context, w *window) error {
	for len(w.inflight) < u.opts.MaxInflight {
		room := min(u.opts.MaxInflight-len(w.inflight), u.opts.BatchMax)
		items, err := u.store.Pending(ctx, w.live, room)
		if err != nil {
			return err
		}
		live := len(items) > 0
		if !live {
			if w.backlog >= w.mark {
				return nil
			}
			if items, err = u.store.Pending(ctx, w.backlog, room); err != nil {
				return err
			}
			// Rows above the mark are live: the first branch sends them.
			for len(items) > 0 && items[len(items)-1].Seq > w.mark {
				items = items[:len(items)-1]
			}
			if len(items) == 0 {
				w.backlog = w.mark // the rest of the backlog was acked
				continue
			}
		}
		if err := u.publish(ctx, items, w.inflight); err != nil {
			return err
		}
		if last := items[len(items)-1].Seq; live {
			w.live = last
		} else {
			w.backlog = last
		}
	}
	return nil
}

// message is one MQTT publication of crossings.
type message struct {
	kind    string // wire.KindBatches, or wire.KindCrossings for a crossing alone
	payload []byte
	items   []store.Item
}

// pack groups items, in order, into batch messages of at most BatchMax
// crossings and maxBatchBytes. A crossing too large for a batch, or one
// that does not decode as this gate's, goes alone on the crossings topic:
// central then refuses (and counts) only that one, never its neighbours.
func (u *Uplink) pack(items []store.Item) []message {
	var out []message
	var cur []store.Item
	size := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, message{kind: wire.KindBatches, payload: u.batchPayload(cur), items: cur})
			cur, size = nil, 0
		}
	}
	for _, it := range items {
		_, err := wire.DecodeCrossing(u.opts.Gate, it.Payload)
		if err != nil || len(it.Payload)+batchEnvelope(u.opts.Gate) > maxBatchBytes {
			if err != nil {
				u.log.Error("an outbox crossing does not decode; sending it alone so that it holds up no other",
					"seq", it.Seq, "id", it.ID, "err", err)
			}
			flush()
			out = append(out, message{kind: wire.KindCrossings, payload: it.Payload, items: []store.Item{it}})
			continue
		}
		if len(cur) == u.opts.BatchMax || size+len(it.Payload)+1+batchEnvelope(u.opts.Gate) > maxBatchBytes {
			flush()
		}
		cur = append(cur, it)
		size += len(it.Payload) + 1
	}
	flush()
	return out
}

// batchEnvelope is the size of a batch's JSON without its crossings.
func batchEnvelope(gate string) int { return len(`{"v":1,"gate":"","crossings":[]}`) + len(gate) }

// batchPayload writes a wire.CrossingBatch around stored payloads, which
// are already the crossings' JSON: no decode and re-encode per crossing.
func (u *Uplink) batchPayload(items []store.Item) []byte {
	n := batchEnvelope(u.opts.Gate)
	for _, it := range items {
		n += len(it.Payload) + 1
	}
	b := make([]byte, 0, n)
	gate, _ := json.Marshal(u.opts.Gate) // a string always encodes
	b = fmt.Appendf(b, `{"v":%d,"gate":%s,"crossings":[`, wire.SchemaVersion, gate)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.Payload...)
	}
	return append(b, "]}"...)
}

// publish sends items (pipelined, QoS 1), waits for the broker to take
// them, and counts them in flight.
func (u *Uplink) publish(ctx context.Context, items []store.Item, inflight map[string]time.Time) error {
	msgs := u.pack(items)
	tokens := make([]mqtt.Token, len(msgs))
	for i, m := range msgs {
		tokens[i] = u.client.Publish(wire.GateTopic(u.opts.Gate, m.kind), 1, false, m.payload)
	}
	var seqs []int64
	defer func() {
		if err := u.store.MarkSent(ctx, seqs); err != nil {
			u.log.Warn("counting publish attempts failed", "err", err)
		}
	}()
	for i, t := range tokens {
		m := msgs[i]
		if !t.WaitTimeout(u.opts.AckTimeout) {
			return fmt.Errorf("broker did not confirm %d crossing(s) from seq %d in %s", len(m.items), m.items[0].Seq, u.opts.AckTimeout)
		}
		if t.Error() != nil {
			return fmt.Errorf("publishing %d crossing(s) from seq %d: %w", len(m.items), m.items[0].Seq, t.Error())
		}
		now := time.Now()
		for _, it := range m.items {
			inflight[it.ID] = now
			seqs = append(seqs, it.Seq)
		}
		u.mPublished.Add(float64(len(m.items)))
		u.mMessages.WithLabelValues(m.kind).Inc()
	}
	return nil
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

package ingest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// Defaults for Config.
const (
	DefaultMaxBatch   = 256
	DefaultMaxWait    = 10 * time.Millisecond
	DefaultAckTimeout = 3 * time.Second
)

// Config configures an Ingest.
type Config struct {
	// BrokerURL is tcp://host:port of the broker (embedded or external).
	BrokerURL string
	// ClientID is the MQTT client id; empty means "autogate-central-" plus
	// random hex, so several central processes never take over each other.
	ClientID string
	Store    *store.Store
	Logger   *slog.Logger          // nil: slog.Default()
	Metrics  prometheus.Registerer // nil: metrics are kept but not exported
	// MaxBatch and MaxWait bound one store transaction: what arrives within
	// MaxWait of the first message, up to MaxBatch crossings (a status or a
	// refused message counts as one).
	MaxBatch int
	MaxWait  time.Duration
	// AckTimeout bounds the wait for the broker to take an ack. An ack lost
	// to a broker outage is harmless: the gate republishes and is acked again.
	AckTimeout time.Duration
	// OnChange, when set, is called after each commit that changed something.
	OnChange func(Change)
	// TLS, when set, is central's client side of a tls:// broker.
	TLS *tls.Config
	// Extra are further subscriptions (QoS 1, re-made on every connection)
	// for central's other parts: command acks, resync requests. Their
	// handlers run on paho's goroutines and must not block for long.
	Extra map[string]mqtt.MessageHandler
}

// Change says what a commit changed, so a dashboard refreshes only that.
type Change struct {
	Crossings bool // new crossings stored
	Gates     bool // a gate's status or counters changed
	Rejects   bool // messages were refused
}

// item is one message on its way from the MQTT callback to the batcher.
type item struct {
	mqttMsg mqtt.Message // nil for messages injected by tests
	msg     Message
	rej     *Rejection
	at      time.Time
}

// Ingest receives, stores and acknowledges the gates' messages.
type Ingest struct {
	cfg     Config
	log     *slog.Logger
	client  mqtt.Client
	metrics *metrics

	in       chan item
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	started  atomic.Bool

	connected  atomic.Bool
	subscribed atomic.Bool
	subMu      sync.Mutex
	subCh      chan struct{} // closed when subscriptions are active, replaced on connection loss
}

// New prepares an Ingest; Start connects it.
func New(cfg Config) (*Ingest, error) {
	if cfg.Store == nil {
		return nil, errors.New("ingest: no store")
	}
	if cfg.BrokerURL == "" {
		return nil, errors.New("ingest: no broker URL")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.ClientID == "" {
		var b [6]byte
		rand.Read(b[:])
		cfg.ClientID = "autogate-central-" + hex.EncodeToString(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	in := &Ingest{
		cfg:     cfg,
		log:     log.With("component", "ingest"),
		metrics: m,
		in:      make(chan item, 4*cfg.MaxBatch),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		subCh:   make(chan struct{}),
	}
	opts := mqtt.NewClientOptions().
		AddBroker(cfg.BrokerURL).
		SetClientID(cfg.ClientID).
		SetTLSConfig(cfg.TLS).
		// A clean session: after a reconnect central re-subscribes and the
		// gates' republishing brings back whatever was in flight.
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(15 * time.Second).
		SetConnectTimeout(5 * time.Second).
		// Callbacks run concurrently and only hand messages to the batcher;
		// order does not matter since the store inserts by id.
		SetOrderMatters(false).
		// PUBACK only once the message is committed (or refused).
		SetAutoAckDisabled(true).
		SetOnConnectHandler(in.onConnect).
		SetConnectionLostHandler(in.onConnectionLost).
		SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
			in.log.Info("reconnecting to MQTT broker", "broker", cfg.BrokerURL)
		})
	in.client = mqtt.NewClient(opts)
	return in, nil
}

// Start starts the batcher and connects. It does not wait for the broker:
// if it is not up yet, ingest keeps trying in the background (see
// WaitSubscribed).
func (in *Ingest) Start() error {
	if !in.started.CompareAndSwap(false, true) {
		return errors.New("ingest: already started")
	}
	go in.run()
	go in.watch()
	in.client.Connect() // with ConnectRetry the token completes only once connected
	in.log.Info("connecting to MQTT broker", "broker", in.cfg.BrokerURL, "client_id", in.cfg.ClientID)
	return nil
}

// watchInterval is how often a missing broker connection is logged.
const watchInterval = 10 * time.Second

// watch logs, while it lasts, that central is not receiving from the
// broker: paho retries silently, and a deaf central must not look healthy.
func (in *Ingest) watch() {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-in.stop:
			return
		case <-t.C:
			if !in.Subscribed() {
				in.log.Warn("not receiving from the MQTT broker; still trying. Check that the broker runs and is reachable",
					"broker", in.cfg.BrokerURL, "connected", in.Connected())
			}
		}
	}
}

// Connected reports whether the MQTT connection is up.
func (in *Ingest) Connected() bool { return in.connected.Load() }

// Subscribed reports whether the subscriptions of the current connection are
// active, i.e. gates' messages are being received.
func (in *Ingest) Subscribed() bool { return in.subscribed.Load() }

// WaitSubscribed waits until the subscriptions are active.
func (in *Ingest) WaitSubscribed(ctx context.Context) error {
	in.subMu.Lock()
	ch := in.subCh
	in.subMu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: not subscribed on %s: %w (is the broker running?)", in.cfg.BrokerURL, ctx.Err())
	}
}

var subscriptions = map[string]byte{
	wire.AllGates(wire.KindCrossings): 1,
	wire.AllGates(wire.KindBatches):   1,
	wire.AllGates(wire.KindStatus):    1,
}

// onConnect runs in its own goroutine after every (re)connection. A
// refused or unanswered subscription is retried with backoff while the
// connection lasts: without it central would be connected but deaf.
func (in *Ingest) onConnect(c mqtt.Client) {
	in.connected.Store(true)
	in.metrics.connected.Set(1)
	backoff := time.Second
	for {
		err := subscribe(c, in.onMessage, in.cfg.Extra)
		if err == nil {
			break
		}
		in.log.Error("subscribing to the gates' topics failed; retrying (check the broker's ACL for central)",
			"broker", in.cfg.BrokerURL, "retry_in", backoff, "error", err)
		select {
		case <-time.After(backoff):
		case <-in.stop:
			return
		}
		if !c.IsConnectionOpen() {
			return // the next onConnect takes over
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	in.subscribed.Store(true)
	in.subMu.Lock()
	select {
	case <-in.subCh:
	default:
		close(in.subCh)
	}
	in.subMu.Unlock()
	in.log.Info("subscribed to the gates' crossings and statuses", "broker", in.cfg.BrokerURL)
}

func subscribe(c mqtt.Client, handler mqtt.MessageHandler, extra map[string]mqtt.MessageHandler) error {
	// The extra topics first: mochi refuses (0x91) a SUBSCRIBE whose packet
	// id equals one of its own deliveries still unacknowledged, and the
	// retained statuses that the main subscription brings are acked only
	// after their commit.
	for topic, h := range extra {
		// Auto-ack is off for the crossings' sake: confirm the extra
		// topics' messages once their handler returns.
		acked := func(c mqtt.Client, m mqtt.Message) { h(c, m); m.Ack() }
		if err := waitSubscribe(c.Subscribe(topic, 1, acked)); err != nil {
			return err
		}
	}
	if err := waitSubscribe(c.SubscribeMultiple(subscriptions, handler)); err != nil {
		return err
	}
	return nil
}

func waitSubscribe(tok mqtt.Token) error {
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("no SUBACK within 10s")
	}
	if err := tok.Error(); err != nil {
		return err
	}
	if st, ok := tok.(*mqtt.SubscribeToken); ok {
		for topic, code := range st.Result() {
			if code >= 0x80 {
				return fmt.Errorf("broker refused the subscription to %s (code %#x)", topic, code)
			}
		}
	}
	return nil
}

// Publish sends one message on central's connection and waits for the
// broker to take it (QoS 1 unless told otherwise).
func (in *Ingest) Publish(topic string, qos byte, retained bool, payload []byte) error {
	if !in.client.IsConnectionOpen() {
		return fmt.Errorf("not connected to the MQTT broker %s", in.cfg.BrokerURL)
	}
	tok := in.client.Publish(topic, qos, retained, payload)
	if !tok.WaitTimeout(in.cfg.AckTimeout) {
		return fmt.Errorf("publishing on %s: the broker did not confirm in %s", topic, in.cfg.AckTimeout)
	}
	return tok.Error()
}

func (in *Ingest) onConnectionLost(_ mqtt.Client, err error) {
	// New wait channel first, so whoever sees Subscribed() false and then
	// calls WaitSubscribed waits for the next subscription.
	in.subMu.Lock()
	select {
	case <-in.subCh:
		in.subCh = make(chan struct{})
	default:
	}
	in.subMu.Unlock()
	in.subscribed.Store(false)
	in.connected.Store(false)
	in.metrics.connected.Set(0)
	in.log.Warn("lost the MQTT broker; reconnecting with backoff", "broker", in.cfg.BrokerURL, "error", err)
}

// onMessage runs on paho's goroutines: it classifies and hands over.
func (in *Ingest) onMessage(_ mqtt.Client, m mqtt.Message) {
	msg, rej := Classify(m.Topic(), m.Payload())
	in.submit(item{mqttMsg: m, msg: msg, rej: rej, at: time.Now()})
}

// submit hands one item to the batcher; it blocks while the batcher is
// behind and gives up once Stop has begun (the gate will resend).
func (in *Ingest) submit(it item) {
	if it.rej != nil {
		in.metrics.rejected.WithLabelValues(it.rej.Reason).Inc()
		in.log.Warn("refused message", "topic", it.rej.Topic, "reason", it.rej.Reason, "bytes", it.rej.Size, "error", it.rej.Err)
	} else {
		in.metrics.received.WithLabelValues(it.msg.Kind).Inc()
	}
	select {
	case in.in <- it:
	case <-in.stop:
	}
}

// Stop unsubscribes, stores and acknowledges everything already received,
// and disconnects. ctx bounds the whole stop.
func (in *Ingest) Stop(ctx context.Context) error {
	if !in.started.Load() {
		return nil
	}
	var err error
	in.stopOnce.Do(func() {
		if in.client.IsConnectionOpen() {
			tok := in.client.Unsubscribe(wire.AllGates(wire.KindCrossings), wire.AllGates(wire.KindBatches), wire.AllGates(wire.KindStatus))
			tok.WaitTimeout(2 * time.Second)
		}
		close(in.stop)
		select {
		case <-in.done:
		case <-ctx.Done():
			err = fmt.Errorf("ingest: stop: the last batch did not finish: %w", ctx.Err())
		}
		in.client.Disconnect(250)
		in.connected.Store(false)
		in.subscribed.Store(false)
		in.metrics.connected.Set(0)
	})
	return err
}

// run is the batcher: the only goroutine that writes to the store.
func (in *Ingest) run() {
	defer close(in.done)
	for {
		var first item
		select {
		case first = <-in.in:
		case <-in.stop:
			in.drain()
			return
		}
		batch := []item{first}
		n := first.weight()
		timer := time.NewTimer(in.cfg.MaxWait)
	collect:
		for n < in.cfg.MaxBatch {
			select {
			case it := <-in.in:
				batch = append(batch, it)
				n += it.weight()
			case <-timer.C:
				break collect
			case <-in.stop:
				break collect // flush now; the next round drains the rest
			}
		}
		timer.Stop()
		in.flush(batch)
	}
}

// drain flushes whatever was already handed over when Stop began.
func (in *Ingest) drain() {
	for {
		var batch []item
		n := 0
	fill:
		for n < in.cfg.MaxBatch {
			select {
			case it := <-in.in:
				batch = append(batch, it)
				n += it.weight()
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		in.flush(batch)
	}
}

// weight is what an item costs in a store transaction: its crossings, or
// one for a status or a refused message.
func (it item) weight() int {
	if it.rej == nil && it.msg.Batch != nil {
		return max(1, len(it.msg.Batch.Crossings))
	}
	return 1
}

// flush commits one batch, then acknowledges it: PUBACKs to the broker and
// wire.Acks to the gates.
func (in *Ingest) flush(batch []item) {
	var b store.Batch
	b.ReceivedAt = time.Now()
	for _, it := range batch {
		switch {
		case it.rej != nil:
			b.Rejects = append(b.Rejects, store.Reject{
				ReceivedAt: it.at, Topic: it.rej.Topic, Gate: it.rej.Gate,
				Reason: it.rej.Reason, Error: truncate(it.rej.Err.Error(), 500), Size: it.rej.Size,
			})
		case it.msg.Crossing != nil || it.msg.Batch != nil:
			// Every crossing is acked on its own gate's topic, which wire
			// checked against the message's topic.
			b.Crossings = append(b.Crossings, it.msg.Crossings()...)
		case it.msg.Status != nil:
			b.Statuses = append(b.Statuses, *it.msg.Status)
		case it.msg.Cleared:
			in.log.Info("retained status cleared on the broker", "gate", it.msg.Gate)
		}
	}
	in.metrics.batchSize.Observe(float64(len(batch)))
	in.metrics.txCrossings.Observe(float64(len(b.Crossings)))

	res, err := in.apply(b)
	// PUBACK in every case: with a clean session the broker would not
	// redeliver anyway; the gate's republishing is what recovers a failure.
	for _, it := range batch {
		if it.mqttMsg != nil {
			it.mqttMsg.Ack()
		}
	}
	if err != nil {
		in.metrics.storeErrors.Inc()
		in.log.Error("storing a batch failed; its crossings are not acknowledged and the gates will resend them. Check free disk space and permissions of the database",
			"db", in.cfg.Store.Path(), "messages", len(batch), "error", err)
		return
	}
	in.metrics.stored.Add(float64(res.Inserted))
	in.metrics.duplicates.Add(float64(res.Duplicates))
	if res.Conflicts > 0 {
		in.metrics.rejected.WithLabelValues(store.ReasonIDConflict).Add(float64(res.Conflicts))
	}
	if res.Unstorable > 0 {
		in.metrics.rejected.WithLabelValues(store.ReasonUnstorable).Add(float64(res.Unstorable))
	}

	// Acknowledge, per gate, every crossing now durably held.
	acks := map[string][]string{}
	var gateOrder []string
	for i, out := range res.Outcomes {
		c := &b.Crossings[i]
		switch out {
		case store.Inserted, store.Duplicate:
			if _, ok := acks[c.Gate]; !ok {
				gateOrder = append(gateOrder, c.Gate)
			}
			acks[c.Gate] = append(acks[c.Gate], c.ID)
		case store.Conflict:
			in.log.Warn("refused crossing: its id is already stored for another gate", "gate", c.Gate, "id", c.ID)
		case store.Unstorable:
			in.log.Warn("refused crossing: it cannot be stored", "gate", c.Gate, "id", c.ID)
		}
	}
	in.publishAcks(gateOrder, acks)

	if in.cfg.OnChange != nil {
		ch := Change{
			Crossings: res.Inserted > 0,
			Gates:     res.Inserted > 0 || res.Duplicates > 0 || len(b.Statuses) > 0,
			Rejects:   len(b.Rejects) > 0 || res.Conflicts > 0 || res.Unstorable > 0,
		}
		if ch.Crossings || ch.Gates || ch.Rejects {
			in.cfg.OnChange(ch)
		}
	}
}

// apply writes the batch, retrying briefly: a busy or momentarily full disk
// should not cost the gates a resend round.
func (in *Ingest) apply(b store.Batch) (store.Result, error) {
	var err error
	for attempt, wait := range []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond} {
		if wait > 0 {
			time.Sleep(wait)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		var res store.Result
		res, err = in.cfg.Store.Apply(ctx, b)
		cancel()
		if err == nil {
			in.metrics.commitSeconds.Observe(time.Since(start).Seconds())
			return res, nil
		}
		in.log.Warn("store commit failed; retrying", "attempt", attempt+1, "error", err)
	}
	return store.Result{}, err
}

func (in *Ingest) publishAcks(gates []string, acks map[string][]string) {
	type pending struct {
		gate string
		n    int
		tok  mqtt.Token
	}
	var toks []pending
	for _, gate := range gates {
		ids := acks[gate]
		payload := wire.Encode(wire.Ack{V: wire.SchemaVersion, IDs: ids, At: time.Now().UTC()})
		toks = append(toks, pending{gate, len(ids), in.client.Publish(wire.GateTopic(gate, wire.KindAcks), 1, false, payload)})
	}
	for _, p := range toks {
		if !p.tok.WaitTimeout(in.cfg.AckTimeout) {
			in.metrics.ackFailures.Inc()
			in.log.Warn("ack not confirmed by the broker in time; the gate will resend and be acked again", "gate", p.gate, "ids", p.n)
			continue
		}
		if err := p.tok.Error(); err != nil {
			in.metrics.ackFailures.Inc()
			in.log.Warn("ack not published; the gate will resend and be acked again", "gate", p.gate, "ids", p.n, "error", err)
			continue
		}
		in.metrics.acked.Add(float64(p.n))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

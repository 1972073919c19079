// Package brokertest holds the MQTT client side of central's broker tests
// (the embedded broker's and the Mosquitto configuration's): paho clients
// that connect, subscribe and publish with the failures the tests need to
// see, and an inbox of what they received.
package brokertest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// LockedBuffer is a bytes.Buffer safe for a logger and a test at once.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ErrConnectTimeout: the broker neither accepted nor refused in time.
var ErrConnectTimeout = errors.New("connect timed out")

// Dial connects an MQTT 3.1.1 client (as the gates' paho is) without
// automatic reconnection, so a refusal is final and counted once (paho
// would otherwise retry a refused connect as MQTT 3.1). cfg nil means
// plain TCP.
func Dial(url, id string, cfg *tls.Config, opts ...func(*mqtt.ClientOptions)) (mqtt.Client, error) {
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetTLSConfig(cfg).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetOrderMatters(true)
	for _, fn := range opts {
		fn(o)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, ErrConnectTimeout
	}
	return c, tok.Error()
}

// MustDial is Dial that fails the test on error and disconnects at its end.
func MustDial(t *testing.T, url, id string, cfg *tls.Config, opts ...func(*mqtt.ClientOptions)) mqtt.Client {
	t.Helper()
	c, err := Dial(url, id, cfg, opts...)
	if err != nil {
		t.Fatalf("connecting %s to %s: %v", id, url, err)
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// Subscribe subscribes to filters at QoS 1 and returns the SUBACK code of
// each: the granted QoS, or 0x80 for a refusal.
func Subscribe(t *testing.T, c mqtt.Client, h mqtt.MessageHandler, filters ...string) map[string]byte {
	t.Helper()
	m := map[string]byte{}
	for _, f := range filters {
		m[f] = 1
	}
	tok := c.SubscribeMultiple(m, h)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %v: %v", filters, tok.Error())
	}
	return tok.(*mqtt.SubscribeToken).Result()
}

// Publish publishes at QoS 1 and waits for the broker's PUBACK.
func Publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish on %s: %v", topic, tok.Error())
	}
}

// Inbox records what a subscriber receives, by topic.
type Inbox struct {
	mu   sync.Mutex
	msgs map[string][]string
}

// NewInbox returns an empty inbox.
func NewInbox() *Inbox { return &Inbox{msgs: map[string][]string{}} }

// Handler is the message handler to subscribe with.
func (in *Inbox) Handler(_ mqtt.Client, m mqtt.Message) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs[m.Topic()] = append(in.msgs[m.Topic()], string(m.Payload()))
}

// All returns the payloads received on topic, in order.
func (in *Inbox) All(topic string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.msgs[topic])
}

// Count is how many messages arrived on topic.
func (in *Inbox) Count(topic string) int { return len(in.All(topic)) }

// Has says whether payload arrived on topic.
func (in *Inbox) Has(topic, payload string) bool { return slices.Contains(in.All(topic), payload) }

// Wait waits up to 5 s for payload on topic.
func (in *Inbox) Wait(t *testing.T, topic, payload string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !in.Has(topic, payload) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on %s (got %q)", payload, topic, in.All(topic))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"autogate/internal/wire"
)

// DefaultListen is where the embedded broker listens unless told otherwise;
// DefaultTLSListen when it speaks TLS (MQTT's registered TLS port).
const (
	DefaultListen    = "127.0.0.1:1883"
	DefaultTLSListen = "127.0.0.1:8883"
)

// MaxPacketBytes is the largest MQTT packet the broker accepts. It leaves
// room above wire.MaxMessageBytes so an oversized message still reaches
// ingest and is refused and counted there, while a runaway client cannot
// make the broker buffer megabytes.
const MaxPacketBytes = 4 * wire.MaxMessageBytes

// Options configure the embedded broker.
type Options struct {
	// Listen is the TCP address, host:port; port 0 picks a free one.
	Listen string
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
	// TLS, when set, makes the listener speak MQTT over TLS (pki.ServerTLS:
	// client certificates required).
	TLS *tls.Config
	// Auth authenticates clients and checks topic ACLs (NewCertAuth); nil
	// allows every client every topic.
	Auth mqtt.Hook
}

// Broker is a running embedded broker.
type Broker struct {
	srv       *mqtt.Server
	addr      string
	tls       bool
	closeOnce sync.Once
}

// Start starts the broker and returns once its listener is open.
func Start(opts Options) (*Broker, error) {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = MaxPacketBytes
	// A refused subscription answers 0x80, the only failure code MQTT 3.1.1
	// (paho, the gates) knows; mochi's default 0x87 exists only in MQTT 5.
	caps.Compatibilities.ObscureNotAuthorized = true
	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		Logger:       slog.New(quietHandler{logger.Handler()}).With("component", "mqtt-broker"),
	})
	authHook := opts.Auth
	if authHook == nil {
		authHook = new(auth.AllowHook)
	}
	if err := srv.AddHook(authHook, nil); err != nil {
		return nil, fmt.Errorf("broker: adding auth hook %s: %w", authHook.ID(), err)
	}
	var tcp listeners.Listener = listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: opts.Listen})
	if opts.TLS != nil {
		failed := func(remote string, err error) {
			logger.Warn("MQTT client refused in the TLS handshake", "remote", remote, "error", err)
		}
		if ca, ok := authHook.(*CertAuth); ok {
			failed = ca.handshakeFailed
		}
		tcp = newTLSListener("tls", opts.Listen, opts.TLS, failed)
	}
	if err := srv.AddListener(tcp); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: listening for MQTT on %s: %w", opts.Listen, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: starting on %s: %w", opts.Listen, err)
	}
	return &Broker{srv: srv, addr: tcp.Address(), tls: opts.TLS != nil}, nil
}

// Addr is the address the broker listens on (with the real port when
// Options.Listen asked for port 0).
func (b *Broker) Addr() string { return b.addr }

// URL is the address as a client broker URL, tcp://host:port, or
// tls://host:port when the broker speaks TLS.
func (b *Broker) URL() string {
	if b.tls {
		return "tls://" + b.addr
	}
	return "tcp://" + b.addr
}

// Clients counts the connected clients.
func (b *Broker) Clients() int {
	n := 0
	for _, cl := range b.srv.Clients.GetAll() {
		if !cl.Closed() && cl.ID != mqtt.InlineClientId {
			n++
		}
	}
	return n
}

// Close disconnects every client and stops listening. It is safe to call
// more than once.
func (b *Broker) Close() error {
	var err error
	b.closeOnce.Do(func() { err = b.srv.Close() })
	return err
}

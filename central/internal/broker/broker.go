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

// DefaultListen is where the embedded broker listens unless told otherwise.
const DefaultListen = "127.0.0.1:1883"

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
	// TLS, when set, makes the listener speak MQTT over TLS. Not wired to the
	// command line yet: gate certificates come with the fleet PKI.
	TLS *tls.Config
	// Auth authenticates clients and checks topic ACLs; nil allows every
	// client every topic. This is where per-gate credentials and the
	// "publish only under your own gate id" rule will plug in.
	Auth mqtt.Hook
}

// Broker is a running embedded broker.
type Broker struct {
	srv       *mqtt.Server
	addr      string
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
	tcp := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: opts.Listen, TLSConfig: opts.TLS})
	if err := srv.AddListener(tcp); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: listening for MQTT on %s: %w", opts.Listen, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: starting on %s: %w", opts.Listen, err)
	}
	return &Broker{srv: srv, addr: tcp.Address()}, nil
}

// Addr is the address the broker listens on (with the real port when
// Options.Listen asked for port 0).
func (b *Broker) Addr() string { return b.addr }

// URL is the address as a client broker URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

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

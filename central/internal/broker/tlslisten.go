package broker

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// handshakeTimeout bounds a client's TLS handshake, so a connection that
// never speaks cannot hold a goroutine.
const handshakeTimeout = 10 * time.Second

// tlsListener is a mochi listener that completes each TLS handshake itself
// before handing the connection to the broker. mochi's own TCP listener
// leaves the handshake to the first read, where a refused certificate is
// only an anonymous "connection ended"; here it is logged and counted as a
// denial.
type tlsListener struct {
	id, address string
	cfg         *tls.Config
	failed      func(remote string, err error)

	mu     sync.Mutex
	ln     net.Listener
	log    *slog.Logger
	end    atomic.Bool
	cancel context.CancelFunc
	ctx    context.Context
}

func newTLSListener(id, address string, cfg *tls.Config, failed func(string, error)) *tlsListener {
	ctx, cancel := context.WithCancel(context.Background())
	return &tlsListener{id: id, address: address, cfg: cfg, failed: failed, ctx: ctx, cancel: cancel}
}

func (l *tlsListener) ID() string       { return l.id }
func (l *tlsListener) Protocol() string { return "tcp" }

func (l *tlsListener) Address() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.address
}

func (l *tlsListener) Init(log *slog.Logger) error {
	ln, err := net.Listen("tcp", l.address)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ln, l.log = ln, log
	l.mu.Unlock()
	return nil
}

func (l *tlsListener) Serve(establish listeners.EstablishFn) {
	for !l.end.Load() {
		raw, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.handle(raw, establish)
	}
}

func (l *tlsListener) handle(raw net.Conn, establish listeners.EstablishFn) {
	conn := tls.Server(raw, l.cfg)
	ctx, cancel := context.WithTimeout(l.ctx, handshakeTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	if err != nil {
		conn.Close()
		if !l.end.Load() {
			l.failed(raw.RemoteAddr().String(), err)
		}
		return
	}
	if l.end.Load() {
		conn.Close()
		return
	}
	if err := establish(l.id, conn); err != nil {
		l.log.Warn("", "error", err) // mochi's convention; quietHandler rewords it
	}
}

func (l *tlsListener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.end.CompareAndSwap(false, true) {
		l.cancel()
		closeClients(l.id)
	}
	if l.ln != nil {
		l.ln.Close()
	}
}

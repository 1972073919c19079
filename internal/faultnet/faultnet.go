package faultnet

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a proxy did since it started.
type Stats struct {
	Accepted   int64 // connections accepted and forwarded to the target
	Refused    int64 // connections closed at once because the link was cut
	DialErrors int64 // connections closed because the target did not answer
	Cut        int64 // connections reset by Cut
	Active     int64 // connections open now
	BytesUp    int64 // bytes forwarded client → target
	BytesDown  int64 // bytes forwarded target → client
}

// DialTimeout bounds the connection to the target for each accepted client.
const DialTimeout = 5 * time.Second

// Proxy forwards every connection made to Addr to the target.
type Proxy struct {
	target string
	ln     net.Listener

	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed on Resume; replaced on Pause
	cut     bool
	closed  bool
	conns   map[*link]struct{}
	wg      sync.WaitGroup

	accepted, refused, dialErrors, cutConns, active, up, down atomic.Int64
}

// link is one client connection and its connection to the target.
type link struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{} // closed when the link is closed
}

func (l *link) close(reset bool) {
	l.once.Do(func() {
		if reset {
			// SO_LINGER 0: the peers see a reset, as when a cable is pulled
			// and the far end has given up, not a polite goodbye.
			for _, c := range []net.Conn{l.client, l.server} {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
			}
		}
		l.client.Close()
		l.server.Close()
		close(l.done)
	})
}

// Listen starts a proxy on a free loopback port that forwards to target
// (host:port). The target need not be up yet: it is dialled per connection.
func Listen(target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, errors.New("faultnet: target " + target + " is not host:port")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, conns: map[*link]struct{}{}, resumed: make(chan struct{})}
	close(p.resumed)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		cut, closed := p.cut, p.closed
		p.mu.Unlock()
		if cut || closed {
			p.refused.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, DialTimeout)
	if err != nil {
		p.dialErrors.Add(1)
		client.Close()
		return
	}
	l := &link{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.cut || p.closed {
		// Cut while dialling: this connection never happened.
		p.mu.Unlock()
		p.refused.Add(1)
		l.close(true)
		return
	}
	p.conns[l] = struct{}{}
	p.mu.Unlock()
	p.accepted.Add(1)
	p.active.Add(1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(l, server, client, &p.up) }()
	go func() { defer wg.Done(); p.pump(l, client, server, &p.down) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
	p.active.Add(-1)
}

// pump copies src to dst, holding bytes while the proxy is paused. Either
// side ending ends the link: MQTT has no use for half-closed connections.
func (p *Proxy) pump(l *link, dst, src net.Conn, n *atomic.Int64) {
	defer l.close(false)
	buf := make([]byte, 32<<10)
	for {
		if !p.wait(l) {
			return
		}
		k, err := src.Read(buf)
		if k > 0 {
			// Bytes read just before a Pause are held too: nothing moves
			// while paused, in either direction.
			if !p.wait(l) {
				return
			}
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
			n.Add(int64(k))
		}
		if err != nil {
			return
		}
	}
}

// wait blocks while the proxy is paused; false when the link closed.
func (p *Proxy) wait(l *link) bool {
	for {
		p.mu.Lock()
		paused, resumed := p.paused, p.resumed
		p.mu.Unlock()
		if !paused {
			select {
			case <-l.done:
				return false
			default:
				return true
			}
		}
		select {
		case <-resumed:
		case <-l.done:
			return false
		}
	}
}

// Pause stops forwarding in both directions; connections stay open and
// new ones are accepted (and hang) until Resume.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused {
		p.paused = true
		p.resumed = make(chan struct{})
	}
}

// Resume forwards again, starting with the bytes held.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.paused = false
		close(p.resumed)
	}
}

// Cut resets every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	links := p.openLinks()
	p.mu.Unlock()
	for _, l := range links {
		l.close(true)
	}
	p.cutConns.Add(int64(len(links)))
}

// openLinks lists the open links; the caller holds p.mu.
func (p *Proxy) openLinks() []*link {
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	return links
}

// Restore accepts connections again after a Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Paused reports whether the link is paused.
func (p *Proxy) Paused() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.paused }

// IsCut reports whether the link is cut.
func (p *Proxy) IsCut() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.cut }

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	return Stats{Accepted: p.accepted.Load(), Refused: p.refused.Load(), DialErrors: p.dialErrors.Load(),
		Cut: p.cutConns.Load(), Active: p.active.Load(), BytesUp: p.up.Load(), BytesDown: p.down.Load()}
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	links := p.openLinks()
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close(false)
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

package web

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Event names sent on /events; each names the part of the data that changed.
const (
	EventCrossings = "crossings"
	EventGates     = "gates"
	EventRejects   = "rejects"
	// EventReferrals: a referral arrived, or one changed (a command was
	// sent on it, its crossing record came); consoles re-read their queue.
	EventReferrals = "referrals"
	// EventCommands: a gate acknowledged a command; consoles re-read the
	// open referral and the gates panel.
	EventCommands = "commands"
)

// eventOrder is the order the events of one round go out in.
var eventOrder = []string{EventCrossings, EventGates, EventRejects, EventReferrals, EventCommands}

// NotifyReferral tells the consoles a referral arrived or changed. The
// notice names no post and carries no data: each console re-reads what
// its own session may see.
func (s *Server) NotifyReferral() { s.hub.notify(EventReferrals) }

// NotifyCommand tells the consoles a gate acknowledged a command.
func (s *Server) NotifyCommand() { s.hub.notify(EventCommands) }

// MinEventInterval spaces the notices: whatever arrives meanwhile is merged
// into the next one, so a burst of crossings costs each browser at most a
// few refreshes per second.
const MinEventInterval = 250 * time.Millisecond

// hub fans coalesced change notices out to the connected browsers.
type hub struct {
	mu      sync.Mutex
	clients map[chan string]struct{}
	pending map[string]bool
	kick    chan struct{}
	closed  chan struct{}
	once    sync.Once
}

func newHub() *hub {
	h := &hub{
		clients: map[chan string]struct{}{},
		pending: map[string]bool{},
		kick:    make(chan struct{}, 1),
		closed:  make(chan struct{}),
	}
	go h.loop()
	return h
}

func (h *hub) notify(events ...string) {
	h.mu.Lock()
	for _, e := range events {
		h.pending[e] = true
	}
	h.mu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

func (h *hub) loop() {
	for {
		select {
		case <-h.kick:
		case <-h.closed:
			return
		}
		h.mu.Lock()
		events := make([]string, 0, len(h.pending))
		for _, e := range eventOrder {
			if h.pending[e] {
				events = append(events, e)
			}
		}
		clear(h.pending)
		for ch := range h.clients {
			for _, e := range events {
				select {
				case ch <- e:
				default: // a stalled browser misses a notice; its next one refreshes it
				}
			}
		}
		h.mu.Unlock()
		select {
		case <-time.After(MinEventInterval):
		case <-h.closed:
			return
		}
	}
}

func (h *hub) subscribe() chan string {
	ch := make(chan string, 8)
	h.mu.Lock()
	h.clients[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *hub) unsubscribe(ch chan string) {
	h.mu.Lock()
	delete(h.clients, ch)
	h.mu.Unlock()
}

func (h *hub) clientCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *hub) close() { h.once.Do(func() { close(h.closed) }) }

// heartbeat keeps idle streams from being cut by proxies.
const heartbeat = 15 * time.Second

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary requests; a stream is open
	// for as long as the page is.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	ch := s.hub.subscribe()
	defer s.hub.unsubscribe(ch)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		s.log.Warn("event stream cannot flush", "error", err)
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.hub.closed:
			return
		case e := <-ch:
			_, err = fmt.Fprintf(w, "event: %s\ndata: {}\n\n", e)
		case <-tick.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

package docreader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tarm/serial"

	"autogate/drivers/device"
)

// readPoll is how long one read of the port waits for a byte. The termios
// read timer (VTIME) counts in tenths of a second, so this is its finest
// step; it is also how often the driver notices a silent line or Close.
const readPoll = 100 * time.Millisecond

// garbageLogEvery spaces the warnings about bytes outside frames.
const garbageLogEvery = 10 * time.Second

// errHungUp: the port returned end-of-file at once, again and again, which a
// tty does once hung up (its USB device unplugged, its pseudo-terminal's
// other side closed). A live line with nothing to say makes each read wait
// for readPoll instead.
var errHungUp = errors.New("the port hung up (end of file without waiting)")

// Options tune a Serial driver; the zero value is usable.
type Options struct {
	// Logger receives frame drops, reconnections and ignored frames
	// (default slog.Default()).
	Logger *slog.Logger
	// Registerer, when set, receives the driver's metrics.
	Registerer prometheus.Registerer
	// QueueLength bounds the documents read and not yet taken by Read
	// (default 4); beyond it the oldest is discarded, with a warning.
	QueueLength int
	// ReopenMin and ReopenMax bound the exponential backoff between
	// attempts to reopen a lost port (default 100 ms and 5 s).
	ReopenMin, ReopenMax time.Duration
}

// Stats counts what a Serial driver saw since it started.
type Stats struct {
	Documents    int                // MRZ reads delivered to the queue
	Barcodes     int                // barcode frames, ignored
	EmptyReads   int                // frames without any MRZ line, ignored
	Dropped      map[DropReason]int // bad frames (and garbage runs) by reason
	GarbageBytes int                // bytes outside any frame
	Reconnects   int                // times the port was lost and reopened
	OpenFailures int                // failed attempts to open the port
}

// Serial drives an OCR MRZ reader on a serial port (RS-232 or USB-CDC) that
// emits each read unsolicited, in the framing its profile names. A goroutine
// reads the port, decodes frames and queues documents for Read; it reopens
// the port with exponential backoff when the port is lost.
type Serial struct {
	name    string // "docreader rte6701", the prefix of every error
	port    string
	cfg     device.SerialConfig
	framing Framing
	opts    Options
	log     *slog.Logger
	metrics *serialMetrics

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	up       bool   // the port is open
	downWhy  string // why it is not, for errors and health
	stalled  string // a frame was cut off by silence: the device stopped answering ("" if not)
	lastDrop string // the last frame dropped as bad, until a good one arrives ("" if none)
	docs     []Document
	health   device.Health
	// garbageLogged is when skipped bytes were last logged; garbageUnlogged
	// counts those skipped since.
	garbageLogged   time.Time
	garbageUnlogged int
	stats           Stats
	firstOpen       chan struct{} // closed once the first open attempt is over

	stop chan struct{}
	done chan struct{}
}

var _ Reader = (*Serial)(nil)

// NewSerial opens the reader described by profile p (kind docreader, driver
// "serial" or "serial-sim") on port, e.g. a /dev/serial/by-id link. A port
// that cannot be opened yet is not an error: the driver starts disconnected,
// says why in Health, and keeps trying.
func NewSerial(p device.Profile, port string, opts Options) (*Serial, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("docreader serial driver: invalid profile:\n%w", err)
	}
	if p.Device.Kind != device.KindDocReader {
		return nil, fmt.Errorf("docreader serial driver: profile %s describes a %s, not a docreader", p.Name(), p.Device.Kind)
	}
	cfg, err := p.Serial()
	if err != nil {
		return nil, fmt.Errorf("docreader serial driver: %w", err)
	}
	if port == "" {
		return nil, fmt.Errorf("docreader %s: no serial port given; set devices.docreader.port in the gate file to the reader's port", p.Name())
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = 4
	}
	if opts.ReopenMin <= 0 {
		opts.ReopenMin = 100 * time.Millisecond
	}
	if opts.ReopenMax < opts.ReopenMin {
		opts.ReopenMax = max(5*time.Second, opts.ReopenMin)
	}
	s := &Serial{
		name:      "docreader " + p.Name(),
		port:      port,
		cfg:       cfg,
		framing:   Framing(cfg.Framing),
		opts:      opts,
		changed:   make(chan struct{}),
		stats:     Stats{Dropped: map[DropReason]int{}},
		firstOpen: make(chan struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		downWhy:   "not opened yet",
	}
	s.log = opts.Logger.With("device", s.name, "port", port, "framing", cfg.Framing)
	if opts.Registerer != nil {
		m, err := newSerialMetrics(opts.Registerer, p.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: registering metrics: %w", s.name, err)
		}
		s.metrics = m
	}
	if p.Device.Firmware != "" {
		s.log.Info("the profile names a firmware version, but this framing never reports one: not checked", "firmware", p.Device.Firmware)
	}
	s.refreshHealth()
	go s.run()
	<-s.firstOpen
	return s, nil
}

// Read returns the next document read, oldest first. Documents read before
// the port was lost are still returned; with none queued, Read fails at once
// with device.ErrDisconnected while the port is lost.
func (s *Serial) Read(ctx context.Context) (Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch {
		case s.closed:
			return Document{}, fmt.Errorf("%s: read: %w", s.name, device.ErrClosed)
		case len(s.docs) > 0:
			doc := s.docs[0]
			s.docs = s.docs[1:]
			return doc, nil
		case !s.up:
			return Document{}, fmt.Errorf("%s: read: %w: %s; check its cable and power: reads work again once it is back",
				s.name, device.ErrDisconnected, s.downWhy)
		}
		if err := ctx.Err(); err != nil {
			if s.stalled != "" {
				return Document{}, fmt.Errorf("%s: read: %w: %s: %w; power-cycle the reader if this persists", s.name, device.ErrTimeout, s.stalled, err)
			}
			return Document{}, fmt.Errorf("%s: read: waiting for a document: %w", s.name, err)
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-changed:
		}
		s.mu.Lock()
	}
}

// Health reports the reader: disconnected while the port is lost, failed
// after a frame was cut off by silence (until the next good frame), degraded
// after a bad frame (until the next good one), else ok.
func (s *Serial) Health() device.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// Stats returns the counts since the driver started.
func (s *Serial) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Dropped = make(map[DropReason]int, len(s.stats.Dropped))
	for k, v := range s.stats.Dropped {
		st.Dropped[k] = v
	}
	return st
}

// Close stops the driver and closes the port; waiting Reads return
// device.ErrClosed. It returns once the port is closed.
func (s *Serial) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.refreshHealth()
	s.notify()
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	return nil
}

// notify wakes every waiter (lock held).
func (s *Serial) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// refreshHealth derives the health from the state (lock held); Since moves
// only when the state changes.
func (s *Serial) refreshHealth() {
	state, detail := device.StateOK, "reading "+s.port
	switch {
	case s.closed:
		state, detail = device.StateFailed, "driver closed"
	case !s.up:
		state, detail = device.StateDisconnected, s.downWhy
	case s.stalled != "":
		state, detail = device.StateFailed, s.stalled
	case s.lastDrop != "":
		state, detail = device.StateDegraded, "last frame dropped: "+s.lastDrop
	}
	if state != s.health.State || s.health.Since.IsZero() {
		s.health.Since = time.Now()
	}
	s.health.State, s.health.Detail = state, detail
	s.metrics.setUp(state)
}

func (s *Serial) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// sleep waits d or until Close; false if closed.
func (s *Serial) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop:
		return false
	case <-t.C:
		return true
	}
}

// nextBackoff doubles the wait between reopen attempts, within [lo, hi].
func nextBackoff(cur, lo, hi time.Duration) time.Duration {
	return min(max(2*cur, lo), hi)
}

func (s *Serial) open() (*serial.Port, error) {
	parity := map[string]serial.Parity{"none": serial.ParityNone, "odd": serial.ParityOdd, "even": serial.ParityEven}[s.cfg.Parity]
	return serial.OpenPort(&serial.Config{
		Name:        s.port,
		Baud:        s.cfg.Baud,
		ReadTimeout: readPoll,
		Size:        byte(s.cfg.DataBits),
		Parity:      parity,
		StopBits:    serial.StopBits(s.cfg.StopBits),
	})
}

// setDown records the port as lost (or not yet found) and wakes Reads.
func (s *Serial) setDown(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up, s.downWhy = false, why
	s.refreshHealth()
	s.notify()
}

func (s *Serial) setUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up, s.downWhy, s.stalled = true, "", ""
	s.refreshHealth()
	s.notify()
}

// run owns the port: open, read until it fails, reopen with backoff.
func (s *Serial) run() {
	defer close(s.done)
	first := true
	firstDone := func() {
		if first {
			first = false
			close(s.firstOpen)
		}
	}
	defer firstDone()
	backoff := time.Duration(0)
	wasUp := false
	for !s.stopping() {
		p, err := s.open()
		if err != nil {
			backoff = nextBackoff(backoff, s.opts.ReopenMin, s.opts.ReopenMax)
			s.mu.Lock()
			s.stats.OpenFailures++
			attempt := s.stats.OpenFailures
			s.mu.Unlock()
			why := fmt.Sprintf("cannot open serial port %s: %v; retrying in %v", s.port, err, backoff)
			s.setDown(why)
			if attempt == 1 || backoff == s.opts.ReopenMax && attempt%10 == 0 {
				s.log.Error("cannot open the reader's serial port; check devices.docreader.port, the cable and the port's permissions", "err", err, "retry_in", backoff)
			}
			firstDone()
			if !s.sleep(backoff) {
				return
			}
			continue
		}
		if wasUp {
			s.mu.Lock()
			s.stats.Reconnects++
			s.mu.Unlock()
			s.metrics.reconnect()
			s.log.Info("serial port reopened; reader back")
		}
		wasUp = true
		s.setUp()
		firstDone()
		opened := time.Now()
		err = s.readLoop(p)
		p.Close()
		if err == nil { // Close
			return
		}
		// A link that held for a while starts the backoff afresh; one that
		// fails at once keeps growing it, so a flapping port is not hammered.
		if time.Since(opened) >= s.opts.ReopenMax {
			backoff = 0
		}
		s.setDown(fmt.Sprintf("serial port %s lost: %v; reopening", s.port, err))
		s.log.Warn("serial port lost; reopening with backoff", "err", err)
	}
}

// readLoop reads the port until it fails (the error) or Close (nil).
func (s *Serial) readLoop(p *serial.Port) error {
	dec, _ := NewDecoder(s.framing) // the framing was validated with the profile
	buf := make([]byte, 512)
	var last time.Time // when the last byte arrived
	quick := 0
	for {
		if s.stopping() {
			return nil
		}
		start := time.Now()
		n, err := p.Read(buf)
		now := time.Now()
		if n > 0 {
			quick = 0
			if dec.Buffered() > 0 && now.Sub(last) >= s.cfg.InterByteTimeout {
				s.handle(dec.Flush(), now.Sub(last))
			}
			last = now
			s.handle(dec.Feed(buf[:n]), 0)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.handle(dec.Flush(), 0)
			return fmt.Errorf("reading: %w", err)
		}
		if n > 0 {
			continue
		}
		if now.Sub(start) < readPoll/4 {
			if quick++; quick >= 3 {
				s.handle(dec.Flush(), 0)
				return errHungUp
			}
		} else {
			quick = 0
		}
		if dec.Buffered() > 0 && now.Sub(last) >= s.cfg.InterByteTimeout {
			s.handle(dec.Flush(), now.Sub(last))
		}
	}
}

// handle acts on decoder results; silence is how long the line had been
// quiet when a Flush produced them (0 when not flushed for silence).
func (s *Serial) handle(rs []Result, silence time.Duration) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if e := r.Err; e != nil {
			s.metrics.drop(e)
			if e.Reason == DropGarbage {
				s.stats.GarbageBytes += e.Bytes
				s.stats.Dropped[DropGarbage]++
				// A wrong baud rate makes a stream of garbage: one line
				// per garbageLogEvery says how much.
				s.garbageUnlogged += e.Bytes
				if now := time.Now(); now.Sub(s.garbageLogged) >= garbageLogEvery {
					s.log.Warn("bytes outside any frame skipped; if this repeats, check the profile's framing and baud rate", "bytes", s.garbageUnlogged)
					s.garbageLogged, s.garbageUnlogged = now, 0
				}
				continue
			}
			s.stats.Dropped[e.Reason]++
			if e.Reason == DropIncomplete && silence > 0 {
				s.stalled = fmt.Sprintf("reader stopped answering in the middle of a frame (%d bytes, then %v of silence)", e.Bytes, silence.Round(time.Millisecond))
				s.log.Error("reader stopped answering mid-frame; frame dropped", "bytes", e.Bytes, "silence", silence)
			} else {
				s.lastDrop = e.Error()
				s.log.Warn("frame dropped", "reason", e.Reason, "bytes", e.Bytes, "detail", e.Detail)
			}
			continue
		}
		fr := r.Frame
		switch {
		case fr.Kind == FrameBarcode:
			s.stats.Barcodes++
			s.metrics.frame("barcode")
			s.log.Info("barcode frame ignored: the agent reads the MRZ only", "symbology", string(rune(fr.Symbology)), "bytes", len(fr.Data))
			continue
		case len(fr.Lines) == 0:
			s.stats.EmptyReads++
			s.metrics.frame("empty")
			s.log.Warn("reader sent a read without MRZ lines: the document was not read; the traveller should place it again")
		default:
			s.stats.Documents++
			s.metrics.frame("document")
			if len(s.docs) >= s.opts.QueueLength {
				s.log.Warn("document discarded: read but never taken; the queue is full", "queue", s.opts.QueueLength)
				s.docs = s.docs[1:]
			}
			s.docs = append(s.docs, Document{Lines: fr.Lines, At: time.Now()})
		}
		// A good frame: the reader is answering and the line is clean.
		s.stalled, s.lastDrop = "", ""
	}
	s.refreshHealth()
	s.notify()
}

// serialMetrics are the driver's Prometheus metrics; a nil *serialMetrics
// records nothing.
type serialMetrics struct {
	frames     *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	garbage    prometheus.Counter
	reconnects prometheus.Counter
	up         prometheus.Gauge
}

func newSerialMetrics(reg prometheus.Registerer, profile string) (*serialMetrics, error) {
	labels := prometheus.Labels{"profile": profile}
	m := &serialMetrics{
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autogate_docreader_frames_total",
			Help: "Good frames from the serial document reader, by kind (document, barcode, empty).", ConstLabels: labels}, []string{"kind"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autogate_docreader_frames_dropped_total",
			Help: "Frames dropped by the serial document reader's decoder, by reason (garbage counts runs of skipped bytes).", ConstLabels: labels}, []string{"reason"}),
		garbage: prometheus.NewCounter(prometheus.CounterOpts{Name: "autogate_docreader_garbage_bytes_total",
			Help: "Bytes outside any frame skipped by the serial document reader's decoder.", ConstLabels: labels}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "autogate_docreader_reconnects_total",
			Help: "Times the serial document reader's port was lost and reopened.", ConstLabels: labels}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "autogate_docreader_usable",
			Help: "1 while the serial document reader is usable (ok or degraded), else 0.", ConstLabels: labels}),
	}
	for _, c := range []prometheus.Collector{m.frames, m.dropped, m.garbage, m.reconnects, m.up} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range DropReasons() {
		m.dropped.WithLabelValues(string(r))
	}
	for _, k := range []string{"document", "barcode", "empty"} {
		m.frames.WithLabelValues(k)
	}
	return m, nil
}

func (m *serialMetrics) frame(kind string) {
	if m != nil {
		m.frames.WithLabelValues(kind).Inc()
	}
}

func (m *serialMetrics) drop(e *FrameError) {
	if m == nil {
		return
	}
	m.dropped.WithLabelValues(string(e.Reason)).Inc()
	if e.Reason == DropGarbage {
		m.garbage.Add(float64(e.Bytes))
	}
}

func (m *serialMetrics) reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

func (m *serialMetrics) setUp(state device.State) {
	if m == nil {
		return
	}
	if (device.Health{State: state}).Usable() {
		m.up.Set(1)
	} else {
		m.up.Set(0)
	}
}

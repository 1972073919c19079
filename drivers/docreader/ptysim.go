package docreader

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"autogate/drivers/device"
)

// ptyChunk is how many bytes the simulator writes at a time: a real reader's
// UART trickles bytes out, so a frame reaches the driver in several reads.
const ptyChunk = 16

// PTYSim is a simulated serial reader on a pseudo-terminal: it writes the
// same bytes, in the same framing, as the reader its profile describes, to a
// PTY whose other side the real Serial driver opens at Path. Documents are
// written in the order presented, each after the profile's place_ms +
// read_ms (scaled by the speed), at the profile's baud rate.
type PTYSim struct {
	name     string
	framing  Framing
	byteTime time.Duration // one byte on the line at the profile's baud rate, at speed 1
	readTime time.Duration // place_ms + read_ms at speed 1
	speed    device.Speed
	dir      string // holds the stable link
	link     string // Path: a symlink to the current PTY, like /dev/serial/by-id
	log      *slog.Logger

	mu        sync.Mutex
	changed   chan struct{}
	master    *os.File // the reader's side: written by the simulator
	slave     *os.File // kept open so the PTY, and its raw mode, outlive the driver's opens
	jobs      []ptyJob
	stalled   bool
	unplugged bool
	closed    bool
	sent      int // documents written whole

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// ptyJob is one thing to write, in order: a document, raw bytes, or the
// first half of a frame.
type ptyJob struct {
	lines   []string
	raw     []byte
	partial bool
}

// NewPTYSim starts a simulated reader for profile p (kind docreader, driver
// "serial-sim") at the given speed.
func NewPTYSim(p device.Profile, speed device.Speed) (*PTYSim, error) {
	if err := speed.Validate(); err != nil {
		return nil, fmt.Errorf("docreader PTY simulator: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("docreader PTY simulator: invalid profile:\n%w", err)
	}
	if p.Device.Kind != device.KindDocReader || p.Device.Driver != device.DriverSerialSim {
		return nil, fmt.Errorf("docreader PTY simulator: profile %s is a %s for driver %q; it needs a docreader profile with driver = %q",
			p.Name(), p.Device.Kind, p.Device.Driver, device.DriverSerialSim)
	}
	cfg, err := p.Serial()
	if err != nil {
		return nil, fmt.Errorf("docreader PTY simulator: %w", err)
	}
	dir, err := os.MkdirTemp("", "autogate-docreader-")
	if err != nil {
		return nil, fmt.Errorf("docreader PTY simulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &PTYSim{
		name:     "docreader simulator " + p.Name(),
		framing:  Framing(cfg.Framing),
		byteTime: cfg.FrameTime(),
		readTime: p.Delay("place_ms") + p.Delay("read_ms"),
		speed:    speed,
		dir:      dir,
		link:     filepath.Join(dir, "port"),
		log:      slog.Default().With("device", "docreader simulator "+p.Name()),
		changed:  make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	if err := s.plug(); err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, err
	}
	go s.writer()
	return s, nil
}

// SetLogger sends the simulator's warnings (documents it could not send,
// failed writes) to l instead of slog.Default().
func (s *PTYSim) SetLogger(l *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = l.With("device", s.name)
}

// Path is the port the driver opens: a link that stays put across Unplug
// and Replug while the PTY behind it changes.
func (s *PTYSim) Path() string { return s.link }

// plug creates a PTY in raw mode and points the link at it (lock held, or
// before the writer starts).
func (s *PTYSim) plug() error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("%s: opening a pseudo-terminal: %w", s.name, err)
	}
	// Raw from the start: bytes written before the driver opens the port
	// must not be cooked (CR turned into LF, lines held back).
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("%s: setting the pseudo-terminal raw: %w", s.name, err)
	}
	tmp := s.link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(slave.Name(), tmp); err == nil {
		err = os.Rename(tmp, s.link)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("%s: linking %s: %w", s.name, s.link, err)
	}
	s.master, s.slave = master, slave
	return nil
}

func (s *PTYSim) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *PTYSim) enqueue(j ptyJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.jobs = append(s.jobs, j)
	s.notify()
}

// Present queues a document, as a traveller placing it on the reader; the
// reader sends it after place_ms + read_ms. The lines are copied. Lines the
// reader could not have read (non-printable characters) are logged and
// dropped; over-long ones are cut as the reader would.
func (s *PTYSim) Present(lines []string) { s.enqueue(ptyJob{lines: slices.Clone(lines)}) }

// Garbage writes raw bytes to the line, in order with the documents: noise,
// a half-reset device, a wrong baud rate.
func (s *PTYSim) Garbage(b []byte) { s.enqueue(ptyJob{raw: slices.Clone(b)}) }

// PartialFrame writes the first half of a frame (the ICAO TD3 specimen) and
// nothing more, as a reader reset mid-transmission.
func (s *PTYSim) PartialFrame() { s.enqueue(ptyJob{partial: true}) }

// Stall makes the reader stop answering (true) or answer again (false). A
// stalled reader hangs halfway through its next frame; once it answers
// again it sends that document whole.
func (s *PTYSim) Stall(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalled = on
	s.notify()
}

// Unplug pulls the reader's cable: the PTY closes (the driver's reads fail)
// and the link disappears, as a /dev/serial/by-id link does. Documents not
// yet sent stay queued.
func (s *PTYSim) Unplug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unplugged || s.closed {
		return
	}
	s.unplugged = true
	os.Remove(s.link)
	s.master.Close()
	s.slave.Close()
	s.notify()
}

// Replug plugs the reader back in: a new PTY behind the same Path.
func (s *PTYSim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unplugged || s.closed {
		return nil
	}
	if err := s.plug(); err != nil {
		return err
	}
	s.unplugged = false
	s.notify()
	return nil
}

// Pending is the number of documents (and fault injections) not yet sent.
func (s *PTYSim) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// Sent is the number of documents written whole.
func (s *PTYSim) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Close stops the simulator and removes its PTY and link.
func (s *PTYSim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	if !s.unplugged {
		s.master.Close()
		s.slave.Close()
	}
	s.notify()
	s.mu.Unlock()
	<-s.done
	return os.RemoveAll(s.dir)
}

// await waits until cond holds (lock held, released while waiting); false
// once closed.
func (s *PTYSim) await(cond func() bool) bool {
	for !s.closed && !cond() {
		changed := s.changed
		s.mu.Unlock()
		<-changed
		s.mu.Lock()
	}
	return !s.closed
}

// frame lays out a document as the reader would send it.
func (s *PTYSim) frame(lines []string) ([]byte, error) {
	fr := Frame{Kind: FrameMRZ, Lines: lines, Flag: '0'}
	if s.framing == FramingRTENative {
		// The reader keeps the bottom three lines and cuts over-long
		// ones from the right (3M RTE6701-OEM manual, 9.1.1.2).
		if len(lines) > 3 {
			lines = lines[len(lines)-3:]
		}
		width := 44
		if len(lines) == 3 {
			width = 30
		}
		fr.Lines = make([]string, len(lines))
		for i, l := range lines {
			fr.Lines[i] = l[:min(len(l), width)]
		}
	}
	return Encode(s.framing, fr)
}

// writer sends the queued jobs in order.
func (s *PTYSim) writer() {
	defer close(s.done)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if !s.await(func() bool { return len(s.jobs) > 0 && !s.unplugged }) {
			return
		}
		j := s.jobs[0]
		var done bool
		switch {
		case j.raw != nil:
			done = s.write(j.raw, false)
		case j.partial:
			b, _ := s.frame([]string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"})
			done = s.write(b[:len(b)/2], false)
		default:
			b, err := s.frame(j.lines)
			if err != nil {
				s.log.Warn("document dropped: a reader could not have sent it", "err", err)
				done = true
				break
			}
			if !s.pause(s.readTime) {
				continue // unplugged or closed while reading: read it again once back
			}
			if done = s.write(b, true); done {
				s.sent++
			}
		}
		if done && len(s.jobs) > 0 {
			s.jobs = s.jobs[1:]
			s.notify()
		}
	}
}

// pause lets d (at speed 1) pass with the lock released; false if the
// reader was unplugged or closed meanwhile (lock held).
func (s *PTYSim) pause(d time.Duration) bool {
	d = s.speed.Scale(d)
	if d > 0 {
		s.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
		}
		s.mu.Lock()
	}
	return !s.closed && !s.unplugged
}

// write sends b in chunks at the line's pace (lock held, released while
// writing). A stalled reader stops halfway through a document frame and,
// once it answers again, starts the frame over. It reports whether b was
// written whole.
func (s *PTYSim) write(b []byte, document bool) bool {
	for off := 0; off < len(b); {
		if document && s.stalled && off >= len(b)/2 {
			if !s.await(func() bool { return !s.stalled || s.unplugged }) || s.unplugged {
				return false
			}
			off = 0 // the reader starts the frame over
			continue
		}
		end := min(off+ptyChunk, len(b))
		if document && s.stalled {
			end = min(end, len(b)/2)
		}
		if s.unplugged || s.closed {
			return false
		}
		m := s.master
		s.mu.Unlock()
		_, err := m.Write(b[off:end])
		s.mu.Lock()
		if err != nil {
			if !s.unplugged && !s.closed {
				s.log.Warn("write to the pseudo-terminal failed", "err", err)
			}
			return false
		}
		// The chunk takes its bytes' time on the line before the next.
		if end < len(b) && !s.pause(time.Duration(end-off)*s.byteTime) {
			return false
		}
		off = end
	}
	return true
}

package chipreader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/emrtd/pcsc"
	"autogate/drivers/emrtd/vpcd"
)

// Chip is a connection to one chip: it satisfies iso7816.Transport.
type Chip interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
	Close() error
}

// Reader waits for chips.
type Reader interface {
	// Connect blocks until a chip is in the field and connects to it.
	Connect(ctx context.Context) (Chip, error)
	Health() device.Health
	Close() error
}

// Card is the card side of a virtual chip (vchip.Chip satisfies it).
type Card = vpcd.Card

// AirTime models the contactless link: a fixed cost per exchange (frame
// delays, the reader's processing) and the bit rate for the bytes.
type AirTime struct {
	PerExchange time.Duration
	BitsPerSec  int // ISO/IEC 14443: 106, 212, 424 or 848 kbit/s
	Activation  time.Duration
}

// Of returns the air time of one exchange of n bytes (both directions).
func (a AirTime) Of(n int) time.Duration {
	d := a.PerExchange
	if a.BitsPerSec > 0 {
		// 14443 frames carry 8 data bits in 10 bit times (start, parity).
		d += time.Duration(int64(n) * 10 * int64(time.Second) / int64(a.BitsPerSec))
	}
	return d
}

// Sim is a reader with a virtual chip in its field.
type Sim struct {
	air   AirTime
	speed device.Speed

	mu      sync.Mutex
	card    Card
	present chan struct{} // closed while a card is present
	closed  bool
}

// NewSim returns an empty simulated reader.
func NewSim(air AirTime, speed device.Speed) *Sim {
	return &Sim{air: air, speed: speed, present: make(chan struct{})}
}

// Present puts a chip in the field (the traveller lays the document down).
func (s *Sim) Present(card Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.card == nil {
		close(s.present)
	}
	s.card = card
	if r, ok := card.(vpcd.Resetter); ok {
		r.Reset()
	}
}

// Remove takes the chip away.
func (s *Sim) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.card != nil {
		s.card = nil
		s.present = make(chan struct{})
	}
}

// Connect waits for a chip, then pays the activation time.
func (s *Sim) Connect(ctx context.Context) (Chip, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, device.ErrClosed
	}
	present := s.present
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("chip reader: no chip in the field: %w", ctx.Err())
	case <-present:
	}
	if err := s.speed.Sleep(ctx, s.air.Activation); err != nil {
		return nil, err
	}
	s.mu.Lock()
	card := s.card
	s.mu.Unlock()
	if card == nil {
		return nil, pcsc.ErrRemoved
	}
	return &simChip{s: s, card: card}, nil
}

// Health is always ok: the simulated reader has no cable to pull.
func (s *Sim) Health() device.Health { return device.Health{State: device.StateOK} }

// Close releases waiters.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

type simChip struct {
	s    *Sim
	card Card
}

// Transmit answers from the virtual card after the air time; a card that
// stops answering blocks until ctx ends, like a real one.
func (c *simChip) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.s.mu.Lock()
	gone := c.s.card != c.card
	c.s.mu.Unlock()
	if gone {
		return nil, pcsc.ErrRemoved
	}
	done := make(chan []byte, 1)
	go func() { done <- c.card.Process(apdu) }()
	var resp []byte
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("chip reader: chip did not answer: %w: %w", device.ErrTimeout, ctx.Err())
	case resp = <-done:
	}
	if err := c.s.speed.Sleep(ctx, c.s.air.Of(len(apdu)+len(resp))); err != nil {
		return nil, err
	}
	if len(resp) < 2 {
		return nil, fmt.Errorf("chip reader: chip answered %d bytes: %w", len(resp), device.ErrTimeout)
	}
	return resp, nil
}

func (c *simChip) Close() error { return nil }

// PCSC is a real reader driven through pcscd.
type PCSC struct {
	name string

	mu  sync.Mutex
	ctx *pcsc.Context
	hl  device.Health
}

// NewPCSC drives the first reader whose name contains name ("" = any).
func NewPCSC(name string) *PCSC {
	return &PCSC{name: name, hl: device.Health{State: device.StateOK, Since: time.Now()}}
}

func (p *PCSC) setHealth(st device.State, detail string) {
	if p.hl.State != st || p.hl.Detail != detail {
		p.hl = device.Health{State: st, Detail: detail, Since: time.Now()}
	}
}

// Connect waits for a chip on the reader and connects to it; pcscd
// restarting or the reader being replugged is retried until ctx ends.
func (p *PCSC) Connect(ctx context.Context) (Chip, error) {
	for {
		chip, err := p.connect(ctx)
		if err == nil {
			return chip, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if !errors.Is(err, pcsc.ErrNoService) && !errors.Is(err, pcsc.ErrNoReader) && !errors.Is(err, pcsc.ErrRemoved) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (p *PCSC) connect(ctx context.Context) (Chip, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx == nil {
		c, err := pcsc.Establish()
		if err != nil {
			p.setHealth(device.StateDisconnected, err.Error())
			return nil, err
		}
		p.ctx = c
	}
	reader, err := p.ctx.Find(p.name)
	if err == nil {
		err = p.ctx.WaitCard(ctx, reader)
	}
	var card *pcsc.Card
	if err == nil {
		card, err = p.ctx.Connect(reader)
	}
	if err != nil {
		if errors.Is(err, pcsc.ErrNoService) {
			p.ctx.Release()
			p.ctx = nil
		}
		if errors.Is(err, pcsc.ErrNoService) || errors.Is(err, pcsc.ErrNoReader) {
			p.setHealth(device.StateDisconnected, err.Error())
		}
		return nil, err
	}
	p.setHealth(device.StateOK, reader)
	return card, nil
}

// Health reports the reader's state as last seen.
func (p *PCSC) Health() device.Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hl
}

// Close releases the PC/SC context.
func (p *PCSC) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx != nil {
		err := p.ctx.Release()
		p.ctx = nil
		return err
	}
	return nil
}

// VPCDSim plugs presented virtual chips into pcscd through vpcd and reads
// them back through a real PC/SC connection.
type VPCDSim struct {
	*PCSC
	addr string

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewVPCDSim bridges to vpcd at addr ("" = vpcd.DefaultAddr) and reads
// through the reader whose name contains readerName.
func NewVPCDSim(addr, readerName string) *VPCDSim {
	if addr == "" {
		addr = vpcd.DefaultAddr
	}
	return &VPCDSim{PCSC: NewPCSC(readerName), addr: addr}
}

// Present connects the card to vpcd: pcscd then sees it in the reader.
func (v *VPCDSim) Present(card Card) {
	v.Remove()
	v.mu.Lock()
	defer v.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel, v.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		vpcd.Run(ctx, v.addr, card, nil, nil)
	}(v.done)
}

// Remove disconnects the card from vpcd and waits until pcscd has seen it
// leave, as a traveller takes a document off the reader before the next
// one lays theirs down: otherwise the next card would arrive under the
// previous card's session and its first command would fail.
func (v *VPCDSim) Remove() {
	v.mu.Lock()
	cancel, done := v.cancel, v.done
	v.cancel, v.done = nil, nil
	v.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	c, err := pcsc.Establish()
	if err != nil {
		return
	}
	defer c.Release()
	reader, err := c.Find(v.name)
	if err != nil {
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for present, err := c.CardPresent(reader); err == nil && present && time.Now().Before(deadline); present, err = c.CardPresent(reader) {
		time.Sleep(20 * time.Millisecond)
	}
}

// Close removes the card and releases PC/SC.
func (v *VPCDSim) Close() error {
	v.Remove()
	return v.PCSC.Close()
}

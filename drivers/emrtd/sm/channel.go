package sm

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"autogate/drivers/emrtd/iso7816"
)

// Channel is a Transport that protects every command it carries with a
// session and checks every response. GET RESPONSE after 61xx goes to the
// inner transport unprotected, below secure messaging.
type Channel struct {
	mu    sync.Mutex
	inner iso7816.Transport
	s     *Session
}

// NewChannel returns a channel protecting the traffic over inner with s.
func NewChannel(s *Session, inner iso7816.Transport) *Channel {
	return &Channel{inner: inner, s: s}
}

// Transport returns a *Channel protecting the traffic over inner with s.
func (s *Session) Transport(inner iso7816.Transport) iso7816.Transport {
	return NewChannel(s, inner)
}

// Session is the channel's current session.
func (c *Channel) Session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

// SetSession switches the channel to new keys (after Chip Authentication
// or PACE re-keyed the link).
func (c *Channel) SetSession(s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = s
}

// Inner is the transport under the channel.
func (c *Channel) Inner() iso7816.Transport { return c.inner }

// Transmit protects apdu, exchanges it and returns the checked, decrypted
// response. A transport failure aborts the session: whether the chip saw
// the command is unknown, so the counters may be out of step.
func (c *Channel) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s == nil {
		return nil, errors.New("sm: channel has no session")
	}
	cmd, err := iso7816.ParseCommand(apdu)
	if err != nil {
		return nil, err
	}
	wrapped, err := c.s.Wrap(cmd)
	if err != nil {
		return nil, err
	}
	b, err := wrapped.Bytes()
	if err != nil {
		return nil, err
	}
	resp, err := iso7816.Exchange(ctx, c.inner, b)
	if err != nil {
		c.s.mu.Lock()
		c.s.abort(err)
		c.s.mu.Unlock()
		return nil, err
	}
	plain, err := c.s.Unwrap(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return plain.Bytes(), nil
}

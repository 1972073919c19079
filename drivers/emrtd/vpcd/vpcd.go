package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// DefaultAddr is vpcd's first slot.
const DefaultAddr = "127.0.0.1:35963"

// ContactlessATR is the ATR PC/SC part 3 prescribes for an ISO 14443-4 card
// without historical bytes: 3B 80 80 01, then the check byte.
var ContactlessATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Card is the card side: one C-APDU in, one R-APDU out.
type Card interface {
	Process(apdu []byte) []byte
}

// Resetter is implemented by cards that drop their session state on a
// power cycle or reset (a real chip forgets its secure messaging keys).
type Resetter interface {
	Reset()
}

// Control frames from vpcd.
const (
	ctrlOff   = 0x00
	ctrlOn    = 0x01
	ctrlReset = 0x02
	ctrlATR   = 0x04
)

// maxFrame bounds a frame: an extended APDU with 64 KiB of data and a header.
const maxFrame = 65536 + 16

// Serve connects card to vpcd at addr and answers until ctx ends or the
// connection fails. A nil atr means ContactlessATR.
func Serve(ctx context.Context, addr string, card Card, atr []byte) error {
	if atr == nil {
		atr = ContactlessATR
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("vpcd: connecting to %s: %w (is pcscd running with vsmartcard-vpcd installed?)", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for {
		frame, err := readFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("vpcd: %s: %w", addr, err)
		}
		var reply []byte
		if len(frame) == 1 {
			switch frame[0] {
			case ctrlATR:
				reply = atr
			case ctrlOff, ctrlOn, ctrlReset:
				if r, ok := card.(Resetter); ok {
					r.Reset()
				}
				continue
			default:
				continue
			}
		} else {
			reply = card.Process(frame)
		}
		if err := writeFrame(conn, reply); err != nil {
			return fmt.Errorf("vpcd: %s: %w", addr, err)
		}
	}
}

// Run serves card, reconnecting with backoff whenever the connection fails
// (pcscd restarted, vpcd not yet listening), until ctx ends.
func Run(ctx context.Context, addr string, card Card, atr []byte, logf func(string, ...any)) error {
	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		err := Serve(ctx, addr, card, atr)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(start) > 5*time.Second {
			backoff = 100 * time.Millisecond
		}
		if logf != nil {
			logf("vpcd connection ended, retrying in %s: %v", backoff, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func readFrame(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n == 0 {
		return nil, errors.New("empty frame")
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func writeFrame(w io.Writer, payload []byte) error {
	if len(payload) > 0xFFFF {
		return fmt.Errorf("response of %d bytes exceeds a vpcd frame", len(payload))
	}
	buf := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(buf, uint16(len(payload)))
	copy(buf[2:], payload)
	_, err := w.Write(buf)
	return err
}

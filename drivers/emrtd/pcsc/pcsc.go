package pcsc

/*
#cgo pkg-config: libpcsclite
#include <stdlib.h>
#include <winscard.h>

// pcsc-lite's SCARD_PCI_T0/T1 are macros over globals; wrap them for cgo.
static const SCARD_IO_REQUEST *pci_for(DWORD proto) {
	return proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"autogate/drivers/device"
)

// Errors a caller may act on; others are wrapped *Error values.
var (
	ErrNoService = errors.New("pcsc: pcscd is not running (start it: pcscd, or systemctl start pcscd)")
	ErrNoReader  = errors.New("pcsc: no such reader")
	ErrNoCard    = errors.New("pcsc: no card in the field")
	ErrRemoved   = errors.New("pcsc: card removed")
)

// Error is a PC/SC return code with the call that failed.
type Error struct {
	Op   string
	Code uint32
}

func (e *Error) Error() string {
	return fmt.Sprintf("pcsc: %s: %s (0x%08X)", e.Op, C.GoString(C.pcsc_stringify_error(C.LONG(e.Code))), e.Code)
}

func check(op string, rv C.LONG) error {
	if rv == C.SCARD_S_SUCCESS {
		return nil
	}
	code := uint32(rv)
	base := &Error{Op: op, Code: code}
	switch code {
	case uint32(C.SCARD_E_NO_SERVICE), uint32(C.SCARD_E_SERVICE_STOPPED):
		return fmt.Errorf("%w: %w", ErrNoService, base)
	case uint32(C.SCARD_E_UNKNOWN_READER), uint32(C.SCARD_E_NO_READERS_AVAILABLE), uint32(C.SCARD_E_READER_UNAVAILABLE):
		return fmt.Errorf("%w: %w: %w", ErrNoReader, device.ErrDisconnected, base)
	case uint32(C.SCARD_E_NO_SMARTCARD), uint32(C.SCARD_W_UNPOWERED_CARD), uint32(C.SCARD_W_UNRESPONSIVE_CARD):
		return fmt.Errorf("%w: %w", ErrNoCard, base)
	case uint32(C.SCARD_W_REMOVED_CARD), uint32(C.SCARD_W_RESET_CARD):
		return fmt.Errorf("%w: %w", ErrRemoved, base)
	case uint32(C.SCARD_E_TIMEOUT):
		return fmt.Errorf("%w: %w", device.ErrTimeout, base)
	}
	return base
}

// Context is a connection to pcscd.
type Context struct {
	ctx C.SCARDCONTEXT
}

// Establish connects to pcscd.
func Establish() (*Context, error) {
	var c C.SCARDCONTEXT
	if err := check("SCardEstablishContext", C.SCardEstablishContext(C.SCARD_SCOPE_SYSTEM, nil, nil, &c)); err != nil {
		return nil, err
	}
	return &Context{ctx: c}, nil
}

// Release disconnects from pcscd.
func (c *Context) Release() error {
	return check("SCardReleaseContext", C.SCardReleaseContext(c.ctx))
}

// Readers lists the readers pcscd knows.
func (c *Context) Readers() ([]string, error) {
	var n C.DWORD
	rv := C.SCardListReaders(c.ctx, nil, nil, &n)
	if uint32(rv) == uint32(C.SCARD_E_NO_READERS_AVAILABLE) {
		return nil, nil
	}
	if err := check("SCardListReaders", rv); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if err := check("SCardListReaders", C.SCardListReaders(c.ctx, nil, (*C.char)(unsafe.Pointer(&buf[0])), &n)); err != nil {
		return nil, err
	}
	var out []string
	for _, s := range strings.Split(string(buf[:n]), "\x00") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Find returns the first reader whose name contains name ("" = the first reader).
func (c *Context) Find(name string) (string, error) {
	rs, err := c.Readers()
	if err != nil {
		return "", err
	}
	for _, r := range rs {
		if strings.Contains(r, name) {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: %q among %q", ErrNoReader, name, rs)
}

// WaitCard blocks until a card is present in the reader or ctx ends.
func (c *Context) WaitCard(ctx context.Context, reader string) error {
	cname := C.CString(reader)
	defer C.free(unsafe.Pointer(cname))
	var st C.SCARD_READERSTATE
	st.szReader = cname
	st.dwCurrentState = C.SCARD_STATE_UNAWARE
	for {
		// Short timeouts so ctx is honoured; SCardCancel would also do.
		rv := C.SCardGetStatusChange(c.ctx, 200, &st, 1)
		if uint32(rv) != uint32(C.SCARD_E_TIMEOUT) {
			if err := check("SCardGetStatusChange", rv); err != nil {
				return err
			}
		}
		if st.dwEventState&C.SCARD_STATE_PRESENT != 0 && st.dwEventState&C.SCARD_STATE_MUTE == 0 {
			return nil
		}
		st.dwCurrentState = st.dwEventState &^ C.SCARD_STATE_CHANGED
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// CardPresent reports whether a card is in the reader now.
func (c *Context) CardPresent(reader string) (bool, error) {
	cname := C.CString(reader)
	defer C.free(unsafe.Pointer(cname))
	var st C.SCARD_READERSTATE
	st.szReader = cname
	st.dwCurrentState = C.SCARD_STATE_UNAWARE
	rv := C.SCardGetStatusChange(c.ctx, 0, &st, 1)
	if uint32(rv) != uint32(C.SCARD_E_TIMEOUT) {
		if err := check("SCardGetStatusChange", rv); err != nil {
			return false, err
		}
	}
	return st.dwEventState&C.SCARD_STATE_PRESENT != 0, nil
}

// Card is a connection to the card in one reader; it implements
// iso7816.Transport.
type Card struct {
	mu     sync.Mutex
	c      *Context
	reader string
	h      C.SCARDHANDLE
	proto  C.DWORD
}

// Connect connects to the card in reader (exclusive: a gate's reader serves one traveller).
func (c *Context) Connect(reader string) (*Card, error) {
	cname := C.CString(reader)
	defer C.free(unsafe.Pointer(cname))
	card := &Card{c: c, reader: reader}
	err := check("SCardConnect", C.SCardConnect(c.ctx, cname, C.SCARD_SHARE_EXCLUSIVE,
		C.SCARD_PROTOCOL_T0|C.SCARD_PROTOCOL_T1, &card.h, &card.proto))
	if err != nil {
		return nil, fmt.Errorf("reader %q: %w", reader, err)
	}
	return card, nil
}

// ATR returns the card's answer to reset.
func (k *Card) ATR() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var atr [C.MAX_ATR_SIZE]C.uchar
	atrLen := C.DWORD(len(atr))
	var state, proto C.DWORD
	nameLen := C.DWORD(0)
	if err := check("SCardStatus", C.SCardStatus(k.h, nil, &nameLen, &state, &proto, &atr[0], &atrLen)); err != nil {
		return nil, err
	}
	return C.GoBytes(unsafe.Pointer(&atr[0]), C.int(atrLen)), nil
}

// maxResponse is the largest R-APDU: 65536 data bytes and SW1 SW2.
const maxResponse = 65538

// Transmit sends one C-APDU and returns the R-APDU. PC/SC calls cannot be
// interrupted, so ctx is checked before the call; the reader's own timeouts
// bound a card that stops answering.
func (k *Card) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(apdu) == 0 {
		return nil, errors.New("pcsc: empty APDU")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	resp := make([]byte, maxResponse)
	n := C.DWORD(len(resp))
	start := time.Now()
	rv := C.SCardTransmit(k.h, C.pci_for(k.proto), (*C.uchar)(unsafe.Pointer(&apdu[0])), C.DWORD(len(apdu)),
		nil, (*C.uchar)(unsafe.Pointer(&resp[0])), &n)
	if err := check("SCardTransmit", rv); err != nil {
		return nil, fmt.Errorf("reader %q after %s: %w", k.reader, time.Since(start).Round(time.Millisecond), err)
	}
	return resp[:n:n], nil
}

// Close disconnects, leaving the card powered for the next reader of it.
func (k *Card) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return check("SCardDisconnect", C.SCardDisconnect(k.h, C.SCARD_LEAVE_CARD))
}

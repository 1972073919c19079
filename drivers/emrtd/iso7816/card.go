package iso7816

import (
	"context"
	"errors"
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// Transport carries one command APDU to a card and returns its response
// APDU. It honours ctx: a card that stops answering must not hang the
// caller past the context's deadline.
type Transport interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// ErrNoResponse marks a card that did not answer in time (removed from the
// field or mute). Transports wrap it.
var ErrNoResponse = errors.New("iso7816: the card did not answer")

// AIDLDS1 is the application identifier of the ICAO LDS1 eMRTD application.
var AIDLDS1 = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// File identifiers of ICAO Doc 9303-10 section 4.6.
const (
	FIDMasterFile   uint16 = 0x3F00
	FIDDir          uint16 = 0x2F00 // EF.DIR, in the master file
	FIDATRInfo      uint16 = 0x2F01 // EF.ATR/INFO, in the master file
	FIDCardAccess   uint16 = 0x011C // EF.CardAccess, in the master file
	FIDCardSecurity uint16 = 0x011D // EF.CardSecurity, in the master file
	FIDCOM          uint16 = 0x011E // EF.COM, in the LDS1 application
	FIDSOD          uint16 = 0x011D // EF.SOD, in the LDS1 application
)

// FIDDataGroup is the file identifier of data group n (1..16): 0101..0110.
func FIDDataGroup(n int) uint16 { return 0x0100 + uint16(n) }

// Defaults of Card.
const (
	// DefaultMaxRead is the READ BINARY size that still fits a short
	// response once secure messaging (3DES or AES) has wrapped it.
	DefaultMaxRead = 0xDF
	// DefaultMaxFileSize bounds the length a file's TLV header may declare;
	// the largest LDS data groups (facial and fingerprint images) stay well
	// below it.
	DefaultMaxFileSize = 1 << 22
)

// maxGetResponse bounds the GET RESPONSE rounds after one command, so a
// card answering 61xx forever cannot keep the terminal busy.
const maxGetResponse = 300

// Exchange sends one APDU and fetches the rest of the response with GET
// RESPONSE while the card answers 61xx (the T=0 way of returning data).
// GET RESPONSE goes out unprotected: this runs below secure messaging.
func Exchange(ctx context.Context, t Transport, apdu []byte) (Response, error) {
	raw, err := t.Transmit(ctx, apdu)
	if err != nil {
		return Response{}, err
	}
	resp, err := ParseResponse(raw)
	if err != nil {
		return Response{}, err
	}
	data := resp.Data
	for i := 0; resp.SW1() == 0x61; i++ {
		if i == maxGetResponse || len(data) > MaxExtendedNe {
			return Response{}, fmt.Errorf("%w: the card still had data after %d GET RESPONSE rounds (%d bytes)", ErrMalformed, i, len(data))
		}
		var channel byte // GET RESPONSE on the command's logical channel
		if len(apdu) > 0 {
			channel = apdu[0] & 0x03
		}
		get, _ := Command{CLA: channel, INS: InsGetResponse, Ne: lenByte(resp.SW2())}.Bytes()
		if raw, err = t.Transmit(ctx, get); err != nil {
			return Response{}, fmt.Errorf("GET RESPONSE: %w", err)
		}
		if resp, err = ParseResponse(raw); err != nil {
			return Response{}, fmt.Errorf("GET RESPONSE: %w", err)
		}
		data = append(data, resp.Data...)
	}
	resp.Data = data
	return resp, nil
}

// Card sends commands to a card over T.
type Card struct {
	T Transport
	// MaxRead is the most bytes one READ BINARY asks for; 0 means
	// DefaultMaxRead. Above 256 the card must support extended length.
	MaxRead int
	// MaxFileSize bounds ReadFile; 0 means DefaultMaxFileSize.
	MaxFileSize int
}

// Transmit sends cmd and returns the card's response, whatever its status.
// It follows 61xx with GET RESPONSE and repeats the command once with the
// Le a card asks for in 6Cxx. Errors are transport or format failures only.
func (c *Card) Transmit(ctx context.Context, cmd Command) (Response, error) {
	if c == nil || c.T == nil {
		return Response{}, errors.New("iso7816: card has no transport")
	}
	for attempt := 0; ; attempt++ {
		apdu, err := cmd.Bytes()
		if err != nil {
			return Response{}, err
		}
		resp, err := Exchange(ctx, c.T, apdu)
		if err != nil {
			return Response{}, err
		}
		if resp.SW1() == 0x6C && attempt == 0 {
			cmd.Ne = lenByte(resp.SW2())
			continue
		}
		return resp, nil
	}
}

// Exec sends cmd and returns its data, or a *StatusError naming op when the
// card does not answer 9000.
func (c *Card) Exec(ctx context.Context, op string, cmd Command) ([]byte, error) {
	resp, err := c.Transmit(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !resp.OK() {
		return nil, &StatusError{SW: resp.SW, Op: op}
	}
	return resp.Data, nil
}

// SelectMF selects the master file.
func (c *Card) SelectMF(ctx context.Context) error {
	_, err := c.Exec(ctx, "SELECT MF", Command{INS: InsSelect, P1: 0x00, P2: 0x0C, Data: []byte{0x3F, 0x00}})
	return err
}

// Select selects an elementary file of the current directory by its file
// identifier, without asking for control information.
func (c *Card) Select(ctx context.Context, fid uint16) error {
	_, err := c.Exec(ctx, fmt.Sprintf("SELECT EF %04X", fid),
		Command{INS: InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}})
	return err
}

// SelectAID selects an application by its identifier (DF name).
func (c *Card) SelectAID(ctx context.Context, aid []byte) error {
	_, err := c.Exec(ctx, fmt.Sprintf("SELECT application %X", aid),
		Command{INS: InsSelect, P1: 0x04, P2: 0x0C, Data: aid})
	return err
}

// ReadBinary reads up to n bytes of the current EF from offset. Offsets up
// to 32767 use READ BINARY (B0) with the offset in P1-P2; beyond, the odd
// INS B1 carries the offset in data object '54' and the card returns the
// bytes in data object '53'. A card may return fewer bytes than asked for.
func (c *Card) ReadBinary(ctx context.Context, offset, n int) ([]byte, error) {
	if n <= 0 || n > MaxExtendedNe {
		return nil, fmt.Errorf("iso7816: READ BINARY of %d bytes: want 1..%d", n, MaxExtendedNe)
	}
	if offset < 0 || offset > 0xFFFFFF {
		return nil, fmt.Errorf("iso7816: READ BINARY at offset %d: want 0..%d", offset, 0xFFFFFF)
	}
	op := fmt.Sprintf("READ BINARY %d bytes at offset %d", n, offset)
	if offset <= 0x7FFF {
		resp, err := c.Transmit(ctx, Command{INS: InsReadBinary, P1: byte(offset >> 8), P2: byte(offset), Ne: n})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if resp.SW != SWOK && resp.SW != SWEndOfFile {
			return nil, &StatusError{SW: resp.SW, Op: op}
		}
		if len(resp.Data) > n {
			return nil, fmt.Errorf("iso7816: %s: the card returned %d bytes", op, len(resp.Data))
		}
		return resp.Data, nil
	}
	off := []byte{byte(offset >> 16), byte(offset >> 8), byte(offset)}
	for len(off) > 1 && off[0] == 0 {
		off = off[1:]
	}
	ne := min(n+1+len(tlv.EncodeLength(n)), MaxExtendedNe)
	resp, err := c.Transmit(ctx, Command{INS: InsReadBinaryOdd, Data: tlv.Encode(0x54, off), Ne: ne})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.SW != SWOK && resp.SW != SWEndOfFile {
		return nil, &StatusError{SW: resp.SW, Op: op}
	}
	if len(resp.Data) == 0 {
		return nil, nil
	}
	do, rest, err := tlv.Next(resp.Data)
	if err != nil || do.Tag != 0x53 || len(rest) != 0 {
		return nil, fmt.Errorf("iso7816: %s: the card's answer is not one data object '53' (%v)", op, err)
	}
	if len(do.Value) > n {
		return nil, fmt.Errorf("iso7816: %s: the card returned %d bytes", op, len(do.Value))
	}
	return do.Value, nil
}

// ReadFile selects the EF fid and reads it whole.
func (c *Card) ReadFile(ctx context.Context, fid uint16) ([]byte, error) {
	if err := c.Select(ctx, fid); err != nil {
		return nil, err
	}
	b, err := c.ReadCurrentFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("EF %04X: %w", fid, err)
	}
	return b, nil
}

// ReadCurrentFile reads the current EF whole: its first bytes hold a TLV
// header whose length says how much follows (LDS files are single TLV
// objects), then it reads the rest in MaxRead pieces.
func (c *Card) ReadCurrentFile(ctx context.Context) ([]byte, error) {
	maxRead := c.MaxRead
	if maxRead <= 0 {
		maxRead = DefaultMaxRead
	}
	maxSize := c.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	// Four bytes hold a one-byte tag with up to a three-byte length; longer
	// tags or lengths (up to 6 bytes) take a second read.
	head, err := c.ReadBinary(ctx, 0, 4)
	if err != nil {
		return nil, err
	}
	var total int
	for {
		_, tn, terr := tlv.ReadTag(head)
		var l, ln int
		if terr == nil {
			l, ln, terr = tlv.ReadLength(head[tn:])
		}
		if terr == nil {
			total = tn + ln + l
			break
		}
		if !errors.Is(terr, tlv.ErrTruncated) || len(head) >= 6 || len(head) < 4 {
			return nil, fmt.Errorf("iso7816: file header %X: %w", head, terr)
		}
		more, err := c.ReadBinary(ctx, len(head), 6-len(head))
		if err != nil {
			return nil, err
		}
		if len(more) == 0 {
			return nil, fmt.Errorf("iso7816: file header %X: %w", head, terr)
		}
		head = append(head, more...)
	}
	if total > maxSize {
		return nil, fmt.Errorf("iso7816: file declares %d bytes, more than the %d this reader accepts", total, maxSize)
	}
	out := make([]byte, 0, total)
	out = append(out, head[:min(len(head), total)]...)
	for len(out) < total {
		n := min(maxRead, total-len(out))
		part, err := c.ReadBinary(ctx, len(out), n)
		if err != nil {
			return nil, err
		}
		if len(part) == 0 {
			return nil, fmt.Errorf("iso7816: the card returned no data at offset %d of a %d-byte file", len(out), total)
		}
		out = append(out, part[:min(len(part), total-len(out))]...)
	}
	return out, nil
}

// GetChallenge asks the card for n random bytes.
func (c *Card) GetChallenge(ctx context.Context, n int) ([]byte, error) {
	b, err := c.Exec(ctx, "GET CHALLENGE", Command{INS: InsGetChallenge, Ne: n})
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, fmt.Errorf("iso7816: GET CHALLENGE: the card returned %d bytes, want %d", len(b), n)
	}
	return b, nil
}

// ExternalAuthenticate sends EXTERNAL AUTHENTICATE (BAC: mutual
// authentication with P1 P2 = 00 00) and returns the card's data.
func (c *Card) ExternalAuthenticate(ctx context.Context, data []byte, ne int) ([]byte, error) {
	return c.Exec(ctx, "EXTERNAL AUTHENTICATE", Command{INS: InsExternalAuthenticate, Data: data, Ne: ne})
}

// InternalAuthenticate sends INTERNAL AUTHENTICATE (Active Authentication)
// and returns the card's signature.
func (c *Card) InternalAuthenticate(ctx context.Context, data []byte, ne int) ([]byte, error) {
	return c.Exec(ctx, "INTERNAL AUTHENTICATE", Command{INS: InsInternalAuthenticate, Data: data, Ne: ne})
}

// MSESetAT sends MANAGE SECURITY ENVIRONMENT: Set Authentication Template
// (P2 A4) with data objects dos. P1 is C1 for PACE, 41 for Chip
// Authentication, 81 for Terminal Authentication.
func (c *Card) MSESetAT(ctx context.Context, p1 byte, dos []byte) error {
	_, err := c.Exec(ctx, fmt.Sprintf("MSE:Set AT (P1 %02X)", p1), MSESetATCommand(p1, dos))
	return err
}

// MSESetATCommand builds MSE:Set AT.
func MSESetATCommand(p1 byte, dos []byte) Command {
	return Command{INS: InsManageSecurityEnv, P1: p1, P2: 0xA4, Data: dos}
}

// MSESetKAT sends MANAGE SECURITY ENVIRONMENT: Set Key Agreement Template
// (P1 P2 = 41 A6), which Chip Authentication with 3DES uses.
func (c *Card) MSESetKAT(ctx context.Context, dos []byte) error {
	_, err := c.Exec(ctx, "MSE:Set KAT", Command{INS: InsManageSecurityEnv, P1: 0x41, P2: 0xA6, Data: dos})
	return err
}

// GeneralAuthenticateCommand builds GENERAL AUTHENTICATE with the dynamic
// authentication data template '7C' around dos; every step but the last of
// a protocol is chained (CLA bit 0x10).
func GeneralAuthenticateCommand(dos []byte, last bool) Command {
	cmd := Command{INS: InsGeneralAuthenticate, Data: tlv.Encode(0x7C, dos), Ne: MaxShortNe}
	if !last {
		cmd.CLA |= ClassChaining
	}
	if len(cmd.Data) > MaxShortNc {
		cmd.Ne = MaxExtendedNe
	}
	return cmd
}

// GeneralAuthenticate sends one GENERAL AUTHENTICATE step and returns the
// data objects inside the card's '7C' template.
func (c *Card) GeneralAuthenticate(ctx context.Context, dos []byte, last bool) ([]byte, error) {
	b, err := c.Exec(ctx, "GENERAL AUTHENTICATE", GeneralAuthenticateCommand(dos, last))
	if err != nil {
		return nil, err
	}
	return ParseDynamicAuthData(b)
}

// ParseDynamicAuthData returns the contents of a dynamic authentication
// data template '7C' (the whole of b).
func ParseDynamicAuthData(b []byte) ([]byte, error) {
	do, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("iso7816: dynamic authentication data: %w", err)
	}
	if do.Tag != 0x7C || len(rest) != 0 {
		return nil, fmt.Errorf("iso7816: dynamic authentication data: want one template '7C', got tag %s and %d trailing bytes", do.Tag, len(rest))
	}
	return do.Value, nil
}

// TransmitChained sends cmd's data in pieces of at most chunk bytes with
// command chaining: every piece but the last has CLA bit 0x10 and no Le,
// and must be answered 9000; the last piece carries cmd's Ne and its
// response is returned.
func (c *Card) TransmitChained(ctx context.Context, cmd Command, chunk int) (Response, error) {
	if chunk <= 0 || chunk > MaxExtendedNc {
		return Response{}, fmt.Errorf("iso7816: chaining in pieces of %d bytes", chunk)
	}
	data := cmd.Data
	for len(data) > chunk {
		part := cmd
		part.CLA |= ClassChaining
		part.Data, part.Ne = data[:chunk], 0
		resp, err := c.Transmit(ctx, part)
		if err != nil {
			return Response{}, err
		}
		if !resp.OK() {
			return resp, &StatusError{SW: resp.SW, Op: "chained " + cmd.String()}
		}
		data = data[chunk:]
	}
	last := cmd
	last.Data = data
	return c.Transmit(ctx, last)
}

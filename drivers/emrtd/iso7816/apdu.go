package iso7816

import (
	"errors"
	"fmt"
)

// Length limits of ISO/IEC 7816-3 section 12.1.
const (
	MaxShortNc    = 255   // data bytes in a short command
	MaxShortNe    = 256   // expected bytes in a short command (Le = 00)
	MaxExtendedNc = 65535 // data bytes in an extended command
	MaxExtendedNe = 65536 // expected bytes in an extended command (Le = 0000)
)

// Instruction bytes used by the eMRTD stack.
const (
	InsSelect                    = 0xA4
	InsReadBinary                = 0xB0
	InsReadBinaryOdd             = 0xB1
	InsGetChallenge              = 0x84
	InsExternalAuthenticate      = 0x82
	InsInternalAuthenticate      = 0x88
	InsManageSecurityEnv         = 0x22
	InsGeneralAuthenticate       = 0x86
	InsGetResponse               = 0xC0
	ClassChaining           byte = 0x10 // CLA bit: more commands of this chain follow
	ClassSecureMessaging    byte = 0x0C // CLA bits: header authenticated by secure messaging
)

// ErrMalformed marks an APDU that does not follow ISO/IEC 7816-3/4.
var ErrMalformed = errors.New("iso7816: malformed APDU")

// Command is a command APDU. Ne is the number of response bytes expected:
// 0 means no Le field, up to 256 fits the short form (256 is sent as Le 00),
// up to 65536 needs the extended form (65536 is sent as Le 0000).
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
	// Extended forces the extended length form where the short one would
	// fit; ParseCommand sets it when the APDU came in extended form, so a
	// card can answer in kind.
	Extended bool
}

// IsExtended reports whether the command is sent in the extended form.
func (c Command) IsExtended() bool {
	return c.Extended || len(c.Data) > MaxShortNc || c.Ne > MaxShortNe
}

// Bytes encodes the command: the short form when data and Ne fit it,
// otherwise (or when Extended is set) the extended form.
func (c Command) Bytes() ([]byte, error) {
	if c.Ne < 0 || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("%w: Ne %d outside 0..%d", ErrMalformed, c.Ne, MaxExtendedNe)
	}
	if len(c.Data) > MaxExtendedNc {
		return nil, fmt.Errorf("%w: %d data bytes, at most %d fit one APDU (use command chaining)", ErrMalformed, len(c.Data), MaxExtendedNc)
	}
	nc := len(c.Data)
	out := make([]byte, 0, 4+3+nc+2)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	if !c.IsExtended() {
		if nc > 0 {
			out = append(out, byte(nc))
			out = append(out, c.Data...)
		}
		if c.Ne > 0 {
			out = append(out, byte(c.Ne)) // 256 wraps to 00
		}
		return out, nil
	}
	if nc > 0 {
		out = append(out, 0, byte(nc>>8), byte(nc))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		if nc == 0 {
			out = append(out, 0) // case 2E opens with a zero byte
		}
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 wraps to 0000
	}
	return out, nil
}

func (c Command) String() string {
	return fmt.Sprintf("%02X %02X %02X %02X Nc=%d Ne=%d", c.CLA, c.INS, c.P1, c.P2, len(c.Data), c.Ne)
}

// ParseCommand decodes a command APDU on the card side, in short or
// extended form, and refuses any other shape (Lc disagreeing with the data
// present, an extended Lc of zero, trailing bytes).
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes, shorter than the 4-byte header", ErrMalformed, len(b))
	}
	if len(b) > 4+3+MaxExtendedNc+2 {
		return Command{}, fmt.Errorf("%w: %d bytes, longer than any APDU", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2S
		c.Ne = shortLe(body[0])
	case body[0] != 0: // cases 3S, 4S
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
		case 2 + lc:
			c.Ne = shortLe(body[1+lc])
		default:
			return Command{}, fmt.Errorf("%w: Lc %d but %d bytes follow it", ErrMalformed, lc, len(body)-1)
		}
		c.Data = append([]byte(nil), body[1:1+lc]...)
	default: // extended: 00 then two length bytes
		c.Extended = true
		if len(body) < 3 {
			return Command{}, fmt.Errorf("%w: extended length field cut short", ErrMalformed)
		}
		v := int(body[1])<<8 | int(body[2])
		if len(body) == 3 { // case 2E
			c.Ne = extendedLe(v)
			break
		}
		if v == 0 {
			return Command{}, fmt.Errorf("%w: extended Lc of 0000", ErrMalformed)
		}
		switch len(body) {
		case 3 + v:
		case 5 + v:
			c.Ne = extendedLe(int(body[3+v])<<8 | int(body[4+v]))
		default:
			return Command{}, fmt.Errorf("%w: extended Lc %d but %d bytes follow it", ErrMalformed, v, len(body)-3)
		}
		c.Data = append([]byte(nil), body[3:3+v]...)
	}
	return c, nil
}

func shortLe(b byte) int {
	if b == 0 {
		return MaxShortNe
	}
	return int(b)
}

func extendedLe(v int) int {
	if v == 0 {
		return MaxExtendedNe
	}
	return v
}

// Response is a response APDU: data then the status word SW1 SW2.
type Response struct {
	Data []byte
	SW   uint16
}

// Status words the stack acts on.
const (
	SWOK                   uint16 = 0x9000
	SWEndOfFile            uint16 = 0x6282
	SWAuthenticationFailed uint16 = 0x6300
	SWWrongLength          uint16 = 0x6700
	SWSMNotSupported       uint16 = 0x6882
	SWSecurityStatus       uint16 = 0x6982
	SWConditionsOfUse      uint16 = 0x6985
	SWSMDataMissing        uint16 = 0x6987
	SWSMDataIncorrect      uint16 = 0x6988
	SWWrongData            uint16 = 0x6A80
	SWFileNotFound         uint16 = 0x6A82
	SWWrongP1P2            uint16 = 0x6A86
	SWRefDataNotFound      uint16 = 0x6A88
	SWWrongParameters      uint16 = 0x6B00
	SWINSNotSupported      uint16 = 0x6D00
	SWCLANotSupported      uint16 = 0x6E00
	SWNoDiagnosis          uint16 = 0x6F00
)

// ParseResponse decodes a response APDU.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes has no status word", ErrMalformed, len(b))
	}
	if len(b) > MaxExtendedNe+2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes, longer than any APDU", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return Response{Data: append([]byte(nil), b[:n]...), SW: uint16(b[n])<<8 | uint16(b[n+1])}, nil
}

// Bytes encodes the response.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, byte(r.SW>>8), byte(r.SW))
}

// OK reports status 9000.
func (r Response) OK() bool { return r.SW == SWOK }

// SW1 is the first status byte.
func (r Response) SW1() byte { return byte(r.SW >> 8) }

// SW2 is the second status byte.
func (r Response) SW2() byte { return byte(r.SW) }

// StatusError is a card's refusal: the status word and the operation it
// answered.
type StatusError struct {
	SW uint16
	Op string
}

func (e *StatusError) Error() string {
	op := e.Op
	if op == "" {
		op = "command"
	}
	return fmt.Sprintf("iso7816: %s: card answered %04X: %s", op, e.SW, StatusText(e.SW))
}

// IsStatus reports whether err is a StatusError with status sw.
func IsStatus(err error, sw uint16) bool {
	var se *StatusError
	return errors.As(err, &se) && se.SW == sw
}

// StatusText explains a status word, with what to do where there is
// something to do.
func StatusText(sw uint16) string {
	sw1, sw2 := byte(sw>>8), byte(sw)
	switch sw1 {
	case 0x61:
		return fmt.Sprintf("%d more response bytes available (fetch them with GET RESPONSE)", lenByte(sw2))
	case 0x6C:
		return fmt.Sprintf("wrong Le: the card has %d bytes (repeat the command with that Le)", lenByte(sw2))
	case 0x63:
		if sw2&0xF0 == 0xC0 {
			return fmt.Sprintf("verification failed, %d tries left", sw2&0x0F)
		}
	}
	switch sw {
	case SWOK:
		return "success"
	case SWEndOfFile:
		return "end of file reached before Ne bytes were read"
	case 0x6281:
		return "part of the returned data may be corrupted"
	case SWAuthenticationFailed:
		return "authentication failed (check the access keys: for BAC and PACE, the MRZ fields)"
	case 0x6581:
		return "memory failure in the card"
	case SWWrongLength:
		return "wrong length (Lc or Le)"
	case 0x6881:
		return "logical channel not supported"
	case SWSMNotSupported:
		return "secure messaging not supported"
	case 0x6884:
		return "command chaining not supported"
	case 0x6981:
		return "command incompatible with the file structure"
	case SWSecurityStatus:
		return "security status not satisfied (establish secure messaging with BAC or PACE first)"
	case 0x6983:
		return "authentication method blocked"
	case 0x6984:
		return "reference data not usable"
	case SWConditionsOfUse:
		return "conditions of use not satisfied (command out of sequence)"
	case 0x6986:
		return "command not allowed (no current EF: select a file first)"
	case SWSMDataMissing:
		return "expected secure messaging data objects missing (the card dropped the session: authenticate again)"
	case SWSMDataIncorrect:
		return "secure messaging data objects incorrect (MAC or SSC out of step: the card dropped the session, authenticate again)"
	case SWWrongData:
		return "incorrect parameters in the command data field"
	case 0x6A81:
		return "function not supported"
	case SWFileNotFound:
		return "file or application not found (the document does not have it)"
	case 0x6A84:
		return "not enough memory space in the file"
	case SWWrongP1P2:
		return "incorrect parameters P1-P2"
	case SWRefDataNotFound:
		return "referenced data or key not found"
	case SWWrongParameters:
		return "wrong parameters P1-P2 (offset beyond the end of the file)"
	case SWINSNotSupported:
		return "instruction not supported by the card"
	case SWCLANotSupported:
		return "class not supported by the card"
	case SWNoDiagnosis:
		return "error without precise diagnosis"
	}
	return "unknown status"
}

func lenByte(b byte) int {
	if b == 0 {
		return 256
	}
	return int(b)
}

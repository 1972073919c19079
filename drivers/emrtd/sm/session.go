package sm

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/tlv"
)

// Errors of secure messaging. A session that returned one of them is
// aborted.
var (
	// ErrMAC: a MAC did not verify. The other side holds other keys (a
	// cloned or substituted chip, a wrong key derivation) or the bytes were
	// altered on the way.
	ErrMAC = errors.New("sm: MAC does not verify")
	// ErrDataObjects: the secure messaging data objects are malformed,
	// missing or in an order the standard does not allow.
	ErrDataObjects = errors.New("sm: secure messaging data objects incorrect")
	// ErrMissingMAC: a protected message without DO'8E'.
	ErrMissingMAC = errors.New("sm: secure messaging data objects missing (no DO'8E')")
	// ErrAborted: the session ended after an earlier error; authenticate
	// again (BAC or PACE) to get new keys.
	ErrAborted = errors.New("sm: session aborted after an earlier secure messaging error")
)

// Session holds secure messaging keys and the send sequence counter of one
// side of the link. Its methods are safe for concurrent use, but the
// counter makes order matter: wrap and unwrap strictly alternate.
type Session struct {
	mu     sync.Mutex
	cipher kdf.Cipher
	kEnc   []byte
	enc    cipher.Block
	kMAC   []byte
	ssc    []byte
	// oddINS records whether the last unwrapped command had an odd INS,
	// so the response carries its data in DO'85' like the command did.
	oddINS  bool
	aborted error
}

// New starts a session with session keys KSEnc and KSMAC and the initial
// send sequence counter: 8 bytes for 3DES, 16 for AES (zero after PACE and
// Chip Authentication; from the nonces after BAC).
func New(c kdf.Cipher, kEnc, kMAC, ssc []byte) (*Session, error) {
	enc, err := NewBlock(c, kEnc)
	if err != nil {
		return nil, fmt.Errorf("sm: KSEnc: %w", err)
	}
	if _, err := NewBlock(c, kMAC); err != nil {
		return nil, fmt.Errorf("sm: KSMAC: %w", err)
	}
	if len(ssc) != BlockSize(c) {
		return nil, fmt.Errorf("sm: send sequence counter of %d bytes, want %d for %v", len(ssc), BlockSize(c), c)
	}
	return &Session{
		cipher: c,
		kEnc:   append([]byte(nil), kEnc...),
		enc:    enc,
		kMAC:   append([]byte(nil), kMAC...),
		ssc:    append([]byte(nil), ssc...),
	}, nil
}

// Cipher is the session's cipher suite.
func (s *Session) Cipher() kdf.Cipher { return s.cipher }

// SSC returns a copy of the send sequence counter.
func (s *Session) SSC() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.ssc...)
}

// Aborted reports whether the session has ended after an error.
func (s *Session) Aborted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aborted != nil
}

// Abort ends the session: every later call fails with ErrAborted.
func (s *Session) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abort(errors.New("aborted by its owner"))
}

func (s *Session) abort(cause error) {
	if s.aborted == nil {
		s.aborted = cause
	}
}

func (s *Session) check() error {
	if s.aborted != nil {
		return fmt.Errorf("%w (%v)", ErrAborted, s.aborted)
	}
	return nil
}

// fail aborts the session and returns err.
func (s *Session) fail(err error) error {
	s.abort(err)
	return err
}

func (s *Session) increment() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

// iv is the CBC IV of the current message: zero for 3DES, E(KSEnc, SSC)
// for AES.
func (s *Session) iv() []byte {
	iv := make([]byte, s.enc.BlockSize())
	if s.cipher != kdf.TDES {
		s.enc.Encrypt(iv, s.ssc)
	}
	return iv
}

// mac is the MAC over SSC ‖ data, padded.
func (s *Session) mac(data []byte) []byte {
	in := make([]byte, 0, len(s.ssc)+len(data))
	in = append(append(in, s.ssc...), data...)
	m, err := MAC(s.cipher, s.kMAC, in)
	if err != nil {
		panic(err) // New checked the key
	}
	return m
}

func (s *Session) encrypt(data []byte) []byte {
	out, err := cbcBlock(s.enc, s.iv(), Pad(data, s.enc.BlockSize()), true)
	if err != nil {
		panic(err) // padded to whole blocks
	}
	return out
}

func (s *Session) decrypt(ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%s.enc.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: cryptogram of %d bytes is not whole %d-byte blocks", ErrDataObjects, len(ct), s.enc.BlockSize())
	}
	pt, err := cbcBlock(s.enc, s.iv(), ct, false)
	if err != nil {
		return nil, err
	}
	return Unpad(pt)
}

func (s *Session) header(cla, ins, p1, p2 byte) []byte {
	return Pad([]byte{cla, ins, p1, p2}, s.enc.BlockSize())
}

// dataDO encrypts data into DO'85' (odd INS: the plain value is BER-TLV)
// or DO'87' (padding-content indicator 01, then the cryptogram).
func (s *Session) dataDO(data []byte, odd bool) []byte {
	ct := s.encrypt(data)
	if odd {
		return tlv.Encode(0x85, ct)
	}
	return tlv.Encode(0x87, []byte{0x01}, ct)
}

// decryptDO decrypts the value of DO'85' or DO'87'.
func (s *Session) decryptDO(do tlv.TLV) ([]byte, error) {
	ct := do.Value
	if do.Tag == 0x87 {
		if len(ct) == 0 || ct[0] != 0x01 {
			return nil, fmt.Errorf("%w: DO'87' without padding-content indicator 01", ErrDataObjects)
		}
		ct = ct[1:]
	}
	return s.decrypt(ct)
}

// Wrap protects a command (terminal side): CLA gets bits 0C, the data go
// encrypted into DO'87' (DO'85' for odd INS), Le into DO'97', the MAC into
// DO'8E'. The protected command asks for Le 00 (0000 when extended).
func (s *Session) Wrap(cmd iso7816.Command) (iso7816.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return iso7816.Command{}, err
	}
	if cmd.CLA&iso7816.ClassSecureMessaging != 0 || cmd.CLA == 0xFF {
		return iso7816.Command{}, fmt.Errorf("sm: cannot protect a command of class %02X", cmd.CLA)
	}
	if cmd.Ne < 0 || cmd.Ne > iso7816.MaxExtendedNe {
		return iso7816.Command{}, fmt.Errorf("sm: Ne %d out of range", cmd.Ne)
	}
	s.increment()
	cla := cmd.CLA | iso7816.ClassSecureMessaging
	var dos []byte
	if len(cmd.Data) > 0 {
		dos = s.dataDO(cmd.Data, cmd.INS&1 == 1)
	}
	ext := cmd.IsExtended()
	if cmd.Ne > 0 {
		le := []byte{byte(cmd.Ne)}
		if ext {
			le = []byte{byte(cmd.Ne >> 8), byte(cmd.Ne)}
		}
		dos = append(dos, tlv.Encode(0x97, le)...)
	}
	macIn := append(s.header(cla, cmd.INS, cmd.P1, cmd.P2), dos...)
	dos = append(dos, tlv.Encode(0x8E, s.mac(macIn))...)
	out := iso7816.Command{CLA: cla, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: dos, Ne: iso7816.MaxShortNe}
	if ext || len(dos) > iso7816.MaxShortNc {
		out.Extended, out.Ne = true, iso7816.MaxExtendedNe
	}
	return out, nil
}

// smDOs are the data objects of one protected message.
type smDOs struct {
	data   *tlv.TLV // DO'85' or DO'87'
	le     *tlv.TLV // DO'97' (commands)
	sw     *tlv.TLV // DO'99' (responses)
	mac    []byte
	macIn  []byte // everything before DO'8E'
	hasMAC bool
}

// parseDOs splits a protected message's data field: DO'85' or DO'87', then
// DO'97' (commands) or DO'99' (responses), then DO'8E', which comes last.
func parseDOs(b []byte, response bool) (smDOs, error) {
	var d smDOs
	rest := b
	for len(rest) > 0 {
		start := len(b) - len(rest)
		do, next, err := tlv.Next(rest)
		if err != nil {
			return d, fmt.Errorf("%w: %v", ErrDataObjects, err)
		}
		if d.hasMAC {
			return d, fmt.Errorf("%w: data after DO'8E'", ErrDataObjects)
		}
		var slot **tlv.TLV
		switch {
		case do.Tag == 0x85 || do.Tag == 0x87:
			slot = &d.data
		case do.Tag == 0x97 && !response:
			slot = &d.le
		case do.Tag == 0x99 && response:
			slot = &d.sw
		case do.Tag == 0x8E:
			d.hasMAC, d.mac, d.macIn = true, do.Value, b[:start]
		default:
			return d, fmt.Errorf("%w: unexpected DO'%s'", ErrDataObjects, do.Tag)
		}
		if slot != nil {
			if *slot != nil {
				return d, fmt.Errorf("%w: DO'%s' twice", ErrDataObjects, do.Tag)
			}
			if d.le != nil && do.Tag != 0x97 || d.sw != nil && do.Tag != 0x99 {
				return d, fmt.Errorf("%w: DO'%s' after DO'97'/'99'", ErrDataObjects, do.Tag)
			}
			v := do
			*slot = &v
		}
		rest = next
	}
	if !d.hasMAC {
		return d, ErrMissingMAC
	}
	return d, nil
}

func (s *Session) verify(d smDOs, prefix []byte) error {
	want := s.mac(append(prefix, d.macIn...))
	if len(d.mac) != len(want) || subtle.ConstantTimeCompare(d.mac, want) != 1 {
		return ErrMAC
	}
	return nil
}

// Unwrap checks and decrypts a protected response (terminal side). A
// response that is only a status word carries no MAC: an error status
// passes through (the chip ends secure messaging on 6987/6988, and so does
// the session); 9000 without a MAC is ErrMAC.
func (s *Session) Unwrap(resp iso7816.Response) (iso7816.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return iso7816.Response{}, err
	}
	s.increment()
	if len(resp.Data) == 0 {
		switch {
		case resp.SW == iso7816.SWOK || resp.SW>>8 == 0x62 || resp.SW>>8 == 0x63:
			return iso7816.Response{}, s.fail(fmt.Errorf("%w: status %04X came without a MAC", ErrMAC, resp.SW))
		case resp.SW == iso7816.SWSMDataMissing || resp.SW == iso7816.SWSMDataIncorrect:
			s.abort(fmt.Errorf("the chip answered %04X", resp.SW))
		}
		return resp, nil
	}
	d, err := parseDOs(resp.Data, true)
	if err != nil {
		return iso7816.Response{}, s.fail(err)
	}
	if err := s.verify(d, nil); err != nil {
		return iso7816.Response{}, s.fail(err)
	}
	if d.sw == nil || len(d.sw.Value) != 2 {
		return iso7816.Response{}, s.fail(fmt.Errorf("%w: no two-byte DO'99'", ErrDataObjects))
	}
	out := iso7816.Response{SW: uint16(d.sw.Value[0])<<8 | uint16(d.sw.Value[1])}
	if d.data != nil {
		if out.Data, err = s.decryptDO(*d.data); err != nil {
			return iso7816.Response{}, s.fail(err)
		}
	}
	return out, nil
}

// UnwrapCommand checks and decrypts a protected command (chip side).
// Errors abort the session; the chip answers ErrMissingMAC with 6987 and
// the others with 6988.
func (s *Session) UnwrapCommand(cmd iso7816.Command) (iso7816.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return iso7816.Command{}, err
	}
	if cmd.CLA&iso7816.ClassSecureMessaging != iso7816.ClassSecureMessaging {
		return iso7816.Command{}, s.fail(fmt.Errorf("%w: class %02X is not a secure messaging class", ErrMissingMAC, cmd.CLA))
	}
	s.increment()
	d, err := parseDOs(cmd.Data, false)
	if err != nil {
		return iso7816.Command{}, s.fail(err)
	}
	if err := s.verify(d, s.header(cmd.CLA, cmd.INS, cmd.P1, cmd.P2)); err != nil {
		return iso7816.Command{}, s.fail(err)
	}
	out := iso7816.Command{
		CLA: cmd.CLA &^ iso7816.ClassSecureMessaging, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2,
		Extended: cmd.IsExtended(),
	}
	if d.le != nil {
		switch v := d.le.Value; len(v) {
		case 1:
			out.Ne = int(v[0])
			if out.Ne == 0 {
				out.Ne = iso7816.MaxShortNe
			}
		case 2:
			out.Extended = true
			out.Ne = int(v[0])<<8 | int(v[1])
			if out.Ne == 0 {
				out.Ne = iso7816.MaxExtendedNe
			}
		default:
			return iso7816.Command{}, s.fail(fmt.Errorf("%w: DO'97' of %d bytes", ErrDataObjects, len(v)))
		}
	}
	if d.data != nil {
		if out.Data, err = s.decryptDO(*d.data); err != nil {
			return iso7816.Command{}, s.fail(err)
		}
	}
	s.oddINS = cmd.INS&1 == 1
	return out, nil
}

// WrapResponse protects a response (chip side): data in DO'87' (DO'85'
// when the command had an odd INS), the status word in DO'99', the MAC in
// DO'8E'. The outer status word repeats the inner one.
func (s *Session) WrapResponse(resp iso7816.Response) (iso7816.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return iso7816.Response{}, err
	}
	s.increment()
	var dos []byte
	if len(resp.Data) > 0 {
		dos = s.dataDO(resp.Data, s.oddINS)
	}
	dos = append(dos, 0x99, 0x02, byte(resp.SW>>8), byte(resp.SW))
	dos = append(dos, tlv.Encode(0x8E, s.mac(dos))...)
	return iso7816.Response{Data: dos, SW: resp.SW}, nil
}

// ProtectedResponseLen is the length of the data field of a protected
// response carrying n plain bytes.
func (s *Session) ProtectedResponseLen(n int) int {
	l := 4 + 10 // DO'99', DO'8E'
	if n > 0 {
		bs := BlockSize(s.cipher)
		v := 1 + (n/bs+1)*bs
		l += 1 + len(tlv.EncodeLength(v)) + v
	}
	return l
}

// MaxPlainResponse is the most plain bytes whose protected response fits
// in limit bytes of response data.
func (s *Session) MaxPlainResponse(limit int) int {
	n := limit
	for n > 0 && s.ProtectedResponseLen(n) > limit {
		n--
	}
	return n
}

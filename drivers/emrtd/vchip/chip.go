package vchip

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"autogate/drivers/emrtd/bac"
	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/ta"
	"autogate/drivers/emrtd/tlv"
)

// Config describes a chip: its files, its keys and how it misbehaves.
type Config struct {
	// MRZInfo is the BAC access key (kdf.MRZInfo). With it, or with PACE,
	// the LDS files need secure messaging; with neither, the chip has no
	// access control and answers EXTERNAL AUTHENTICATE with 6D00.
	MRZInfo string
	// Files are the EFs of the LDS1 application by file identifier:
	// EF.COM 011E, EF.SOD 011D, DG1 to DG16 0101 to 0110.
	Files map[uint16][]byte
	// MasterFiles are the EFs of the master file: EF.CardAccess 011C and
	// EF.ATR/INFO 2F01 (readable without secure messaging), EF.CardSecurity
	// 011D (needs it).
	MasterFiles map[uint16][]byte
	// CAKey is the static Chip Authentication key (*ecdsa.PrivateKey on any
	// curve, or *chipauth.DHPrivateKey) whose public half DG14 carries;
	// CAKeyID its keyId in DG14, if any. Nil: no Chip Authentication.
	CAKey   crypto.PrivateKey
	CAKeyID *big.Int
	// AAKey is the Active Authentication key (*rsa.PrivateKey or
	// *ecdsa.PrivateKey) whose public half DG15 carries. Nil: no Active
	// Authentication. AAHash is its signature's hash: for RSA, 0 means
	// SHA-1 (trailer BC); for ECDSA, the hash DG14's
	// ActiveAuthenticationInfo names (0: the one matching the curve).
	AAKey  crypto.Signer
	AAHash crypto.Hash
	// PACE, when set, answers PACE for the chip.
	PACE PACE
	// TrustPoints are the CVCA keys of Terminal Authentication v1 (EAC1).
	// DG3 and DG4 open only to a terminal whose certificate chain leads to
	// one of them and grants the right to read them; a chip without trust
	// points never releases them.
	TrustPoints []cvc.TrustPoint
	// Date is the chip's current date, against which certificates are
	// checked (zero: today).
	Date time.Time
	// NoExtendedLength makes the chip refuse extended-length APDUs with
	// 6700, as chips without the extended length capability do.
	NoExtendedLength bool
	// T0 makes the chip return response data the T=0 way: 61xx, then GET
	// RESPONSE.
	T0 bool
	// Faults make the chip misbehave.
	Faults Faults
	// Rand is the chip's random source (challenges, key shares, signature
	// nonces); nil means crypto/rand.
	Rand io.Reader
	// Logger gets the chip's notable events (authentications, aborted
	// sessions, faults firing); nil discards them.
	Logger *slog.Logger
}

// Faults are the misbehaviours of the attack suite.
type Faults struct {
	// WrongMRZ: the chip was personalised with other BAC keys than its MRZ
	// gives, so it refuses the terminal's EXTERNAL AUTHENTICATE with 6300.
	WrongMRZ bool
	// CorruptMACAfter: after this many protected responses every further
	// response carries a corrupted MAC (0: never).
	CorruptMACAfter int
	// Clone: the chip holds other Chip and Active Authentication private
	// keys than DG14 and DG15 announce, as a chip with copied files does.
	Clone bool
	// SilentAfter: after this many APDUs the chip stops answering: Process
	// blocks until the chip is reset or closed, then returns nil (0: never).
	SilentAfter int
}

// PACE is the chip's side of PACE, plugged in by the pace package. The
// chip hands it MSE:Set AT with P1 P2 = C1 A4 and the GENERAL AUTHENTICATE
// commands that follow (chained or not), all unprotected. When the
// protocol completes it returns the session the chip switches to after
// sending resp, which goes out unprotected. A nil session means the
// protocol goes on (or failed: resp then carries the error status).
type PACE interface {
	HandlePACE(cmd iso7816.Command) (resp iso7816.Response, established *sm.Session)
}

// PACEIdentity is implemented by PACE plug-ins that tell the chip its
// identifier for Terminal Authentication after PACE (Comp of its ephemeral
// PACE key), once PACE is established.
type PACEIdentity interface {
	IDPICC() []byte
}

type file struct {
	fid  uint16
	data []byte
	open bool // readable without secure messaging
	eac  bool // DG3 or DG4: readable only after Terminal Authentication grants it
}

// Chip is a virtual eMRTD chip. It is safe for concurrent use; commands
// are processed one at a time.
type Chip struct {
	cfg    Config
	log    *slog.Logger
	rng    io.Reader
	bacMRZ string
	caKey  crypto.PrivateKey
	aaKey  crypto.Signer

	mu         sync.Mutex
	count      int // APDUs since the last reset
	protected  int // protected responses since the last reset
	session    *sm.Session
	inApp      bool
	current    *file
	challenge  []byte
	caPending  kdf.Cipher // MSE:Set AT for Chip Authentication with AES seen
	paceActive bool
	viaBAC     bool   // the session descends from BAC (ID_PICC is the document number)
	paceID     []byte // ID_PICC after PACE, when the plug-in tells it
	ta         taState
	pending    []byte // T=0 response data not yet fetched
	pendingSW  uint16
	wake       chan struct{} // closed to release Process calls blocked by SilentAfter
	closed     bool
}

// New makes a chip from cfg.
func New(cfg Config) *Chip {
	c := &Chip{cfg: cfg, log: cfg.Logger, rng: cfg.Rand, bacMRZ: cfg.MRZInfo, caKey: cfg.CAKey, aaKey: cfg.AAKey, wake: make(chan struct{})}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.rng == nil {
		c.rng = rand.Reader
	}
	if cfg.Faults.WrongMRZ && cfg.MRZInfo != "" {
		// One character off, as a misprinted or re-personalised chip.
		first := byte('X')
		if cfg.MRZInfo[0] == first {
			first = 'Y'
		}
		c.bacMRZ = string(first) + cfg.MRZInfo[1:]
	}
	if cfg.Faults.Clone {
		var err error
		if c.caKey != nil {
			if c.caKey, err = otherKey(c.caKey); err != nil {
				c.log.Error("vchip: cannot make a clone's Chip Authentication key; the chip offers none", "err", err)
			}
		}
		if c.aaKey != nil {
			var k crypto.PrivateKey
			if k, err = otherKey(c.aaKey); err == nil {
				c.aaKey = k.(crypto.Signer)
			} else {
				c.aaKey = nil
				c.log.Error("vchip: cannot make a clone's Active Authentication key; the chip offers none", "err", err)
			}
		}
	}
	return c
}

// otherKey draws a fresh key of the same kind and domain as k.
func otherKey(k crypto.PrivateKey) (crypto.PrivateKey, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return ecdsa.GenerateKey(k.Curve, rand.Reader)
	case *chipauth.DHPrivateKey:
		return chipauth.GenerateDHKey(k.DHParameters, rand.Reader)
	case *rsa.PrivateKey:
		return rsa.GenerateKey(rand.Reader, k.N.BitLen())
	}
	return nil, fmt.Errorf("key of type %T", k)
}

// Reset power-cycles the chip: it forgets its session and selection, and a
// chip that stopped answering answers again (for SilentAfter more APDUs).
func (c *Chip) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.release()
	c.count, c.protected = 0, 0
	c.session, c.inApp, c.current, c.challenge = nil, false, nil, nil
	c.caPending, c.paceActive, c.pending = 0, false, nil
	c.viaBAC, c.ta = false, taState{}
}

// Close releases every Process call blocked by SilentAfter for good.
func (c *Chip) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.release()
	return nil
}

func (c *Chip) release() {
	if c.wake != closedChan {
		close(c.wake)
	}
	if c.closed {
		c.wake = closedChan
	} else {
		c.wake = make(chan struct{})
	}
}

var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// SetSession installs a secure messaging session established outside the
// chip (a protocol run by a plug-in); every later command must use it.
func (c *Chip) SetSession(s *sm.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = s
}

// Transmit carries one APDU to the chip in-process, so the chip serves as
// an iso7816.Transport. A chip that stops answering blocks until ctx ends.
func (c *Chip) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	done := make(chan []byte, 1)
	go func() { done <- c.Process(apdu) }()
	select {
	case resp := <-done:
		if resp == nil {
			return nil, fmt.Errorf("vchip: %w (the chip was closed or reset while mute)", iso7816.ErrNoResponse)
		}
		return resp, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("vchip: %w: %w", iso7816.ErrNoResponse, ctx.Err())
	}
}

// Process answers one command APDU with one response APDU. It returns nil
// only when the chip has stopped answering (Faults.SilentAfter) and was
// then reset or closed.
func (c *Chip) Process(apdu []byte) []byte {
	c.mu.Lock()
	c.count++
	if n := c.cfg.Faults.SilentAfter; n > 0 && c.count > n {
		if c.count == n+1 {
			c.log.Info("vchip: fault: the chip stops answering", "after", n)
		}
		wake := c.wake
		c.mu.Unlock()
		<-wake
		return nil
	}
	defer c.mu.Unlock()
	return c.process(apdu)
}

func status(sw uint16) iso7816.Response { return iso7816.Response{SW: sw} }

func (c *Chip) process(apdu []byte) []byte {
	cmd, err := iso7816.ParseCommand(apdu)
	if err != nil {
		return status(iso7816.SWWrongLength).Bytes()
	}
	if cmd.CLA == 0xFF {
		return status(iso7816.SWCLANotSupported).Bytes()
	}
	if cmd.IsExtended() && c.cfg.NoExtendedLength {
		return status(iso7816.SWWrongLength).Bytes()
	}
	if c.cfg.T0 && cmd.INS == iso7816.InsGetResponse && cmd.CLA&0x0C == 0 {
		return c.getResponse(cmd).Bytes()
	}
	c.pending = nil
	limit := iso7816.MaxShortNe
	if cmd.IsExtended() {
		limit = iso7816.MaxExtendedNe
	}
	switch cmd.CLA & iso7816.ClassSecureMessaging {
	case 0:
		if c.session != nil {
			// An unprotected command ends secure messaging (ISO/IEC 7816-4
			// section 10.2).
			c.session = nil
			c.log.Debug("vchip: unprotected command ends secure messaging", "cmd", cmd.String())
		}
		resp, next := c.dispatch(cmd, false, limit)
		if next != nil {
			c.session = next
		}
		return c.t0(resp)
	case iso7816.ClassSecureMessaging:
	default:
		return status(iso7816.SWSMNotSupported).Bytes()
	}
	if c.session == nil {
		return status(iso7816.SWSMDataIncorrect).Bytes()
	}
	plain, err := c.session.UnwrapCommand(cmd)
	if err != nil {
		c.session = nil
		c.log.Info("vchip: secure messaging error, session ended", "err", err)
		if errors.Is(err, sm.ErrMissingMAC) {
			return status(iso7816.SWSMDataMissing).Bytes()
		}
		return status(iso7816.SWSMDataIncorrect).Bytes()
	}
	resp, next := c.dispatch(plain, true, c.session.MaxPlainResponse(limit))
	out, err := c.session.WrapResponse(resp)
	if err != nil {
		c.session = nil
		return status(iso7816.SWSMDataIncorrect).Bytes()
	}
	c.protected++
	if n := c.cfg.Faults.CorruptMACAfter; n > 0 && c.protected > n {
		out.Data[len(out.Data)-1] ^= 0x5A
		if c.protected == n+1 {
			c.log.Info("vchip: fault: corrupting response MACs", "after", n)
		}
	}
	if next != nil {
		c.session = next
	}
	return c.t0(out)
}

// t0 holds back response data for GET RESPONSE when the chip speaks T=0.
func (c *Chip) t0(r iso7816.Response) []byte {
	if !c.cfg.T0 || len(r.Data) == 0 {
		return r.Bytes()
	}
	c.pending, c.pendingSW = r.Data, r.SW
	return status(0x6100 | uint16(min(len(r.Data), 256)&0xFF)).Bytes()
}

func (c *Chip) getResponse(cmd iso7816.Command) iso7816.Response {
	if len(c.pending) == 0 {
		return status(iso7816.SWConditionsOfUse)
	}
	n := min(max(cmd.Ne, 1), len(c.pending))
	out := iso7816.Response{Data: c.pending[:n], SW: c.pendingSW}
	c.pending = c.pending[n:]
	if len(c.pending) > 0 {
		out.SW = 0x6100 | uint16(min(len(c.pending), 256)&0xFF)
	}
	return out
}

// accessControlled reports whether the chip guards its files with an
// access key.
func (c *Chip) accessControlled() bool { return c.cfg.MRZInfo != "" || c.cfg.PACE != nil }

// dispatch executes a plain command. limit bounds the response data so
// the (protected) response fits the length form the terminal used. It
// returns the session to switch to after the response, if any.
func (c *Chip) dispatch(cmd iso7816.Command, secure bool, limit int) (iso7816.Response, *sm.Session) {
	if cmd.CLA&iso7816.ClassChaining != 0 && cmd.INS != iso7816.InsGeneralAuthenticate {
		return status(0x6884), nil // chaining only for GENERAL AUTHENTICATE
	}
	if cmd.CLA&^(iso7816.ClassChaining|0x03) != 0 {
		return status(iso7816.SWCLANotSupported), nil
	}
	switch cmd.INS {
	case iso7816.InsSelect:
		return c.selectFile(cmd), nil
	case iso7816.InsReadBinary, iso7816.InsReadBinaryOdd:
		return c.readBinary(cmd, secure, limit), nil
	case iso7816.InsGetChallenge:
		if cmd.Ne != 8 || len(cmd.Data) != 0 {
			return status(iso7816.SWWrongLength), nil
		}
		c.challenge = make([]byte, 8)
		if _, err := io.ReadFull(c.rng, c.challenge); err != nil {
			c.challenge = nil
			return status(iso7816.SWNoDiagnosis), nil
		}
		return iso7816.Response{Data: c.challenge, SW: iso7816.SWOK}, nil
	case iso7816.InsExternalAuthenticate:
		return c.externalAuthenticate(cmd, secure)
	case iso7816.InsManageSecurityEnv:
		return c.manageSecurityEnv(cmd, secure)
	case iso7816.InsGeneralAuthenticate:
		return c.generalAuthenticate(cmd, secure)
	case iso7816.InsInternalAuthenticate:
		return c.internalAuthenticate(cmd, secure, limit), nil
	case ta.InsPerformSecurityOperation:
		return c.verifyCertificate(cmd, secure), nil
	}
	return status(iso7816.SWINSNotSupported), nil
}

func (c *Chip) lookup(fid uint16) *file {
	files, inMF := c.cfg.Files, false
	if !c.inApp {
		files, inMF = c.cfg.MasterFiles, true
	}
	data, ok := files[fid]
	if !ok {
		return nil
	}
	open := !c.accessControlled() ||
		inMF && (fid == iso7816.FIDCardAccess || fid == iso7816.FIDATRInfo || fid == iso7816.FIDDir)
	return &file{fid: fid, data: data, open: open, eac: !inMF && eacGroup(fid) != 0}
}

func (c *Chip) selectFile(cmd iso7816.Command) iso7816.Response {
	if cmd.P2 != 0x0C && cmd.P2 != 0x00 && cmd.P2 != 0x04 {
		return status(iso7816.SWWrongP1P2)
	}
	switch cmd.P1 {
	case 0x04: // by DF name
		if !bytes.Equal(cmd.Data, iso7816.AIDLDS1) {
			return status(iso7816.SWFileNotFound)
		}
		c.inApp, c.current = true, nil
		return status(iso7816.SWOK)
	case 0x00, 0x02:
		if cmd.P1 == 0x00 && (len(cmd.Data) == 0 || bytes.Equal(cmd.Data, []byte{0x3F, 0x00})) {
			c.inApp, c.current = false, nil
			return status(iso7816.SWOK)
		}
		if len(cmd.Data) != 2 {
			return status(iso7816.SWWrongLength)
		}
		f := c.lookup(uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1]))
		if f == nil {
			return status(iso7816.SWFileNotFound)
		}
		if !c.eacGranted(f) {
			return status(iso7816.SWSecurityStatus)
		}
		c.current = f
		if cmd.P2 == 0x0C {
			return status(iso7816.SWOK)
		}
		// File control parameters: size, descriptor (transparent EF), FID.
		fcp := tlv.Encode(0x62,
			tlv.Encode(0x80, []byte{byte(len(f.data) >> 8), byte(len(f.data))}),
			tlv.Encode(0x82, []byte{0x01}),
			tlv.Encode(0x83, cmd.Data))
		return iso7816.Response{Data: fcp, SW: iso7816.SWOK}
	}
	return status(iso7816.SWWrongP1P2)
}

func (c *Chip) readBinary(cmd iso7816.Command, secure bool, limit int) iso7816.Response {
	f, off := c.current, 0
	odd := cmd.INS == iso7816.InsReadBinaryOdd
	if !odd {
		if cmd.P1&0x80 != 0 { // short file identifier in P1, offset in P2
			if f = c.lookup(0x0100 | uint16(cmd.P1&0x1F)); f == nil {
				return status(iso7816.SWFileNotFound)
			}
			c.current, off = f, int(cmd.P2)
		} else {
			off = int(cmd.P1)<<8 | int(cmd.P2)
		}
	} else {
		switch p := uint16(cmd.P1)<<8 | uint16(cmd.P2); {
		case p == 0:
		case cmd.P1 == 0 && cmd.P2 <= 0x1F:
			f = c.lookup(0x0100 | uint16(cmd.P2))
		default:
			f = c.lookup(p)
		}
		if f == nil && (cmd.P1 != 0 || cmd.P2 != 0) {
			return status(iso7816.SWFileNotFound)
		}
		do, rest, err := tlv.Next(cmd.Data)
		if err != nil || do.Tag != 0x54 || len(rest) != 0 || len(do.Value) == 0 || len(do.Value) > 3 {
			return status(iso7816.SWWrongData)
		}
		for _, b := range do.Value {
			off = off<<8 | int(b)
		}
		if f != nil {
			c.current = f
		}
	}
	if f == nil {
		return status(0x6986) // no current EF
	}
	if !f.open && !secure || !c.eacGranted(f) {
		return status(iso7816.SWSecurityStatus)
	}
	if cmd.Ne == 0 {
		return status(iso7816.SWWrongLength)
	}
	if off > len(f.data) {
		return status(iso7816.SWWrongParameters)
	}
	want, room := cmd.Ne, min(cmd.Ne, limit)
	if odd { // room for the header of DO'53'
		for room > 0 && room+1+len(tlv.EncodeLength(room)) > min(cmd.Ne, limit) {
			room--
		}
		want = room
	}
	n := min(want, room, len(f.data)-off)
	data := f.data[off : off+n]
	sw := iso7816.SWOK
	if n < want && off+n == len(f.data) {
		sw = iso7816.SWEndOfFile
	}
	if odd {
		data = tlv.Encode(0x53, data)
	}
	return iso7816.Response{Data: data, SW: sw}
}

func (c *Chip) externalAuthenticate(cmd iso7816.Command, secure bool) (iso7816.Response, *sm.Session) {
	if secure && c.ta.terminal != nil {
		return c.terminalAuthenticate(cmd), nil
	}
	if c.cfg.MRZInfo == "" {
		return status(iso7816.SWINSNotSupported), nil
	}
	if secure || c.challenge == nil {
		return status(iso7816.SWConditionsOfUse), nil
	}
	challenge := c.challenge
	c.challenge = nil // one try per challenge
	if len(cmd.Data) != 40 || cmd.Ne != 0 && cmd.Ne < 40 {
		return status(iso7816.SWWrongLength), nil
	}
	kIC := make([]byte, 16)
	if _, err := io.ReadFull(c.rng, kIC); err != nil {
		return status(iso7816.SWNoDiagnosis), nil
	}
	resp, s, err := bac.ChipAnswer(c.bacMRZ, challenge, kIC, cmd.Data)
	if err != nil {
		c.log.Info("vchip: BAC refused", "err", err)
		return status(iso7816.SWAuthenticationFailed), nil
	}
	c.log.Debug("vchip: BAC done, 3DES secure messaging")
	c.viaBAC, c.ta = true, taState{}
	return iso7816.Response{Data: resp, SW: iso7816.SWOK}, s
}

// dos splits a command's data into its data objects by tag; a tag twice
// or bytes that are not TLV make it fail.
func dos(b []byte) (map[tlv.Tag][]byte, bool) {
	out := map[tlv.Tag][]byte{}
	for len(b) > 0 {
		do, rest, err := tlv.Next(b)
		if err != nil {
			return nil, false
		}
		if _, dup := out[do.Tag]; dup {
			return nil, false
		}
		out[do.Tag] = do.Value
		b = rest
	}
	return out, true
}

func (c *Chip) keyIDMatches(ref []byte, present bool) bool {
	if !present {
		return true
	}
	return c.cfg.CAKeyID != nil && new(big.Int).SetBytes(ref).Cmp(c.cfg.CAKeyID) == 0
}

func (c *Chip) manageSecurityEnv(cmd iso7816.Command, secure bool) (iso7816.Response, *sm.Session) {
	switch p1p2 := uint16(cmd.P1)<<8 | uint16(cmd.P2); p1p2 {
	case 0xC1A4: // PACE
		if c.cfg.PACE == nil {
			return status(iso7816.SWWrongP1P2), nil
		}
		c.paceActive = true
		return c.pace(cmd)
	case 0x41A6, 0x41A4: // Chip Authentication: Set KAT (3DES), Set AT (AES)
		if c.caKey == nil {
			return status(iso7816.SWWrongP1P2), nil
		}
		if !secure {
			return status(iso7816.SWConditionsOfUse), nil
		}
		d, ok := dos(cmd.Data)
		if !ok {
			return status(iso7816.SWWrongData), nil
		}
		ref, hasRef := d[0x84]
		if !c.keyIDMatches(ref, hasRef) {
			return status(iso7816.SWRefDataNotFound), nil
		}
		if p1p2 == 0x41A4 {
			oid, err := chipauth.OIDFromValue(d[0x80])
			if err != nil {
				return status(iso7816.SWWrongData), nil
			}
			ci, err := chipauth.ChipKey{Protocol: oid}.Cipher()
			if err != nil || ci == kdf.TDES {
				return status(iso7816.SWWrongData), nil
			}
			c.caPending = ci
			return status(iso7816.SWOK), nil
		}
		return c.chipAuthenticate(kdf.TDES, d[0x91], iso7816.Response{SW: iso7816.SWOK})
	case 0x81B6: // Terminal Authentication: Set DST (certificate verification key)
		return c.setDST(cmd, secure), nil
	case 0x81A4: // Terminal Authentication: Set AT (the IS key)
		return c.setTAKey(cmd, secure), nil
	}
	return status(iso7816.SWWrongP1P2), nil
}

// chipAuthenticate agrees on a secret with the terminal's ephemeral key
// and returns the session to switch to after resp.
func (c *Chip) chipAuthenticate(ci kdf.Cipher, terminal []byte, resp iso7816.Response) (iso7816.Response, *sm.Session) {
	z, err := chipauth.ChipAgree(c.caKey, terminal)
	if err != nil {
		c.log.Info("vchip: Chip Authentication refused", "err", err)
		return status(iso7816.SWWrongData), nil
	}
	s, err := chipauth.SessionFromSecret(ci, z)
	if err != nil {
		return status(iso7816.SWNoDiagnosis), nil
	}
	c.log.Debug("vchip: Chip Authentication done", "cipher", ci.String())
	c.ta = taState{caSession: s, caTerminalKey: append([]byte{}, terminal...)}
	return resp, s
}

func (c *Chip) generalAuthenticate(cmd iso7816.Command, secure bool) (iso7816.Response, *sm.Session) {
	if c.paceActive && !secure && c.cfg.PACE != nil {
		return c.pace(cmd)
	}
	if c.caPending == 0 || !secure || cmd.CLA&iso7816.ClassChaining != 0 {
		return status(iso7816.SWConditionsOfUse), nil
	}
	ci := c.caPending
	c.caPending = 0
	inner, err := iso7816.ParseDynamicAuthData(cmd.Data)
	if err != nil {
		return status(iso7816.SWWrongData), nil
	}
	d, ok := dos(inner)
	if !ok || len(d[0x80]) == 0 {
		return status(iso7816.SWWrongData), nil
	}
	return c.chipAuthenticate(ci, d[0x80], iso7816.Response{Data: []byte{0x7C, 0x00}, SW: iso7816.SWOK})
}

func (c *Chip) pace(cmd iso7816.Command) (iso7816.Response, *sm.Session) {
	resp, s := c.cfg.PACE.HandlePACE(cmd)
	if s != nil {
		c.paceActive = false
		c.viaBAC, c.ta = false, taState{}
		c.paceID = nil
		if id, ok := c.cfg.PACE.(PACEIdentity); ok {
			c.paceID = id.IDPICC()
		}
		c.log.Debug("vchip: PACE done")
	}
	return resp, s
}

func (c *Chip) internalAuthenticate(cmd iso7816.Command, secure bool, limit int) iso7816.Response {
	if c.aaKey == nil {
		return status(iso7816.SWINSNotSupported)
	}
	if c.accessControlled() && !secure {
		return status(iso7816.SWSecurityStatus)
	}
	if len(cmd.Data) != 8 || cmd.Ne == 0 {
		return status(iso7816.SWWrongLength)
	}
	sig, err := chipauth.SignActiveAuthentication(c.aaKey, cmd.Data, c.cfg.AAHash, c.rng)
	if err != nil {
		c.log.Error("vchip: Active Authentication", "err", err)
		return status(iso7816.SWNoDiagnosis)
	}
	if len(sig) > min(limit, cmd.Ne) {
		// The signature does not fit the length form used: the terminal
		// must ask with extended length.
		return status(iso7816.SWWrongLength)
	}
	return iso7816.Response{Data: sig, SW: iso7816.SWOK}
}

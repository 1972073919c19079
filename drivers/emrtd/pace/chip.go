package pace

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
)

// ChipConfig configures the card side of PACE.
type ChipConfig struct {
	// Infos are the PACE configurations the chip offers; MSE:Set AT may
	// select only these. Each needs a parameter ID naming standardized
	// domain parameters.
	Infos []PACEInfo
	// Passwords the chip knows (MRZ, CAN).
	Passwords []Password
	// CAKeys are the chip's static Chip Authentication private keys by key
	// ID, for PACE-CAM: a CAM PACEInfo uses the key whose ID equals its
	// parameter ID (9303-11 section 9.2.1), on the same curve.
	CAKeys map[int]*big.Int
	// Rand is the randomness source; nil means crypto/rand.
	Rand io.Reader
}

// CardAccess returns EF.CardAccess for the configuration: the SecurityInfos
// holding its PACEInfos.
func (c ChipConfig) CardAccess() []byte {
	entries := make([][]byte, len(c.Infos))
	for i, info := range c.Infos {
		entries[i] = info.Marshal()
	}
	return MarshalSecurityInfos(entries...)
}

// ChipSession is what a successful PACE run established on the card side.
type ChipSession struct {
	Protocol Protocol
	Info     PACEInfo
	Password PasswordRef
	// KSEnc and KSMAC are the secure messaging keys; the send sequence
	// counter starts at zero.
	KSEnc, KSMAC []byte
	// IDPICC identifies the chip for Terminal Authentication after PACE.
	IDPICC []byte
}

// SecureMessaging starts the card side's secure messaging session with
// the established keys and the send sequence counter at zero.
func (s *ChipSession) SecureMessaging() (*sm.Session, error) {
	return sm.New(s.Protocol.Cipher, s.KSEnc, s.KSMAC, make([]byte, sm.BlockSize(s.Protocol.Cipher)))
}

type chipState int

const (
	chipIdle      chipState = iota // waiting for MSE:Set AT
	chipSelected                   // MSE:Set AT done, nonce not yet sent
	chipNonceSent                  // waiting for mapping data
	chipMapped                     // waiting for the terminal's ephemeral key
	chipAgreed                     // waiting for the terminal's token
)

// Chip is the card side of PACE, for a virtual chip: it answers MSE:Set AT
// and the GENERAL AUTHENTICATE chain. It is not safe for concurrent use,
// like the chip it models.
type Chip struct {
	cfg   ChipConfig
	rand  io.Reader
	state chipState

	proto   Protocol
	info    PACEInfo
	dp      *DomainParams
	pw      Password
	nonce   []byte
	mapPriv *big.Int // SK_Map,IC (GM, CAM)
	mapPub  elem     // PK_Map,IC
	mapped  *group
	ephPub  elem // PK_DH,IC
	peerPub elem // PK_DH,IFD
	ksEnc   []byte
	ksMAC   []byte

	session *ChipSession
	err     error

	// Test hooks: a fixed nonce and private keys used in order instead of
	// random ones, to replay the worked examples.
	fixedNonce []byte
	fixedKeys  []*big.Int
}

// NewChip checks the configuration and returns a chip waiting for MSE:Set AT.
func NewChip(cfg ChipConfig) (*Chip, error) {
	if len(cfg.Infos) == 0 {
		return nil, errors.New("pace: chip configuration offers no PACEInfo")
	}
	if len(cfg.Passwords) == 0 {
		return nil, errors.New("pace: chip configuration has no password")
	}
	for i, info := range cfg.Infos {
		proto, ok := ProtocolByOID(info.Protocol)
		if !ok {
			return nil, fmt.Errorf("pace: chip PACEInfo %d: unknown protocol %v", i, info.Protocol)
		}
		if !info.HasParameterID {
			return nil, fmt.Errorf("pace: chip PACEInfo %d (%v) needs a parameter ID", i, proto)
		}
		dp, err := StandardDomainParams(info.ParameterID)
		if err != nil {
			return nil, fmt.Errorf("pace: chip PACEInfo %d (%v): %w", i, proto, err)
		}
		if dp.Agreement != proto.Agreement {
			return nil, fmt.Errorf("pace: chip PACEInfo %d: %v needs %v domain parameters, %s is %v", i, proto, proto.Agreement, dp.Name, dp.Agreement)
		}
		if proto.Mapping == IntegratedMapping && dp.Agreement == ECDH {
			if _, _, err := encodePoint(dp, big.NewInt(2)); err != nil {
				return nil, fmt.Errorf("pace: chip PACEInfo %d: %w", i, err)
			}
		}
		if proto.Mapping == ChipAuthenticationMapping {
			k, ok := cfg.CAKeys[info.ParameterID]
			if !ok {
				return nil, fmt.Errorf("pace: chip PACEInfo %d (%v) needs a Chip Authentication key with ID %d", i, proto, info.ParameterID)
			}
			if k.Sign() <= 0 || k.Cmp(dp.Order()) >= 0 {
				return nil, fmt.Errorf("pace: chip Chip Authentication key %d is not a private key of %s", info.ParameterID, dp.Name)
			}
		}
	}
	c := &Chip{cfg: cfg, rand: cfg.Rand}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}

// Handles reports whether cmd is a PACE command (plain MSE:Set AT for PACE
// or GENERAL AUTHENTICATE), so a virtual chip can route it here.
func (c *Chip) Handles(cmd iso7816.Command) bool {
	if cmd.CLA&^iso7816.ClassChaining != 0 {
		return false
	}
	return (cmd.INS == iso7816.InsManageSecurityEnv && cmd.P1 == 0xC1 && cmd.P2 == 0xA4) ||
		(cmd.INS == iso7816.InsGeneralAuthenticate && cmd.P1 == 0 && cmd.P2 == 0)
}

// Established returns the session of the last successful run, nil if none.
func (c *Chip) Established() *ChipSession { return c.session }

// Err returns why the chip refused its last command (nil if it did not),
// for the virtual chip's log.
func (c *Chip) Err() error { return c.err }

// Reset forgets any run in progress and the established session, as a
// chip does when it leaves the field.
func (c *Chip) Reset() {
	*c = Chip{cfg: c.cfg, rand: c.rand, fixedNonce: c.fixedNonce, fixedKeys: c.fixedKeys}
}

// Transmit answers one raw command APDU, so the chip can stand in for a
// card in tests: PACE commands go to Handle, anything else gets 6D00.
func (c *Chip) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	cmd, err := iso7816.ParseCommand(apdu)
	if err != nil {
		c.err = err
		return iso7816.Response{SW: iso7816.SWWrongLength}.Bytes(), nil
	}
	if !c.Handles(cmd) {
		c.err = fmt.Errorf("not a PACE command: %v", cmd)
		return iso7816.Response{SW: iso7816.SWINSNotSupported}.Bytes(), nil
	}
	return c.Handle(cmd).Bytes(), nil
}

// Handle answers MSE:Set AT or one GENERAL AUTHENTICATE step. Any failure
// answers an error status and sends the chip back to waiting for MSE:Set AT.
func (c *Chip) Handle(cmd iso7816.Command) iso7816.Response {
	var data []byte
	var sw uint16
	var err error
	switch {
	case cmd.INS == iso7816.InsManageSecurityEnv:
		sw, err = c.setAT(cmd)
	case cmd.INS == iso7816.InsGeneralAuthenticate:
		data, sw, err = c.generalAuthenticate(cmd)
	default:
		sw, err = iso7816.SWINSNotSupported, fmt.Errorf("not a PACE command: %v", cmd)
	}
	c.err = err
	if err != nil {
		c.abort()
		return iso7816.Response{SW: sw}
	}
	return iso7816.Response{Data: data, SW: iso7816.SWOK}
}

// abort drops the run in progress.
func (c *Chip) abort() {
	c.state = chipIdle
	c.nonce, c.mapPriv, c.mapped, c.ksEnc, c.ksMAC = nil, nil, nil, nil, nil
}

func (c *Chip) setAT(cmd iso7816.Command) (uint16, error) {
	c.abort()
	c.session = nil
	if cmd.CLA != 0 {
		return iso7816.SWConditionsOfUse, errors.New("MSE:Set AT sent with command chaining")
	}
	// The data field is a flat list of data objects; unknown tags are
	// ignored (9303-11 section 4.4.4.1, note 2).
	var oid asn1.ObjectIdentifier
	var ref []byte
	var param []byte
	for body := cmd.Data; len(body) > 0; {
		do, rest, err := tlv.Next(body)
		if err != nil {
			return iso7816.SWWrongData, fmt.Errorf("MSE:Set AT data: %v", err)
		}
		switch do.Tag {
		case 0x80:
			o, err := parseOIDContent(do.Value)
			if err != nil {
				return iso7816.SWWrongData, fmt.Errorf("MSE:Set AT: %v", err)
			}
			oid = o
		case 0x83:
			ref = do.Value
		case 0x84:
			param = do.Value
		}
		body = rest
	}
	if oid == nil {
		return iso7816.SWWrongData, errors.New("MSE:Set AT without a protocol (tag 80)")
	}
	if len(ref) != 1 {
		return iso7816.SWWrongData, errors.New("MSE:Set AT without a one-byte password reference (tag 83)")
	}
	var candidates []PACEInfo
	for _, info := range c.cfg.Infos {
		if !info.Protocol.Equal(oid) {
			continue
		}
		if param != nil && (len(param) != 1 || int(param[0]) != info.ParameterID) {
			continue
		}
		candidates = append(candidates, info)
	}
	switch {
	case len(candidates) == 0 && param != nil:
		return iso7816.SWRefDataNotFound, fmt.Errorf("MSE:Set AT: no domain parameters %X for %v", param, oid)
	case len(candidates) == 0:
		return iso7816.SWWrongData, fmt.Errorf("MSE:Set AT: protocol %v not supported", oid)
	case len(candidates) > 1:
		return iso7816.SWWrongData, fmt.Errorf("MSE:Set AT: %v is offered with several domain parameters; tag 84 must pick one", oid)
	}
	var pw *Password
	for i := range c.cfg.Passwords {
		if c.cfg.Passwords[i].Ref == PasswordRef(ref[0]) {
			pw = &c.cfg.Passwords[i]
		}
	}
	if pw == nil {
		return iso7816.SWRefDataNotFound, fmt.Errorf("MSE:Set AT: password %v not available", PasswordRef(ref[0]))
	}
	c.info = candidates[0]
	c.proto, _ = ProtocolByOID(c.info.Protocol)
	c.dp, _ = StandardDomainParams(c.info.ParameterID)
	c.pw = *pw
	c.state = chipSelected
	return iso7816.SWOK, nil
}

func (c *Chip) generalAuthenticate(cmd iso7816.Command) ([]byte, uint16, error) {
	last := cmd.CLA&iso7816.ClassChaining == 0
	if (c.state == chipAgreed) != last {
		return nil, iso7816.SWConditionsOfUse, fmt.Errorf("GENERAL AUTHENTICATE with CLA %02X out of step (%d)", cmd.CLA, c.state)
	}
	dos, err := parseDynAuth(cmd.Data)
	if err != nil {
		return nil, iso7816.SWWrongData, err
	}
	switch c.state {
	case chipSelected:
		return c.sendNonce(dos)
	case chipNonceSent:
		return c.mapNonce(dos)
	case chipMapped:
		return c.agree(dos)
	case chipAgreed:
		return c.mutualAuth(dos)
	}
	return nil, iso7816.SWConditionsOfUse, errors.New("GENERAL AUTHENTICATE before MSE:Set AT")
}

func (c *Chip) privateKey(g *group) (*big.Int, error) {
	if len(c.fixedKeys) > 0 {
		k := c.fixedKeys[0]
		c.fixedKeys = c.fixedKeys[1:]
		return k, nil
	}
	return g.randomScalar(c.rand)
}

func (c *Chip) sendNonce(dos dataObjects) ([]byte, uint16, error) {
	if len(dos) != 0 {
		return nil, iso7816.SWWrongData, errors.New("step 1 carries data; want an empty 7C")
	}
	s := make([]byte, nonceLen(c.proto.Cipher))
	if c.fixedNonce != nil {
		s = append(s[:0], c.fixedNonce...)
	} else if _, err := io.ReadFull(c.rand, s); err != nil {
		return nil, iso7816.SWNoDiagnosis, fmt.Errorf("drawing the nonce: %w", err)
	}
	kpi := c.pw.key(c.proto.Cipher)
	z, err := sm.Encrypt(c.proto.Cipher, kpi, nil, s)
	if err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	c.nonce = s
	c.state = chipNonceSent
	return dynAuth(tlv.Encode(0x80, z)), iso7816.SWOK, nil
}

func (c *Chip) mapNonce(dos dataObjects) ([]byte, uint16, error) {
	if err := dos.only([]tlv.Tag{0x81}); err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 2: %v", err)
	}
	base := c.dp.baseGroup()
	if c.proto.Mapping == IntegratedMapping {
		r, err := pseudoRandom(c.proto.Cipher, c.nonce, dos[0x81], c.dp.Prime())
		if err != nil {
			return nil, iso7816.SWWrongData, fmt.Errorf("step 2: %v", err)
		}
		if c.mapped, err = base.mapIntegrated(new(big.Int).SetBytes(r)); err != nil {
			return nil, iso7816.SWWrongData, fmt.Errorf("step 2: %v", err)
		}
		c.state = chipMapped
		return dynAuth(tlv.Encode(0x82, nil)), iso7816.SWOK, nil
	}
	peer, err := base.decode(dos[0x81])
	if err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 2: terminal's mapping key: %v", err)
	}
	if c.mapPriv, err = c.privateKey(base); err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	if c.mapPub, err = base.public(c.mapPriv); err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	if base.equal(peer, c.mapPub) {
		return nil, iso7816.SWWrongData, errors.New("step 2: terminal echoed the chip's mapping key")
	}
	h, err := base.mul(c.mapPriv, peer)
	if err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 2: %v", err)
	}
	if c.mapped, err = base.mapGeneric(c.nonce, h); err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 2: %v", err)
	}
	c.state = chipMapped
	return dynAuth(tlv.Encode(0x82, base.encode(c.mapPub))), iso7816.SWOK, nil
}

func (c *Chip) agree(dos dataObjects) ([]byte, uint16, error) {
	if err := dos.only([]tlv.Tag{0x83}); err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 3: %v", err)
	}
	peer, err := c.mapped.decode(dos[0x83])
	if err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 3: terminal's ephemeral key: %v", err)
	}
	priv, err := c.privateKey(c.mapped)
	if err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	pub, err := c.mapped.public(priv)
	if err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	if c.mapped.equal(peer, pub) {
		return nil, iso7816.SWWrongData, errors.New("step 3: terminal echoed the chip's ephemeral key")
	}
	k, err := c.mapped.mul(priv, peer)
	if err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 3: %v", err)
	}
	secret := c.mapped.sharedSecret(k)
	c.ksEnc = kdf.Derive(c.proto.Cipher, secret, kdf.CounterEnc)
	c.ksMAC = kdf.Derive(c.proto.Cipher, secret, kdf.CounterMAC)
	c.ephPub, c.peerPub = pub, peer
	c.state = chipAgreed
	return dynAuth(tlv.Encode(0x84, c.mapped.encode(pub))), iso7816.SWOK, nil
}

func (c *Chip) mutualAuth(dos dataObjects) ([]byte, uint16, error) {
	if err := dos.only([]tlv.Tag{0x85}); err != nil {
		return nil, iso7816.SWWrongData, fmt.Errorf("step 4: %v", err)
	}
	want, err := authToken(c.proto.Cipher, c.ksMAC, tokenInput(c.proto, c.mapped, c.ephPub))
	if err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	if subtle.ConstantTimeCompare(want, dos[0x85]) != 1 {
		// The terminal derived other keys: it used another password.
		return nil, iso7816.SWAuthenticationFailed, fmt.Errorf("step 4: %w", ErrAccessDenied)
	}
	tic, err := authToken(c.proto.Cipher, c.ksMAC, tokenInput(c.proto, c.mapped, c.peerPub))
	if err != nil {
		return nil, iso7816.SWNoDiagnosis, err
	}
	out := [][]byte{tlv.Encode(0x86, tic)}
	if c.proto.Mapping == ChipAuthenticationMapping {
		a, err := c.chipAuthenticationData()
		if err != nil {
			return nil, iso7816.SWNoDiagnosis, err
		}
		out = append(out, tlv.Encode(0x8A, a))
	}
	c.session = &ChipSession{Protocol: c.proto, Info: c.info, Password: c.pw.Ref, KSEnc: c.ksEnc, KSMAC: c.ksMAC,
		IDPICC: IDPICC(c.proto.Agreement, c.mapped.encode(c.ephPub))}
	c.abort()
	return dynAuth(out...), iso7816.SWOK, nil
}

// chipAuthenticationData computes A_IC = E(KSEnc, CA_IC) with
// CA_IC = SK_IC⁻¹ · SK_Map,IC mod n (9303-11 section 4.4.3.5.1).
func (c *Chip) chipAuthenticationData() ([]byte, error) {
	n := c.dp.Order()
	inv := new(big.Int).ModInverse(c.cfg.CAKeys[c.info.ParameterID], n)
	if inv == nil {
		return nil, errors.New("chip authentication key is not invertible")
	}
	ca := inv.Mul(inv, c.mapPriv)
	ca.Mod(ca, n)
	return encryptCAData(c.proto.Cipher, c.ksEnc, ca.FillBytes(make([]byte, (n.BitLen()+7)/8)))
}

// NewChipAuthenticationKey draws a static Chip Authentication key pair on
// standardized ECDH domain parameters and returns the private key with the
// ChipAuthenticationPublicKeyInfo for EF.CardSecurity and EF.DG14 (key ID =
// parameter ID, as PACE-CAM requires).
func NewChipAuthenticationKey(paramID int, r io.Reader) (*big.Int, ChipAuthenticationPublicKeyInfo, error) {
	dp, err := StandardDomainParams(paramID)
	if err != nil {
		return nil, ChipAuthenticationPublicKeyInfo{}, err
	}
	if dp.Agreement != ECDH {
		return nil, ChipAuthenticationPublicKeyInfo{}, fmt.Errorf("pace: Chip Authentication keys for PACE-CAM need ECDH domain parameters, %s is DH", dp.Name)
	}
	if r == nil {
		r = rand.Reader
	}
	g := dp.baseGroup()
	k, err := g.randomScalar(r)
	if err != nil {
		return nil, ChipAuthenticationPublicKeyInfo{}, err
	}
	pub, err := g.public(k)
	if err != nil {
		return nil, ChipAuthenticationPublicKeyInfo{}, err
	}
	return k, ChipAuthenticationPublicKeyInfo{
		Protocol:  OIDPKECDH,
		Algorithm: AlgorithmIdentifier{Algorithm: OIDStandardizedDomainParameters, Parameters: encodeInt(big.NewInt(int64(paramID)))},
		PublicKey: g.encode(pub),
		KeyID:     paramID,
		HasKeyID:  true,
	}, nil
}

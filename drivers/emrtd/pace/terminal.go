package pace

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
)

// ParamIDPolicy says when MSE:Set AT carries the domain parameter ID
// (tag 84).
type ParamIDPolicy int

const (
	// ParamIDWhenAmbiguous sends tag 84 when the chip offers the chosen
	// protocol with more than one set of domain parameters, as 9303-11
	// section 4.4.4.1 requires; the worked examples leave it out otherwise.
	ParamIDWhenAmbiguous ParamIDPolicy = iota
	// ParamIDAlways sends tag 84 whenever the PACEInfo has a parameter ID.
	ParamIDAlways
)

// Config says how the terminal runs PACE.
type Config struct {
	Password Password
	// CardAccess is the parsed EF.CardAccess. When it and Info are nil,
	// Establish reads EF.CardAccess from the chip.
	CardAccess *SecurityInfos
	// Info forces the PACEInfo to run; nil picks the best one CardAccess offers.
	Info *PACEInfo
	// CardSecurity, when already known (and verified), lets Establish
	// finish PACE-CAM chip authentication at once; otherwise call
	// Result.VerifyChip once EF.CardSecurity is read and verified.
	CardSecurity *SecurityInfos
	ParamID      ParamIDPolicy
	// Rand is the randomness source; nil means crypto/rand.
	Rand io.Reader
}

// Result is an established PACE channel.
type Result struct {
	// Session holds the secure messaging keys, send sequence counter zero.
	Session  *sm.Session
	Protocol Protocol
	Info     PACEInfo
	Params   *DomainParams
	Password PasswordRef
	KSEnc    []byte
	KSMAC    []byte
	// CARs are the certification authority references (tags 87, 88) the
	// chip returned for Terminal Authentication, if any.
	CARs [][]byte
	// CAM is the chip authentication part of PACE-CAM, nil for GM and IM.
	CAM *CAMData
	// IDPICC identifies the chip for Terminal Authentication after PACE:
	// Comp of its ephemeral PACE key.
	IDPICC []byte
}

// CAMData is what PACE-CAM hands the terminal to authenticate the chip.
type CAMData struct {
	// MappingPublicKey is PK_Map,IC as the chip sent it in step 2.
	MappingPublicKey []byte
	// CAData is the decrypted Chip Authentication Data CA_IC.
	CAData []byte
	// Verified is set once CA_IC has been checked against the chip's static
	// public key.
	Verified bool
}

// Establish runs PACE as the terminal over t and returns the session keys.
// Failures are *Error values naming the step; errors.Is tells the cause:
// ErrAccessDenied (wrong password), ErrChipToken (impostor chip),
// ErrChipAuthentication (CAM check failed), ErrMalformed, ErrChipStatus,
// ErrUnsupported, ErrTransport.
func Establish(ctx context.Context, t iso7816.Transport, cfg Config) (*Result, error) {
	return newTerminal(t, cfg).run(ctx)
}

type terminal struct {
	card *iso7816.Card
	cfg  Config
	rand io.Reader

	// Test hooks: private keys used in order instead of random ones, and a
	// fixed Integrated Mapping nonce t.
	fixedKeys []*big.Int
	fixedT    []byte
}

func newTerminal(t iso7816.Transport, cfg Config) *terminal {
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	return &terminal{card: &iso7816.Card{T: t}, cfg: cfg, rand: r}
}

func (t *terminal) privateKey(g *group) (*big.Int, error) {
	if len(t.fixedKeys) > 0 {
		k := t.fixedKeys[0]
		t.fixedKeys = t.fixedKeys[1:]
		return k, nil
	}
	return g.randomScalar(t.rand)
}

// choice is a PACEInfo resolved to what running it needs.
type choice struct {
	info     PACEInfo
	proto    Protocol
	dp       *DomainParams
	sendID   bool
	paramRef int
}

func (t *terminal) run(ctx context.Context) (*Result, error) {
	if len(t.cfg.Password.K) == 0 || t.cfg.Password.Ref == 0 {
		return nil, &Error{Step: StepSelectProtocol, Err: detail(ErrUnsupported, "no password given: build one with MRZPassword or CANPassword")}
	}
	ch, err := t.choose(ctx)
	if err != nil {
		return nil, err
	}

	// MSE:Set AT.
	dos := [][]byte{tlv.Encode(0x80, oidContent(ch.proto.OID)), tlv.Encode(0x83, []byte{byte(t.cfg.Password.Ref)})}
	if ch.sendID {
		dos = append(dos, tlv.Encode(0x84, big.NewInt(int64(ch.paramRef)).FillBytes(make([]byte, 1))))
	}
	if _, err := t.exchange(ctx, StepSetAT, iso7816.MSESetATCommand(0xC1, concat(dos...)), nil); err != nil {
		return nil, err
	}
	c := ch.proto.Cipher

	// Step 1: the encrypted nonce.
	resp, err := t.exchange(ctx, StepEncryptedNonce, iso7816.GeneralAuthenticateCommand(nil, false), []tlv.Tag{0x80})
	if err != nil {
		return nil, err
	}
	z := resp[0x80]
	if len(z) == 0 || len(z) > maxNonceLen || len(z)%sm.BlockSize(c) != 0 {
		return nil, &Error{Step: StepEncryptedNonce, Err: detail(ErrMalformed, "encrypted nonce of %d bytes, want a whole number of %d-byte blocks up to %d", len(z), sm.BlockSize(c), maxNonceLen)}
	}
	s, err := sm.Decrypt(c, t.cfg.Password.key(c), nil, z)
	if err != nil {
		return nil, &Error{Step: StepEncryptedNonce, Err: detail(ErrMalformed, "%v", err)}
	}

	// Step 2: map the nonce to an ephemeral generator.
	base := ch.dp.baseGroup()
	var mapped *group
	var chipMapKey []byte
	if ch.proto.Mapping == IntegratedMapping {
		tn := t.fixedT
		if tn == nil {
			tn = make([]byte, c.KeyLen())
			if _, err := io.ReadFull(t.rand, tn); err != nil {
				return nil, &Error{Step: StepMapNonce, Err: fmt.Errorf("drawing the nonce t: %w", err)}
			}
		}
		resp, err := t.exchange(ctx, StepMapNonce, iso7816.GeneralAuthenticateCommand(tlv.Encode(0x81, tn), false), nil, 0x82)
		if err != nil {
			return nil, err
		}
		if len(resp[0x82]) != 0 {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "mapping data 82 of %d bytes, empty for the Integrated Mapping", len(resp[0x82]))}
		}
		r, err := pseudoRandom(c, s, tn, ch.dp.Prime())
		if err != nil {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "%v", err)}
		}
		if mapped, err = base.mapIntegrated(new(big.Int).SetBytes(r)); err != nil {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "%v", err)}
		}
	} else {
		mapPriv, err := t.privateKey(base)
		if err != nil {
			return nil, &Error{Step: StepMapNonce, Err: err}
		}
		mapPub, err := base.public(mapPriv)
		if err != nil {
			return nil, &Error{Step: StepMapNonce, Err: err}
		}
		resp, err := t.exchange(ctx, StepMapNonce, iso7816.GeneralAuthenticateCommand(tlv.Encode(0x81, base.encode(mapPub)), false), []tlv.Tag{0x82})
		if err != nil {
			return nil, err
		}
		chipMapKey = resp[0x82]
		peer, err := base.decode(chipMapKey)
		if err != nil {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "chip's mapping key: %v", err)}
		}
		if base.equal(peer, mapPub) {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "the chip echoed our mapping key")}
		}
		hPoint, err := base.mul(mapPriv, peer)
		if err != nil {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "%v", err)}
		}
		if mapped, err = base.mapGeneric(s, hPoint); err != nil {
			return nil, &Error{Step: StepMapNonce, Err: detail(ErrMalformed, "%v", err)}
		}
	}

	// Step 3: ephemeral key agreement on the mapped generator.
	priv, err := t.privateKey(mapped)
	if err != nil {
		return nil, &Error{Step: StepKeyAgreement, Err: err}
	}
	pub, err := mapped.public(priv)
	if err != nil {
		return nil, &Error{Step: StepKeyAgreement, Err: err}
	}
	resp, err = t.exchange(ctx, StepKeyAgreement, iso7816.GeneralAuthenticateCommand(tlv.Encode(0x83, mapped.encode(pub)), false), []tlv.Tag{0x84})
	if err != nil {
		return nil, err
	}
	resp84 := resp[0x84]
	chipPub, err := mapped.decode(resp84)
	if err != nil {
		return nil, &Error{Step: StepKeyAgreement, Err: detail(ErrMalformed, "chip's ephemeral key: %v", err)}
	}
	if mapped.equal(chipPub, pub) {
		return nil, &Error{Step: StepKeyAgreement, Err: detail(ErrMalformed, "the chip echoed our ephemeral key")}
	}
	k, err := mapped.mul(priv, chipPub)
	if err != nil {
		return nil, &Error{Step: StepKeyAgreement, Err: detail(ErrMalformed, "%v", err)}
	}
	secret := mapped.sharedSecret(k)
	ksEnc := kdf.Derive(c, secret, kdf.CounterEnc)
	ksMAC := kdf.Derive(c, secret, kdf.CounterMAC)

	// Step 4: exchange and check the authentication tokens.
	tifd, err := authToken(c, ksMAC, tokenInput(ch.proto, mapped, chipPub))
	if err != nil {
		return nil, &Error{Step: StepMutualAuth, Err: err}
	}
	required := []tlv.Tag{0x86}
	if ch.proto.Mapping == ChipAuthenticationMapping {
		required = append(required, 0x8A)
	}
	resp, err = t.exchange(ctx, StepMutualAuth, iso7816.GeneralAuthenticateCommand(tlv.Encode(0x85, tifd), true), required, 0x87, 0x88)
	if err != nil {
		return nil, err
	}
	tic, err := authToken(c, ksMAC, tokenInput(ch.proto, mapped, pub))
	if err != nil {
		return nil, &Error{Step: StepMutualAuth, Err: err}
	}
	if subtle.ConstantTimeCompare(tic, resp[0x86]) != 1 {
		return nil, &Error{Step: StepMutualAuth, Err: ErrChipToken}
	}

	session, err := sm.New(c, ksEnc, ksMAC, make([]byte, sm.BlockSize(c)))
	if err != nil {
		return nil, &Error{Step: StepMutualAuth, Err: err}
	}
	res := &Result{Session: session, Protocol: ch.proto, Info: ch.info, Params: ch.dp,
		Password: t.cfg.Password.Ref, KSEnc: ksEnc, KSMAC: ksMAC, IDPICC: IDPICC(ch.proto.Agreement, resp84)}
	for _, tag := range []tlv.Tag{0x87, 0x88} {
		if car, ok := resp[tag]; ok {
			res.CARs = append(res.CARs, car)
		}
	}
	if ch.proto.Mapping == ChipAuthenticationMapping {
		ca, err := decryptCAData(c, ksEnc, resp[0x8A])
		if err != nil {
			return nil, &Error{Step: StepChipAuthentication, Err: detail(ErrChipAuthentication, "encrypted chip authentication data: %v", err)}
		}
		res.CAM = &CAMData{MappingPublicKey: chipMapKey, CAData: ca}
		if t.cfg.CardSecurity != nil {
			if err := res.VerifyChip(t.cfg.CardSecurity); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// exchange sends one command of the protocol and returns the data objects
// of the chip's 7C template, which must hold the required tags and may
// hold the optional ones. MSE:Set AT (required nil, no optional) returns nil.
func (t *terminal) exchange(ctx context.Context, step Step, cmd iso7816.Command, required []tlv.Tag, optional ...tlv.Tag) (dataObjects, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Step: step, Err: fmt.Errorf("%w: %w", ErrTransport, err)}
	}
	resp, err := t.card.Transmit(ctx, cmd)
	if err != nil {
		if errors.Is(err, iso7816.ErrMalformed) {
			return nil, &Error{Step: step, Err: detail(ErrMalformed, "%v", err)}
		}
		return nil, &Error{Step: step, Err: fmt.Errorf("%w: %w", ErrTransport, err)}
	}
	if !resp.OK() {
		cause := ErrChipStatus
		switch {
		case step == StepSetAT && (resp.SW == iso7816.SWWrongData || resp.SW == iso7816.SWRefDataNotFound):
			cause = ErrUnsupported
		case step == StepMutualAuth && (resp.SW == iso7816.SWAuthenticationFailed || resp.SW == iso7816.SWSecurityStatus || resp.SW&0xFFF0 == 0x63C0):
			cause = ErrAccessDenied
		}
		return nil, &Error{Step: step, SW: resp.SW, Err: detail(cause, "%s", iso7816.StatusText(resp.SW))}
	}
	if cmd.INS == iso7816.InsManageSecurityEnv {
		return nil, nil
	}
	dos, err := parseDynAuth(resp.Data)
	if err == nil {
		err = dos.only(required, optional...)
	}
	if err != nil {
		return nil, &Error{Step: step, Err: detail(ErrMalformed, "%v", err)}
	}
	return dos, nil
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// choose picks the PACEInfo to run and resolves its domain parameters.
func (t *terminal) choose(ctx context.Context) (*choice, error) {
	fail := func(err error) (*choice, error) { return nil, &Error{Step: StepSelectProtocol, Err: err} }
	infos := t.cfg.CardAccess
	if infos == nil && t.cfg.Info == nil {
		raw, err := t.card.ReadFile(ctx, iso7816.FIDCardAccess)
		if err != nil {
			if iso7816.IsStatus(err, iso7816.SWFileNotFound) {
				return fail(detail(ErrUnsupported, "the chip has no EF.CardAccess, so it does not offer PACE"))
			}
			return fail(fmt.Errorf("%w: reading EF.CardAccess: %w", ErrTransport, err))
		}
		if infos, err = ParseSecurityInfos(raw); err != nil {
			return fail(detail(ErrMalformed, "EF.CardAccess: %v", err))
		}
	}
	if infos == nil {
		infos = &SecurityInfos{}
	}
	candidates := infos.PACE
	if t.cfg.Info != nil {
		candidates = []PACEInfo{*t.cfg.Info}
	}
	var usable []*choice
	var reasons []string
	for _, info := range candidates {
		ch, err := resolve(info, infos)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		// Tag 84 is needed when the protocol comes with several parameter sets.
		n := 0
		for _, other := range infos.PACE {
			if other.Protocol.Equal(info.Protocol) {
				n++
			}
		}
		ch.sendID = info.HasParameterID && (n > 1 || t.cfg.ParamID == ParamIDAlways)
		usable = append(usable, ch)
	}
	if len(usable) == 0 {
		for _, m := range infos.Malformed {
			reasons = append(reasons, fmt.Sprintf("entry %d (%v) is malformed: %v", m.Index, m.Protocol, m.Err))
		}
		if len(reasons) == 0 {
			reasons = append(reasons, "EF.CardAccess holds no PACEInfo")
		}
		return fail(detail(ErrUnsupported, "%s", strings.Join(reasons, "; ")))
	}
	sort.SliceStable(usable, func(i, j int) bool { return rank(usable[i]) > rank(usable[j]) })
	return usable[0], nil
}

// rank orders the usable configurations: ECDH before DH (faster, shorter
// APDUs), then CAM (chip authentication for free, 9303-11 Appendix J.1),
// GM, IM; then the stronger cipher; then the larger group.
func rank(c *choice) int {
	r := 0
	if c.proto.Agreement == ECDH {
		r += 10000
	}
	r += map[Mapping]int{ChipAuthenticationMapping: 3000, GenericMapping: 2000, IntegratedMapping: 1000}[c.proto.Mapping]
	r += int(c.proto.Cipher) * 100
	return r + c.dp.Prime().BitLen()/32
}

// resolve finds the protocol and domain parameters of a PACEInfo.
func resolve(info PACEInfo, infos *SecurityInfos) (*choice, error) {
	proto, ok := ProtocolByOID(info.Protocol)
	if !ok {
		return nil, fmt.Errorf("protocol %v is not one this terminal implements", info.Protocol)
	}
	ch := &choice{info: info, proto: proto, paramRef: info.ParameterID}
	var err error
	switch {
	case info.HasParameterID && info.ParameterID <= 31:
		// IDs 0–31 are reserved for standardized parameters (9303-11 section 9.5).
		ch.dp, err = StandardDomainParams(info.ParameterID)
	default:
		ch.dp, err = explicitParams(info, proto, infos)
	}
	if err != nil {
		return nil, fmt.Errorf("%v: %v", proto, err)
	}
	if ch.dp.Agreement != proto.Agreement {
		return nil, fmt.Errorf("%v: domain parameters %s are %v", proto, ch.dp.Name, ch.dp.Agreement)
	}
	if proto.Mapping == IntegratedMapping && ch.dp.Agreement == ECDH {
		if _, _, err := encodePoint(ch.dp, big.NewInt(2)); err != nil {
			return nil, fmt.Errorf("%v: %v", proto, err)
		}
	}
	if ch.paramRef > 0xFF {
		return nil, fmt.Errorf("%v: parameter ID %d does not fit MSE:Set AT", proto, ch.paramRef)
	}
	return ch, nil
}

// explicitParams finds the PACEDomainParameterInfo a PACEInfo refers to.
func explicitParams(info PACEInfo, proto Protocol, infos *SecurityInfos) (*DomainParams, error) {
	var match []PACEDomainParameterInfo
	for _, d := range infos.PACEDomainParameters {
		if !hasPrefix(proto.OID, d.Protocol) {
			continue
		}
		if info.HasParameterID && (!d.HasParameterID || d.ParameterID != info.ParameterID) {
			continue
		}
		match = append(match, d)
	}
	if len(match) != 1 {
		return nil, fmt.Errorf("%d PACEDomainParameterInfo entries match parameter ID %d, want exactly one", len(match), info.ParameterID)
	}
	return match[0].DomainParameter.DomainParams()
}

// VerifyChip finishes PACE-CAM chip authentication (9303-11 section
// 4.4.3.5.2): it takes the chip's static public key from EF.CardSecurity
// (whose signature the caller has verified) — the
// ChipAuthenticationPublicKeyInfo whose key ID is the PACEInfo's parameter
// ID — and checks PK_Map,IC = CA_IC · PK_IC.
func (r *Result) VerifyChip(cardSecurity *SecurityInfos) error {
	fail := func(format string, args ...any) error {
		return &Error{Step: StepChipAuthentication, Err: detail(ErrChipAuthentication, format, args...)}
	}
	if r.CAM == nil {
		return fail("PACE ran with %v, which has no chip authentication data", r.Protocol.Mapping)
	}
	var keys []ChipAuthenticationPublicKeyInfo
	for _, k := range cardSecurity.ChipAuthenticationPublicKeys {
		if !k.Protocol.Equal(OIDPKECDH) {
			continue
		}
		if k.HasKeyID && r.Info.HasParameterID && k.KeyID != r.Info.ParameterID {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 {
		return fail("EF.CardSecurity holds %d ECDH public keys for key ID %d, want exactly one", len(keys), r.Info.ParameterID)
	}
	dp, err := keys[0].DomainParams()
	if err != nil {
		return fail("chip public key: %v", err)
	}
	if dp.Prime().Cmp(r.Params.Prime()) != 0 || dp.Order().Cmp(r.Params.Order()) != 0 {
		return fail("chip public key is on %s, PACE ran on %s", dp.Name, r.Params.Name)
	}
	g := r.Params.baseGroup()
	pk, err := g.decode(keys[0].PublicKey)
	if err != nil {
		return fail("chip public key: %v", err)
	}
	mapKey, err := g.decode(r.CAM.MappingPublicKey)
	if err != nil {
		return fail("mapping key: %v", err)
	}
	ca := new(big.Int).SetBytes(r.CAM.CAData)
	if ca.Sign() == 0 || ca.Cmp(g.d.Order()) >= 0 || len(r.CAM.CAData) != (g.d.Order().BitLen()+7)/8 {
		return fail("chip authentication data is not a scalar of %s", g.d.Name)
	}
	got, err := g.mul(ca, pk)
	if err != nil || !g.equal(got, mapKey) {
		return fail("CA_IC · PK_IC is not the chip's mapping key")
	}
	r.CAM.Verified = true
	return nil
}

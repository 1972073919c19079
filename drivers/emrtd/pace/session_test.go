package pace

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/tlv"
)

var testMRZ = MRZPassword("L898902C<369080619406236")

// pair is a chip and the terminal configuration that matches it.
type pair struct {
	chip *Chip
	cfg  Config
}

// newPair builds a chip offering one PACEInfo and a terminal that reads
// the chip's EF.CardAccess and, for CAM, knows its EF.CardSecurity.
func newPair(t testing.TB, proto Protocol, paramID int, pw Password) pair {
	t.Helper()
	info := PACEInfo{Protocol: proto.OID, Version: 2, ParameterID: paramID, HasParameterID: true}
	cc := ChipConfig{Infos: []PACEInfo{info}, Passwords: []Password{pw}}
	var cardSecurity *SecurityInfos
	if proto.Mapping == ChipAuthenticationMapping {
		k, pub, err := NewChipAuthenticationKey(paramID, nil)
		if err != nil {
			t.Fatal(err)
		}
		cc.CAKeys = map[int]*big.Int{paramID: k}
		if cardSecurity, err = ParseSecurityInfos(MarshalSecurityInfos(pub.Marshal(), info.Marshal())); err != nil {
			t.Fatal(err)
		}
	}
	chip, err := NewChip(cc)
	if err != nil {
		t.Fatal(err)
	}
	cardAccess, err := ParseSecurityInfos(cc.CardAccess())
	if err != nil {
		t.Fatal(err)
	}
	return pair{chip: chip, cfg: Config{Password: pw, CardAccess: cardAccess, CardSecurity: cardSecurity}}
}

// checkSecureMessaging protects one command with the terminal's session and
// one response with a session built from the chip's keys: both sides must
// hold the same keys and a zero counter.
func checkSecureMessaging(t testing.TB, res *Result, cs *ChipSession) {
	t.Helper()
	chipSM, err := cs.SecureMessaging()
	if err != nil {
		t.Fatal(err)
	}
	cmd := iso7816.Command{INS: iso7816.InsSelect, P1: 2, P2: 0x0C, Data: []byte{0x01, 0x1E}}
	wrapped, err := res.Session.Wrap(cmd)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := chipSM.UnwrapCommand(wrapped)
	if err != nil || !bytes.Equal(plain.Data, cmd.Data) {
		t.Fatalf("chip unwrapping the terminal's command: %v (%X)", err, plain.Data)
	}
	resp, err := chipSM.WrapResponse(iso7816.Response{Data: []byte("OK"), SW: iso7816.SWOK})
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.Session.Unwrap(resp)
	if err != nil || string(got.Data) != "OK" {
		t.Fatalf("terminal unwrapping the chip's answer: %v (%q)", err, got.Data)
	}
}

// Terminal and card side run every protocol of 9303-11 Tables 2 and 3 over
// every standardized group and curve it applies to.
func TestEveryProtocolAndDomain(t *testing.T) {
	runs := 0
	for _, id := range StandardDomainParamIDs() {
		dp := mustParams(t, id)
		for _, proto := range Protocols() {
			if proto.Agreement != dp.Agreement || (proto.Mapping == IntegratedMapping && id == 10) {
				continue
			}
			runs++
			t.Run(fmt.Sprintf("%v/%s", proto, dp.Name), func(t *testing.T) {
				p := newPair(t, proto, id, testMRZ)
				res, err := Establish(t.Context(), p.chip, p.cfg)
				if err != nil {
					t.Fatalf("%v (chip: %v)", err, p.chip.Err())
				}
				cs := p.chip.Established()
				if cs == nil || !bytes.Equal(cs.KSEnc, res.KSEnc) || !bytes.Equal(cs.KSMAC, res.KSMAC) {
					t.Fatal("chip and terminal hold different keys")
				}
				if !res.Protocol.OID.Equal(proto.OID) || res.Params.ID != id || len(res.KSEnc) != proto.Cipher.KeyLen() {
					t.Fatalf("ran %v on %v", res.Protocol, res.Params)
				}
				if (proto.Mapping == ChipAuthenticationMapping) != (res.CAM != nil && res.CAM.Verified) {
					t.Fatalf("CAM %+v", res.CAM)
				}
				checkSecureMessaging(t, res, cs)
			})
		}
	}
	// 3 groups × 8 DH protocols + 11 curves × 11 ECDH protocols, less
	// P-224 with the 4 Integrated Mapping ones.
	if runs != 3*8+11*11-4 {
		t.Fatalf("%d combinations", runs)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	for _, proto := range []Protocol{mustProto(t, OIDPACEECDHGM, 2), mustProto(t, OIDPACEDHIM, 1), mustProto(t, OIDPACEECDHCAM, 4)} {
		id := 13
		if proto.Agreement == DH {
			id = 0
		}
		p := newPair(t, proto, id, testMRZ)
		p.cfg.Password = MRZPassword("L898902C<369080619406237")
		_, err := Establish(t.Context(), p.chip, p.cfg)
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, ErrAccessDenied) || pe.Step != StepMutualAuth || pe.SW != iso7816.SWAuthenticationFailed {
			t.Fatalf("%v: %v", proto, err)
		}
		if p.chip.Established() != nil || !errors.Is(p.chip.Err(), ErrAccessDenied) {
			t.Fatalf("%v: chip established %v, error %v", proto, p.chip.Established(), p.chip.Err())
		}
	}
}

func mustProto(t testing.TB, base []int, arc int) Protocol {
	t.Helper()
	p, ok := ProtocolByOID(child(base, arc))
	if !ok {
		t.Fatalf("no protocol %v.%d", base, arc)
	}
	return p
}

func TestPasswordTheChipLacks(t *testing.T) {
	p := newPair(t, mustProto(t, OIDPACEECDHGM, 2), 13, testMRZ)
	can, _ := CANPassword("123456")
	p.cfg.Password = can
	_, err := Establish(t.Context(), p.chip, p.cfg)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnsupported) || pe.Step != StepSetAT || pe.SW != iso7816.SWRefDataNotFound {
		t.Fatalf("%v", err)
	}
}

// tamper rewrites the chip's answer (or the terminal's command) at one
// step of the exchange: 0 MSE:Set AT, 1–4 the GENERAL AUTHENTICATE steps.
type tamper struct {
	chip    *Chip
	step    int
	n       int
	command func([]byte) []byte
	answer  func([]byte) []byte
}

func (m *tamper) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	defer func() { m.n++ }()
	if m.n == m.step && m.command != nil {
		apdu = m.command(append([]byte(nil), apdu...))
	}
	resp, err := m.chip.Transmit(ctx, apdu)
	if m.n == m.step && m.answer != nil {
		resp = m.answer(append([]byte(nil), resp...))
	}
	return resp, err
}

// flipLast flips the last data byte before the status word.
func flipLast(b []byte) []byte {
	b[len(b)-3] ^= 0x01
	return b
}

// A chip whose token does not verify is an impostor (it accepted the
// terminal's token, so it must have known the keys), and a terminal token
// changed on the way is refused by the chip.
func TestTamperedTokens(t *testing.T) {
	proto := mustProto(t, OIDPACEECDHGM, 2)
	p := newPair(t, proto, 13, testMRZ)
	_, err := Establish(t.Context(), &tamper{chip: p.chip, step: 4, answer: flipLast}, p.cfg)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrChipToken) || pe.Step != StepMutualAuth {
		t.Fatalf("chip token: %v", err)
	}

	p = newPair(t, proto, 13, testMRZ)
	// The command ends with Le; flip the token's last byte before it.
	cmdFlip := func(b []byte) []byte { b[len(b)-2] ^= 0x80; return b }
	_, err = Establish(t.Context(), &tamper{chip: p.chip, step: 4, command: cmdFlip}, p.cfg)
	if !errors.Is(err, ErrAccessDenied) || p.chip.Established() != nil {
		t.Fatalf("terminal token: %v", err)
	}
}

// Each malformed chip answer is refused at its step with a reason.
func TestMalformedChipAnswers(t *testing.T) {
	gm := mustProto(t, OIDPACEECDHGM, 2)
	cam := mustProto(t, OIDPACEECDHCAM, 2)
	im := mustProto(t, OIDPACEECDHIM, 2)
	replace := func(s string) func([]byte) []byte { return func([]byte) []byte { return h(s) } }
	// dataOf rebuilds the answer's 7C with one data object changed.
	dataOf := func(tag tlv.Tag, f func([]byte) []byte) func([]byte) []byte {
		return func(b []byte) []byte {
			dos, err := parseDynAuth(b[:len(b)-2])
			if err != nil {
				panic(err)
			}
			var out [][]byte
			for _, tg := range []tlv.Tag{0x80, 0x82, 0x84, 0x86, 0x8A} {
				if v, ok := dos[tg]; ok {
					if tg == tag {
						v = f(append([]byte(nil), v...))
					}
					out = append(out, tlv.Encode(tg, v))
				}
			}
			return append(dynAuth(out...), 0x90, 0x00)
		}
	}
	for _, c := range []struct {
		name  string
		proto Protocol
		step  int
		edit  func([]byte) []byte
		cause error
	}{
		{"no status word", gm, 1, replace("7C"), ErrMalformed},
		{"not 7C", gm, 1, replace("7D0280009000"), ErrMalformed},
		{"7C with trailing bytes", gm, 1, func(b []byte) []byte { return append(append(b[:len(b)-2:len(b)-2], 0x00), 0x90, 0x00) }, ErrMalformed},
		{"7C length beyond data", gm, 1, replace("7C1280109000"), ErrMalformed},
		{"nonce missing", gm, 1, replace("7C009000"), ErrMalformed},
		{"nonce not whole blocks", gm, 1, dataOf(0x80, func(v []byte) []byte { return v[:15] }), ErrMalformed},
		{"nonce too long", gm, 1, replace("7C5280" + "50" + fmt.Sprintf("%0160X", 0) + "9000"), ErrMalformed},
		{"extra data object", gm, 1, func(b []byte) []byte {
			return append(dynAuth(tlv.Encode(0x80, b[4:20]), tlv.Encode(0x81, []byte{1})), 0x90, 0x00)
		}, ErrMalformed},
		{"wrong tag for mapping key", gm, 2, func(b []byte) []byte { b[2] = 0x83; return b }, ErrMalformed},
		{"mapping key off the curve", gm, 2, dataOf(0x82, func(v []byte) []byte { v[len(v)-1] ^= 1; return v }), ErrMalformed},
		{"mapping key compressed", gm, 2, dataOf(0x82, func(v []byte) []byte { v[0] = 2; return v[:33] }), ErrMalformed},
		{"IM mapping data not empty", im, 2, replace("7C038201009000"), ErrMalformed},
		{"ephemeral key off the curve", gm, 3, dataOf(0x84, func(v []byte) []byte { v[5] ^= 1; return v }), ErrMalformed},
		{"token missing", gm, 4, replace("7C009000"), ErrMalformed},
		{"duplicate token", gm, 4, func(b []byte) []byte {
			return append(dynAuth(tlv.Encode(0x86, b[4:12]), tlv.Encode(0x86, b[4:12])), 0x90, 0x00)
		}, ErrMalformed},
		{"CAM data missing", cam, 4, func(b []byte) []byte { return append(dynAuth(tlv.Encode(0x86, b[4:12])), 0x90, 0x00) }, ErrMalformed},
		{"CAM data altered", cam, 4, flipLast, ErrChipAuthentication},
		{"chip error status", gm, 3, replace("6F00"), ErrChipStatus},
		{"password blocked", gm, 4, replace("63C0"), ErrAccessDenied},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t, c.proto, 13, testMRZ)
			res, err := Establish(t.Context(), &tamper{chip: p.chip, step: c.step, answer: c.edit}, p.cfg)
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, c.cause) || res != nil {
				t.Fatalf("got %v, want cause %v", err, c.cause)
			}
			want := []Step{StepSetAT, StepEncryptedNonce, StepMapNonce, StepKeyAgreement, StepMutualAuth}[c.step]
			if pe.Step != want && pe.Step != StepChipAuthentication {
				t.Fatalf("failed at %q, want %q", pe.Step, want)
			}
		})
	}
}

// A chip that echoes the terminal's keys is refused (9303-11 section 4.4.1
// asks both sides to check the keys differ).
func TestEchoedKeysAreRefused(t *testing.T) {
	for step := 2; step <= 3; step++ {
		p := newPair(t, mustProto(t, OIDPACEECDHGM, 2), 13, testMRZ)
		var sent []byte
		echo := &tamper{chip: p.chip, step: step,
			command: func(b []byte) []byte { sent = b; return b },
			answer: func([]byte) []byte {
				// 10 86 00 00 Lc 7C L 81|83 L key… Le → 7C L 82|84 L key… 9000
				out := append([]byte(nil), sent[5:len(sent)-1]...)
				out[2]++
				return append(out, 0x90, 0x00)
			}}
		_, err := Establish(t.Context(), echo, p.cfg)
		if !isCause(err, ErrMalformed) {
			t.Fatalf("step %d: %v", step, err)
		}
	}
}

type failingTransport struct{ after, n int }

func (f *failingTransport) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	f.n++
	if f.n > f.after {
		return nil, fmt.Errorf("reader: %w", iso7816.ErrNoResponse)
	}
	return []byte{0x90, 0x00}, nil
}

func TestCanceledContext(t *testing.T) {
	p := newPair(t, mustProto(t, OIDPACEECDHGM, 2), 13, testMRZ)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Establish(ctx, p.chip, p.cfg)
	if !isCause(err, ErrTransport) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	if _, err := Establish(t.Context(), p.chip, Config{CardAccess: p.cfg.CardAccess}); !isCause(err, ErrUnsupported) {
		t.Fatalf("no password: %v", err)
	}
}

func TestTransportFailure(t *testing.T) {
	p := newPair(t, mustProto(t, OIDPACEECDHGM, 2), 13, testMRZ)
	_, err := Establish(t.Context(), &failingTransport{after: 1}, p.cfg)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrTransport) || !errors.Is(err, iso7816.ErrNoResponse) || pe.Step != StepEncryptedNonce {
		t.Fatalf("%v", err)
	}
}

// fileCard is a chip with files: EF.CardAccess, served plainly as the
// master file holds it, and PACE.
type fileCard struct {
	chip     *Chip
	files    map[uint16][]byte
	selected []byte
}

func (c *fileCard) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	cmd, err := iso7816.ParseCommand(apdu)
	if err != nil {
		return nil, err
	}
	switch cmd.INS {
	case iso7816.InsSelect:
		f, ok := c.files[binary.BigEndian.Uint16(cmd.Data)]
		if !ok {
			return iso7816.Response{SW: iso7816.SWFileNotFound}.Bytes(), nil
		}
		c.selected = f
		return iso7816.Response{SW: iso7816.SWOK}.Bytes(), nil
	case iso7816.InsReadBinary:
		off := int(cmd.P1)<<8 | int(cmd.P2)
		end := min(off+cmd.Ne, len(c.selected))
		return iso7816.Response{Data: c.selected[off:end], SW: iso7816.SWOK}.Bytes(), nil
	}
	return c.chip.Transmit(ctx, apdu)
}

func TestEstablishReadsCardAccess(t *testing.T) {
	p := newPair(t, mustProto(t, OIDPACEDHGM, 4), 2, testMRZ)
	card := &fileCard{chip: p.chip, files: map[uint16][]byte{iso7816.FIDCardAccess: p.chip.cfg.CardAccess()}}
	res, err := Establish(t.Context(), card, Config{Password: testMRZ})
	if err != nil {
		t.Fatal(err)
	}
	if res.Protocol.Cipher != kdf.AES256 || res.Params.ID != 2 {
		t.Fatalf("%v on %v", res.Protocol, res.Params)
	}
	// A chip without EF.CardAccess does not offer PACE.
	_, err = Establish(t.Context(), &fileCard{chip: p.chip}, Config{Password: testMRZ})
	if !isCause(err, ErrUnsupported) {
		t.Fatalf("no EF.CardAccess: %v", err)
	}
}

// The card side refuses commands out of order or malformed, and starts over.
func TestChipRefusesBadCommands(t *testing.T) {
	gm := mustProto(t, OIDPACEECDHGM, 2)
	setAT := "0022C1A40F800A04007F00070202040202830101"
	step1 := "10860000027C0000"
	for _, c := range []struct {
		name string
		apdu []string
		sw   uint16
	}{
		{"GA before MSE", []string{step1}, iso7816.SWConditionsOfUse},
		{"MSE without protocol", []string{"0022C1A403830101"}, iso7816.SWWrongData},
		{"MSE without password", []string{"0022C1A40C800A04007F000702020402 02"}, iso7816.SWWrongData},
		{"MSE unknown protocol", []string{"0022C1A40F800A04007F00070202040209830101"}, iso7816.SWWrongData},
		{"MSE unknown parameters", []string{"0022C1A412800A04007F0007020204020283010184010C"}, iso7816.SWRefDataNotFound},
		{"MSE chained", []string{"1022C1A40F800A04007F00070202040202830101"}, iso7816.SWConditionsOfUse},
		{"MSE bad TLV", []string{"0022C1A403800501"}, iso7816.SWWrongData},
		{"step 1 with data", []string{setAT, "10860000057C03800100"}, iso7816.SWWrongData},
		{"step 1 unchained", []string{setAT, "00860000027C0000"}, iso7816.SWConditionsOfUse},
		{"step 1 not 7C", []string{setAT, "10860000027D0000"}, iso7816.SWWrongData},
		{"step 2 bad point", []string{setAT, step1, "10860000457C43814104" + fmt.Sprintf("%0128X", 1) + "00"}, iso7816.SWWrongData},
		{"step 2 wrong tag", []string{setAT, step1, "10860000057C03830100" + "00"}, iso7816.SWWrongData},
		{"short APDU", []string{"0022C1"}, iso7816.SWWrongLength},
		{"not PACE", []string{"00A4020C02011E"}, iso7816.SWINSNotSupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t, gm, 13, testMRZ)
			var resp []byte
			for _, a := range c.apdu {
				resp, _ = p.chip.Transmit(t.Context(), h(a))
			}
			if sw := uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1]); sw != c.sw || len(resp) != 2 {
				t.Fatalf("answer %X, want %04X (chip: %v)", resp, c.sw, p.chip.Err())
			}
			if p.chip.Err() == nil {
				t.Fatal("no reason recorded")
			}
			// After a refusal the chip waits for MSE:Set AT again.
			if resp, _ := p.chip.Transmit(t.Context(), h(step1)); !bytes.Equal(resp, h("6985")) {
				t.Fatalf("after refusal: %X", resp)
			}
		})
	}
}

func TestNewChipRejectsBadConfigurations(t *testing.T) {
	gm := PACEInfo{Protocol: child(OIDPACEECDHGM, 2), Version: 2, ParameterID: 13, HasParameterID: true}
	cam := PACEInfo{Protocol: child(OIDPACEECDHCAM, 2), Version: 2, ParameterID: 13, HasParameterID: true}
	for name, cc := range map[string]ChipConfig{
		"no infos":        {Passwords: []Password{testMRZ}},
		"no password":     {Infos: []PACEInfo{gm}},
		"no parameter ID": {Infos: []PACEInfo{{Protocol: gm.Protocol, Version: 2}}, Passwords: []Password{testMRZ}},
		"DH on a curve":   {Infos: []PACEInfo{{Protocol: child(OIDPACEDHGM, 2), Version: 2, ParameterID: 13, HasParameterID: true}}, Passwords: []Password{testMRZ}},
		"IM on P-224":     {Infos: []PACEInfo{{Protocol: child(OIDPACEECDHIM, 2), Version: 2, ParameterID: 10, HasParameterID: true}}, Passwords: []Password{testMRZ}},
		"CAM without key": {Infos: []PACEInfo{cam}, Passwords: []Password{testMRZ}},
		"CAM key too big": {Infos: []PACEInfo{cam}, Passwords: []Password{testMRZ}, CAKeys: map[int]*big.Int{13: mustParams(t, 13).Order()}},
		"unknown OID":     {Infos: []PACEInfo{{Protocol: child(OIDPACEECDHGM, 9), Version: 2, ParameterID: 13, HasParameterID: true}}, Passwords: []Password{testMRZ}},
	} {
		if _, err := NewChip(cc); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// A chip offering one protocol on two curves needs tag 84, and the
// terminal sends it.
func TestAmbiguousParametersSendID(t *testing.T) {
	proto := mustProto(t, OIDPACEECDHGM, 2)
	cc := ChipConfig{Passwords: []Password{testMRZ}, Infos: []PACEInfo{
		{Protocol: proto.OID, Version: 2, ParameterID: 12, HasParameterID: true},
		{Protocol: proto.OID, Version: 2, ParameterID: 16, HasParameterID: true},
	}}
	chip, err := NewChip(cc)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := ParseSecurityInfos(cc.CardAccess())
	var first []byte
	rec := &tamper{chip: chip, step: 0, command: func(b []byte) []byte { first = b; return b }}
	res, err := Establish(t.Context(), rec, Config{Password: testMRZ, CardAccess: ca})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params.ID != 16 || !bytes.HasSuffix(first, h("840110")) {
		t.Fatalf("ran on %v with MSE:Set AT %X", res.Params, first)
	}
	// Without tag 84 the chip cannot tell which curve is meant.
	resp, _ := chip.Transmit(t.Context(), h("0022C1A40F800A04007F00070202040202830101"))
	if !bytes.Equal(resp, h("6A80")) {
		t.Fatalf("ambiguous MSE:Set AT answered %X", resp)
	}
}

func TestCANPassword(t *testing.T) {
	if _, err := CANPassword(""); err == nil {
		t.Error("empty CAN accepted")
	}
	if _, err := CANPassword("12345€"); err == nil {
		t.Error("non-Latin-1 CAN accepted")
	}
	p := newPair(t, mustProto(t, OIDPACEECDHIM, 3), 16, mustCAN(t, "987654"))
	if _, err := Establish(t.Context(), p.chip, p.cfg); err != nil {
		t.Fatal(err)
	}
	if p.chip.Established().Password != PasswordCAN {
		t.Fatal("password reference")
	}
}

func mustCAN(t testing.TB, can string) Password {
	t.Helper()
	p, err := CANPassword(can)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzGeneralAuthenticateResponse feeds arbitrary chip answers to the
// terminal at one step of an otherwise honest run. Nothing may panic, every
// failure is a *Error, and a run may only succeed with the chip's keys.
func FuzzGeneralAuthenticateResponse(f *testing.F) {
	f.Add(byte(1), h("7C12801095A3A016522EE98D01E76CB6B98B42C39000"))
	f.Add(byte(2), h("7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000"))
	f.Add(byte(4), h("7C0A86083ABB9674BCE93C089000"))
	f.Add(byte(0), h("9000"))
	f.Add(byte(12), h("7C0282009000"))
	f.Add(byte(20), h("7C3C86088596CF055C67C1A38A301EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F929000"))
	f.Fuzz(func(t *testing.T, step byte, answer []byte) {
		mode := int(step/8) % 3
		info := []PACEInfo{
			{Protocol: child(OIDPACEECDHGM, 2), Version: 2, ParameterID: 13, HasParameterID: true},
			{Protocol: child(OIDPACEECDHIM, 2), Version: 2, ParameterID: 13, HasParameterID: true},
			{Protocol: child(OIDPACEECDHCAM, 2), Version: 2, ParameterID: 13, HasParameterID: true},
		}[mode]
		cc := ChipConfig{Infos: []PACEInfo{info}, Passwords: []Password{testMRZ},
			CAKeys: map[int]*big.Int{13: bigHex("86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2")}}
		chip, err := NewChip(cc)
		if err != nil {
			t.Fatal(err)
		}
		chip.fixedNonce = h("3F00C4D39D153F2B2A214A078D899B22")
		chip.fixedKeys = append([]*big.Int(nil), g1ChipKeys...)
		tr := &tamper{chip: chip, step: int(step % 5), answer: func([]byte) []byte { return answer }}
		term := newTerminal(tr, Config{Password: testMRZ, Info: &info})
		term.fixedKeys = append([]*big.Int(nil), g1TermKeys...)
		term.fixedT = h("5DD4CBFC96F5453B130D890A1CDBAE32")
		res, err := term.run(context.Background())
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || res != nil {
				t.Fatalf("failure %v is not a *pace.Error", err)
			}
			return
		}
		cs := chip.Established()
		if cs == nil || !bytes.Equal(cs.KSEnc, res.KSEnc) {
			t.Fatal("terminal established a session the chip does not share")
		}
	})
}

// FuzzCardSide feeds arbitrary command sequences to the card side. Nothing
// may panic, every answer carries a status word, and no sequence of
// commands establishes a session without the password (the chip's
// password here is random; the seeds are the worked example's commands).
func FuzzCardSide(f *testing.F) {
	seq := func(apdus ...string) []byte {
		var out []byte
		for _, a := range apdus {
			b := h(a)
			out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
			out = append(out, b...)
		}
		return out
	}
	var all []string
	for _, p := range g1 {
		all = append(all, p.cmd)
	}
	f.Add(seq(all...))
	f.Add(seq(all[:3]...))
	f.Add(seq(g2[0].cmd, g2[1].cmd, g2[2].cmd))
	f.Add(seq(i1[0].cmd, i1[1].cmd, i1[2].cmd, i1[3].cmd, i1[4].cmd))
	f.Add(seq("0022C1A40F800A04007F00070202040402830101", "10860000027C0000", "10860000147C1281105DD4CBFC96F5453B130D890A1CDBAE3200"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key := new(big.Int).SetBytes(h("86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2"))
		var infos []PACEInfo
		for _, o := range []struct {
			base []int
			arc  int
			id   int
		}{{OIDPACEECDHGM, 2, 13}, {OIDPACEDHGM, 2, 0}, {OIDPACEECDHCAM, 2, 13}, {OIDPACEECDHIM, 2, 13}, {OIDPACEDHIM, 1, 0}} {
			infos = append(infos, PACEInfo{Protocol: child(o.base, o.arc), Version: 2, ParameterID: o.id, HasParameterID: true})
		}
		secret := make([]byte, 20)
		copy(secret, "unknown to the fuzzer")
		chip, err := NewChip(ChipConfig{Infos: infos, Passwords: []Password{{Ref: PasswordMRZ, K: secret}}, CAKeys: map[int]*big.Int{13: key}})
		if err != nil {
			t.Fatal(err)
		}
		for len(b) >= 2 {
			n := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			if n > len(b) {
				n = len(b)
			}
			resp, err := chip.Transmit(context.Background(), b[:n])
			if err != nil || len(resp) < 2 {
				t.Fatalf("answer %X, %v", resp, err)
			}
			b = b[n:]
		}
		if chip.Established() != nil {
			t.Fatal("a session was established without the password")
		}
	})
}

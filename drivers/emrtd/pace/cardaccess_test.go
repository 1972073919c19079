package pace

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"autogate/drivers/emrtd/tlv"
	"autogate/internal/testenv"
)

// EF.CardAccess read from a German identity card (gmrtd's test data): one
// PACEInfo for ECDH-GM, AES-128, brainpoolP256r1.
func TestParseCardAccessFile(t *testing.T) {
	path := testenv.SharedTestdata(t, "emrtd/gmrtd/EF.CardAccess_PACE_ECDH_GM_AES128_brainpoolP256r1.bin")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := ParseSecurityInfos(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.All) != 1 || len(infos.PACE) != 1 || len(infos.Malformed) != 0 {
		t.Fatalf("%+v", infos)
	}
	p := infos.PACE[0]
	proto, ok := ProtocolByOID(p.Protocol)
	if !ok || proto.Name() != "id-PACE-ECDH-GM-AES-CBC-CMAC-128" || p.Version != 2 || !p.HasParameterID || p.ParameterID != 13 {
		t.Fatalf("PACEInfo %+v (%v)", p, proto)
	}
	if !bytes.Equal(p.Marshal(), infos.All[0].Raw) {
		t.Fatalf("re-encoded %X, file has %X", p.Marshal(), infos.All[0].Raw)
	}
}

// A card access file with two PACEInfos (gmrtd's selection test): the
// terminal prefers CAM over GM.
func TestParseTwoPACEInfosAndChoose(t *testing.T) {
	for _, der := range []string{
		"31283012060a04007f000702020402040201020201103012060a04007f00070202040604020102020110",
		"31283012060a04007f000702020406040201020201103012060a04007f00070202040204020102020110",
	} {
		infos := parseInfos(t, der)
		if len(infos.PACE) != 2 {
			t.Fatalf("%d PACEInfos", len(infos.PACE))
		}
		term := newTerminal(nil, Config{Password: Password{Ref: PasswordMRZ, K: []byte{1}}, CardAccess: infos})
		ch, err := term.choose(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ch.proto.Name() != "id-PACE-ECDH-CAM-AES-CBC-CMAC-256" || ch.dp.Name != "brainpoolP384r1" || ch.sendID {
			t.Fatalf("chose %v on %v (send ID %v)", ch.proto, ch.dp, ch.sendID)
		}
	}
}

// Appendix I.1's ChipAuthenticationPublicKeyInfo, with standardized domain
// parameters by reference.
func TestParseChipAuthenticationPublicKeyInfo(t *testing.T) {
	infos := parseInfos(t, "3164"+i1CAPublicKeyInfo)
	if len(infos.ChipAuthenticationPublicKeys) != 1 {
		t.Fatalf("%+v", infos)
	}
	k := infos.ChipAuthenticationPublicKeys[0]
	if !k.Protocol.Equal(OIDPKECDH) || !k.HasKeyID || k.KeyID != 13 || len(k.PublicKey) != 65 || k.PublicKey[0] != 4 {
		t.Fatalf("%+v", k)
	}
	dp, err := k.DomainParams()
	if err != nil || dp.ID != 13 {
		t.Fatalf("domain %v %v", dp, err)
	}
	if !bytes.Equal(k.Marshal(), h(i1CAPublicKeyInfo)) {
		t.Fatalf("re-encoded %X", k.Marshal())
	}
}

// The brainpoolP256r1 parameters spelled out as Appendix G.1 prints them
// (an ecPublicKey AlgorithmIdentifier) match domain parameter ID 13; a
// changed coefficient or base point matches nothing and is refused.
func TestExplicitECParameters(t *testing.T) {
	ecParams := func(b, gy string) []byte {
		return tlv.Encode(0x30,
			tlv.Encode(0x06, h("2A8648CE3D0201")),
			tlv.Encode(0x30,
				h("020101"),
				tlv.Encode(0x30, tlv.Encode(0x06, h("2A8648CE3D0101")), tlv.Encode(0x02, h("00A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"))),
				tlv.Encode(0x30, tlv.Encode(0x04, h("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9")), tlv.Encode(0x04, h(b))),
				tlv.Encode(0x04, h("048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"+gy)),
				tlv.Encode(0x02, h("00A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7")),
				h("020101")))
	}
	const b = "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"
	const gy = "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"
	alg := ecParams(b, gy)
	if len(alg) != 3+0xEC {
		t.Fatalf("AlgorithmIdentifier of %d bytes, the appendix's has 30 81 EC", len(alg))
	}
	// PACEDomainParameterInfo with local ID 32 and a PACEInfo using it.
	file := MarshalSecurityInfos(
		tlv.Encode(0x30, tlv.Encode(0x06, oidContent(OIDPACEECDHGM)), alg, h("020120")),
		PACEInfo{Protocol: child(OIDPACEECDHGM, 2), Version: 2, ParameterID: 32, HasParameterID: true}.Marshal())
	infos, err := ParseSecurityInfos(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.PACEDomainParameters) != 1 || len(infos.PACE) != 1 {
		t.Fatalf("%+v", infos)
	}
	term := newTerminal(nil, Config{Password: Password{Ref: PasswordCAN, K: []byte("1")}, CardAccess: infos})
	ch, err := term.choose(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ch.dp.ID != 13 || ch.paramRef != 32 {
		t.Fatalf("resolved to %v with reference %d", ch.dp, ch.paramRef)
	}

	for name, bad := range map[string][]byte{
		"other b":          ecParams("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B7", gy),
		"other base point": ecParams(b, "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046998"),
	} {
		a, err := parseAlgorithmIdentifier(field{TLV: mustNext(t, bad)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DomainParams(); !errors.Is(err, ErrUnknownExplicitParams) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustNext(t *testing.T, b []byte) tlv.TLV {
	t.Helper()
	v, _, err := tlv.Next(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExplicitDHParameters(t *testing.T) {
	d := mustParams(t, 1)
	alg := AlgorithmIdentifier{Algorithm: OIDDHPublicNumber, Parameters: tlv.Encode(0x30, encodeInt(d.p), encodeInt(d.g), encodeInt(d.q))}
	got, err := alg.DomainParams()
	if err != nil || got.ID != 1 {
		t.Fatalf("%v %v", got, err)
	}
	alg.Parameters = tlv.Encode(0x30, encodeInt(d.p), encodeInt(two), encodeInt(d.q))
	if _, err := alg.DomainParams(); !errors.Is(err, ErrUnknownExplicitParams) {
		t.Fatalf("generator 2: %v", err)
	}
}

func TestParseSecurityInfosLenientParts(t *testing.T) {
	// BER long-form lengths, an unknown protocol, trailing padding.
	pace := h("060A04007F0007020204020202010202010D")
	entry := append([]byte{0x30, 0x81, byte(len(pace))}, pace...)
	unknown := tlv.Encode(0x30, tlv.Encode(0x06, h("2B0601040182371402")), h("0101FF"))
	body := append(append([]byte{}, entry...), unknown...)
	file := append(append([]byte{0x31, 0x82, 0x00, byte(len(body))}, body...), 0x00, 0x00, 0xFF)
	infos, err := ParseSecurityInfos(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.All) != 2 || len(infos.PACE) != 1 || infos.PACE[0].ParameterID != 13 {
		t.Fatalf("%+v", infos)
	}

	// A known protocol with broken content is reported, not fatal.
	broken := MarshalSecurityInfos(
		tlv.Encode(0x30, tlv.Encode(0x06, oidContent(child(OIDPACEECDHGM, 2))), h("0401FF")),
		PACEInfo{Protocol: child(OIDPACEDHGM, 2), Version: 2, ParameterID: 0, HasParameterID: true}.Marshal(),
		tlv.Encode(0x30, tlv.Encode(0x06, oidContent(OIDPKECDH)), h("3003020101")),
		tlv.Encode(0x30, tlv.Encode(0x06, oidContent(child(OIDCAECDH, 2))), h("0201FF")))
	infos, err = ParseSecurityInfos(broken)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos.PACE) != 1 || len(infos.Malformed) != 3 {
		t.Fatalf("PACE %d, malformed %+v", len(infos.PACE), infos.Malformed)
	}
}

func TestParseSecurityInfosRejects(t *testing.T) {
	for name, hexDER := range map[string]string{
		"empty":              "",
		"not a SET":          "3012060A04007F0007020204020202010202010D",
		"truncated":          "3114" + "3012060A04007F00070202040202020102",
		"entry not SEQUENCE": "3103020101",
		"no OID":             "31053003020102",
		"OID only":           "3104300206" + "00",
		"garbage after":      "3100" + "01",
		"bad OID":            "31083006060180020102",
	} {
		if _, err := ParseSecurityInfos(h(hexDER)); !errors.Is(err, ErrSecurityInfos) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestChooseRefusesWhatItCannotRun(t *testing.T) {
	for name, der := range map[string]string{
		"no PACEInfo":         "3100",
		"unknown protocol":    "3114" + "3012060A04007F0007020204090202010202010D",
		"P-224 with IM":       "3114" + "3012060A04007F0007020204040202010202010A",
		"DH protocol, EC ID":  "3114" + "3012060A04007F0007020204010202010202010D",
		"reserved ID 5":       "3114" + "3012060A04007F00070202040202020102020105",
		"explicit ID missing": "3111" + "300F060A04007F000702020402020201 02",
	} {
		term := newTerminal(nil, Config{Password: Password{Ref: PasswordMRZ, K: []byte{1}}, CardAccess: parseInfos(t, der)})
		if _, err := term.choose(t.Context()); !isCause(err, ErrUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseCardAccess: SecurityInfos come from the chip unauthenticated;
// no input may panic, and whatever parses must re-parse the same from its
// entries.
func FuzzParseCardAccess(f *testing.F) {
	f.Add(h("3114" + g1PACEInfo))
	f.Add(h("31283012060a04007f000702020402040201020201103012060a04007f00070202040604020102020110"))
	f.Add(h("3164" + i1CAPublicKeyInfo))
	f.Add(h("3100"))
	f.Add(h("3181"))
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := ParseSecurityInfos(b)
		if err != nil {
			if infos != nil {
				t.Fatal("error with a result")
			}
			return
		}
		entries := make([][]byte, len(infos.All))
		for i, e := range infos.All {
			entries[i] = e.Raw
		}
		again, err := ParseSecurityInfos(MarshalSecurityInfos(entries...))
		if err != nil || len(again.All) != len(infos.All) || len(again.PACE) != len(infos.PACE) {
			t.Fatalf("re-parse: %v", err)
		}
		for _, k := range infos.ChipAuthenticationPublicKeys {
			k.DomainParams() // must not panic on any parameters
		}
		for _, d := range infos.PACEDomainParameters {
			d.DomainParameter.DomainParams()
		}
	})
}

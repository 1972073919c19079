package lds

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"

	"autogate/drivers/emrtd/tlv"
)

func oid(arcs ...int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier(arcs) }

// A DG14 as the virtual chip would carry it: PACE with standardized and
// explicit parameters, Chip Authentication with an ECDH and a DH key,
// Terminal Authentication and ECDSA Active Authentication.
func TestDG14RoundTrip(t *testing.T) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := NewPublicKey(priv.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	y := new(big.Int).Exp(big.NewInt(2), big.NewInt(123457), modp2048)
	dhKey, err := NewPublicKey(&DHPublicKey{Group: DHGroup{P: modp2048, G: big.NewInt(2), Q: new(big.Int).Rsh(modp2048, 1)}, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	bp, _ := CurveByName("brainpoolP384r1")
	bp.Explicit = true
	unknown, _ := asn1.Marshal(struct {
		Protocol asn1.ObjectIdentifier
		Data     int
	}{oid(1, 2, 3, 4), 7})
	in := &SecurityInfos{
		PACE: []PACEInfo{
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2), Version: 2, ParameterID: intp(0)}, // parameter 0 must not vanish
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 6, 4), Version: 2},
		},
		PACEDomainParameters: []DomainParameterInfo{
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 2), Domain: DomainParameters{Curve: bp}, ID: intp(32)},
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 1), Domain: DomainParameters{StandardizedID: intp(2)}},
		},
		ChipAuthentication: []ChipAuthenticationInfo{
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2), Version: 1, KeyID: intp(1)},
			{Protocol: oid(0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 1), Version: 1, KeyID: intp(2)},
		},
		ChipAuthenticationPublicKeys: []ChipAuthenticationPublicKeyInfo{
			{Protocol: OIDPKECDH, PublicKey: ecKey, KeyID: intp(1)},
			{Protocol: OIDPKDH, PublicKey: dhKey, KeyID: intp(2)},
		},
		ChipAuthenticationDomainParameters: []DomainParameterInfo{
			{Protocol: OIDCADH, Domain: DomainParameters{DH: &dhKey.DH.Group}, ID: intp(2)},
		},
		TerminalAuthentication: []TerminalAuthenticationInfo{{Protocol: OIDTA, Version: 1}},
		ActiveAuthentication:   []ActiveAuthenticationInfo{{Protocol: OIDActiveAuthentication, Version: 1, SignatureAlgorithm: OIDECDSAWithSHA256}},
		Other:                  []SecurityInfo{{Protocol: oid(1, 2, 3, 4), Raw: unknown}},
	}
	dg14, err := BuildDG14(in)
	if err != nil {
		t.Fatal(err)
	}
	// DER: the SET's elements in ascending order of their encodings.
	set, err := unwrap(dg14, 0x6E)
	if err != nil {
		t.Fatal(err)
	}
	var raws []asn1.RawValue
	if _, err := asn1.UnmarshalWithParams(set, &raws, "set"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(raws); i++ {
		if bytes.Compare(raws[i-1].FullBytes, raws[i].FullBytes) > 0 {
			t.Fatal("SET OF not sorted")
		}
	}
	out, err := ParseDG14(dg14)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PACE) != 2 || len(out.PACEDomainParameters) != 2 || len(out.ChipAuthentication) != 2 || len(out.ChipAuthenticationPublicKeys) != 2 ||
		len(out.ChipAuthenticationDomainParameters) != 1 || len(out.TerminalAuthentication) != 1 || len(out.ActiveAuthentication) != 1 || len(out.Other) != 1 {
		t.Fatalf("%+v", out)
	}
	for _, p := range out.PACE {
		switch p.Protocol.String() {
		case "0.4.0.127.0.7.2.2.4.2.2":
			if p.ParameterID == nil || *p.ParameterID != 0 {
				t.Error("PACE parameter ID 0 lost")
			}
		case "0.4.0.127.0.7.2.2.4.6.4":
			if p.ParameterID != nil {
				t.Error("absent parameter ID appeared")
			}
		default:
			t.Errorf("PACE protocol %v", p.Protocol)
		}
	}
	for _, d := range out.PACEDomainParameters {
		if d.Domain.Curve != nil && (d.Domain.Curve.Name != "brainpoolP384r1" || !d.Domain.Curve.Explicit || *d.ID != 32) {
			t.Errorf("explicit PACE domain %+v", d.Domain.Curve)
		}
		if d.Domain.StandardizedID != nil && (*d.Domain.StandardizedID != 2 || d.ID != nil) {
			t.Errorf("standardized PACE domain %d", *d.Domain.StandardizedID)
		}
	}
	for _, k := range out.ChipAuthenticationPublicKeys {
		switch {
		case k.Protocol.Equal(OIDPKECDH):
			got, err := k.PublicKey.EC.ECDH()
			if err != nil || !got.Equal(priv.PublicKey()) || *k.KeyID != 1 {
				t.Errorf("ECDH key: %v", err)
			}
		case k.Protocol.Equal(OIDPKDH):
			if k.PublicKey.DH.Y.Cmp(y) != 0 || *k.KeyID != 2 {
				t.Error("DH key changed")
			}
		}
	}
	if d := out.ChipAuthenticationDomainParameters[0]; d.Domain.DH == nil || d.Domain.DH.P.Cmp(modp2048) != 0 || *d.ID != 2 {
		t.Errorf("CA domain %+v", d)
	}
	if aa := out.ActiveAuthentication[0]; !aa.SignatureAlgorithm.Equal(OIDECDSAWithSHA256) || aa.Version != 1 {
		t.Errorf("AA %+v", aa)
	}
	if !bytes.Equal(out.Other[0].Raw, unknown) {
		t.Error("unknown SecurityInfo not kept as is")
	}
	// Writing what was read gives the same bytes.
	again, err := BuildDG14(out)
	if err != nil || !bytes.Equal(again, dg14) {
		t.Errorf("re-encoding differs: %v", err)
	}
}

// The samples re-encode into files that read back the same.
func TestDG14SamplesReencode(t *testing.T) {
	for _, name := range []string{"gmrtd/icao9303_p10_sample/DG14.bin", "jmrtd/bsi2008/Datagroup14.bin", "jmrtd/misc/spec_sample_encoded_dg14.bin"} {
		s, err := ParseDG14(sample(t, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := BuildDG14(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s2, err := ParseDG14(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k1, k2 := s.ChipAuthenticationPublicKeys[0].PublicKey, s2.ChipAuthenticationPublicKeys[0].PublicKey
		if !bytes.Equal(k1.Raw, k2.Raw) || len(s2.ChipAuthentication) != len(s.ChipAuthentication) || len(s2.PACE) != len(s.PACE) {
			t.Errorf("%s: changed on re-encoding", name)
		}
	}
}

func TestSecurityInfosRefusals(t *testing.T) {
	seq := func(parts ...[]byte) []byte { return tlv.Encode(0x30, parts...) }
	enc := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pace := enc(oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2))
	cases := map[string][]byte{
		"not a SET":            tlv.Encode(0x30, seq(pace, enc(2))),
		"PACE without version": tlv.Encode(0x31, seq(pace)),
		"PACE version not int": tlv.Encode(0x31, seq(pace, enc("two"))),
		"AA without algorithm": tlv.Encode(0x31, seq(enc(OIDActiveAuthentication), enc(1))),
		"CA key off curve": tlv.Encode(0x31, seq(enc(OIDPKECDH), func() []byte {
			c, _ := CurveByName("P-256")
			params, _ := asn1.Marshal(c.OID)
			pt := (&ECPublicKey{Curve: c, X: c.Gx, Y: new(big.Int).Add(c.Gy, big.NewInt(1))}).Bytes()
			der, _ := marshalSPKI(OIDECPublicKey, params, pt)
			return der
		}())),
		"entry not a SEQUENCE": tlv.Encode(0x31, enc(5)),
		"empty entry":          tlv.Encode(0x31, seq()),
		"protocol not an OID":  tlv.Encode(0x31, seq(enc(5), enc(1))),
		"trailing bytes":       append(tlv.Encode(0x31, seq(pace, enc(2))), 1),
		"unknown domain algorithm": tlv.Encode(0x31, seq(enc(oid(0, 4, 0, 127, 0, 7, 2, 2, 4, 2)),
			seq(enc(oid(1, 2, 3)), enc(1)))),
	}
	for name, b := range cases {
		var pe *ParseError
		if _, err := ParseSecurityInfos(b); !errors.As(err, &pe) {
			t.Errorf("%s: err=%v", name, err)
		}
	}
	// Unknown protocols are kept, not refused.
	s, err := ParseSecurityInfos(tlv.Encode(0x31, seq(enc(oid(1, 3, 6, 1, 4, 1, 99)), enc(true))))
	if err != nil || len(s.Other) != 1 {
		t.Errorf("unknown protocol: %v", err)
	}
	if _, err := BuildDG14(&SecurityInfos{}); err == nil {
		t.Error("empty SecurityInfos built")
	}
	if _, err := BuildDG14(&SecurityInfos{PACE: []PACEInfo{{Protocol: OIDTA, Version: 2}}}); err == nil {
		t.Error("PACEInfo with a TA protocol built")
	}
	if _, err := ParseDG14(tlv.Encode(0x6F, tlv.Encode(0x31, seq(pace, enc(2))))); err == nil {
		t.Error("DG15 tag accepted as DG14")
	}
}

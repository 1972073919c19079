package cms

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadTLVRefusesHostileEncodings(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "truncated element header"},
		{"one byte", "30", "truncated element header"},
		{"length beyond the input", "30 05 02 01 01", "claims 5 bytes but only 3 remain"},
		{"five-byte length field", "30 85 00 00 00 00 01 00", "length field of 5 bytes"},
		{"truncated length field", "30 82 01", "truncated length field"},
		{"indefinite primitive", "04 80 00 00", "indefinite length on primitive"},
		{"indefinite without end", "30 80 02 01 01", "truncated element header"},
		{"tag number too long", "1f 81 81 81 81 01 00", "tag number longer than 4 bytes"},
		{"truncated tag number", "1f 81", "truncated tag number"},
		{"indefinite nesting bomb", strings.Repeat("30 80 ", 5000), "nested more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readTLV(unhex(t, tc.in), 0)
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrMalformed containing %q", err, tc.want)
			}
		})
	}
}

func TestDeepDefiniteNestingStopsAtTheLimit(t *testing.T) {
	deep := []byte{0x05, 0x00}
	for i := 0; i < maxDepth+5; i++ {
		n := len(deep)
		deep = append([]byte{0x30, 0x82, byte(n >> 8), byte(n)}, deep...)
	}
	var walk func(tlv, int) error
	walk = func(el tlv, depth int) error {
		if !el.constructed {
			return nil
		}
		kids, err := el.children(depth)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(k, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	top, err := parseOne(deep, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := walk(top, 0); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Fatalf("walking %d levels: %v", maxDepth+5, err)
	}
}

func TestIndefiniteLengthReadsLikeDefinite(t *testing.T) {
	ber := unhex(t, "30 80 02 01 05 24 80 04 02 aa bb 04 01 cc 00 00 00 00")
	top, rest, err := readTLV(ber, 0)
	if err != nil || len(rest) != 0 {
		t.Fatalf("%v, %d bytes left", err, len(rest))
	}
	kids, err := top.children(0)
	if err != nil || len(kids) != 2 {
		t.Fatalf("children: %v %d", err, len(kids))
	}
	n, err := smallInt(kids[0], "n")
	if err != nil || n != 5 {
		t.Errorf("integer %d %v", n, err)
	}
	o, err := octets(kids[1], 1)
	if err != nil || !bytes.Equal(o, []byte{0xaa, 0xbb, 0xcc}) {
		t.Errorf("constructed OCTET STRING %x %v", o, err)
	}
}

func TestIntegerAndOID(t *testing.T) {
	for in, want := range map[string]int64{"02 01 ff": -1, "02 02 00 80": 128, "02 01 7f": 127, "02 02 ff 7f": -129} {
		el, _ := parseOne(unhex(t, in), 0)
		got, err := integer(el)
		if err != nil || got.Cmp(big.NewInt(want)) != 0 {
			t.Errorf("%s = %v %v, want %d", in, got, err, want)
		}
	}
	for _, id := range []asn1.ObjectIdentifier{OIDLDSSecurityObject, OIDSHA256, {1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, {2, 999, 3}} {
		b, _ := asn1.Marshal(id)
		el, _ := parseOne(b, 0)
		got, err := oid(el)
		if err != nil || !got.Equal(id) {
			t.Errorf("OID %v decoded as %v %v", id, got, err)
		}
	}
	el, _ := parseOne(unhex(t, "06 02 2a 86"), 0)
	if _, err := oid(el); err == nil {
		t.Error("truncated OID accepted")
	}
}

func TestParseTimeForms(t *testing.T) {
	cases := map[string]time.Time{
		"17 0d 343931323331323335393539 5a":         time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC),
		"17 0d 353030313031303030303030 5a":         time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC),
		"17 0b 31373130303132303339 5a":             time.Date(2017, 10, 1, 20, 39, 0, 0, time.UTC), // no seconds
		"18 0f 3230333330373034303030303030 5a":     time.Date(2033, 7, 4, 0, 0, 0, 0, time.UTC),
		"18 11 32303233303130343132303030302e35 5a": time.Date(2023, 1, 4, 12, 0, 0, 500000000, time.UTC),
	}
	for in, want := range cases {
		b := unhex(t, in)
		b[1] = byte(len(b) - 2)
		el, err := parseOne(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseTime(el)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s = %v %v, want %v", in, got, err, want)
		}
	}
}

func TestDecodeStringTypes(t *testing.T) {
	cases := map[string]string{
		"0c 03 c3a9 41":           "éA", // UTF8String
		"13 02 4445":              "DE", // PrintableString
		"14 02 e9 41":             "éA", // T61String read as Latin-1
		"1e 04 00e9 0041":         "éA", // BMPString
		"1c 08 000000e9 00000041": "éA", // UniversalString
	}
	for in, want := range cases {
		el, err := parseOne(unhex(t, in), 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeString(el)
		if err != nil || got != want {
			t.Errorf("%s = %q %v, want %q", in, got, err, want)
		}
	}
}

// The a and b kept for each curve (the brainpool ones typed in from RFC
// 5639) must put the curve's own base point on the curve, and match what
// the curve implementation says.
func TestKnownCurveParametersAreConsistent(t *testing.T) {
	for _, nc := range knownCurves() {
		p := nc.curve.Params()
		x, y := p.Gx, p.Gy
		lhs := new(big.Int).Mul(y, y)
		lhs.Mod(lhs, p.P)
		if lhs.Cmp(rhs(p.P, nc.a, nc.b, x)) != 0 {
			t.Errorf("%s: G is not on y² = x³ + ax + b with the stored a, b", nc.name)
		}
		if !nc.curve.IsOnCurve(x, y) {
			t.Errorf("%s: the implementation says G is not on the curve", nc.name)
		}
		id, ok := CurveOID(nc.curve)
		if !ok || !id.Equal(nc.oid) || CurveName(nc.curve) != nc.name {
			t.Errorf("%s: OID/name lookup %v %v", nc.name, id, ok)
		}
		if got, ok := matchExplicitCurve(p.P, nc.a, nc.b, p.Gx, p.Gy, p.N); !ok || got.name != nc.name {
			t.Errorf("%s: explicit parameters match %q", nc.name, got.name)
		}
	}
	p := elliptic.P256().Params()
	if _, ok := matchExplicitCurve(p.P, big.NewInt(1), p.B, p.Gx, p.Gy, p.N); ok {
		t.Error("parameters with another a matched P-256")
	}
}

func TestDecodeCompressedPoints(t *testing.T) {
	for _, nc := range knownCurves() {
		p := nc.curve.Params()
		size := (p.P.BitLen() + 7) / 8
		comp := make([]byte, 1+size)
		comp[0] = 2 | byte(p.Gy.Bit(0))
		p.Gx.FillBytes(comp[1:])
		x, y, err := decodePoint(p.P, nc.a, nc.b, comp)
		if err != nil || x.Cmp(p.Gx) != 0 || y.Cmp(p.Gy) != 0 {
			t.Errorf("%s: compressed G decodes to (%v, %v) %v", nc.name, x, y, err)
		}
		comp[0] ^= 1 // the other root
		_, y2, err := decodePoint(p.P, nc.a, nc.b, comp)
		if err != nil || new(big.Int).Add(y2, p.Gy).Cmp(p.P) != 0 {
			t.Errorf("%s: other parity gives %v %v", nc.name, y2, err)
		}
	}
	p := elliptic.P256().Params()
	bad := append([]byte{4}, make([]byte, 64)...)
	bad[64] = 1
	if _, _, err := decodePoint(p.P, new(big.Int).Sub(p.P, big.NewInt(3)), p.B, bad); err == nil {
		t.Error("a point off the curve was accepted")
	}
}

func TestNamesCompareSemantically(t *testing.T) {
	printable := unhex(t, "30 1e 31 0b 30 09 06 03 550406 13 02 4445 31 0f 30 0d 06 03 550403 13 06 435343412031")
	utf8Lower := unhex(t, "30 20 31 0b 30 09 06 03 550406 0c 02 6465 31 11 30 0f 06 03 550403 0c 08 20637363612020 31")
	other := unhex(t, "30 1e 31 0b 30 09 06 03 550406 13 02 4445 31 0f 30 0d 06 03 550403 13 06 435343412032")
	a, err := ParseName(printable)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseName(utf8Lower)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseName(other)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Errorf("%q and %q should be the same name", a, b)
	}
	if a.Equal(c) {
		t.Errorf("%q and %q are different names", a, c)
	}
	if a.Country() != "DE" || b.Country() != "DE" || a.String() != "CN=CSCA 1,C=DE" {
		t.Errorf("country %q %q, string %q", a.Country(), b.Country(), a.String())
	}
}

func TestPSSParameterDefaults(t *testing.T) {
	h, salt, err := pssParameters(nil)
	if err != nil || h.String() != "SHA-1" || salt != 20 {
		t.Errorf("absent parameters: %v %d %v", h, salt, err)
	}
	// SHA-256, MGF1-SHA-256, salt 32 (the usual ICAO form).
	params := unhex(t, "30 34 a0 0f 30 0d 06 09 608648016503040201 05 00 a1 1c 30 1a 06 09 2a864886f70d010108 30 0d 06 09 608648016503040201 05 00 a2 03 02 01 20")
	h, salt, err = pssParameters(params)
	if err != nil || h.String() != "SHA-256" || salt != 32 {
		t.Errorf("SHA-256 parameters: %v %d %v", h, salt, err)
	}
	// MGF1 over another hash than the message is refused.
	mixed := unhex(t, "30 30 a0 0f 30 0d 06 09 608648016503040201 05 00 a1 18 30 16 06 09 2a864886f70d010108 30 09 06 05 2b0e03021a 05 00 a2 03 02 01 20")
	if _, _, err := pssParameters(mixed); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("mixed hashes: %v", err)
	}
}

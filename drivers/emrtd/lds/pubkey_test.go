package lds

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"testing"
)

// Affine point arithmetic for checking the curve table; nil is the point at
// infinity. Slow and simple on purpose: it shares no code with the package.
type point struct{ x, y *big.Int }

func add(c *Curve, p, q *point) *point {
	if p == nil {
		return q
	}
	if q == nil {
		return p
	}
	var l *big.Int
	if p.x.Cmp(q.x) == 0 {
		if new(big.Int).Add(p.y, q.y).Mod(new(big.Int).Add(p.y, q.y), c.P).Sign() == 0 {
			return nil
		}
		num := new(big.Int).Mul(p.x, p.x)
		num.Mul(num, big.NewInt(3)).Add(num, c.A)
		den := new(big.Int).Lsh(p.y, 1)
		l = num.Mul(num, den.ModInverse(den, c.P))
	} else {
		num := new(big.Int).Sub(q.y, p.y)
		den := new(big.Int).Sub(q.x, p.x)
		den.Mod(den, c.P)
		l = num.Mul(num, den.ModInverse(den, c.P))
	}
	l.Mod(l, c.P)
	x := new(big.Int).Mul(l, l)
	x.Sub(x, p.x).Sub(x, q.x).Mod(x, c.P)
	y := new(big.Int).Sub(p.x, x)
	y.Mul(y, l).Sub(y, p.y).Mod(y, c.P)
	return &point{x, y}
}

func mul(c *Curve, k *big.Int, p *point) *point {
	var r *point
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = add(c, r, r)
		if k.Bit(i) == 1 {
			r = add(c, r, p)
		}
	}
	return r
}

// Every curve in the table is a group of the stated order with its base
// point on it: a typo in any constant fails here.
func TestKnownCurvesAreConsistent(t *testing.T) {
	for _, c := range knownCurves {
		if !c.onCurve(c.Gx, c.Gy) {
			t.Errorf("%s: G not on the curve", c.Name)
			continue
		}
		if !c.P.ProbablyPrime(20) || !c.N.ProbablyPrime(20) {
			t.Errorf("%s: p or n not prime", c.Name)
		}
		if r := mul(c, c.N, &point{c.Gx, c.Gy}); r != nil {
			t.Errorf("%s: n·G is not the point at infinity", c.Name)
		}
	}
	if _, ok := CurveByName("brainpoolP256r1"); !ok {
		t.Error("brainpoolP256r1 missing")
	}
}

func TestECDSAKeyRoundTrip(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// A named-curve key encodes exactly as crypto/x509 encodes it.
	want, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if !bytes.Equal(k.Raw, want) {
		t.Fatal("named-curve encoding differs from crypto/x509's")
	}
	dg15, err := BuildDG15(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG15(dg15)
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.PublicKey.EC.ECDSA()
	if err != nil || !back.Equal(&priv.PublicKey) || d.PublicKey.String() != "EC P-256" {
		t.Fatalf("%v %v", d.PublicKey, err)
	}
	// The same key with explicit parameters is recognised as P-256 and
	// keeps its explicit form when written again.
	explicit := *d.PublicKey.EC.Curve
	explicit.Explicit = true
	der, err := MarshalPublicKey(&PublicKey{EC: &ECPublicKey{Curve: &explicit, X: d.PublicKey.EC.X, Y: d.PublicKey.EC.Y}})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	if k2.EC.Curve.Name != "P-256" || !k2.EC.Curve.Explicit || k2.EC.X.Cmp(d.PublicKey.EC.X) != 0 {
		t.Fatalf("explicit: %+v", k2.EC.Curve)
	}
	again, _ := MarshalPublicKey(k2)
	if !bytes.Equal(again, der) {
		t.Error("explicit parameters not kept on re-encoding")
	}
}

func TestECDHKey(t *testing.T) {
	priv, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewPublicKey(priv.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	back, err := k.EC.ECDH()
	if err != nil || !back.Equal(priv.PublicKey()) {
		t.Fatalf("%v", err)
	}
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if _, err := NewPublicKey(x25519.PublicKey()); err == nil {
		t.Error("X25519 key accepted")
	}
}

// A brainpool key (no standard library support): built from a multiple of
// the base point, written explicit and named, read back.
func TestBrainpoolKey(t *testing.T) {
	c, _ := CurveByName("brainpoolP256r1")
	p := mul(c, big.NewInt(123456789), &point{c.Gx, c.Gy})
	for _, explicit := range []bool{false, true} {
		cc := *c
		cc.Explicit = explicit
		key := &ECPublicKey{Curve: &cc, X: p.x, Y: p.y}
		dg15, err := BuildDG15(key)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseDG15(dg15)
		if err != nil {
			t.Fatal(err)
		}
		got := d.PublicKey.EC
		if got.Curve.Name != "brainpoolP256r1" || got.Curve.Explicit != explicit || got.X.Cmp(p.x) != 0 || got.Y.Cmp(p.y) != 0 {
			t.Errorf("explicit=%v: %+v", explicit, got.Curve)
		}
		if _, err := got.ECDSA(); err == nil {
			t.Error("brainpool key converted to crypto/ecdsa")
		}
	}
	// The compressed form of the same point decompresses to it.
	comp := append([]byte{2 + byte(p.y.Bit(0))}, p.x.FillBytes(make([]byte, 32))...)
	params, _ := asn1.Marshal(c.OID)
	der, _ := marshalSPKI(OIDECPublicKey, params, comp)
	k, err := ParsePublicKey(der)
	if err != nil || k.EC.Y.Cmp(p.y) != 0 {
		t.Fatalf("compressed: %v", err)
	}
}

func TestECKeyRefusals(t *testing.T) {
	c, _ := CurveByName("P-256")
	named, _ := asn1.Marshal(c.OID)
	g := (&ECPublicKey{Curve: c, X: c.Gx, Y: c.Gy}).Bytes()
	off := bytes.Clone(g)
	off[len(off)-1] ^= 1
	unknownCurve := *c
	unknownCurve.B = new(big.Int).Add(c.B, big.NewInt(1))
	unknownCurve.OID, unknownCurve.Name = nil, ""
	// G of P-256 is not on a curve with another b: pick a point that is.
	explicitParams := func(cv *Curve) []byte {
		b, err := marshalECParameters(cv)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]struct{ params, key []byte }{
		"point off the curve":  {named, off},
		"point too short":      {named, g[:40]},
		"hybrid encoding":      {named, append([]byte{6}, g[1:]...)},
		"unknown named curve":  {[]byte{0x06, 0x03, 0x2B, 0x65, 0x6E}, g},
		"implicitlyCA (NULL)":  {[]byte{0x05, 0x00}, g},
		"base point off curve": {explicitParams(&unknownCurve), g},
	}
	for name, c := range cases {
		der, err := marshalSPKI(OIDECPublicKey, c.params, c.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePublicKey(der); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Compressed points on an unnamed curve are refused rather than
	// decompressed (that needs p prime, which nothing guarantees).
	unnamed := *c
	unnamed.Name, unnamed.OID, unnamed.Explicit = "", nil, true
	unnamed.Gx, unnamed.Gy = c.Gx, c.Gy
	params := explicitParams(&unnamed)
	// Disturb the cofactor so the parameters match no known curve.
	var ep ecParameters
	if _, err := asn1.Unmarshal(params, &ep); err != nil {
		t.Fatal(err)
	}
	ep.Cofactor = big.NewInt(1)
	ep.Order = new(big.Int).Add(c.N, big.NewInt(2))
	params, _ = asn1.Marshal(ep)
	comp := append([]byte{2 + byte(c.Gy.Bit(0))}, c.Gx.FillBytes(make([]byte, 32))...)
	der, _ := marshalSPKI(OIDECPublicKey, params, comp)
	if _, err := ParsePublicKey(der); err == nil {
		t.Error("compressed point on an unknown curve accepted")
	}
	der, _ = marshalSPKI(OIDECPublicKey, params, g)
	k, err := ParsePublicKey(der)
	if err != nil || k.EC.Curve.Name != "" || k.String() != "EC 256-bit explicit curve" {
		t.Errorf("unnamed explicit curve: %v %v", k, err)
	}
}

func TestRSAKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	dg15, err := BuildDG15(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG15(dg15)
	if err != nil || !d.PublicKey.RSA.Equal(&priv.PublicKey) || d.PublicKey.String() != "RSA-1024" {
		t.Fatalf("%v %v", d, err)
	}
	// The modulus without its leading zero (as some chips write it) reads
	// as the same key.
	n := priv.N.Bytes()
	e, _ := asn1.Marshal(priv.E)
	rsaKey := append(append([]byte{0x30, 0x81, byte(3 + len(n) + len(e))}, 0x02, 0x81, byte(len(n))), n...)
	rsaKey = append(rsaKey, e...)
	der, _ := marshalSPKI(OIDRSAEncryption, []byte{0x05, 0x00}, rsaKey)
	k, err := ParsePublicKey(der)
	if err != nil || k.RSA.N.Cmp(priv.N) != 0 {
		t.Fatalf("unsigned modulus: %v", err)
	}
	for name, key := range map[string][]byte{
		"even exponent": mustMarshal(t, struct{ N, E *big.Int }{priv.N, big.NewInt(65536)}),
		"tiny modulus":  mustMarshal(t, struct{ N, E *big.Int }{big.NewInt(0xFFFF1), big.NewInt(3)}),
		"three ints":    mustMarshal(t, struct{ N, E, X *big.Int }{priv.N, big.NewInt(3), big.NewInt(3)}),
	} {
		der, _ := marshalSPKI(OIDRSAEncryption, []byte{0x05, 0x00}, key)
		if _, err := ParsePublicKey(der); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 3526 group 14 (2048-bit MODP), q = (p−1)/2.
var modp2048, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)

func TestDHKey(t *testing.T) {
	q := new(big.Int).Rsh(modp2048, 1)
	y := new(big.Int).Exp(big.NewInt(2), big.NewInt(987654321), modp2048)
	for _, withQ := range []bool{true, false} {
		group := DHGroup{P: modp2048, G: big.NewInt(2)}
		if withQ {
			group.Q = q
		}
		k, err := NewPublicKey(&DHPublicKey{Group: group, Y: y})
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePublicKey(k.Raw)
		if err != nil {
			t.Fatal(err)
		}
		wantAlg := OIDDHKeyAgreement
		if withQ {
			wantAlg = OIDDHPublicNumber
		}
		if !back.Algorithm.Equal(wantAlg) || back.DH.Y.Cmp(y) != 0 || (back.DH.Group.Q != nil) != withQ || back.String() != "DH-2048" {
			t.Errorf("withQ=%v: %v", withQ, back)
		}
	}
	bad := map[string]DHPublicKey{
		"y = 1":   {Group: DHGroup{P: modp2048, G: big.NewInt(2), Q: q}, Y: big.NewInt(1)},
		"y = p−1": {Group: DHGroup{P: modp2048, G: big.NewInt(2), Q: q}, Y: new(big.Int).Sub(modp2048, big.NewInt(1))},
		"small p": {Group: DHGroup{P: big.NewInt(1000003), G: big.NewInt(2), Q: big.NewInt(500001)}, Y: big.NewInt(5)},
		"g = p":   {Group: DHGroup{P: modp2048, G: modp2048, Q: q}, Y: y},
	}
	for name, k := range bad {
		der, err := MarshalPublicKey(&PublicKey{DH: &k})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePublicKey(der); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

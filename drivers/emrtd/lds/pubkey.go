package lds

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"autogate/drivers/emrtd/ecparams"
)

// Algorithm identifiers of public keys found on eMRTDs.
var (
	OIDRSAEncryption  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDDHPublicNumber = asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}     // ANSI X9.42
	OIDDHKeyAgreement = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 3, 1} // PKCS #3
	OIDPKDH           = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 1}
	OIDPKECDH         = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}
	oidPrimeField     = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

// Bounds on key sizes, so that a crafted key cannot make the arithmetic
// here (or a caller's) expensive.
const (
	maxECFieldBits = 1024
	maxDHBits      = 8192
	maxRSABits     = 8192
)

// PublicKey is a SubjectPublicKeyInfo: exactly one of RSA, EC and DH is set.
type PublicKey struct {
	Algorithm asn1.ObjectIdentifier
	RSA       *rsa.PublicKey
	EC        *ECPublicKey
	DH        *DHPublicKey
	// Raw is the DER SubjectPublicKeyInfo as read.
	Raw []byte
}

// ECPublicKey is a point on a prime-field curve.
type ECPublicKey struct {
	Curve *Curve
	X, Y  *big.Int
}

// DHGroup is a finite-field Diffie-Hellman group: prime P, generator G and,
// when known (X9.42), the subgroup order Q.
type DHGroup struct {
	P, G, Q *big.Int
	// PrivateValueLength is PKCS #3's optional private value length in
	// bits (0: absent); X9.42 parameters have none.
	PrivateValueLength int
}

// DHPublicKey is a Diffie-Hellman public value in a group.
type DHPublicKey struct {
	Group DHGroup
	Y     *big.Int
}

// String describes the key briefly: "RSA-2048", "EC brainpoolP256r1",
// "DH-2048".
func (k *PublicKey) String() string {
	switch {
	case k.RSA != nil:
		return fmt.Sprintf("RSA-%d", k.RSA.N.BitLen())
	case k.EC != nil:
		name := k.EC.Curve.Name
		if name == "" {
			name = fmt.Sprintf("%d-bit explicit curve", k.EC.Curve.P.BitLen())
		}
		return "EC " + name
	case k.DH != nil:
		return fmt.Sprintf("DH-%d", k.DH.Group.P.BitLen())
	}
	return "empty public key"
}

// Bytes encodes the point uncompressed: 04 ‖ X ‖ Y.
func (k *ECPublicKey) Bytes() []byte {
	return ecparams.MarshalPoint(k.Curve.ByteLen(), k.X, k.Y)
}

// ECDSA converts a key on a NIST curve (P-224 … P-521) to crypto/ecdsa.
func (k *ECPublicKey) ECDSA() (*ecdsa.PublicKey, error) {
	c, ok := nistCurve(k.Curve.Name)
	if !ok {
		return nil, fmt.Errorf("lds: key on curve %q: crypto/ecdsa supports P-224, P-256, P-384 and P-521 only", k.Curve.Name)
	}
	return ecdsa.ParseUncompressedPublicKey(c, k.Bytes())
}

// ECDH converts a key on P-256, P-384 or P-521 to crypto/ecdh.
func (k *ECPublicKey) ECDH() (*ecdh.PublicKey, error) {
	c, ok := map[string]ecdh.Curve{"P-256": ecdh.P256(), "P-384": ecdh.P384(), "P-521": ecdh.P521()}[k.Curve.Name]
	if !ok {
		return nil, fmt.Errorf("lds: key on curve %q: crypto/ecdh supports P-256, P-384 and P-521 only", k.Curve.Name)
	}
	return c.NewPublicKey(k.Bytes())
}

// NewPublicKey wraps a crypto key for MarshalPublicKey and the builders:
// *rsa.PublicKey, *ecdsa.PublicKey and *ecdh.PublicKey on NIST curves,
// or this package's *ECPublicKey and *DHPublicKey (for brainpool curves and
// explicit parameters). Raw is filled in.
func NewPublicKey(pub crypto.PublicKey) (*PublicKey, error) {
	var k PublicKey
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k.Algorithm, k.RSA = OIDRSAEncryption, p
	case *ecdsa.PublicKey:
		raw, err := p.Bytes()
		if err != nil {
			return nil, fmt.Errorf("lds: ECDSA key: %w", err)
		}
		ec, err := ecFromBytes(p.Curve.Params().Name, raw)
		if err != nil {
			return nil, err
		}
		k.Algorithm, k.EC = OIDECPublicKey, ec
	case *ecdh.PublicKey:
		name := map[ecdh.Curve]string{ecdh.P256(): "P-256", ecdh.P384(): "P-384", ecdh.P521(): "P-521"}[p.Curve()]
		if name == "" {
			return nil, errors.New("lds: ECDH key: only NIST curves are SubjectPublicKeyInfo keys (not X25519)")
		}
		ec, err := ecFromBytes(name, p.Bytes())
		if err != nil {
			return nil, err
		}
		k.Algorithm, k.EC = OIDECPublicKey, ec
	case *ECPublicKey:
		if p.Curve == nil || p.X == nil || p.Y == nil {
			return nil, errors.New("lds: EC key without curve or point")
		}
		k.Algorithm, k.EC = OIDECPublicKey, p
	case *DHPublicKey:
		if p.Group.P == nil || p.Group.G == nil || p.Y == nil {
			return nil, errors.New("lds: DH key without P, G or Y")
		}
		k.Algorithm, k.DH = OIDDHPublicNumber, p
		if p.Group.Q == nil {
			k.Algorithm = OIDDHKeyAgreement
		}
	default:
		return nil, fmt.Errorf("lds: public key of type %T not supported (RSA, ECDSA, ECDH, *lds.ECPublicKey, *lds.DHPublicKey)", pub)
	}
	raw, err := MarshalPublicKey(&k)
	if err != nil {
		return nil, err
	}
	k.Raw = raw
	return &k, nil
}

func ecFromBytes(curve string, point []byte) (*ECPublicKey, error) {
	c, ok := CurveByName(curve)
	if !ok {
		return nil, fmt.Errorf("lds: curve %q unknown", curve)
	}
	x, y, err := decodePoint(c, point)
	if err != nil {
		return nil, err
	}
	return &ECPublicKey{Curve: c, X: x, Y: y}, nil
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// ParsePublicKey parses a DER SubjectPublicKeyInfo holding an RSA key, an
// elliptic curve key (named curve or explicit prime-field parameters) or a
// Diffie-Hellman key (X9.42 or PKCS #3 parameters). EC points must lie on
// their curve and DH values inside their group.
func ParsePublicKey(der []byte) (*PublicKey, error) {
	k, err := parsePublicKey(der)
	return k, malformed("public key", err)
}

func parsePublicKey(der []byte) (*PublicKey, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return nil, fmt.Errorf("SubjectPublicKeyInfo: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("SubjectPublicKeyInfo: %d bytes after it", len(rest))
	}
	k := &PublicKey{Algorithm: spki.Algorithm.Algorithm, Raw: der[:len(der)-len(rest)]}
	if spki.PublicKey.BitLength%8 != 0 {
		return nil, errors.New("SubjectPublicKeyInfo: public key bit string is not whole bytes")
	}
	key := spki.PublicKey.Bytes
	params := spki.Algorithm.Parameters.FullBytes
	alg := spki.Algorithm.Algorithm
	switch {
	case alg.Equal(OIDRSAEncryption):
		if k.RSA, err = parseRSA(key); err != nil {
			return nil, fmt.Errorf("RSA key: %w", err)
		}
	case alg.Equal(OIDECPublicKey) || alg.Equal(OIDPKECDH):
		curve, err := parseECParameters(params)
		if err != nil {
			return nil, fmt.Errorf("EC key: %w", err)
		}
		x, y, err := decodePoint(curve, key)
		if err != nil {
			return nil, fmt.Errorf("EC key: %w", err)
		}
		k.EC = &ECPublicKey{Curve: curve, X: x, Y: y}
	case alg.Equal(OIDDHPublicNumber) || alg.Equal(OIDDHKeyAgreement) || alg.Equal(OIDPKDH):
		group, err := parseDHParameters(alg, params)
		if err != nil {
			return nil, fmt.Errorf("DH key: %w", err)
		}
		var y *big.Int
		if rest, err := asn1.Unmarshal(key, &y); err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("DH key: public value is not one DER INTEGER: %v", err)
		}
		if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(new(big.Int).Sub(group.P, big.NewInt(1))) >= 0 {
			return nil, errors.New("DH key: public value outside 2…p−2")
		}
		k.DH = &DHPublicKey{Group: *group, Y: y}
	default:
		return nil, fmt.Errorf("public key algorithm %v not supported (RSA, EC, DH)", alg)
	}
	return k, nil
}

// parseRSA reads RSAPublicKey {modulus, publicExponent}. Chips in
// circulation (the BSI 2008 test passport among them) encode the modulus
// without the leading zero byte DER needs for a positive number, which
// crypto/x509 refuses; the integers are read here as the unsigned values
// they are meant to be.
func parseRSA(b []byte) (*rsa.PublicKey, error) {
	var ints []asn1.RawValue
	rest, err := asn1.Unmarshal(b, &ints)
	switch {
	case err != nil:
		return nil, fmt.Errorf("RSAPublicKey is not a SEQUENCE: %v", err)
	case len(rest) > 0:
		return nil, fmt.Errorf("%d bytes after RSAPublicKey", len(rest))
	case len(ints) != 2 || ints[0].Tag != asn1.TagInteger || ints[1].Tag != asn1.TagInteger || ints[0].Class != 0 || ints[1].Class != 0:
		return nil, errors.New("RSAPublicKey must hold two INTEGERs, modulus and exponent")
	}
	n := new(big.Int).SetBytes(ints[0].Bytes)
	e := new(big.Int).SetBytes(ints[1].Bytes)
	switch {
	case n.BitLen() < 512 || n.BitLen() > maxRSABits:
		return nil, fmt.Errorf("modulus of %d bits: want 512 to %d", n.BitLen(), maxRSABits)
	case n.Bit(0) == 0:
		return nil, errors.New("modulus is even")
	case e.BitLen() > 31 || e.Int64() < 3 || e.Bit(0) == 0:
		return nil, fmt.Errorf("public exponent %v: want an odd number from 3 to 2^31", e)
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

type ecParameters struct {
	Version int
	FieldID struct {
		FieldType asn1.ObjectIdentifier
		Prime     asn1.RawValue
	}
	Curve struct {
		A, B []byte
		Seed asn1.BitString `asn1:"optional"`
	}
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

// parseECParameters reads ECParameters: a named curve OID or explicit
// prime-field parameters (X9.62 / RFC 3279), recognising known curves.
func parseECParameters(der []byte) (*Curve, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(der, &oid); err == nil {
		if len(rest) > 0 {
			return nil, errors.New("bytes after the named curve")
		}
		c, ok := curveByOID(oid)
		if !ok {
			return nil, fmt.Errorf("named curve %v unknown", oid)
		}
		return c, nil
	}
	var p ecParameters
	rest, err := asn1.Unmarshal(der, &p)
	if err != nil {
		return nil, fmt.Errorf("domain parameters are neither a curve OID nor explicit ECParameters: %v", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("bytes after the domain parameters")
	}
	if !p.FieldID.FieldType.Equal(oidPrimeField) {
		return nil, fmt.Errorf("field type %v: only prime fields are supported", p.FieldID.FieldType)
	}
	var prime *big.Int
	if rest, err := asn1.Unmarshal(p.FieldID.Prime.FullBytes, &prime); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("prime field: p is not one INTEGER: %v", err)
	}
	if prime.Sign() <= 0 || prime.Bit(0) == 0 || prime.BitLen() < 64 || prime.BitLen() > maxECFieldBits {
		return nil, fmt.Errorf("prime p of %d bits: want an odd prime of 64 to %d bits", prime.BitLen(), maxECFieldBits)
	}
	c := &Curve{P: prime, A: new(big.Int).SetBytes(p.Curve.A), B: new(big.Int).SetBytes(p.Curve.B), N: p.Order, H: p.Cofactor, Explicit: true}
	if c.H == nil {
		c.H = big.NewInt(1)
	}
	if c.A.Cmp(prime) >= 0 || c.B.Cmp(prime) >= 0 {
		return nil, errors.New("curve coefficient a or b not below p")
	}
	if c.N == nil || c.N.Cmp(big.NewInt(1)) <= 0 || c.N.BitLen() > maxECFieldBits+1 {
		return nil, errors.New("order n missing, below 2 or far above p")
	}
	if c.Gx, c.Gy, err = decodePoint(c, p.Base); err != nil {
		return nil, fmt.Errorf("base point: %w", err)
	}
	recognise(c)
	return c, nil
}

// decodePoint decodes an uncompressed point, or a compressed one on a known
// curve (decompression needs a prime field, which only known curves are
// guaranteed to have), and checks it lies on the curve.
func decodePoint(c *Curve, b []byte) (x, y *big.Int, err error) {
	n := c.ByteLen()
	switch {
	case len(b) == 1+2*n && b[0] == 4:
		x, y = new(big.Int).SetBytes(b[1:1+n]), new(big.Int).SetBytes(b[1+n:])
	case len(b) == 1+n && (b[0] == 2 || b[0] == 3) && c.Name != "":
		x = new(big.Int).SetBytes(b[1:])
		if x.Cmp(c.P) >= 0 {
			return nil, nil, errors.New("compressed point: x not below p")
		}
		rhs := new(big.Int).Mul(x, x)
		rhs.Add(rhs, c.A)
		rhs.Mul(rhs, x)
		rhs.Add(rhs, c.B)
		rhs.Mod(rhs, c.P)
		y = new(big.Int).ModSqrt(rhs, c.P)
		if y == nil {
			return nil, nil, errors.New("compressed point: x is not on the curve")
		}
		if y.Bit(0) != uint(b[0]&1) {
			y.Sub(c.P, y)
		}
	case len(b) == 1+n && (b[0] == 2 || b[0] == 3):
		return nil, nil, errors.New("compressed point on a curve that is not a known one: not supported")
	default:
		return nil, nil, fmt.Errorf("point of %d bytes starting %02X: want 04 ‖ X ‖ Y of %d bytes for this %d-bit curve", len(b), firstByte(b), 1+2*n, c.P.BitLen())
	}
	if !c.onCurve(x, y) {
		return nil, nil, errors.New("point is not on the curve")
	}
	return x, y, nil
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// parseDHParameters reads X9.42 DomainParameters {p, g, q, …} or PKCS #3
// DHParameter {p, g, privateValueLength?}.
func parseDHParameters(alg asn1.ObjectIdentifier, der []byte) (*DHGroup, error) {
	var ints []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &ints)
	if err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("domain parameters are not one SEQUENCE: %v", err)
	}
	var vals []*big.Int
	for _, r := range ints {
		if r.Class != asn1.ClassUniversal || r.Tag != asn1.TagInteger {
			break // X9.42 validation parameters follow the integers
		}
		var v *big.Int
		if _, err := asn1.Unmarshal(r.FullBytes, &v); err != nil {
			return nil, fmt.Errorf("domain parameter: %v", err)
		}
		vals = append(vals, v)
	}
	if len(vals) < 2 {
		return nil, errors.New("domain parameters need p and g")
	}
	g := &DHGroup{P: vals[0], G: vals[1]}
	// PKCS #3's third integer is a private value length, not q.
	if len(vals) >= 3 {
		if !alg.Equal(OIDDHKeyAgreement) {
			g.Q = vals[2]
		} else if l := vals[2]; l.Sign() > 0 && l.BitLen() <= 16 {
			g.PrivateValueLength = int(l.Int64())
		} else {
			return nil, fmt.Errorf("PKCS #3 private value length %v out of range", l)
		}
	}
	if alg.Equal(OIDDHPublicNumber) && g.Q == nil {
		return nil, errors.New("X9.42 domain parameters need q")
	}
	one := big.NewInt(1)
	switch {
	case g.P.Sign() <= 0 || g.P.Bit(0) == 0 || g.P.BitLen() < 256 || g.P.BitLen() > maxDHBits:
		return nil, fmt.Errorf("prime p of %d bits: want an odd prime of 256 to %d bits", g.P.BitLen(), maxDHBits)
	case g.G.Cmp(one) <= 0 || g.G.Cmp(g.P) >= 0:
		return nil, errors.New("generator g outside 2…p−1")
	case g.Q != nil && (g.Q.Cmp(one) <= 0 || g.Q.Cmp(g.P) >= 0):
		return nil, errors.New("subgroup order q outside 2…p−1")
	}
	return g, nil
}

// MarshalPublicKey encodes k as a DER SubjectPublicKeyInfo. EC keys on a
// known curve are written with the curve's OID unless k.EC.Curve.Explicit;
// curves without a name always with explicit parameters. DH keys with Q are
// written with X9.42 parameters, without Q with PKCS #3 parameters.
func MarshalPublicKey(k *PublicKey) ([]byte, error) {
	switch {
	case k.RSA != nil:
		return x509.MarshalPKIXPublicKey(k.RSA)
	case k.EC != nil:
		c := k.EC.Curve
		var params []byte
		var err error
		if c.OID != nil && !c.Explicit {
			params, err = asn1.Marshal(c.OID)
		} else {
			params, err = marshalECParameters(c)
		}
		if err != nil {
			return nil, fmt.Errorf("lds: EC parameters: %w", err)
		}
		if !c.onCurve(k.EC.X, k.EC.Y) {
			return nil, errors.New("lds: EC public point is not on its curve")
		}
		return marshalSPKI(OIDECPublicKey, params, k.EC.Bytes())
	case k.DH != nil:
		alg, params, err := marshalDHParameters(k.DH.Group)
		if err != nil {
			return nil, fmt.Errorf("lds: DH parameters: %w", err)
		}
		y, err := asn1.Marshal(k.DH.Y)
		if err != nil {
			return nil, fmt.Errorf("lds: DH public value: %w", err)
		}
		return marshalSPKI(alg, params, y)
	}
	return nil, errors.New("lds: MarshalPublicKey: no RSA, EC or DH key set")
}

// marshalDHParameters writes X9.42 DomainParameters when the group has Q,
// PKCS #3 DHParameter otherwise.
func marshalDHParameters(g DHGroup) (asn1.ObjectIdentifier, []byte, error) {
	if g.P == nil || g.G == nil {
		return nil, nil, errors.New("DH group without P or G")
	}
	switch {
	case g.Q != nil:
		b, err := asn1.Marshal(struct{ P, G, Q *big.Int }{g.P, g.G, g.Q})
		return OIDDHPublicNumber, b, err
	case g.PrivateValueLength > 0:
		b, err := asn1.Marshal(struct {
			P, G *big.Int
			L    int
		}{g.P, g.G, g.PrivateValueLength})
		return OIDDHKeyAgreement, b, err
	}
	b, err := asn1.Marshal(struct{ P, G *big.Int }{g.P, g.G})
	return OIDDHKeyAgreement, b, err
}

func marshalSPKI(alg asn1.ObjectIdentifier, params, key []byte) ([]byte, error) {
	return asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: alg, Parameters: asn1.RawValue{FullBytes: params}},
		PublicKey: asn1.BitString{Bytes: key, BitLength: 8 * len(key)},
	})
}

func marshalECParameters(c *Curve) ([]byte, error) {
	n := c.ByteLen()
	fe := func(v *big.Int) []byte { return v.FillBytes(make([]byte, n)) }
	prime, err := asn1.Marshal(c.P)
	if err != nil {
		return nil, err
	}
	var p ecParameters
	p.Version = 1
	p.FieldID.FieldType = oidPrimeField
	p.FieldID.Prime = asn1.RawValue{FullBytes: prime}
	p.Curve.A, p.Curve.B = fe(c.A), fe(c.B)
	p.Base = (&ECPublicKey{Curve: c, X: c.Gx, Y: c.Gy}).Bytes()
	p.Order, p.Cofactor = c.N, c.H
	if p.Cofactor == nil {
		p.Cofactor = big.NewInt(1)
	}
	return asn1.Marshal(p)
}

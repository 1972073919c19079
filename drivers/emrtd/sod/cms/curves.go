package cms

import (
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// A named curve this package can verify signatures on. a and b are kept
// here because brainpool's elliptic.CurveParams leave B unset (its r1 curves
// are computed on the isomorphic t1 twist) and CurveParams has no A at all.
type namedCurve struct {
	name  string
	oid   asn1.ObjectIdentifier
	curve elliptic.Curve
	a, b  *big.Int
}

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("cms: bad curve constant " + s)
	}
	return n
}

// nistCurve describes a NIST prime curve: a = -3 mod p.
func nistCurve(name string, oid asn1.ObjectIdentifier, c elliptic.Curve) namedCurve {
	p := c.Params()
	return namedCurve{name: name, oid: oid, curve: c, a: new(big.Int).Sub(p.P, big.NewInt(3)), b: p.B}
}

// knownCurves lists the curves Doc 9303 part 12 allows for CSCA and document
// signer keys that an implementation exists for: the NIST curves in the
// standard library (P-224 too, which old CSCAs use) and brainpool r1 from
// ProtonMail/go-crypto. Go 1.26's crypto/ecdsa still verifies signatures on
// any elliptic.Curve (its math/big "legacy" path), so brainpool keys go
// through ecdsa.Verify unchanged. The brainpool a and b are those of
// RFC 5639 section 3.
var knownCurves = sync.OnceValue(func() []namedCurve {
	return []namedCurve{
		nistCurve("P-224", asn1.ObjectIdentifier{1, 3, 132, 0, 33}, elliptic.P224()),
		nistCurve("P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()),
		nistCurve("P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()),
		nistCurve("P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()),
		{
			name: "brainpoolP256r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, curve: brainpool.P256r1(),
			a: hexInt("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9"),
			b: hexInt("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"),
		},
		{
			name: "brainpoolP384r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, curve: brainpool.P384r1(),
			a: hexInt("7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826"),
			b: hexInt("04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11"),
		},
		{
			name: "brainpoolP512r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, curve: brainpool.P512r1(),
			a: hexInt("7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA"),
			b: hexInt("3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723"),
		},
	}
})

// curveNamesByOID names the curves that are recognised but have no
// implementation here, so errors can say which curve a key is on.
var curveNamesByOID = map[string]string{
	"1.3.36.3.3.2.8.1.1.1":  "brainpoolP160r1",
	"1.3.36.3.3.2.8.1.1.3":  "brainpoolP192r1",
	"1.3.36.3.3.2.8.1.1.5":  "brainpoolP224r1",
	"1.3.36.3.3.2.8.1.1.9":  "brainpoolP320r1",
	"1.2.840.10045.3.1.1":   "P-192",
	"1.3.132.0.10":          "secp256k1",
	"1.3.36.3.3.2.8.1.1.8":  "brainpoolP256t1",
	"1.3.36.3.3.2.8.1.1.12": "brainpoolP384t1",
}

// ErrUnsupportedCurve is wrapped when a key lies on a curve with no
// implementation here.
var ErrUnsupportedCurve = errors.New("unsupported elliptic curve")

// CurveByOID returns the curve a namedCurve OID stands for.
func CurveByOID(id asn1.ObjectIdentifier) (elliptic.Curve, bool) {
	for _, c := range knownCurves() {
		if c.oid.Equal(id) {
			return c.curve, true
		}
	}
	return nil, false
}

// CurveOID returns the namedCurve OID of a curve this package knows.
func CurveOID(c elliptic.Curve) (asn1.ObjectIdentifier, bool) {
	if nc, ok := lookupCurve(c); ok {
		return nc.oid, true
	}
	return nil, false
}

// CurveName returns the usual name of a curve ("P-256", "brainpoolP256r1").
func CurveName(c elliptic.Curve) string {
	if nc, ok := lookupCurve(c); ok {
		return nc.name
	}
	if c == nil {
		return "unknown"
	}
	return c.Params().Name
}

// CurveDomain returns the domain parameters p, a, b, Gx, Gy, n of a known
// curve, for writing explicit ECParameters.
func CurveDomain(c elliptic.Curve) (p, a, b, gx, gy, n *big.Int, ok bool) {
	nc, found := lookupCurve(c)
	if !found {
		return nil, nil, nil, nil, nil, nil, false
	}
	cp := nc.curve.Params()
	return cp.P, nc.a, nc.b, cp.Gx, cp.Gy, cp.N, true
}

func lookupCurve(c elliptic.Curve) (namedCurve, bool) {
	if c == nil {
		return namedCurve{}, false
	}
	for _, nc := range knownCurves() {
		if nc.curve == c || nc.curve.Params() == c.Params() {
			return nc, true
		}
	}
	return namedCurve{}, false
}

// matchExplicitCurve finds the known curve whose domain parameters equal the
// explicit ones in a key's ECParameters. Many CSCA keys are encoded this way
// (BSI TR-03110 recommends it); crypto/x509 refuses them.
func matchExplicitCurve(p, a, b, gx, gy, n *big.Int) (namedCurve, bool) {
	for _, nc := range knownCurves() {
		cp := nc.curve.Params()
		if cp.P.Cmp(p) == 0 && nc.a.Cmp(a) == 0 && nc.b.Cmp(b) == 0 &&
			cp.Gx.Cmp(gx) == 0 && cp.Gy.Cmp(gy) == 0 && cp.N.Cmp(n) == 0 {
			return nc, true
		}
	}
	return namedCurve{}, false
}

// decodePoint reads an uncompressed (04) or compressed (02, 03) point
// (SEC 1 2.3.4) with the curve equation y² = x³ + ax + b, and checks that
// it lies on the curve.
func decodePoint(p, a, b *big.Int, data []byte) (x, y *big.Int, err error) {
	size := (p.BitLen() + 7) / 8
	if len(data) == 0 {
		return nil, nil, malformed("empty EC point")
	}
	switch data[0] {
	case 4:
		if len(data) != 1+2*size {
			return nil, nil, malformed("uncompressed EC point of %d bytes, want %d", len(data), 1+2*size)
		}
		x = new(big.Int).SetBytes(data[1 : 1+size])
		y = new(big.Int).SetBytes(data[1+size:])
	case 2, 3:
		if len(data) != 1+size {
			return nil, nil, malformed("compressed EC point of %d bytes, want %d", len(data), 1+size)
		}
		x = new(big.Int).SetBytes(data[1:])
		if x.Cmp(p) >= 0 {
			return nil, nil, malformed("EC point x outside the field")
		}
		y = new(big.Int).ModSqrt(rhs(p, a, b, x), p)
		if y == nil {
			return nil, nil, malformed("compressed EC point is not on the curve")
		}
		if y.Bit(0) != uint(data[0]&1) {
			y.Sub(p, y)
		}
	default:
		return nil, nil, malformed("EC point encoding %#x not supported", data[0])
	}
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return nil, nil, malformed("EC point coordinates outside the field")
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, p)
	if lhs.Cmp(rhs(p, a, b, x)) != 0 {
		return nil, nil, malformed("EC point is not on the curve")
	}
	return x, y, nil
}

// rhs computes x³ + ax + b mod p.
func rhs(p, a, b, x *big.Int) *big.Int {
	r := new(big.Int).Mul(x, x)
	r.Mul(r, x)
	ax := new(big.Int).Mul(a, x)
	r.Add(r, ax)
	r.Add(r, b)
	return r.Mod(r, p)
}

func curveNameForOID(id asn1.ObjectIdentifier) string {
	if n, ok := curveNamesByOID[id.String()]; ok {
		return n
	}
	return fmt.Sprintf("curve %s", id)
}

package cms

import (
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync"

	"autogate/drivers/emrtd/ecparams"
)

// A named curve this package can verify signatures on, with the a and b
// elliptic.CurveParams lacks.
type namedCurve struct {
	name  string
	oid   asn1.ObjectIdentifier
	curve elliptic.Curve
	a, b  *big.Int
}

// knownCurves lists the curves Doc 9303 part 12 allows for CSCA and document
// signer keys that a library implements: the NIST curves in the standard
// library (P-224 too, which old CSCAs use) and brainpool r1 from
// ProtonMail/go-crypto. Go 1.26's crypto/ecdsa still verifies signatures on
// any elliptic.Curve (its math/big "legacy" path), so brainpool keys go
// through ecdsa.Verify unchanged. Other curves are accepted only as
// explicit parameters (parseExplicitCurve), under the name "unnamed".
var knownCurves = sync.OnceValue(func() []namedCurve {
	var out []namedCurve
	for _, c := range ecparams.All() {
		if c.Native() {
			out = append(out, fromParams(c))
		}
	}
	return out
})

// curveNamesByOID names curves outside ecparams, so errors can say which
// curve a key is on.
var curveNamesByOID = map[string]string{
	"1.3.36.3.3.2.8.1.1.1":  "brainpoolP160r1",
	"1.3.132.0.10":          "secp256k1",
	"1.3.36.3.3.2.8.1.1.8":  "brainpoolP256t1",
	"1.3.36.3.3.2.8.1.1.12": "brainpoolP384t1",
}

// ErrUnsupportedCurve is wrapped when a key lies on a curve with no
// implementation here or on explicit parameters that are not a safe curve.
var ErrUnsupportedCurve = ecparams.ErrUnsupportedCurve

// newWeierstrass builds the generic curve for explicit parameters that
// match no known curve, after ecparams.NewWeierstrass has checked them.
func newWeierstrass(p, a, b, gx, gy, n *big.Int) (*ecparams.Weierstrass, error) {
	return ecparams.NewWeierstrass(fmt.Sprintf("unnamed %d-bit prime curve", p.BitLen()), p, a, b, gx, gy, n)
}

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
	if k, ok := ecparams.Of(c); ok && k.Native() {
		return fromParams(k), true
	}
	return namedCurve{}, false
}

func fromParams(c *ecparams.Curve) namedCurve {
	return namedCurve{name: c.Name, oid: c.OID, curve: c.Elliptic(), a: c.A, b: c.B}
}

// matchExplicitCurve finds the known curve whose domain parameters equal the
// explicit ones in a key's ECParameters. Many CSCA keys are encoded this way
// (BSI TR-03110 recommends it); crypto/x509 refuses them.
func matchExplicitCurve(p, a, b, gx, gy, n *big.Int) (namedCurve, bool) {
	if k, ok := ecparams.ByParams(p, a, b, gx, gy, n); ok && k.Native() {
		return fromParams(k), true
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
func rhs(p, a, b, x *big.Int) *big.Int { return ecparams.RHS(p, a, b, x) }

func curveNameForOID(id asn1.ObjectIdentifier) string {
	if c, ok := ecparams.ByOID(id); ok {
		return c.Name
	}
	if n, ok := curveNamesByOID[id.String()]; ok {
		return n
	}
	return fmt.Sprintf("curve %s", id)
}

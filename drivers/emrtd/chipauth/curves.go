package chipauth

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"

	"autogate/drivers/emrtd/ecparams"
)

// Keys name only the curves a library implements (ecparams' native
// curves: NIST P-224 to P-521, brainpool P256r1/P384r1/P512r1); any other
// curve keeps its explicit parameters on a Weierstrass curve, so
// re-encoding gives back the chip's bytes.

func curveByOID(oid asn1.ObjectIdentifier) (elliptic.Curve, bool) {
	if c, ok := ecparams.ByOID(oid); ok && c.Native() {
		return c.Elliptic(), true
	}
	return nil, false
}

func oidOfCurve(c elliptic.Curve) (asn1.ObjectIdentifier, bool) {
	if k, ok := ecparams.Of(c); ok && k.Native() {
		return k.OID, true
	}
	return nil, false
}

// ecdhOf returns the crypto/ecdh curve for c, nil when there is none and
// scalar multiplication goes through elliptic.Curve.
func ecdhOf(c elliptic.Curve) ecdh.Curve {
	if k, ok := ecparams.Of(c); ok && k.Native() {
		return k.ECDH()
	}
	return nil
}

// matchKnown returns the named curve with these domain parameters, so keys
// given with explicit parameters use the library implementations.
func matchKnown(p, a, b, gx, gy, n *big.Int) elliptic.Curve {
	if k, ok := ecparams.ByParams(p, a, b, gx, gy, n); ok && k.Native() {
		return k.Elliptic()
	}
	return nil
}

// Weierstrass is a prime curve y² = x³ + ax + b given by explicit domain
// parameters, for the curves DG14 files carry that no library here names
// (brainpoolP224r1 of German passports, for one).
type Weierstrass = ecparams.Weierstrass

// NewWeierstrass checks explicit domain parameters (see
// ecparams.NewWeierstrass) and returns the curve.
func NewWeierstrass(name string, p, a, b, gx, gy, n *big.Int) (*Weierstrass, error) {
	w, err := ecparams.NewWeierstrass(name, p, a, b, gx, gy, n)
	if err != nil {
		return nil, fmt.Errorf("chipauth: %w", err)
	}
	return w, nil
}

// The point at infinity is (0, 0), as in crypto/elliptic.
func isInf(x, y *big.Int) bool { return x.Sign() == 0 && y.Sign() == 0 }

// curveAB returns the coefficients a and b of a curve's equation.
func curveAB(c elliptic.Curve) (a, b *big.Int) { return ecparams.Coefficients(c) }

// fieldLen is the byte length of the curve's field elements.
func fieldLen(c elliptic.Curve) int { return (c.Params().BitSize + 7) / 8 }

// marshalPoint encodes a point uncompressed: 04 ‖ X ‖ Y.
func marshalPoint(c elliptic.Curve, x, y *big.Int) []byte {
	return ecparams.MarshalPoint(fieldLen(c), x, y)
}

// unmarshalPoint decodes an uncompressed point and checks it is on the
// curve (and so not the point at infinity).
func unmarshalPoint(c elliptic.Curve, b []byte) (*big.Int, *big.Int, error) {
	n := fieldLen(c)
	if len(b) != 1+2*n || b[0] != 4 {
		return nil, nil, fmt.Errorf("chipauth: EC point of %d bytes is not an uncompressed point of %s (want 04 and %d bytes)", len(b), curveName(c), 2*n)
	}
	x := new(big.Int).SetBytes(b[1 : 1+n])
	y := new(big.Int).SetBytes(b[1+n:])
	if !c.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("chipauth: EC point not on %s", curveName(c))
	}
	return x, y, nil
}

func curveName(c elliptic.Curve) string {
	if n := c.Params().Name; n != "" {
		return n
	}
	return fmt.Sprintf("a %d-bit curve", c.Params().BitSize)
}

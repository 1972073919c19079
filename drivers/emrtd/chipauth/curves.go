package chipauth

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// namedCurve is a curve a SubjectPublicKeyInfo may name by OID.
type namedCurve struct {
	oid   asn1.ObjectIdentifier
	curve func() elliptic.Curve
	ecdh  func() ecdh.Curve // nil: no crypto/ecdh support, scalar multiplication through elliptic.Curve
}

var namedCurves = []namedCurve{
	{asn1.ObjectIdentifier{1, 3, 132, 0, 33}, elliptic.P224, nil},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256, ecdh.P256},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384, ecdh.P384},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521, ecdh.P521},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, brainpool.P256r1, nil},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, brainpool.P384r1, nil},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, brainpool.P512r1, nil},
}

func curveByOID(oid asn1.ObjectIdentifier) (elliptic.Curve, bool) {
	for _, n := range namedCurves {
		if n.oid.Equal(oid) {
			return n.curve(), true
		}
	}
	return nil, false
}

func oidOfCurve(c elliptic.Curve) (asn1.ObjectIdentifier, bool) {
	for _, n := range namedCurves {
		if n.curve() == c {
			return n.oid, true
		}
	}
	return nil, false
}

func ecdhOf(c elliptic.Curve) ecdh.Curve {
	for _, n := range namedCurves {
		if n.curve() == c && n.ecdh != nil {
			return n.ecdh()
		}
	}
	return nil
}

// matchKnown returns the named curve with these domain parameters, so keys
// given with explicit parameters use the library implementations.
func matchKnown(p, a, b, gx, gy, n *big.Int) elliptic.Curve {
	for _, nc := range namedCurves {
		c := nc.curve()
		cp := c.Params()
		if cp.P.Cmp(p) != 0 || cp.Gx.Cmp(gx) != 0 || cp.Gy.Cmp(gy) != 0 || cp.N.Cmp(n) != 0 {
			continue
		}
		if ca, cb := curveAB(c); ca.Cmp(a) == 0 && cb.Cmp(b) == 0 {
			return c
		}
	}
	return nil
}

// Weierstrass is a prime curve y² = x³ + ax + b given by explicit domain
// parameters, for the curves DG14 files carry that no library here names
// (brainpoolP224r1 of German passports, for one). It implements
// elliptic.Curve in affine coordinates with math/big: variable time, which
// is acceptable for the public and one-time keys the terminal handles.
type Weierstrass struct {
	params *elliptic.CurveParams
	A      *big.Int
}

// NewWeierstrass checks explicit domain parameters (G on the curve, a and
// b in the field, a non-singular curve) and returns the curve.
func NewWeierstrass(name string, p, a, b, gx, gy, n *big.Int) (*Weierstrass, error) {
	if p.Sign() <= 0 || p.Bit(0) == 0 || p.BitLen() < 160 || p.BitLen() > 640 {
		return nil, fmt.Errorf("chipauth: curve prime of %d bits is not an odd prime of 160 to 640 bits", p.BitLen())
	}
	if !p.ProbablyPrime(20) || !n.ProbablyPrime(20) {
		return nil, fmt.Errorf("chipauth: curve field or order is not prime")
	}
	for _, v := range []*big.Int{a, b, gx, gy} {
		if v.Sign() < 0 || v.Cmp(p) >= 0 {
			return nil, fmt.Errorf("chipauth: curve parameter outside the field")
		}
	}
	// 4a³ + 27b² ≠ 0 mod p
	d := new(big.Int).Exp(a, big.NewInt(3), p)
	d.Mul(d, big.NewInt(4))
	b2 := new(big.Int).Mul(b, b)
	d.Add(d, b2.Mul(b2, big.NewInt(27)))
	if d.Mod(d, p).Sign() == 0 {
		return nil, fmt.Errorf("chipauth: singular curve")
	}
	w := &Weierstrass{
		params: &elliptic.CurveParams{P: p, N: n, B: b, Gx: gx, Gy: gy, BitSize: p.BitLen(), Name: name},
		A:      a,
	}
	if !w.IsOnCurve(gx, gy) {
		return nil, fmt.Errorf("chipauth: base point not on the curve")
	}
	return w, nil
}

// Params returns the curve's parameters; A is not among them.
func (w *Weierstrass) Params() *elliptic.CurveParams { return w.params }

// IsOnCurve reports whether (x, y) lies on the curve.
func (w *Weierstrass) IsOnCurve(x, y *big.Int) bool {
	p := w.params.P
	if x.Sign() < 0 || x.Cmp(p) >= 0 || y.Sign() < 0 || y.Cmp(p) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, p)
	return lhs.Cmp(w.rhs(x)) == 0
}

func (w *Weierstrass) rhs(x *big.Int) *big.Int {
	p := w.params.P
	r := new(big.Int).Mul(x, x)
	r.Add(r, w.A)
	r.Mul(r, x)
	r.Add(r, w.params.B)
	return r.Mod(r, p)
}

// The point at infinity is (0, 0), as in crypto/elliptic.
func isInf(x, y *big.Int) bool { return x.Sign() == 0 && y.Sign() == 0 }

// Add returns the sum of two points.
func (w *Weierstrass) Add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	p := w.params.P
	switch {
	case isInf(x1, y1):
		return new(big.Int).Set(x2), new(big.Int).Set(y2)
	case isInf(x2, y2):
		return new(big.Int).Set(x1), new(big.Int).Set(y1)
	}
	if x1.Cmp(x2) == 0 {
		sum := new(big.Int).Add(y1, y2)
		if sum.Mod(sum, p).Sign() == 0 {
			return new(big.Int), new(big.Int)
		}
		return w.Double(x1, y1)
	}
	// λ = (y2 − y1) / (x2 − x1)
	num := new(big.Int).Sub(y2, y1)
	den := new(big.Int).Sub(x2, x1)
	den.Mod(den, p)
	den.ModInverse(den, p)
	l := num.Mul(num, den)
	l.Mod(l, p)
	return w.finish(l, x1, y1, x2)
}

// Double returns 2·(x1, y1).
func (w *Weierstrass) Double(x1, y1 *big.Int) (*big.Int, *big.Int) {
	p := w.params.P
	if isInf(x1, y1) || y1.Sign() == 0 {
		return new(big.Int), new(big.Int)
	}
	// λ = (3x² + a) / 2y
	num := new(big.Int).Mul(x1, x1)
	num.Mul(num, big.NewInt(3))
	num.Add(num, w.A)
	den := new(big.Int).Lsh(y1, 1)
	den.Mod(den, p)
	den.ModInverse(den, p)
	l := num.Mul(num, den)
	l.Mod(l, p)
	return w.finish(l, x1, y1, x1)
}

// finish computes x3 = λ² − x1 − x2, y3 = λ(x1 − x3) − y1.
func (w *Weierstrass) finish(l, x1, y1, x2 *big.Int) (*big.Int, *big.Int) {
	p := w.params.P
	x3 := new(big.Int).Mul(l, l)
	x3.Sub(x3, x1)
	x3.Sub(x3, x2)
	x3.Mod(x3, p)
	y3 := new(big.Int).Sub(x1, x3)
	y3.Mul(y3, l)
	y3.Sub(y3, y1)
	y3.Mod(y3, p)
	return x3, y3
}

// ScalarMult returns k·(x, y), k big-endian.
func (w *Weierstrass) ScalarMult(x, y *big.Int, k []byte) (*big.Int, *big.Int) {
	rx, ry := new(big.Int), new(big.Int)
	for _, b := range k {
		for bit := 7; bit >= 0; bit-- {
			rx, ry = w.Double(rx, ry)
			if b>>uint(bit)&1 == 1 {
				rx, ry = w.Add(rx, ry, x, y)
			}
		}
	}
	return rx, ry
}

// ScalarBaseMult returns k·G.
func (w *Weierstrass) ScalarBaseMult(k []byte) (*big.Int, *big.Int) {
	return w.ScalarMult(w.params.Gx, w.params.Gy, k)
}

// curveAB returns the coefficients a and b of a curve's equation. The
// library curves do not all expose them (the brainpool r1 curves have no
// B in their parameters), so they are solved from two points, G and 2G:
// a = ((y1² − x1³) − (y2² − x2³)) / (x1 − x2), b = y1² − x1³ − a·x1.
func curveAB(c elliptic.Curve) (a, b *big.Int) {
	if w, ok := c.(*Weierstrass); ok {
		return w.A, w.params.B
	}
	p := c.Params()
	x1, y1 := p.Gx, p.Gy
	x2, y2 := c.Double(x1, y1)
	r := func(x, y *big.Int) *big.Int { // y² − x³
		v := new(big.Int).Mul(y, y)
		return v.Sub(v, new(big.Int).Exp(x, big.NewInt(3), p.P))
	}
	r1 := r(x1, y1)
	num := new(big.Int).Sub(r1, r(x2, y2))
	den := new(big.Int).Sub(x1, x2)
	den.Mod(den, p.P)
	a = num.Mul(num, den.ModInverse(den, p.P))
	a.Mod(a, p.P)
	b = new(big.Int).Mul(a, x1)
	b.Sub(r1, b)
	return a, b.Mod(b, p.P)
}

// fieldLen is the byte length of the curve's field elements.
func fieldLen(c elliptic.Curve) int { return (c.Params().BitSize + 7) / 8 }

// marshalPoint encodes a point uncompressed: 04 ‖ X ‖ Y.
func marshalPoint(c elliptic.Curve, x, y *big.Int) []byte {
	n := fieldLen(c)
	out := make([]byte, 1+2*n)
	out[0] = 4
	x.FillBytes(out[1 : 1+n])
	y.FillBytes(out[1+n:])
	return out
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

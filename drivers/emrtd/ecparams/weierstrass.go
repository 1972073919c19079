package ecparams

import (
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
)

// ErrUnsupportedCurve is wrapped when explicit domain parameters do not
// describe a curve that is safe to compute on.
var ErrUnsupportedCurve = errors.New("unsupported elliptic curve")

// Weierstrass is a prime curve y² = x³ + ax + b given by its domain
// parameters, for the curves no library here implements (P-192,
// brainpoolP192r1, P224r1 and P320r1, and unnamed curves given by explicit
// parameters). It implements elliptic.Curve with Jacobian coordinates and
// math/big, so crypto/ecdsa's generic path verifies signatures on it. It is
// not constant time: fit for public keys, signatures and test chips.
type Weierstrass struct {
	params *elliptic.CurveParams
	// A is the coefficient a, which elliptic.CurveParams lacks.
	A *big.Int
}

var _ elliptic.Curve = (*Weierstrass)(nil)

// NewWeierstrass checks domain parameters before trusting them: a prime
// field of 160 to 521 bits, coefficients in the field, a non-singular
// curve, a prime order n with G on the curve and n·G the point at
// infinity. A key on a curve that fails these is refused rather than
// computed with. name becomes Params().Name.
func NewWeierstrass(name string, p, a, b, gx, gy, n *big.Int) (*Weierstrass, error) {
	bits := p.BitLen()
	switch {
	case bits < 160 || bits > 521:
		return nil, fmt.Errorf("%w: %d-bit field", ErrUnsupportedCurve, bits)
	case !p.ProbablyPrime(20):
		return nil, fmt.Errorf("%w: field modulus is not prime", ErrUnsupportedCurve)
	case a.Sign() < 0 || a.Cmp(p) >= 0 || b.Sign() <= 0 || b.Cmp(p) >= 0:
		return nil, fmt.Errorf("%w: curve coefficients outside the field", ErrUnsupportedCurve)
	case n.BitLen() < bits-2 || !n.ProbablyPrime(20):
		return nil, fmt.Errorf("%w: group order is not a large prime", ErrUnsupportedCurve)
	}
	// 4a³ + 27b² ≠ 0: the curve is not singular.
	d := new(big.Int).Exp(a, big.NewInt(3), p)
	d.Mul(d, big.NewInt(4))
	b2 := new(big.Int).Mul(b, b)
	d.Add(d, b2.Mul(b2, big.NewInt(27)))
	if d.Mod(d, p).Sign() == 0 {
		return nil, fmt.Errorf("%w: singular curve", ErrUnsupportedCurve)
	}
	for _, v := range []*big.Int{gx, gy} {
		if v.Sign() < 0 || v.Cmp(p) >= 0 {
			return nil, fmt.Errorf("%w: base point outside the field", ErrUnsupportedCurve)
		}
	}
	c := &Weierstrass{
		params: &elliptic.CurveParams{P: p, N: n, B: b, Gx: gx, Gy: gy, BitSize: bits, Name: name},
		A:      a,
	}
	if !c.IsOnCurve(gx, gy) {
		return nil, fmt.Errorf("%w: base point not on the curve", ErrUnsupportedCurve)
	}
	if x, y := c.ScalarMult(gx, gy, n.Bytes()); x.Sign() != 0 || y.Sign() != 0 {
		return nil, fmt.Errorf("%w: the base point's order is not n", ErrUnsupportedCurve)
	}
	return c, nil
}

// Params returns p, n, b, G and the name; a is in A.
func (c *Weierstrass) Params() *elliptic.CurveParams { return c.params }

func (c *Weierstrass) IsOnCurve(x, y *big.Int) bool {
	return OnCurve(c.params.P, c.A, c.params.B, x, y)
}

// jacobian is a point (X/Z², Y/Z³); Z = 0 is the point at infinity.
type jacobian struct{ x, y, z *big.Int }

func (c *Weierstrass) toJacobian(x, y *big.Int) jacobian {
	if x.Sign() == 0 && y.Sign() == 0 { // crypto/elliptic's infinity
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	return jacobian{new(big.Int).Set(x), new(big.Int).Set(y), big.NewInt(1)}
}

func (c *Weierstrass) toAffine(j jacobian) (x, y *big.Int) {
	if j.z.Sign() == 0 {
		return new(big.Int), new(big.Int)
	}
	p := c.params.P
	zinv := new(big.Int).ModInverse(j.z, p)
	zinv2 := new(big.Int).Mul(zinv, zinv)
	x = new(big.Int).Mul(j.x, zinv2)
	x.Mod(x, p)
	y = new(big.Int).Mul(j.y, zinv2.Mul(zinv2, zinv))
	y.Mod(y, p)
	return x, y
}

func (c *Weierstrass) mod(v *big.Int) *big.Int { return v.Mod(v, c.params.P) }

// double uses the general-a Jacobian doubling formulas.
func (c *Weierstrass) double(j jacobian) jacobian {
	if j.z.Sign() == 0 || j.y.Sign() == 0 {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	xx := c.mod(new(big.Int).Mul(j.x, j.x))
	yy := c.mod(new(big.Int).Mul(j.y, j.y))
	zz := c.mod(new(big.Int).Mul(j.z, j.z))
	s := c.mod(new(big.Int).Mul(j.x, yy))
	s.Lsh(s, 2)
	m := new(big.Int).Mul(xx, big.NewInt(3))
	azz := new(big.Int).Mul(zz, zz)
	m.Add(m, azz.Mul(c.mod(azz), c.A))
	c.mod(m)
	x3 := new(big.Int).Mul(m, m)
	x3.Sub(x3, new(big.Int).Lsh(s, 1))
	c.mod(x3)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, m)
	yyyy := new(big.Int).Mul(yy, yy)
	y3.Sub(y3, yyyy.Lsh(yyyy, 3))
	c.mod(y3)
	z3 := new(big.Int).Mul(j.y, j.z)
	z3.Lsh(z3, 1)
	return jacobian{x3, y3, c.mod(z3)}
}

func (c *Weierstrass) add(p1, p2 jacobian) jacobian {
	if p1.z.Sign() == 0 {
		return p2
	}
	if p2.z.Sign() == 0 {
		return p1
	}
	z1z1 := c.mod(new(big.Int).Mul(p1.z, p1.z))
	z2z2 := c.mod(new(big.Int).Mul(p2.z, p2.z))
	u1 := c.mod(new(big.Int).Mul(p1.x, z2z2))
	u2 := c.mod(new(big.Int).Mul(p2.x, z1z1))
	s1 := c.mod(new(big.Int).Mul(p1.y, c.mod(new(big.Int).Mul(p2.z, z2z2))))
	s2 := c.mod(new(big.Int).Mul(p2.y, c.mod(new(big.Int).Mul(p1.z, z1z1))))
	if u1.Cmp(u2) == 0 {
		if s1.Cmp(s2) != 0 {
			return jacobian{new(big.Int), new(big.Int), new(big.Int)}
		}
		return c.double(p1)
	}
	h := c.mod(new(big.Int).Sub(u2, u1))
	r := c.mod(new(big.Int).Sub(s2, s1))
	hh := c.mod(new(big.Int).Mul(h, h))
	hhh := c.mod(new(big.Int).Mul(hh, h))
	v := c.mod(new(big.Int).Mul(u1, hh))
	x3 := new(big.Int).Mul(r, r)
	x3.Sub(x3, hhh)
	x3.Sub(x3, new(big.Int).Lsh(v, 1))
	c.mod(x3)
	y3 := new(big.Int).Sub(v, x3)
	y3.Mul(y3, r)
	y3.Sub(y3, new(big.Int).Mul(s1, hhh))
	c.mod(y3)
	z3 := new(big.Int).Mul(p1.z, p2.z)
	z3.Mul(c.mod(z3), h)
	return jacobian{x3, y3, c.mod(z3)}
}

func (c *Weierstrass) Add(x1, y1, x2, y2 *big.Int) (x, y *big.Int) {
	return c.toAffine(c.add(c.toJacobian(x1, y1), c.toJacobian(x2, y2)))
}

func (c *Weierstrass) Double(x1, y1 *big.Int) (x, y *big.Int) {
	return c.toAffine(c.double(c.toJacobian(x1, y1)))
}

func (c *Weierstrass) ScalarMult(x1, y1 *big.Int, k []byte) (x, y *big.Int) {
	base := c.toJacobian(x1, y1)
	acc := jacobian{new(big.Int), new(big.Int), new(big.Int)}
	for _, byt := range k {
		for bit := 7; bit >= 0; bit-- {
			acc = c.double(acc)
			if byt>>bit&1 == 1 {
				acc = c.add(acc, base)
			}
		}
	}
	return c.toAffine(acc)
}

func (c *Weierstrass) ScalarBaseMult(k []byte) (x, y *big.Int) {
	return c.ScalarMult(c.params.Gx, c.params.Gy, k)
}

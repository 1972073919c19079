package pace

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"autogate/drivers/emrtd/ecparams"
)

// elem is a group element: an affine curve point, or a DH group value in x
// with y nil.
type elem struct{ x, y *big.Int }

// group is a set of domain parameters with a generator: the static one, or
// the ephemeral generator a mapping produced.
type group struct {
	d   *DomainParams
	gen elem
}

func (d *DomainParams) baseGroup() *group {
	if d.curve != nil {
		p := d.curve.Params()
		return &group{d: d, gen: elem{p.Gx, p.Gy}}
	}
	return &group{d: d, gen: elem{x: d.g}}
}

func (g *group) isEC() bool { return g.d.curve != nil }

var (
	one = big.NewInt(1)
	two = big.NewInt(2)
)

// errIdentity reports a computation that landed on the neutral element,
// which only a malicious or broken peer can cause.
var errIdentity = errors.New("result is the neutral element")

// randomScalar draws a private key uniformly from [1, order-1].
func (g *group) randomScalar(r io.Reader) (*big.Int, error) {
	n := g.d.Order()
	// 64 extra bits make the bias of the reduction negligible (FIPS 186-5 A.2.1).
	buf := make([]byte, (n.BitLen()+7)/8+8)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("reading random bytes for a private key: %w", err)
	}
	k := new(big.Int).SetBytes(buf)
	k.Mod(k, new(big.Int).Sub(n, one))
	return k.Add(k, one), nil
}

// mul returns k·e (EC) or e^k (DH).
func (g *group) mul(k *big.Int, e elem) (elem, error) {
	if g.isEC() {
		x, y := g.d.curve.ScalarMult(e.x, e.y, k.Bytes())
		if x.Sign() == 0 && y.Sign() == 0 {
			return elem{}, errIdentity
		}
		return elem{x, y}, nil
	}
	y := new(big.Int).Exp(e.x, k, g.d.p)
	if y.Cmp(one) == 0 {
		return elem{}, errIdentity
	}
	return elem{x: y}, nil
}

// public returns the public key of private key k under this generator.
func (g *group) public(k *big.Int) (elem, error) { return g.mul(k, g.gen) }

// encode gives a public key in its 9303-11 section 9.4 form: an
// uncompressed point, or the DH value as an unsigned integer in the
// fewest octets (9.4.1).
func (g *group) encode(e elem) []byte {
	if g.isEC() {
		return ecparams.MarshalPoint(g.d.fieldLen(), e.x, e.y)
	}
	return e.x.Bytes()
}

// decode parses and validates a peer's public key: a point on the curve
// that is not the point at infinity (TR-03111), or a DH value in the
// order-q subgroup (RFC 2631 section 2.1.5), so that no small-subgroup
// element reaches a private key.
func (g *group) decode(b []byte) (elem, error) {
	n := g.d.fieldLen()
	if g.isEC() {
		if len(b) != 1+2*n {
			return elem{}, fmt.Errorf("public key of %d bytes, want an uncompressed %s point of %d bytes", len(b), g.d.Name, 1+2*n)
		}
		if b[0] != 0x04 {
			return elem{}, fmt.Errorf("public key starts with %02X, want 04 (uncompressed point)", b[0])
		}
		x := new(big.Int).SetBytes(b[1 : 1+n])
		y := new(big.Int).SetBytes(b[1+n:])
		p := g.d.curve.Params().P
		if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !g.d.curve.IsOnCurve(x, y) {
			return elem{}, fmt.Errorf("public key is not a point on %s", g.d.Name)
		}
		return elem{x, y}, nil
	}
	if len(b) == 0 || len(b) > n {
		return elem{}, fmt.Errorf("public key of %d bytes, want 1 to %d for %s", len(b), n, g.d.Name)
	}
	y := new(big.Int).SetBytes(b)
	pm1 := new(big.Int).Sub(g.d.p, one)
	if y.Cmp(one) <= 0 || y.Cmp(pm1) >= 0 {
		return elem{}, fmt.Errorf("public key is outside 2 … p-2 of %s", g.d.Name)
	}
	if new(big.Int).Exp(y, g.d.q, g.d.p).Cmp(one) != 0 {
		return elem{}, fmt.Errorf("public key is not in the prime-order subgroup of %s", g.d.Name)
	}
	return elem{x: y}, nil
}

func (g *group) equal(a, b elem) bool {
	if a.x.Cmp(b.x) != 0 {
		return false
	}
	if g.isEC() {
		return a.y.Cmp(b.y) == 0
	}
	return true
}

// sharedSecret is the octet string K of 9303-11 section 9.7.1: the
// x-coordinate of an ECDH result, or the DH value, in field-length octets.
func (g *group) sharedSecret(e elem) []byte {
	return e.x.FillBytes(make([]byte, g.d.fieldLen()))
}

// mapGeneric is the Generic Mapping of 9303-11 section 4.4.3.3.1:
// Ĝ = s·G + H (EC) or ĝ = g^s·h (DH).
func (g *group) mapGeneric(s []byte, h elem) (*group, error) {
	if g.isEC() {
		sx, sy := g.d.curve.ScalarMult(g.gen.x, g.gen.y, s)
		x, y := g.d.curve.Add(sx, sy, h.x, h.y)
		if x.Sign() == 0 && y.Sign() == 0 {
			return nil, errIdentity
		}
		return &group{d: g.d, gen: elem{x, y}}, nil
	}
	gs := new(big.Int).Exp(g.gen.x, new(big.Int).SetBytes(s), g.d.p)
	gs.Mul(gs, h.x).Mod(gs, g.d.p)
	if gs.Cmp(one) == 0 {
		return nil, errIdentity
	}
	return &group{d: g.d, gen: elem{x: gs}}, nil
}

// mapIntegrated is the Integrated Mapping of 9303-11 section 4.4.3.3.2 for
// the field element r = R_p(s, t): ĝ = r^((p-1)/q) for DH, Ĝ = f_G(r) for
// EC.
func (g *group) mapIntegrated(r *big.Int) (*group, error) {
	if !g.isEC() {
		cofactor := new(big.Int).Sub(g.d.p, one)
		cofactor.Div(cofactor, g.d.q)
		gen := new(big.Int).Exp(r, cofactor, g.d.p)
		if gen.Cmp(one) == 0 || gen.Sign() == 0 {
			return nil, errIdentity
		}
		return &group{d: g.d, gen: elem{x: gen}}, nil
	}
	x, y, err := encodePoint(g.d, r)
	if err != nil {
		return nil, err
	}
	return &group{d: g.d, gen: elem{x, y}}, nil
}

// encodePoint is the point encoding f_G of Brier et al. (CRYPTO 2010) in
// the affine form of 9303-11 Appendix B.2. It needs p ≡ 3 (mod 4), which
// rules out P-224, and cofactor 1, which every standardized curve has.
func encodePoint(d *DomainParams, t *big.Int) (*big.Int, *big.Int, error) {
	p := d.curve.Params().P
	if new(big.Int).And(p, big.NewInt(3)).Int64() != 3 {
		return nil, nil, fmt.Errorf("%s cannot be used with the Integrated Mapping: its prime is not 3 mod 4 (9303-11 Table 12)", d.Name)
	}
	t = new(big.Int).Mod(t, p)
	if t.Sign() == 0 {
		return nil, nil, errors.New("pseudo-random value is 0 mod p")
	}
	mod := func(z *big.Int) *big.Int { return z.Mod(z, p) }
	mul := func(a, b *big.Int) *big.Int { return mod(new(big.Int).Mul(a, b)) }
	add := func(a, b *big.Int) *big.Int { return mod(new(big.Int).Add(a, b)) }

	// The numbered steps are those of 9303-11 Appendix B.2.
	alpha := mod(new(big.Int).Neg(mul(t, t))) // 1. α = -t²
	alpha2 := mul(alpha, alpha)
	inv := new(big.Int).ModInverse(mul(d.a, add(alpha, alpha2)), p)
	if inv == nil {
		return nil, nil, errors.New("point encoding hit a zero denominator")
	}
	num := mod(new(big.Int).Neg(mul(d.b, add(add(one, alpha), alpha2))))
	x2 := mul(num, inv)                                     // 2. X2 = -b(1+α+α²)·(a(α+α²))⁻¹
	x3 := mul(alpha, x2)                                    // 3. X3 = α·X2
	h2 := add(add(mul(mul(x2, x2), x2), mul(d.a, x2)), d.b) // 4. h2 = X2³ + a·X2 + b
	u := mul(mul(mul(t, t), t), h2)                         // 6. U = t³·h2 (h3 of step 5 is not needed)
	e := new(big.Int).Sub(p, one)                           // 7. A = h2^(p-1-(p+1)/4)
	e.Sub(e, new(big.Int).Rsh(new(big.Int).Add(p, one), 2))
	a := new(big.Int).Exp(h2, e, p)
	var x, y *big.Int
	if mul(mul(a, a), h2).Cmp(one) == 0 { // 8. h2 is a square: (X2, A·h2)
		x, y = x2, mul(a, h2)
	} else { // 9. otherwise (X3, A·U)
		x, y = x3, mul(a, u)
	}
	if !d.curve.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("point encoding produced a point off %s", d.Name)
	}
	return x, y, nil
}

package ecparams

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"encoding/asn1"
	"math/big"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// Curve is a prime-field curve y² = x³ + ax + b over GF(P) with base point
// (Gx, Gy) of prime order N and cofactor H. The values are shared: callers
// must not modify them.
type Curve struct {
	Name                  string
	OID                   asn1.ObjectIdentifier
	P, A, B, Gx, Gy, N, H *big.Int

	native func() elliptic.Curve // nil: no library implementation
	ecdh   func() ecdh.Curve     // nil: crypto/ecdh lacks the curve
	impl   func() elliptic.Curve // Elliptic, built once
}

// ByteLen is the length of a field element in bytes.
func (c *Curve) ByteLen() int { return (c.P.BitLen() + 7) / 8 }

// IsOnCurve reports whether (x, y) satisfies the curve equation with both
// coordinates reduced.
func (c *Curve) IsOnCurve(x, y *big.Int) bool { return OnCurve(c.P, c.A, c.B, x, y) }

// Native reports whether the curve's arithmetic comes from a library (the
// standard library's P-224 … P-521, brainpool P256r1/P384r1/P512r1) rather
// than from Weierstrass.
func (c *Curve) Native() bool { return c.native != nil }

// Elliptic returns the curve as an elliptic.Curve: the library
// implementation where there is one, otherwise a Weierstrass curve. The
// same value is returned on every call, so curves compare with ==.
func (c *Curve) Elliptic() elliptic.Curve { return c.impl() }

// ECDH returns the crypto/ecdh curve (P-256, P-384, P-521), nil for the
// others.
func (c *Curve) ECDH() ecdh.Curve {
	if c.ecdh == nil {
		return nil
	}
	return c.ecdh()
}

// SameParameters reports whether p, a, b, G and n equal the curve's.
func (c *Curve) SameParameters(p, a, b, gx, gy, n *big.Int) bool {
	return c.P.Cmp(p) == 0 && c.A.Cmp(a) == 0 && c.B.Cmp(b) == 0 &&
		c.Gx.Cmp(gx) == 0 && c.Gy.Cmp(gy) == 0 && c.N.Cmp(n) == 0
}

// OnCurve reports whether (x, y) lies on y² = x³ + ax + b over GF(p), with
// both coordinates reduced.
func OnCurve(p, a, b, x, y *big.Int) bool {
	if x.Sign() < 0 || y.Sign() < 0 || x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, p)
	return lhs.Cmp(RHS(p, a, b, x)) == 0
}

// RHS computes x³ + ax + b mod p.
func RHS(p, a, b, x *big.Int) *big.Int {
	r := new(big.Int).Mul(x, x)
	r.Add(r, a)
	r.Mul(r, x)
	r.Add(r, b)
	return r.Mod(r, p)
}

// All returns the known curves: P-192, P-224, P-256, P-384, P-521 and
// brainpoolP192r1 … brainpoolP512r1.
func All() []*Curve { return curves() }

// ByName returns the curve with this name ("P-256", "brainpoolP256r1").
func ByName(name string) (*Curve, bool) {
	for _, c := range curves() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// ByOID returns the curve a namedCurve OID stands for.
func ByOID(oid asn1.ObjectIdentifier) (*Curve, bool) {
	for _, c := range curves() {
		if c.OID.Equal(oid) {
			return c, true
		}
	}
	return nil, false
}

// ByParams returns the known curve whose domain parameters equal these
// explicit ones (SEC 1 ECParameters), so keys given that way can use the
// named curve.
func ByParams(p, a, b, gx, gy, n *big.Int) (*Curve, bool) {
	for _, c := range curves() {
		if c.SameParameters(p, a, b, gx, gy, n) {
			return c, true
		}
	}
	return nil, false
}

// Of returns the known curve an elliptic.Curve value is (the value
// Elliptic returns, compared by identity).
func Of(e elliptic.Curve) (*Curve, bool) {
	if e == nil {
		return nil, false
	}
	for _, c := range curves() {
		if c.native != nil {
			if n := c.native(); n == e || n.Params() == e.Params() {
				return c, true
			}
			continue
		}
		if c.Elliptic() == e {
			return c, true
		}
	}
	return nil, false
}

// Coefficients returns a and b of a curve's equation; elliptic.CurveParams
// has no a, and the brainpool r1 curves leave B unset. Unknown curves have
// them solved from G and 2G: a = ((y1² − x1³) − (y2² − x2³)) / (x1 − x2),
// b = y1² − x1³ − a·x1.
func Coefficients(e elliptic.Curve) (a, b *big.Int) {
	if w, ok := e.(*Weierstrass); ok {
		return w.A, w.params.B
	}
	if c, ok := Of(e); ok {
		return c.A, c.B
	}
	p := e.Params()
	x1, y1 := p.Gx, p.Gy
	x2, y2 := e.Double(x1, y1)
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

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("ecparams: bad curve constant " + s)
	}
	return n
}

var curves = sync.OnceValue(func() []*Curve {
	brainpoolOID := func(arc int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, arc} }
	// def takes p, a, b, Gx, Gy, n from the curve's standard.
	def := func(name string, oid asn1.ObjectIdentifier, native func() elliptic.Curve, p, a, b, gx, gy, n string) *Curve {
		return &Curve{Name: name, OID: oid, native: native,
			P: hexInt(p), A: hexInt(a), B: hexInt(b), Gx: hexInt(gx), Gy: hexInt(gy), N: hexInt(n), H: big.NewInt(1)}
	}
	// nist takes the parameters from the standard library; the NIST
	// curves all have a = −3.
	nist := func(name string, oid asn1.ObjectIdentifier, e func() elliptic.Curve, ec func() ecdh.Curve) *Curve {
		p := e().Params()
		return &Curve{Name: name, OID: oid, native: e, ecdh: ec,
			P: p.P, A: new(big.Int).Sub(p.P, big.NewInt(3)), B: p.B, Gx: p.Gx, Gy: p.Gy, N: p.N, H: big.NewInt(1)}
	}
	out := []*Curve{
		// FIPS 186-4 D.1.2.1; crypto/elliptic does not ship it.
		def("P-192", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 1}, nil,
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF",
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC",
			"64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1",
			"188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012",
			"07192B95FFC8DA78631011ED6B24CDD573F977A11E794811",
			"FFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831"),
		def("brainpoolP192r1", brainpoolOID(3), nil,
			"C302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297",
			"6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF",
			"469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9",
			"C0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6",
			"14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F",
			"C302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1"),
		def("brainpoolP224r1", brainpoolOID(5), nil,
			"D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF",
			"68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43",
			"2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B",
			"0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D",
			"58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD",
			"D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F"),
		def("brainpoolP256r1", brainpoolOID(7), brainpool.P256r1,
			"A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
			"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
			"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
			"8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
			"547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
			"A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
		def("brainpoolP320r1", brainpoolOID(9), nil,
			"D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27",
			"3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4",
			"520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6",
			"43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611",
			"14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1",
			"D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311"),
		def("brainpoolP384r1", brainpoolOID(11), brainpool.P384r1,
			"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
			"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
			"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
			"1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
			"8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
			"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"),
		def("brainpoolP512r1", brainpoolOID(13), brainpool.P512r1,
			"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
			"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
			"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
			"81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
			"7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
			"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"),
		nist("P-224", asn1.ObjectIdentifier{1, 3, 132, 0, 33}, elliptic.P224, nil),
		nist("P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256, ecdh.P256),
		nist("P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384, ecdh.P384),
		nist("P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521, ecdh.P521),
	}
	for _, c := range out {
		if c.native != nil {
			c.impl = c.native
			continue
		}
		c.impl = sync.OnceValue(func() elliptic.Curve {
			w, err := NewWeierstrass(c.Name, c.P, c.A, c.B, c.Gx, c.Gy, c.N)
			if err != nil {
				panic("ecparams: " + c.Name + ": " + err.Error())
			}
			return w
		})
	}
	return out
})

// MarshalPoint encodes a point uncompressed (SEC 1 2.3.3): 04 ‖ X ‖ Y,
// each coordinate byteLen bytes.
func MarshalPoint(byteLen int, x, y *big.Int) []byte {
	out := make([]byte, 1+2*byteLen)
	out[0] = 4
	x.FillBytes(out[1 : 1+byteLen])
	y.FillBytes(out[1+byteLen:])
	return out
}

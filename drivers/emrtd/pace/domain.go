package pace

import (
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// DomainParams is a DH group or an elliptic curve PACE runs over.
type DomainParams struct {
	// ID is the standardized domain parameter ID of 9303-11 Table 12 (0–18).
	ID        int
	Name      string
	Agreement KeyAgreement

	// ECDH: the curve and its coefficients (the Curve interface has no a;
	// the Integrated Mapping and explicit-parameter matching need it).
	curve elliptic.Curve
	a, b  *big.Int

	// DH: prime p, generator g of the subgroup of prime order q.
	p, g, q *big.Int
}

// Curve returns the elliptic curve, nil for a DH group.
func (d *DomainParams) Curve() elliptic.Curve { return d.curve }

// Prime returns the field prime (EC) or the group modulus (DH).
func (d *DomainParams) Prime() *big.Int {
	if d.curve != nil {
		return d.curve.Params().P
	}
	return d.p
}

// Order returns the order of the generator: n for a curve, q for a DH group.
func (d *DomainParams) Order() *big.Int {
	if d.curve != nil {
		return d.curve.Params().N
	}
	return d.q
}

func (d *DomainParams) String() string {
	return fmt.Sprintf("%s (domain parameter ID %d)", d.Name, d.ID)
}

// fieldLen is the byte length of a field element (EC) or of the modulus (DH).
func (d *DomainParams) fieldLen() int { return (d.Prime().BitLen() + 7) / 8 }

// ErrUnknownDomainParams reports a domain parameter ID outside 9303-11 Table 12.
var ErrUnknownDomainParams = errors.New("pace: unknown domain parameters")

// StandardDomainParams returns the standardized domain parameters of
// 9303-11 Table 12 with the given ID.
func StandardDomainParams(id int) (*DomainParams, error) {
	standardOnce()
	d, ok := standardParams[id]
	if !ok {
		return nil, fmt.Errorf("%w: ID %d is not one of 9303-11 Table 12 (0–2 DH, 8–18 ECDH)", ErrUnknownDomainParams, id)
	}
	return d, nil
}

// StandardDomainParamIDs lists the IDs StandardDomainParams knows, in order.
func StandardDomainParamIDs() []int {
	return []int{0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
}

var standardParams map[int]*DomainParams

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("pace: bad constant " + s)
	}
	return n
}

// curveConstants are the defining values of a prime curve y² = x³ + ax + b.
type curveConstants struct {
	name               string
	p, a, b, gx, gy, n string
}

// Brainpool curves of RFC 5639 section 3.
var (
	bp192r1 = curveConstants{"brainpoolP192r1",
		"C302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297",
		"6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF",
		"469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9",
		"C0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6",
		"14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F",
		"C302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1"}
	bp224r1 = curveConstants{"brainpoolP224r1",
		"D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF",
		"68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43",
		"2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B",
		"0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D",
		"58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD",
		"D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F"}
	bp256r1 = curveConstants{"brainpoolP256r1",
		"A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
		"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
		"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
		"8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
		"547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
		"A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"}
	bp320r1 = curveConstants{"brainpoolP320r1",
		"D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27",
		"3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4",
		"520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6",
		"43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611",
		"14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1",
		"D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311"}
	bp384r1 = curveConstants{"brainpoolP384r1",
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
		"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
		"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
		"1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
		"8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"}
	bp512r1 = curveConstants{"brainpoolP512r1",
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
		"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
		"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
		"81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
		"7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"}
)

// NIST P-192 of FIPS 186-4 D.1.2.1; Go's crypto/elliptic does not ship it.
var p192 = curveConstants{"P-192",
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF",
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC",
	"64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1",
	"188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012",
	"07192B95FFC8DA78631011ED6B24CDD573F977A11E794811",
	"FFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831"}

// RFC 5114 sections 2.1–2.3: MODP groups with prime-order subgroups.
var (
	modp1024_160 = [3]string{
		"B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371",
		"A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5",
		"F518AA8781A8DF278ABA4E7D64B7CB9D49462353"}
	modp2048_224 = [3]string{
		"AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F",
		"AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA",
		"801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB"}
	modp2048_256 = [3]string{
		"87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597",
		"3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659",
		"8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3"}
)

// standardOnce fills standardParams on first use, so the package costs
// nothing until PACE runs.
var standardOnce = sync.OnceFunc(func() {
	m := map[int]*DomainParams{}
	dh := func(id int, name string, c [3]string) {
		m[id] = &DomainParams{ID: id, Name: name, Agreement: DH, p: hexInt(c[0]), g: hexInt(c[1]), q: hexInt(c[2])}
	}
	dh(0, "1024-bit MODP group with 160-bit prime order subgroup (RFC 5114)", modp1024_160)
	dh(1, "2048-bit MODP group with 224-bit prime order subgroup (RFC 5114)", modp2048_224)
	dh(2, "2048-bit MODP group with 256-bit prime order subgroup (RFC 5114)", modp2048_256)

	ec := func(id int, c curveConstants, curve elliptic.Curve) {
		m[id] = &DomainParams{ID: id, Name: c.name, Agreement: ECDH, curve: curve, a: hexInt(c.a), b: hexInt(c.b)}
	}
	// Go's P-224 … P-521 are the constant-time implementations; their
	// coefficients are listed here only for the Integrated Mapping.
	nist := func(id int, name string, curve elliptic.Curve) {
		p := curve.Params()
		m[id] = &DomainParams{ID: id, Name: name, Agreement: ECDH, curve: curve,
			a: new(big.Int).Sub(p.P, big.NewInt(3)), b: p.B}
	}
	ec(8, p192, curveFromConstants(p192))
	ec(9, bp192r1, mustTwisted(bp192r1))
	nist(10, "P-224", elliptic.P224())
	ec(11, bp224r1, mustTwisted(bp224r1))
	nist(12, "P-256", elliptic.P256())
	ec(13, bp256r1, brainpool.P256r1())
	ec(14, bp320r1, mustTwisted(bp320r1))
	nist(15, "P-384", elliptic.P384())
	ec(16, bp384r1, brainpool.P384r1())
	ec(17, bp512r1, brainpool.P512r1())
	nist(18, "P-521", elliptic.P521())
	standardParams = m
})

// curveFromConstants builds a generic curve for a = -3 curves.
func curveFromConstants(c curveConstants) *elliptic.CurveParams {
	p := hexInt(c.p)
	return &elliptic.CurveParams{Name: c.name, P: p, N: hexInt(c.n), B: hexInt(c.b),
		Gx: hexInt(c.gx), Gy: hexInt(c.gy), BitSize: p.BitLen()}
}

func mustTwisted(c curveConstants) elliptic.Curve {
	curve, err := newTwistedCurve(c)
	if err != nil {
		panic(err)
	}
	return curve
}

// twistedCurve runs a curve with a ≠ -3 (the Brainpool "r1" curves)
// through Go's generic a = -3 arithmetic on an isomorphic curve: with
// z⁴ = -3/a, (x, y) ↦ (x·z², y·z³) maps y² = x³ + ax + b onto
// y² = x³ - 3x + b·z⁶ (RFC 5639 section 3 names these the "t1" curves).
// It is used for the Brainpool curves the brainpool package lacks.
type twistedCurve struct {
	params               *elliptic.CurveParams // the curve as callers see it
	twisted              *elliptic.CurveParams
	z2, z3, z2inv, z3inv *big.Int
}

func newTwistedCurve(c curveConstants) (*twistedCurve, error) {
	p, a, b := hexInt(c.p), hexInt(c.a), hexInt(c.b)
	// u = -3/a; z is a fourth root of u: a square root of ±√u.
	u := new(big.Int).ModInverse(a, p)
	if u == nil {
		return nil, fmt.Errorf("pace: curve %s: a is not invertible", c.name)
	}
	u.Mul(u, big.NewInt(-3))
	u.Mod(u, p)
	r := new(big.Int).ModSqrt(u, p)
	if r == nil {
		return nil, fmt.Errorf("pace: curve %s: -3/a is not a square", c.name)
	}
	z := new(big.Int).ModSqrt(r, p)
	if z == nil {
		z = new(big.Int).ModSqrt(new(big.Int).Sub(p, r), p)
	}
	if z == nil {
		return nil, fmt.Errorf("pace: curve %s: -3/a has no fourth root", c.name)
	}
	z2 := new(big.Int).Exp(z, big.NewInt(2), p)
	z3 := new(big.Int).Exp(z, big.NewInt(3), p)
	z6 := new(big.Int).Exp(z, big.NewInt(6), p)
	params := curveFromConstants(c)
	twisted := &elliptic.CurveParams{Name: c.name + " (a=-3 isomorph)", P: p, N: params.N,
		B: new(big.Int).Mod(new(big.Int).Mul(b, z6), p), BitSize: params.BitSize}
	t := &twistedCurve{params: params, twisted: twisted, z2: z2, z3: z3,
		z2inv: new(big.Int).ModInverse(z2, p), z3inv: new(big.Int).ModInverse(z3, p)}
	twisted.Gx, twisted.Gy = t.toTwisted(params.Gx, params.Gy)
	if !twisted.IsOnCurve(twisted.Gx, twisted.Gy) {
		return nil, fmt.Errorf("pace: curve %s: generator does not map onto the isomorphic curve", c.name)
	}
	return t, nil
}

func (c *twistedCurve) toTwisted(x, y *big.Int) (*big.Int, *big.Int) {
	p := c.params.P
	return new(big.Int).Mod(new(big.Int).Mul(x, c.z2), p), new(big.Int).Mod(new(big.Int).Mul(y, c.z3), p)
}

func (c *twistedCurve) fromTwisted(x, y *big.Int) (*big.Int, *big.Int) {
	p := c.params.P
	return new(big.Int).Mod(new(big.Int).Mul(x, c.z2inv), p), new(big.Int).Mod(new(big.Int).Mul(y, c.z3inv), p)
}

func (c *twistedCurve) Params() *elliptic.CurveParams { return c.params }

func (c *twistedCurve) IsOnCurve(x, y *big.Int) bool {
	if x.Sign() < 0 || x.Cmp(c.params.P) >= 0 || y.Sign() < 0 || y.Cmp(c.params.P) >= 0 {
		return false
	}
	return c.twisted.IsOnCurve(c.toTwisted(x, y))
}

func (c *twistedCurve) Add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	tx1, ty1 := c.toTwisted(x1, y1)
	tx2, ty2 := c.toTwisted(x2, y2)
	return c.fromTwisted(c.twisted.Add(tx1, ty1, tx2, ty2))
}

func (c *twistedCurve) Double(x, y *big.Int) (*big.Int, *big.Int) {
	return c.fromTwisted(c.twisted.Double(c.toTwisted(x, y)))
}

func (c *twistedCurve) ScalarMult(x, y *big.Int, k []byte) (*big.Int, *big.Int) {
	tx, ty := c.toTwisted(x, y)
	return c.fromTwisted(c.twisted.ScalarMult(tx, ty, k))
}

func (c *twistedCurve) ScalarBaseMult(k []byte) (*big.Int, *big.Int) {
	return c.fromTwisted(c.twisted.ScalarBaseMult(k))
}

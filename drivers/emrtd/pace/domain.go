package pace

import (
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"autogate/drivers/emrtd/ecparams"
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

	// The curves of Table 12 come from ecparams, which also gives their
	// coefficients a and b for the Integrated Mapping.
	for id, name := range map[int]string{
		8: "P-192", 9: "brainpoolP192r1", 10: "P-224", 11: "brainpoolP224r1",
		12: "P-256", 13: "brainpoolP256r1", 14: "brainpoolP320r1", 15: "P-384",
		16: "brainpoolP384r1", 17: "brainpoolP512r1", 18: "P-521",
	} {
		c, ok := ecparams.ByName(name)
		if !ok {
			panic("pace: ecparams lacks " + name)
		}
		m[id] = &DomainParams{ID: id, Name: c.Name, Agreement: ECDH, curve: c.Elliptic(), a: c.A, b: c.B}
	}
	standardParams = m
})

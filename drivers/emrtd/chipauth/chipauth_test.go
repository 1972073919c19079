package chipauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/brainpool"

	"autogate/drivers/emrtd/kdf"
	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

func hi(s string) *big.Int { return new(big.Int).SetBytes(h(s)) }

// RFC 5114 section 2.1: the 1024-bit MODP group with a 160-bit prime order
// subgroup (BSI TR-03110 standardized domain parameters 0).
var rfc5114 = DHParameters{
	P: hi("B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"),
	G: hi("A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5"),
	Q: hi("F518AA8781A8DF278ABA4E7D64B7CB9D49462353"),
}

// Key agreements computed by OpenSSL 3 (`openssl genpkey`, then
// `openssl pkeyutl -derive`): the peer's SubjectPublicKeyInfo as OpenSSL
// wrote it, our private scalar, and OpenSSL's shared secret.
var opensslAgreements = []struct {
	name, spki, priv, z string
}{
	{"brainpoolP256r1",
		"305a301406072a8648ce3d020106092b2403030208010107034200048269d1ff4098062a4ae7221a5cdffe597e22023673ff5c56be397c41c86f15fe171eae6c62eccec8ea6345733f55700431e61be479c520efb94cf9200a4402b4",
		"2f58856079e80b4860831ad8eaa2459cf262865090ddef59ea083699ee2d771a",
		"76d0d4dee2a44ba3337187d405c8c57775352dc47f8e95450d1df668eb1a4498"},
	{"brainpoolP224r1 explicit",
		"308201133081d406072a8648ce3d02013081c8020101302806072a8648ce3d0101021d00d7c134aa264366862a18302575d1d787b09f075797da89f57ec8c0ff303c041c68a5e62ca9ce6c1c299803a6c1530b514e182ad8b0042a59cad29f43041c2580f63ccfe44138870713b1a92369e33e2135d266dbb372386c400b0439040d9029ad2c7e5cf4340823b2a87dc68c9e4ce3174c1e6efdee12c07d58aa56f772c0726f24c6b89e4ecdac24354b9e99caa3f6d3761402cd021d00d7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939f020101033a0004b3d186b72e30ba78ffdd5ac1836acabd4a8c8447175497b76a7c083991018e1b8e65a348ddda8ed36a2c68b0a68140e738cc9c1c4c51e4b4",
		"b75aba23464e5b0df0dc924a92f4931672c50572bbf21df281278bd4",
		"9cc171c996bc4b95b5f9ed4a228332b83bfd8baf0fc413e493fd9159"},
	{"P-256",
		"3059301306072a8648ce3d020106082a8648ce3d03010703420004e2e8b362d7ff33384d6758c47d69d69037ad0c50081400802ed4d513355ea971a011974d232dcae60601168563114f66e19dd37b25b8ad6be834da7fe4b0abfc",
		"59f23648a4a6427f6ad602f04f1761f13ccb372518bf576ab2427c55858a3725",
		"2a0ff639f186ea2b5940f47bd5e1bb86b90fdf2e991ce6c519667aa2af0f9086"},
	{"brainpoolP384r1",
		"307a301406072a8648ce3d020106092b240303020801010b036200046d437c3f364784261cbf10a2aac3b686d218403d40c00bf115abccb042dedba207798c96e42bfe43d4880d996f14d47582ad80a145b0424bdbef905bebc3c72ae1d450af1b26e4a16e30d15c40e128752616ee956e3b2da4147d86903555b6b7",
		"6c1e3c0a856c7fba6f8297fe6b190524ce57b95324a08340faee9ee5c4e2ae6f4eed3125947269791e780d815a340044",
		"6792d293d434ded57126d9037d3fc0a88a0acc3cd99625ffd78d144d78cc87cadddbb4f25b56b7e825c3f6964610775f"},
	{"DH RFC 5114 PKCS #3",
		"308201a33082011706092a864886f70d0103013082010802818100b10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b616073e28675a23d189838ef1e2ee652c013ecb4aea906112324975c3cd49b83bfaccbdd7d90c4bd7098488e9c219a73724effd6fae5644738faa31a4ff55bccc0a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708df1fb2bc2e4a437102818100a4d1cbd5c3fd34126765a442efb99905f8104dd258ac507fd6406cff14266d31266fea1e5c41564b777e690f5504f213160217b4b01b886a5e91547f9e2749f4d7fbd7d3b9a92ee1909d0d2263f80a76a6a24c087a091f531dbf0a0169b6a28ad662a4d18e73afa32d779d5918d08bc8858f4dcef97c2a24855e6eeb22b3b2e503818500028181008dee9df697364a2efc911110965eb0c72dc217d21c82d8ba16e5d1055c692da0f5deddca91b171b33da7313404d0f22e783a38ed6c0c385b65aec310820ebfe82dabe5bfc898a4982e0c44e0fb7102f1463de002229040f2cd939120491732b5f48a4d839fdcaa2822efad11b1004642c9e4ec6a4ad9ba99fc7d2b3fda9ffacb",
		"00e4eb8877dea8bfa962a2a7730cee327781d19457",
		"1020ede6281b39382f671b7bb4bc7e55cc465d14c85222dab31c27e1db1eb912b9980ebcc8050996a83dff17b24a929c2dead8b1f06577f5d0be26f755973d793fa76cb521efd4de394b60d75b630e717a4e22c4100e8eec4d2012d2eb62d481db602a2e0ae0375be56c508c06662ba983ff21e714ff6f56de1ff7f16b0ac69c"},
	{"DH RFC 5114 X9.42",
		"308201b73082012c06072a8648ce3e02013082011f02818100b10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b616073e28675a23d189838ef1e2ee652c013ecb4aea906112324975c3cd49b83bfaccbdd7d90c4bd7098488e9c219a73724effd6fae5644738faa31a4ff55bccc0a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708df1fb2bc2e4a437102818100a4d1cbd5c3fd34126765a442efb99905f8104dd258ac507fd6406cff14266d31266fea1e5c41564b777e690f5504f213160217b4b01b886a5e91547f9e2749f4d7fbd7d3b9a92ee1909d0d2263f80a76a6a24c087a091f531dbf0a0169b6a28ad662a4d18e73afa32d779d5918d08bc8858f4dcef97c2a24855e6eeb22b3b2e5021500f518aa8781a8df278aba4e7d64b7cb9d49462353038184000281801481a127e8abaf1e7c3fab99a9c56e6e7af03b594868f2aa126effcb036281eb0641903647de5eebd1d6c5ef7b598d295a11949113eab75fcb3b535a9ef9dfb4cc70c91774beeff744837a097a6ac719648157f16d1aa18d4aa1df5a757188ee2ccdaf8a4b76b3a675d4b5064364bcc9120db98cd2269a5201ac3af00bf54af6",
		"2bccf0f88c9c95438c9bece3709c1020533c4d47",
		"906545633d3bdc7c5bd63908e6d50316b68df14003f4f1b811c395256d9a39ba9780d7889a0f6d84259849133c08b1ccddce0223df957e6e469416aa2c16e59369e48a5c5149af78efa212646644c62bf9489e2c14b82f15382e9f9d4fbeb878948e782f2a906a0c64bb7c1f09367a58896217104ea940ca12fafc743aeab5fe"},
}

// The chip's side of the agreement against OpenSSL's results: our parser
// reads OpenSSL's keys (named, explicit, PKCS #3, X9.42) and our arithmetic
// (crypto/ecdh, brainpool, Weierstrass, modular exponentiation) finds the
// same secret.
func TestAgreementMatchesOpenSSL(t *testing.T) {
	for _, v := range opensslAgreements {
		pub, err := ParsePublicKeyInfo(h(v.spki))
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		var priv crypto.PrivateKey
		var peer []byte
		switch k := pub.(type) {
		case *ecdsa.PublicKey:
			d := hi(v.priv)
			x, y := k.Curve.ScalarBaseMult(d.Bytes())
			priv = &ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: k.Curve, X: x, Y: y}, D: d}
			peer = marshalPoint(k.Curve, k.X, k.Y)
		case *DHPublicKey:
			x := hi(v.priv)
			priv = &DHPrivateKey{DHPublicKey: DHPublicKey{DHParameters: k.DHParameters, Y: new(big.Int).Exp(k.G, x, k.P)}, X: x}
			peer = dhBytes(k.P, k.Y)
		}
		z, err := ChipAgree(priv, peer)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if !bytes.Equal(z, h(v.z)) {
			t.Fatalf("%s: Z %x\nwant %s", v.name, z, v.z)
		}
	}
}

func TestExplicitParametersResolve(t *testing.T) {
	pub, _ := ParsePublicKeyInfo(h(opensslAgreements[1].spki))
	w, ok := pub.(*ecdsa.PublicKey).Curve.(*Weierstrass)
	if !ok || w.Params().BitSize != 224 {
		t.Fatalf("brainpoolP224r1 explicit: %T", pub.(*ecdsa.PublicKey).Curve)
	}
	// Re-encoding keeps the explicit parameters and the point.
	der, err := MarshalPublicKeyInfo(pub)
	if err != nil || !bytes.Equal(der, h(opensslAgreements[1].spki)) {
		t.Fatalf("re-encoded explicit key differs (%v)\n%x", err, der)
	}
	// Explicit parameters of a curve we know by name map to it.
	bp := brainpool.P256r1()
	a, b := curveAB(bp)
	wbp, err := NewWeierstrass("", bp.Params().P, a, b, bp.Params().Gx, bp.Params().Gy, bp.Params().N)
	if err != nil {
		t.Fatal(err)
	}
	k := &ecdsa.PublicKey{Curve: wbp, X: bp.Params().Gx, Y: bp.Params().Gy}
	der, _ = MarshalPublicKeyInfo(k)
	back, err := ParsePublicKeyInfo(der)
	if err != nil || back.(*ecdsa.PublicKey).Curve != bp {
		t.Fatalf("explicit brainpoolP256r1 parsed as %v (%v)", back, err)
	}
}

// The hand-written curve agrees with the library curves it can stand in
// for: brainpoolP256r1 (a ≠ −3) and P-256 (a = −3).
func TestWeierstrassMatchesLibraries(t *testing.T) {
	for _, c := range []elliptic.Curve{brainpool.P256r1(), elliptic.P256()} {
		p := c.Params()
		a, b := curveAB(c)
		if c == elliptic.P256() && (b.Cmp(p.B) != 0 || new(big.Int).Add(a, big.NewInt(3)).Cmp(p.P) != 0) {
			t.Fatal("P-256: a is not -3 or b is not B")
		}
		w, err := NewWeierstrass("", p.P, a, b, p.Gx, p.Gy, p.N)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"01", "02", "03", "FF", "0123456789ABCDEF0123456789ABCDEF", hex.EncodeToString(new(big.Int).Sub(p.N, big.NewInt(1)).Bytes())} {
			wx, wy := w.ScalarBaseMult(h(k))
			lx, ly := c.ScalarBaseMult(h(k))
			if wx.Cmp(lx) != 0 || wy.Cmp(ly) != 0 {
				t.Fatalf("%s: %s·G differs", p.Name, k)
			}
		}
		// n·G is the point at infinity.
		if x, y := w.ScalarBaseMult(p.N.Bytes()); !isInf(x, y) {
			t.Fatalf("%s: n·G is not infinity", p.Name)
		}
		x, y := w.Double(p.Gx, p.Gy)
		if !w.IsOnCurve(x, y) || w.IsOnCurve(x, new(big.Int).Add(y, big.NewInt(1))) {
			t.Fatal("IsOnCurve")
		}
	}
	if _, err := NewWeierstrass("", big.NewInt(23), big.NewInt(1), big.NewInt(1), big.NewInt(3), big.NewInt(10), big.NewInt(7)); err == nil {
		t.Fatal("toy curve accepted")
	}
}

func testdata(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Real DG14s: the BSI 2008 test passport (brainpoolP224r1 with explicit
// parameters, 3DES), the Doc 9303 sample (PKCS #3 DH, 3DES), the 9303-10
// worked example (brainpoolP384r1 explicit, AES-256).
func TestChipKeysFromRealDG14(t *testing.T) {
	for _, c := range []struct {
		file     string
		protocol asn1.ObjectIdentifier
		cipher   kdf.Cipher
		bits     int
		dh       bool
	}{
		{"emrtd/jmrtd/bsi2008/Datagroup14.bin", OIDCAECDH3DES, kdf.TDES, 224, false},
		{"emrtd/jmrtd/misc/spec_sample_encoded_dg14.bin", OIDCADH3DES, kdf.TDES, 1024, true},
		{"emrtd/gmrtd/icao9303_p10_sample/DG14.bin", OIDCAECDHAES256, kdf.AES256, 384, false},
	} {
		keys, err := ChipKeys(testdata(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(keys) != 1 {
			t.Fatalf("%s: %d keys", c.file, len(keys))
		}
		k := keys[0]
		if !k.Protocol.Equal(c.protocol) {
			t.Fatalf("%s: protocol %v, want %v", c.file, k.Protocol, c.protocol)
		}
		if ci, _ := k.Cipher(); ci != c.cipher {
			t.Fatalf("%s: cipher %v", c.file, ci)
		}
		switch pk := k.PublicKey.(type) {
		case *ecdsa.PublicKey:
			if c.dh || pk.Curve.Params().BitSize != c.bits || !pk.Curve.IsOnCurve(pk.X, pk.Y) {
				t.Fatalf("%s: EC key on a %d-bit curve", c.file, pk.Curve.Params().BitSize)
			}
		case *DHPublicKey:
			if !c.dh || pk.P.BitLen() != c.bits {
				t.Fatalf("%s: DH key of %d bits", c.file, pk.P.BitLen())
			}
		}
		// The terminal can run the agreement with it.
		if _, err := agree(k.PublicKey, rand.Reader); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
	}
	if _, err := ChipKeys(testdata(t, "emrtd/jmrtd/bsi2008/Datagroup15.bin")); err == nil {
		t.Fatal("DG15 read as DG14")
	}
}

func TestPublicKeyFromRealDG15(t *testing.T) {
	for _, f := range []string{
		"emrtd/jmrtd/bsi2008/Datagroup15.bin",
		"emrtd/jmrtd/loes2006/ef010F.bin",
		"emrtd/gmrtd/icao9303_p10_sample/DG15.bin",
	} {
		pub, err := PublicKeyFromDG15(testdata(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, ok := pub.(*rsa.PublicKey); !ok {
			t.Fatalf("%s: %T", f, pub)
		}
	}
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSA(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}

func TestActiveAuthenticationSignatures(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	challenge := h("0102030405060708")
	for _, c := range []struct {
		name  string
		priv  crypto.Signer
		hash  crypto.Hash
		wrong crypto.PublicKey
	}{
		{"RSA SHA-1 (trailer BC)", testRSA(t), 0, &otherRSA.PublicKey},
		{"RSA SHA-256 (trailer 34CC)", testRSA(t), crypto.SHA256, &otherRSA.PublicKey},
		{"ECDSA P-256", p256, crypto.SHA256, &other.PublicKey},
		{"ECDSA brainpoolP256r1 SHA-384", bp, crypto.SHA384, &other.PublicKey},
	} {
		sig, err := SignActiveAuthentication(c.priv, challenge, c.hash, rand.Reader)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := VerifyActiveAuthentication(c.priv.Public(), c.hash, challenge, sig); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := VerifyActiveAuthentication(c.priv.Public(), 0, challenge, sig); err != nil {
			t.Fatalf("%s without the hash: %v", c.name, err)
		}
		if err := VerifyActiveAuthentication(c.priv.Public(), c.hash, h("0102030405060709"), sig); !errors.Is(err, ErrActiveAuthentication) {
			t.Fatalf("%s, other challenge: %v", c.name, err)
		}
		if err := VerifyActiveAuthentication(c.wrong, c.hash, challenge, sig); !errors.Is(err, ErrActiveAuthentication) {
			t.Fatalf("%s, other key: %v", c.name, err)
		}
		bad := append([]byte(nil), sig...)
		bad[len(bad)/2] ^= 0x10
		if err := VerifyActiveAuthentication(c.priv.Public(), c.hash, challenge, bad); !errors.Is(err, ErrActiveAuthentication) {
			t.Fatalf("%s, altered: %v", c.name, err)
		}
	}
}

// The RSA signature opens, under the public key, to the ISO/IEC 9796-2
// layout: 6A ‖ M1 ‖ SHA-1(M1 ‖ challenge) ‖ BC.
func TestISO9796Layout(t *testing.T) {
	k := testRSA(t)
	challenge := h("F173589974BF40C6")
	sig, _ := SignActiveAuthentication(k, challenge, 0, rand.Reader)
	f := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(k.E)), k.N).FillBytes(make([]byte, 128))
	if f[0] != 0x6A || f[127] != 0xBC {
		t.Fatalf("header %02X trailer %02X", f[0], f[127])
	}
	d := crypto.SHA1.New()
	d.Write(f[1 : 128-21])
	d.Write(challenge)
	if !bytes.Equal(d.Sum(nil), f[128-21:127]) {
		t.Fatal("hash field is not SHA-1(M1 ‖ challenge)")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp, _ := ecdsa.GenerateKey(brainpool.P384r1(), rand.Reader)
	dh, _ := GenerateDHKey(rfc5114, rand.Reader)
	dh3 := &DHPublicKey{DHParameters: DHParameters{P: rfc5114.P, G: rfc5114.G}, Y: dh.Y}
	for _, pub := range []crypto.PublicKey{&p256.PublicKey, &bp.PublicKey, &dh.DHPublicKey, dh3, &testRSA(t).PublicKey} {
		der, err := MarshalPublicKeyInfo(pub)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePublicKeyInfo(der)
		if err != nil {
			t.Fatalf("%T: %v", pub, err)
		}
		again, _ := MarshalPublicKeyInfo(back)
		if !bytes.Equal(der, again) {
			t.Fatalf("%T does not round-trip", pub)
		}
	}
}

// Terminal and chip compute the same secret on every key type.
func TestAgreeBothSides(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	dh, _ := GenerateDHKey(rfc5114, rand.Reader)
	for _, priv := range []crypto.PrivateKey{p256, bp, dh} {
		var pub crypto.PublicKey
		switch k := priv.(type) {
		case *ecdsa.PrivateKey:
			pub = &k.PublicKey
		case *DHPrivateKey:
			pub = &k.DHPublicKey
		}
		eph, err := agree(pub, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		z, err := ChipAgree(priv, eph.public)
		if err != nil || !bytes.Equal(z, eph.secret) {
			t.Fatalf("%T: secrets differ (%v)", priv, err)
		}
	}
}

// Hostile terminal keys: off the curve, outside the group.
func TestChipAgreeRefusesBadPeers(t *testing.T) {
	bp, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dh, _ := GenerateDHKey(rfc5114, rand.Reader)
	off := marshalPoint(bp.Curve, bp.X, new(big.Int).Add(bp.Y, big.NewInt(1)))
	for _, c := range []struct {
		priv crypto.PrivateKey
		peer []byte
	}{
		{bp, off},
		{bp, off[:10]},
		{p256, marshalPoint(p256.Curve, p256.X, new(big.Int).Add(p256.Y, big.NewInt(1)))},
		{dh, []byte{1}},
		{dh, dhBytes(rfc5114.P, new(big.Int).Sub(rfc5114.P, big.NewInt(1)))},
		{dh, dhBytes(rfc5114.P, big.NewInt(2))}, // 2 is not in the order-q subgroup
	} {
		if _, err := ChipAgree(c.priv, c.peer); !errors.Is(err, ErrKey) {
			t.Errorf("%T with %x: %v", c.priv, c.peer, err)
		}
	}
}

func TestEncodeDG14(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	dh, _ := GenerateDHKey(rfc5114, rand.Reader)
	dg14, err := EncodeDG14([]ChipKey{
		{Protocol: OIDCAECDHAES128, KeyID: big.NewInt(1), PublicKey: &ec.PublicKey},
		{Protocol: OIDCADH3DES, KeyID: big.NewInt(2), PublicKey: &dh.DHPublicKey},
	}, OIDECDSAPlainSHA256)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ChipKeys(dg14)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	for _, k := range keys {
		switch k.KeyID.Int64() {
		case 1:
			if !k.Protocol.Equal(OIDCAECDHAES128) || !k.PublicKey.(*ecdsa.PublicKey).Equal(&ec.PublicKey) {
				t.Fatalf("key 1: %v", k)
			}
		case 2:
			if !k.Protocol.Equal(OIDCADH3DES) || k.PublicKey.(*DHPublicKey).Y.Cmp(dh.Y) != 0 {
				t.Fatalf("key 2: %v", k)
			}
		default:
			t.Fatalf("key id %v", k.KeyID)
		}
	}
	if hh, err := ActiveAuthenticationHash(dg14); err != nil || hh != crypto.SHA256 {
		t.Fatalf("AA hash %v %v", hh, err)
	}
}

func TestCipherOfProtocols(t *testing.T) {
	for oid, want := range map[string]kdf.Cipher{
		OIDCADH3DES.String(): kdf.TDES, OIDCAECDHAES128.String(): kdf.AES128,
		OIDCAECDHAES192.String(): kdf.AES192, OIDCADHAES256.String(): kdf.AES256,
	} {
		var o asn1.ObjectIdentifier
		for _, p := range strings.Split(oid, ".") {
			n := 0
			for _, ch := range p {
				n = n*10 + int(ch-'0')
			}
			o = append(o, n)
		}
		if got, err := (ChipKey{Protocol: o}).Cipher(); err != nil || got != want {
			t.Errorf("%s: %v %v", oid, got, err)
		}
	}
	if _, err := (ChipKey{Protocol: OIDPKDH}).Cipher(); err == nil {
		t.Error("id-PK-DH taken for a CA protocol")
	}
	if c, _ := (ChipKey{}).Cipher(); c != kdf.TDES {
		t.Error("default is not 3DES")
	}
}

func FuzzChipKeys(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	dg14, _ := EncodeDG14([]ChipKey{{Protocol: OIDCAECDHAES128, PublicKey: &ec.PublicKey}}, OIDECDSAPlainSHA256)
	f.Add(dg14)
	for _, v := range opensslAgreements {
		f.Add(h(v.spki))
	}
	f.Add(h("6E0431023000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := ChipKeys(b)
		if err == nil && len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
		ActiveAuthenticationHash(b)
		ParsePublicKeyInfo(b)
		PublicKeyFromDG15(b)
	})
}

func FuzzVerifyActiveAuthentication(f *testing.F) {
	k := testRSA(f)
	ec, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	challenge := h("0102030405060708")
	s1, _ := SignActiveAuthentication(k, challenge, 0, rand.Reader)
	s2, _ := SignActiveAuthentication(ec, challenge, crypto.SHA256, rand.Reader)
	f.Add(s1, challenge)
	f.Add(s2, challenge)
	f.Add([]byte{}, challenge)
	f.Fuzz(func(t *testing.T, sig, ch []byte) {
		errRSA := VerifyActiveAuthentication(&k.PublicKey, 0, ch, sig)
		errEC := VerifyActiveAuthentication(&ec.PublicKey, crypto.SHA256, ch, sig)
		// Only the seeds' own signature over their own challenge verifies.
		if errRSA == nil && !(bytes.Equal(sig, s1) && bytes.Equal(ch, challenge)) {
			t.Fatalf("RSA accepted %x over %x", sig, ch)
		}
		if errEC == nil && !bytes.Equal(ch, challenge) {
			t.Fatalf("ECDSA accepted %x over %x", sig, ch)
		}
	})
}

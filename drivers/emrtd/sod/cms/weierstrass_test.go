package cms

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"
)

// The generic curve must compute what the reference implementations
// compute: crypto/elliptic's P-256 (a = -3) and ProtonMail's
// brainpoolP256r1 (general a).
func TestWeierstrassAgreesWithReferenceCurves(t *testing.T) {
	for _, name := range []string{"P-256", "brainpoolP256r1", "P-384"} {
		var ref namedCurve
		for _, nc := range knownCurves() {
			if nc.name == name {
				ref = nc
			}
		}
		p := ref.curve.Params()
		w, err := newWeierstrass(p.P, ref.a, ref.b, p.Gx, p.Gy, p.N)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 4; i++ {
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				t.Fatal(err)
			}
			rx, ry := ref.curve.ScalarBaseMult(k)
			wx, wy := w.ScalarBaseMult(k)
			if rx.Cmp(wx) != 0 || ry.Cmp(wy) != 0 {
				t.Fatalf("%s: k·G differs", name)
			}
			dx, dy := w.Double(wx, wy)
			if ex, ey := ref.curve.Double(rx, ry); ex.Cmp(dx) != 0 || ey.Cmp(dy) != 0 {
				t.Fatalf("%s: doubling differs", name)
			}
			sx, sy := w.Add(wx, wy, p.Gx, p.Gy)
			if ex, ey := ref.curve.Add(rx, ry, p.Gx, p.Gy); ex.Cmp(sx) != 0 || ey.Cmp(sy) != 0 {
				t.Fatalf("%s: addition differs", name)
			}
			if !w.IsOnCurve(sx, sy) {
				t.Fatalf("%s: sum is off the curve", name)
			}
		}
		// A signature by the reference curve's key verifies on the generic
		// curve through crypto/ecdsa, and a wrong one does not.
		key, err := ecdsa.GenerateKey(ref.curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte("generic"))
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		pub := &ecdsa.PublicKey{Curve: w, X: key.X, Y: key.Y}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("%s: genuine signature refused on the generic curve", name)
		}
		digest[0] ^= 1
		if ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("%s: wrong digest accepted on the generic curve", name)
		}
	}
}

func TestWeierstrassRefusesBadParameters(t *testing.T) {
	p := elliptic.P256().Params()
	a := new(big.Int).Sub(p.P, big.NewInt(3))
	cases := map[string][6]*big.Int{
		"composite field":  {new(big.Int).Add(p.P, big.NewInt(1)), a, p.B, p.Gx, p.Gy, p.N},
		"base point off":   {p.P, a, p.B, p.Gx, new(big.Int).Add(p.Gy, big.NewInt(1)), p.N},
		"wrong order":      {p.P, a, p.B, p.Gx, p.Gy, new(big.Int).Sub(p.N, big.NewInt(2))},
		"small field":      {big.NewInt(65521), big.NewInt(1), big.NewInt(1), big.NewInt(0), big.NewInt(1), big.NewInt(65519)},
		"singular (a=b=0)": {p.P, big.NewInt(0), big.NewInt(0), p.Gx, p.Gy, p.N},
	}
	for name, c := range cases {
		if _, err := newWeierstrass(c[0], c[1], c[2], c[3], c[4], c[5]); !errors.Is(err, ErrUnsupportedCurve) {
			t.Errorf("%s: %v, want ErrUnsupportedCurve", name, err)
		}
	}
}

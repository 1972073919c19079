package cms

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// The generic curve (ecparams.Weierstrass, as parseExplicitCurve builds
// it) must compute what the reference implementations compute:
// crypto/elliptic's P-256 (a = -3) and ProtonMail's brainpoolP256r1
// (general a). Its parameter checks are tested in ecparams.
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

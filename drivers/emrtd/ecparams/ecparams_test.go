package ecparams

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// Every table entry is a consistent curve: G on it, n·G the point at
// infinity, and lookups by name, OID, parameters and value find it.
func TestTableIsConsistent(t *testing.T) {
	if len(All()) != 11 {
		t.Fatalf("%d curves, want 11", len(All()))
	}
	for _, c := range All() {
		if !c.IsOnCurve(c.Gx, c.Gy) || c.IsOnCurve(c.Gx, new(big.Int).Add(c.Gy, big.NewInt(1))) {
			t.Errorf("%s: IsOnCurve wrong for G", c.Name)
		}
		e := c.Elliptic()
		if e != c.Elliptic() {
			t.Errorf("%s: Elliptic returns a new value each call", c.Name)
		}
		if x, y := e.ScalarBaseMult(c.N.Bytes()); x.Sign() != 0 || y.Sign() != 0 {
			t.Errorf("%s: n·G is not infinity", c.Name)
		}
		if x, y := e.ScalarBaseMult([]byte{7}); !c.IsOnCurve(x, y) {
			t.Errorf("%s: 7·G not on the curve", c.Name)
		}
		if got, ok := ByName(c.Name); !ok || got != c {
			t.Errorf("ByName(%s)", c.Name)
		}
		if got, ok := ByOID(c.OID); !ok || got != c {
			t.Errorf("ByOID(%s)", c.OID)
		}
		if got, ok := ByParams(c.P, c.A, c.B, c.Gx, c.Gy, c.N); !ok || got != c {
			t.Errorf("ByParams(%s)", c.Name)
		}
		if got, ok := Of(e); !ok || got != c {
			t.Errorf("Of(%s)", c.Name)
		}
		if a, b := Coefficients(e); a.Cmp(c.A) != 0 || b.Cmp(c.B) != 0 {
			t.Errorf("%s: Coefficients", c.Name)
		}
		_, isW := e.(*Weierstrass)
		if c.Native() == isW {
			t.Errorf("%s: Native %v but implementation %T", c.Name, c.Native(), e)
		}
	}
	if _, ok := ByParams(elliptic.P256().Params().P, big.NewInt(1), elliptic.P256().Params().B,
		elliptic.P256().Params().Gx, elliptic.P256().Params().Gy, elliptic.P256().Params().N); ok {
		t.Error("ByParams matched a curve with a different a")
	}
	if _, ok := ByName("secp256k1"); ok {
		t.Error("ByName found an unknown curve")
	}
	if c, _ := ByName("P-256"); c.ECDH() == nil {
		t.Error("P-256 has no crypto/ecdh curve")
	}
	if c, _ := ByName("brainpoolP256r1"); c.ECDH() != nil {
		t.Error("brainpoolP256r1 has a crypto/ecdh curve")
	}
}

// The generic curve agrees with the library curves it can stand in for:
// brainpoolP256r1 (a ≠ −3) and P-256 (a = −3).
func TestWeierstrassMatchesLibraries(t *testing.T) {
	for _, lib := range []elliptic.Curve{brainpool.P256r1(), elliptic.P256()} {
		c, _ := Of(lib)
		w, err := NewWeierstrass("", c.P, c.A, c.B, c.Gx, c.Gy, c.N)
		if err != nil {
			t.Fatal(err)
		}
		k := new(big.Int).Sub(c.N, big.NewInt(5)).Bytes()
		for _, k := range [][]byte{{1}, {2}, {3}, {0xff}, k} {
			wx, wy := w.ScalarBaseMult(k)
			lx, ly := lib.ScalarBaseMult(k)
			if wx.Cmp(lx) != 0 || wy.Cmp(ly) != 0 {
				t.Fatalf("%s: %x·G differs", c.Name, k)
			}
		}
		x1, y1 := lib.ScalarBaseMult([]byte{9})
		x2, y2 := lib.ScalarBaseMult([]byte{20})
		wx, wy := w.Add(x1, y1, x2, y2)
		lx, ly := lib.Add(x1, y1, x2, y2)
		if wx.Cmp(lx) != 0 || wy.Cmp(ly) != 0 {
			t.Fatalf("%s: Add differs", c.Name)
		}
		wx, wy = w.Double(x1, y1)
		lx, ly = lib.Double(x1, y1)
		if wx.Cmp(lx) != 0 || wy.Cmp(ly) != 0 {
			t.Fatalf("%s: Double differs", c.Name)
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
		"G outside field":  {p.P, a, p.B, new(big.Int).Add(p.Gx, p.P), p.Gy, p.N},
	}
	for name, c := range cases {
		if _, err := NewWeierstrass("", c[0], c[1], c[2], c[3], c[4], c[5]); !errors.Is(err, ErrUnsupportedCurve) {
			t.Errorf("%s: %v, want ErrUnsupportedCurve", name, err)
		}
	}
}

// MarshalPoint writes what crypto/ecdsa writes for the same key.
func TestMarshalPointMatchesECDSA(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ByName("P-384")
	if got := MarshalPoint(c.ByteLen(), key.X, key.Y); !bytes.Equal(got, want) {
		t.Fatalf("MarshalPoint %x\nwant %x", got, want)
	}
	// Short coordinates are padded to the field length.
	if got := MarshalPoint(4, big.NewInt(1), big.NewInt(0x0203)); !bytes.Equal(got, []byte{4, 0, 0, 0, 1, 0, 0, 2, 3}) {
		t.Fatalf("padding: %x", got)
	}
}

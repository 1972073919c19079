package kdf

import (
	"bytes"
	"testing"

	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// ICAO 9303-11 Appendix D (BAC worked example).
func TestBACWorkedExample(t *testing.T) {
	info := MRZInfo("L898902C", '3', "690806", '1', "940623", '6')
	if info != "L898902C<369080619406236" {
		t.Fatalf("MRZ information %q", info)
	}
	if got := Seed(info); !bytes.Equal(got, h("239AB9CB282DAF66231DC5A4DF6BFBAEDF477565")) {
		t.Fatalf("SHA-1 %X", got)
	}
	kEnc, kMAC := BACKeys(info)
	if !bytes.Equal(kEnc, h("AB94FDECF2674FDFB9B391F85D7F76F2")) {
		t.Fatalf("KEnc %X", kEnc)
	}
	if !bytes.Equal(kMAC, h("7962D9ECE03D1ACD4C76089DCE131543")) {
		t.Fatalf("KMAC %X", kMAC)
	}
}

// Session keys of the same example: KDF over K.IFD xor K.IC.
func TestBACSessionKeys(t *testing.T) {
	kSeed := h("0036D272F5C350ACAC50C3F572D23600")
	if !bytes.Equal(Derive(TDES, kSeed, CounterEnc), h("979EC13B1CBFE9DCD01AB0FED307EAE5")) {
		t.Fatalf("KSEnc %X", Derive(TDES, kSeed, CounterEnc))
	}
	if !bytes.Equal(Derive(TDES, kSeed, CounterMAC), h("F1CB1F1FB5ADF208806B89DC579DC1F8")) {
		t.Fatalf("KSMAC %X", Derive(TDES, kSeed, CounterMAC))
	}
}

// ICAO 9303-11 Appendix G.1 (PACE ECDH-GM worked example).
func TestPACEPasswordKey(t *testing.T) {
	info := MRZInfo("T22000129", '3', "640812", '5', "101031", '8')
	if got := Seed(info); !bytes.Equal(got, h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")) {
		t.Fatalf("SHA-1 %X", got)
	}
	if got := PACEPasswordKey(AES128, info); !bytes.Equal(got, h("89DED1B26624EC1E634C1989302849DD")) {
		t.Fatalf("Kπ %X", got)
	}
}

func TestKeyLengthsAndParity(t *testing.T) {
	for _, c := range []Cipher{TDES, AES128, AES192, AES256} {
		if k := Derive(c, []byte("secret"), CounterEnc); len(k) != c.KeyLen() {
			t.Fatalf("%v: %d bytes", c, len(k))
		}
	}
	k := Derive(TDES, []byte("x"), CounterMAC)
	for i, b := range k {
		n := 0
		for ; b != 0; b &= b - 1 {
			n++
		}
		if n%2 != 1 {
			t.Fatalf("byte %d of a 3DES key has even parity", i)
		}
	}
}

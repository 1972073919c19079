package chipauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // hashes a chip may sign with
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"autogate/drivers/emrtd/iso7816"
)

// ErrActiveAuthentication: the chip's signature over the terminal's
// challenge does not verify with the DG15 key. A cloned chip (the data
// copied, the private key not); refer the traveller.
var ErrActiveAuthentication = errors.New("chipauth: Active Authentication failed: the chip's signature does not verify with the DG15 key (cloned chip)")

// challengeLen is RND.IFD of INTERNAL AUTHENTICATE (9303-11 section 6.1).
const challengeLen = 8

// Hash identifiers of ISO/IEC 10118 in the two-byte ISO/IEC 9796-2
// trailer (xx CC); the one-byte trailer BC means SHA-1.
var trailerHashes = map[byte]crypto.Hash{
	0x33: crypto.SHA1,
	0x34: crypto.SHA256,
	0x35: crypto.SHA512,
	0x36: crypto.SHA384,
	0x38: crypto.SHA224,
}

// ActiveAuthenticate runs Active Authentication (ICAO 9303-11 section
// 6.1): INTERNAL AUTHENTICATE with a fresh 8-byte challenge, and the
// chip's signature checked with the DG15 public key (*rsa.PublicKey or
// *ecdsa.PublicKey). For ECDSA keys the hash is the one DG14's
// ActiveAuthenticationInfo names; use ActiveAuthenticateHash to pass it.
func ActiveAuthenticate(ctx context.Context, card *iso7816.Card, pub crypto.PublicKey, rng io.Reader) error {
	return ActiveAuthenticateHash(ctx, card, pub, 0, rng)
}

// ActiveAuthenticateHash is ActiveAuthenticate with the hash of an ECDSA
// signature given (ActiveAuthenticationHash of DG14). With 0, any of
// SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 is accepted: the challenge
// is the terminal's, so the choice does not help a forger.
func ActiveAuthenticateHash(ctx context.Context, card *iso7816.Card, pub crypto.PublicKey, h crypto.Hash, rng io.Reader) error {
	if rng == nil {
		rng = rand.Reader
	}
	sigLen, err := signatureLen(pub)
	if err != nil {
		return err
	}
	challenge := make([]byte, challengeLen)
	if _, err := io.ReadFull(rng, challenge); err != nil {
		return fmt.Errorf("chipauth: random source: %w", err)
	}
	// A signature too long for a short response once protected needs
	// extended length.
	ne := iso7816.MaxShortNe
	if sigLen > iso7816.DefaultMaxRead {
		ne = iso7816.MaxExtendedNe
	}
	sig, err := card.InternalAuthenticate(ctx, challenge, ne)
	if err != nil {
		return fmt.Errorf("chipauth: Active Authentication: %w", err)
	}
	return VerifyActiveAuthentication(pub, h, challenge, sig)
}

func signatureLen(pub crypto.PublicKey) (int, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return (k.N.BitLen() + 7) / 8, nil
	case *ecdsa.PublicKey:
		return 2 * ((k.Curve.Params().N.BitLen() + 7) / 8), nil
	}
	return 0, fmt.Errorf("%w: Active Authentication with a %T key", ErrKey, pub)
}

// VerifyActiveAuthentication checks the chip's signature over challenge:
// RSA with ISO/IEC 9796-2 digital signature scheme 1 (partial message
// recovery: the chip's random M1 is recovered, the challenge is M2), or
// ECDSA with the plain r ‖ s format of BSI TR-03111 (DER is tolerated).
func VerifyActiveAuthentication(pub crypto.PublicKey, h crypto.Hash, challenge, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return verify9796(k, challenge, sig)
	case *ecdsa.PublicKey:
		return verifyECDSA(k, h, challenge, sig)
	}
	return fmt.Errorf("%w: Active Authentication with a %T key", ErrKey, pub)
}

func verify9796(pub *rsa.PublicKey, challenge, sig []byte) error {
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits || pub.E < 3 {
		return fmt.Errorf("%w: RSA key of %d bits, exponent %d", ErrKey, bits, pub.E)
	}
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) != k {
		return fmt.Errorf("%w: signature of %d bytes for a %d-byte modulus", ErrActiveAuthentication, len(sig), k)
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return fmt.Errorf("%w: signature not below the modulus", ErrActiveAuthentication)
	}
	f := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	var h crypto.Hash
	var t int
	switch f[k-1] {
	case 0xBC:
		h, t = crypto.SHA1, 1
	case 0xCC:
		var ok bool
		if h, ok = trailerHashes[f[k-2]]; !ok {
			return fmt.Errorf("%w: trailer names hash %02X, not supported", ErrActiveAuthentication, f[k-2])
		}
		t = 2
	default:
		return fmt.Errorf("%w: recovered message has no ISO/IEC 9796-2 trailer", ErrActiveAuthentication)
	}
	hl := h.Size()
	end := k - t - hl // M1 ends here, the hash begins
	// Header '6' (partial recovery), then padding nibbles B…BA.
	start := 0
	switch {
	case f[0] == 0x6A:
		start = 1
	case f[0] == 0x6B:
		start = 1
		for start < end && f[start] == 0xBB {
			start++
		}
		if start >= end || f[start] != 0xBA {
			return fmt.Errorf("%w: bad ISO/IEC 9796-2 padding", ErrActiveAuthentication)
		}
		start++
	default:
		return fmt.Errorf("%w: recovered message header %02X, want 6A (partial recovery)", ErrActiveAuthentication, f[0])
	}
	if end < start {
		return fmt.Errorf("%w: recovered message too short for a %v hash", ErrActiveAuthentication, h)
	}
	d := h.New()
	d.Write(f[start:end])
	d.Write(challenge)
	if subtle.ConstantTimeCompare(d.Sum(nil), f[end:k-t]) != 1 {
		return fmt.Errorf("%w: hash mismatch", ErrActiveAuthentication)
	}
	return nil
}

func verifyECDSA(pub *ecdsa.PublicKey, h crypto.Hash, challenge, sig []byte) error {
	if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
		return fmt.Errorf("%w: ECDSA key not on its curve", ErrKey)
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	var r, s *big.Int
	if len(sig) == 2*n {
		r, s = new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
	} else {
		var der struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sig, &der); err != nil || len(rest) != 0 {
			return fmt.Errorf("%w: signature of %d bytes is neither plain r‖s (%d bytes) nor DER", ErrActiveAuthentication, len(sig), 2*n)
		}
		r, s = der.R, der.S
	}
	hashes := []crypto.Hash{h}
	if h == 0 {
		hashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA224, crypto.SHA1}
	}
	for _, hh := range hashes {
		if !hh.Available() {
			return fmt.Errorf("chipauth: hash %v not available", hh)
		}
		d := hh.New()
		d.Write(challenge)
		if ecdsa.Verify(pub, d.Sum(nil), r, s) {
			return nil
		}
	}
	return fmt.Errorf("%w: ECDSA signature does not verify", ErrActiveAuthentication)
}

// SignActiveAuthentication is the chip's side of INTERNAL AUTHENTICATE
// (used by the virtual chip): an ISO/IEC 9796-2 scheme 1 signature with
// an RSA key (h 0 or SHA-1: trailer BC; other hashes: the two-byte
// trailer), or a plain ECDSA signature (h 0: the hash matching the curve's
// size).
func SignActiveAuthentication(priv crypto.PrivateKey, challenge []byte, h crypto.Hash, rng io.Reader) ([]byte, error) {
	if rng == nil {
		rng = rand.Reader
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return sign9796(k, challenge, h, rng)
	case *ecdsa.PrivateKey:
		if h == 0 {
			h = DefaultECDSAHash(&k.PublicKey)
		}
		d := h.New()
		d.Write(challenge)
		r, s, err := ecdsa.Sign(rng, k, d.Sum(nil))
		if err != nil {
			return nil, err
		}
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		out := make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
		return out, nil
	}
	return nil, fmt.Errorf("%w: Active Authentication with a %T key", ErrKey, priv)
}

// DefaultECDSAHash is the hash whose size matches the curve's order.
func DefaultECDSAHash(pub *ecdsa.PublicKey) crypto.Hash {
	switch bits := pub.Curve.Params().N.BitLen(); {
	case bits <= 160:
		return crypto.SHA1
	case bits <= 224:
		return crypto.SHA224
	case bits <= 256:
		return crypto.SHA256
	case bits <= 384:
		return crypto.SHA384
	}
	return crypto.SHA512
}

func sign9796(priv *rsa.PrivateKey, challenge []byte, h crypto.Hash, rng io.Reader) ([]byte, error) {
	if priv.N.BitLen()%8 != 0 {
		return nil, fmt.Errorf("%w: RSA modulus of %d bits (want a multiple of 8)", ErrKey, priv.N.BitLen())
	}
	k := priv.N.BitLen() / 8
	trailer := []byte{0xBC}
	if h == 0 {
		h = crypto.SHA1
	}
	if h != crypto.SHA1 {
		trailer = nil
		for id, th := range trailerHashes {
			if th == h {
				trailer = []byte{id, 0xCC}
			}
		}
		if trailer == nil {
			return nil, fmt.Errorf("chipauth: no ISO/IEC 9796-2 trailer for %v", h)
		}
	}
	m1 := make([]byte, k-1-h.Size()-len(trailer))
	if len(m1) < 1 {
		return nil, fmt.Errorf("%w: RSA modulus too short for %v", ErrKey, h)
	}
	if _, err := io.ReadFull(rng, m1); err != nil {
		return nil, err
	}
	d := h.New()
	d.Write(m1)
	d.Write(challenge)
	f := make([]byte, 0, k)
	f = append(f, 0x6A)
	f = append(f, m1...)
	f = append(f, d.Sum(nil)...)
	f = append(f, trailer...)
	s := new(big.Int).Exp(new(big.Int).SetBytes(f), priv.D, priv.N)
	return s.FillBytes(make([]byte, k)), nil
}

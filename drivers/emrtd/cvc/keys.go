package cvc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // hashes of the id-TA algorithms
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"autogate/drivers/emrtd/ecparams"
	"autogate/drivers/emrtd/tlv"
)

// Algorithms of Terminal Authentication (TR-03110-3 appendix A.6.4):
// id-TA-RSA-… and id-TA-ECDSA-…, under id-TA 0.4.0.127.0.7.2.2.2.
var (
	OIDTA             = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}
	OIDTARSAv15SHA1   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 1}
	OIDTARSAv15SHA256 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 2}
	OIDTARSAPSSSHA1   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 3}
	OIDTARSAPSSSHA256 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 4}
	OIDTARSAv15SHA512 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 5}
	OIDTARSAPSSSHA512 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 6}
	OIDTAECDSASHA1    = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 1}
	OIDTAECDSASHA224  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 2}
	OIDTAECDSASHA256  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 3}
	OIDTAECDSASHA384  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 4}
	OIDTAECDSASHA512  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 5}
	algorithms        = []algorithm{
		{OIDTARSAv15SHA1, crypto.SHA1, false, false},
		{OIDTARSAv15SHA256, crypto.SHA256, false, false},
		{OIDTARSAPSSSHA1, crypto.SHA1, false, true},
		{OIDTARSAPSSSHA256, crypto.SHA256, false, true},
		{OIDTARSAv15SHA512, crypto.SHA512, false, false},
		{OIDTARSAPSSSHA512, crypto.SHA512, false, true},
		{OIDTAECDSASHA1, crypto.SHA1, true, false},
		{OIDTAECDSASHA224, crypto.SHA224, true, false},
		{OIDTAECDSASHA256, crypto.SHA256, true, false},
		{OIDTAECDSASHA384, crypto.SHA384, true, false},
		{OIDTAECDSASHA512, crypto.SHA512, true, false},
	}
)

type algorithm struct {
	oid   asn1.ObjectIdentifier
	hash  crypto.Hash
	ecdsa bool
	pss   bool
}

func algorithmOf(oid asn1.ObjectIdentifier) (algorithm, error) {
	for _, a := range algorithms {
		if a.oid.Equal(oid) {
			return a, nil
		}
	}
	return algorithm{}, fmt.Errorf("cvc: %v is not a Terminal Authentication algorithm this reader knows (id-TA-RSA-… or id-TA-ECDSA-…)", oid)
}

// ErrSignature marks a certificate or terminal signature that does not
// verify.
var ErrSignature = errors.New("cvc: signature does not verify")

// PublicKey is the public key of a CV certificate.
type PublicKey struct {
	// Algorithm is the id-TA-… OID the key signs with.
	Algorithm asn1.ObjectIdentifier
	// Curve is the ECDSA key's curve; nil when the certificate left the
	// domain parameters out (they come from the CVCA, see Inherit).
	Curve elliptic.Curve
	// Point is the ECDSA public point, uncompressed 04‖X‖Y.
	Point []byte
	// RSA is the RSA key.
	RSA *rsa.PublicKey
}

// IsECDSA reports whether the key is an ECDSA key.
func (k PublicKey) IsECDSA() bool { return k.RSA == nil }

// Inherit completes a key without domain parameters with those of its
// issuer's key (TR-03110-3 appendix D.3: only CVCA certificates carry
// them).
func (k PublicKey) Inherit(issuer PublicKey) PublicKey {
	if k.IsECDSA() && k.Curve == nil {
		k.Curve = issuer.Curve
	}
	return k
}

// ECDSA returns the key as a crypto/ecdsa key, checking the point is on
// its curve.
func (k PublicKey) ECDSA() (*ecdsa.PublicKey, error) {
	if !k.IsECDSA() {
		return nil, errors.New("cvc: RSA key, not ECDSA")
	}
	if k.Curve == nil {
		return nil, errors.New("cvc: ECDSA key without domain parameters; they come from the CVCA certificate (Inherit)")
	}
	n := fieldLen(k.Curve)
	if len(k.Point) != 1+2*n || k.Point[0] != 4 {
		return nil, fmt.Errorf("cvc: public point of %d bytes is not an uncompressed point on %s", len(k.Point), k.Curve.Params().Name)
	}
	x, y := new(big.Int).SetBytes(k.Point[1:1+n]), new(big.Int).SetBytes(k.Point[1+n:])
	if !k.Curve.IsOnCurve(x, y) {
		return nil, fmt.Errorf("cvc: public point not on %s", k.Curve.Params().Name)
	}
	return &ecdsa.PublicKey{Curve: k.Curve, X: x, Y: y}, nil
}

// PublicKeyOf wraps a crypto public key (*ecdsa.PublicKey on a supported
// curve, or *rsa.PublicKey) for algorithm alg.
func PublicKeyOf(pub crypto.PublicKey, alg asn1.ObjectIdentifier) (PublicKey, error) {
	a, err := algorithmOf(alg)
	if err != nil {
		return PublicKey{}, err
	}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if !a.ecdsa {
			return PublicKey{}, fmt.Errorf("cvc: an ECDSA key cannot sign with %v", alg)
		}
		if _, ok := curveName(p.Curve); !ok {
			return PublicKey{}, fmt.Errorf("cvc: curve %s is not supported", p.Curve.Params().Name)
		}
		return PublicKey{Algorithm: alg, Curve: p.Curve, Point: marshalPoint(p.Curve, p.X, p.Y)}, nil
	case *rsa.PublicKey:
		if a.ecdsa {
			return PublicKey{}, fmt.Errorf("cvc: an RSA key cannot sign with %v", alg)
		}
		return PublicKey{Algorithm: alg, RSA: p}, nil
	}
	return PublicKey{}, fmt.Errorf("cvc: %T keys are not supported", pub)
}

// certCurve returns the known curve c is when a library implements it
// (NIST P-224 to P-521, brainpoolP256r1/P384r1/P512r1): the curves a
// certificate may carry.
func certCurve(c elliptic.Curve) (*ecparams.Curve, bool) {
	k, ok := ecparams.Of(c)
	if !ok || !k.Native() {
		return nil, false
	}
	return k, true
}

func curveName(c elliptic.Curve) (string, bool) {
	k, ok := certCurve(c)
	if !ok {
		return "", false
	}
	return k.Name, true
}

func fieldLen(c elliptic.Curve) int { return (c.Params().BitSize + 7) / 8 }

func marshalPoint(c elliptic.Curve, x, y *big.Int) []byte {
	return ecparams.MarshalPoint(fieldLen(c), x, y)
}

// maxRSABits bounds RSA moduli from outside.
const maxRSABits = 8192

func parsePublicKey(b []byte) (PublicKey, error) {
	els := map[tlv.Tag][]byte{}
	var order []tlv.Tag
	for rest := b; len(rest) > 0; {
		do, r, err := tlv.Next(rest)
		if err != nil {
			return PublicKey{}, fmt.Errorf("public key: %v", err)
		}
		if _, dup := els[do.Tag]; dup {
			return PublicKey{}, fmt.Errorf("public key: element %s twice", do.Tag)
		}
		els[do.Tag] = do.Value
		order = append(order, do.Tag)
		rest = r
	}
	if len(order) == 0 || order[0] != tagOID {
		return PublicKey{}, errors.New("public key: want the algorithm's object identifier first")
	}
	oid, err := oidFromValue(els[tagOID])
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key: %v", err)
	}
	a, err := algorithmOf(oid)
	if err != nil {
		return PublicKey{}, err
	}
	k := PublicKey{Algorithm: oid}
	if !a.ecdsa {
		n, e := els[0x81], els[0x82]
		if len(n) == 0 || len(e) == 0 || len(e) > 4 || len(els) != 3 {
			return PublicKey{}, errors.New("public key: an RSA key is 81 modulus and 82 exponent (up to 4 bytes) and nothing else")
		}
		mod := new(big.Int).SetBytes(n)
		exp := int(new(big.Int).SetBytes(e).Int64())
		if mod.BitLen() < 1024 || mod.BitLen() > maxRSABits || exp < 3 || exp%2 == 0 {
			return PublicKey{}, fmt.Errorf("public key: RSA modulus of %d bits with exponent %d: want 1024 to %d bits and an odd exponent above 1", mod.BitLen(), exp, maxRSABits)
		}
		k.RSA = &rsa.PublicKey{N: mod, E: exp}
		return k, nil
	}
	point := els[0x86]
	if len(point) == 0 {
		return PublicKey{}, errors.New("public key: ECDSA key without its public point 86")
	}
	k.Point = bytes.Clone(point)
	params := 0
	for _, t := range []tlv.Tag{0x81, 0x82, 0x83, 0x84, 0x85, 0x87} {
		if _, ok := els[t]; ok {
			params++
		}
	}
	switch params {
	case 0:
		if len(els) != 2 {
			return PublicKey{}, errors.New("public key: unexpected elements in an ECDSA key")
		}
		return k, nil // inherited from the CVCA
	case 6:
	default:
		return PublicKey{}, errors.New("public key: ECDSA domain parameters must be all of 81 to 85 and 87, or none")
	}
	if len(els) != 8 {
		return PublicKey{}, errors.New("public key: unexpected elements in an ECDSA key")
	}
	if k.Curve, err = matchCurve(els); err != nil {
		return PublicKey{}, err
	}
	if _, err := k.ECDSA(); err != nil {
		return PublicKey{}, err
	}
	return k, nil
}

// matchCurve finds the supported curve with the explicit parameters p, a,
// b, G, n and cofactor f.
func matchCurve(els map[tlv.Tag][]byte) (elliptic.Curve, error) {
	num := func(t tlv.Tag) *big.Int { return new(big.Int).SetBytes(els[t]) }
	p, a, b, n, f := num(0x81), num(0x82), num(0x83), num(0x85), num(0x87)
	g := els[0x84]
	for _, lc := range ecparams.All() {
		if !lc.Native() {
			continue
		}
		c := lc.Elliptic()
		l := fieldLen(c)
		if p.Cmp(lc.P) == 0 && a.Cmp(lc.A) == 0 && b.Cmp(lc.B) == 0 && n.Cmp(lc.N) == 0 &&
			bytes.Equal(g, marshalPoint(c, lc.Gx, lc.Gy)) && len(g) == 1+2*l {
			if f.Cmp(big.NewInt(1)) != 0 {
				return nil, fmt.Errorf("public key: cofactor %v on %s, want 1", f, c.Params().Name)
			}
			return c, nil
		}
	}
	return nil, fmt.Errorf("public key: domain parameters (a %d-bit prime) match no supported curve (NIST P-224 to P-521, brainpoolP256r1/P384r1/P512r1)", p.BitLen())
}

// encode writes the 7F49 element; withParams adds the ECDSA domain
// parameters (CVCA certificates).
func (k PublicKey) encode(withParams bool) ([]byte, error) {
	oid, err := oidValue(k.Algorithm)
	if err != nil {
		return nil, err
	}
	parts := [][]byte{tlv.Encode(tagOID, oid)}
	if !k.IsECDSA() {
		parts = append(parts, tlv.Encode(0x81, k.RSA.N.Bytes()), tlv.Encode(0x82, big.NewInt(int64(k.RSA.E)).Bytes()))
		return tlv.Encode(TagPublicKey, parts...), nil
	}
	if withParams {
		if k.Curve == nil {
			return nil, errors.New("cvc: a CVCA key needs its domain parameters")
		}
		lc, ok := certCurve(k.Curve)
		if !ok {
			return nil, fmt.Errorf("cvc: curve %s is not supported", k.Curve.Params().Name)
		}
		l := fieldLen(k.Curve)
		parts = append(parts,
			tlv.Encode(0x81, lc.P.Bytes()),
			tlv.Encode(0x82, lc.A.FillBytes(make([]byte, l))),
			tlv.Encode(0x83, lc.B.FillBytes(make([]byte, l))),
			tlv.Encode(0x84, marshalPoint(k.Curve, lc.Gx, lc.Gy)),
			tlv.Encode(0x85, lc.N.Bytes()))
	}
	parts = append(parts, tlv.Encode(0x86, k.Point))
	if withParams {
		parts = append(parts, tlv.Encode(0x87, []byte{1}))
	}
	return tlv.Encode(TagPublicKey, parts...), nil
}

// Verify checks sig over msg with the key's algorithm: a plain r‖s ECDSA
// signature (TR-03111), or RSA PKCS #1 v1.5 or PSS (salt as long as the
// hash).
func (k PublicKey) Verify(msg, sig []byte) error {
	a, err := algorithmOf(k.Algorithm)
	if err != nil {
		return err
	}
	h := a.hash.New()
	h.Write(msg)
	digest := h.Sum(nil)
	if !a.ecdsa {
		if k.RSA == nil {
			return errors.New("cvc: RSA algorithm with an ECDSA key")
		}
		if a.pss {
			err = rsa.VerifyPSS(k.RSA, a.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(k.RSA, a.hash, digest, sig)
		}
		if err != nil {
			return fmt.Errorf("%w (%v: %v)", ErrSignature, k.Algorithm, err)
		}
		return nil
	}
	pub, err := k.ECDSA()
	if err != nil {
		return err
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	if len(sig) != 2*n {
		return fmt.Errorf("%w: ECDSA signature of %d bytes, want plain r‖s of %d", ErrSignature, len(sig), 2*n)
	}
	r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
	if !ecdsa.Verify(pub, digest, r, s) {
		return fmt.Errorf("%w (%v on %s)", ErrSignature, k.Algorithm, pub.Curve.Params().Name)
	}
	return nil
}

// Sign signs msg with key for algorithm alg, in the form Verify checks:
// ECDSA signatures come out plain r‖s.
func Sign(key crypto.Signer, alg asn1.ObjectIdentifier, msg []byte, rng io.Reader) ([]byte, error) {
	a, err := algorithmOf(alg)
	if err != nil {
		return nil, err
	}
	if rng == nil {
		rng = rand.Reader
	}
	h := a.hash.New()
	h.Write(msg)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = a.hash
	if a.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
	}
	pub, isEC := key.Public().(*ecdsa.PublicKey)
	if isEC != a.ecdsa {
		return nil, fmt.Errorf("cvc: a %T key cannot sign with %v", key.Public(), alg)
	}
	sig, err := key.Sign(rng, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("cvc: signing: %w", err)
	}
	if !isEC {
		return sig, nil
	}
	var der struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &der); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("cvc: the ECDSA signer returned no DER signature: %v", err)
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	out := make([]byte, 2*n)
	der.R.FillBytes(out[:n])
	der.S.FillBytes(out[n:])
	return out, nil
}

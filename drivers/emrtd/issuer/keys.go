package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ProtonMail/go-crypto/brainpool"

	"autogate/drivers/emrtd/ecparams"
	"autogate/drivers/emrtd/sod/cms"
)

// KeyType selects the key and signature scheme of a CSCA or document
// signer. ECDSA keys sign with ecdsa-with-SHA*, RSA keys with
// sha*WithRSAEncryption (PKCS#1 v1.5), RSA-PSS keys with RSASSA-PSS (salt
// the length of the hash, MGF1 with the same hash).
type KeyType string

// Key types Doc 9303 part 12 allows and real issuers use.
const (
	P256            KeyType = "P-256"
	P384            KeyType = "P-384"
	P521            KeyType = "P-521"
	BrainpoolP256r1 KeyType = "brainpoolP256r1"
	BrainpoolP384r1 KeyType = "brainpoolP384r1"
	BrainpoolP512r1 KeyType = "brainpoolP512r1"
	RSA2048         KeyType = "RSA-2048"
	RSA3072         KeyType = "RSA-3072"
	RSA4096         KeyType = "RSA-4096"
	RSAPSS2048      KeyType = "RSA-PSS-2048"
	RSAPSS3072      KeyType = "RSA-PSS-3072"
)

// KeyTypes lists every KeyType, for flags and tests.
var KeyTypes = []KeyType{P256, P384, P521, BrainpoolP256r1, BrainpoolP384r1, BrainpoolP512r1, RSA2048, RSA3072, RSA4096, RSAPSS2048, RSAPSS3072}

// ParseKeyType reads a KeyType name, case-insensitively.
func ParseKeyType(s string) (KeyType, error) {
	for _, k := range KeyTypes {
		if strings.EqualFold(string(k), s) {
			return k, nil
		}
	}
	names := make([]string, len(KeyTypes))
	for i, k := range KeyTypes {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown key type %q: use one of %s", s, strings.Join(names, ", "))
}

func (k KeyType) curve() elliptic.Curve {
	switch k {
	case P256:
		return elliptic.P256()
	case P384:
		return elliptic.P384()
	case P521:
		return elliptic.P521()
	case BrainpoolP256r1:
		return brainpool.P256r1()
	case BrainpoolP384r1:
		return brainpool.P384r1()
	case BrainpoolP512r1:
		return brainpool.P512r1()
	}
	return nil
}

func (k KeyType) rsaBits() int {
	switch k {
	case RSA2048, RSAPSS2048:
		return 2048
	case RSA3072, RSAPSS3072:
		return 3072
	case RSA4096:
		return 4096
	}
	return 0
}

// PSS reports whether the key signs with RSASSA-PSS.
func (k KeyType) PSS() bool { return k == RSAPSS2048 || k == RSAPSS3072 }

// DefaultHash is the hash that matches the key's strength.
func (k KeyType) DefaultHash() crypto.Hash {
	switch k {
	case P384, BrainpoolP384r1, RSA4096:
		return crypto.SHA384
	case P521, BrainpoolP512r1:
		return crypto.SHA512
	}
	return crypto.SHA256
}

// GenerateKey makes a new private key of the type.
func (k KeyType) GenerateKey() (crypto.Signer, error) {
	if c := k.curve(); c != nil {
		// For brainpool this is crypto/ecdsa's generic math/big path,
		// which Go 1.26 still provides for custom curves.
		return ecdsa.GenerateKey(c, rand.Reader)
	}
	if bits := k.rsaBits(); bits > 0 {
		return rsa.GenerateKey(rand.Reader, bits)
	}
	return nil, fmt.Errorf("unknown key type %q", k)
}

// signatureAlgorithm returns the AlgorithmIdentifier the key signs with.
func (k KeyType) signatureAlgorithm(h crypto.Hash) (cms.AlgorithmIdentifier, error) {
	ecdsaOIDs := map[crypto.Hash]asn1.ObjectIdentifier{
		crypto.SHA1: cms.OIDECDSAWithSHA1, crypto.SHA224: cms.OIDECDSAWithSHA224, crypto.SHA256: cms.OIDECDSAWithSHA256,
		crypto.SHA384: cms.OIDECDSAWithSHA384, crypto.SHA512: cms.OIDECDSAWithSHA512,
	}
	rsaOIDs := map[crypto.Hash]asn1.ObjectIdentifier{
		crypto.SHA1: cms.OIDSHA1WithRSA, crypto.SHA224: cms.OIDSHA224WithRSA, crypto.SHA256: cms.OIDSHA256WithRSA,
		crypto.SHA384: cms.OIDSHA384WithRSA, crypto.SHA512: cms.OIDSHA512WithRSA,
	}
	switch {
	case k.curve() != nil:
		if id, ok := ecdsaOIDs[h]; ok {
			return cms.AlgorithmIdentifier{Algorithm: id}, nil
		}
	case k.PSS():
		params, err := pssParams(h)
		if err != nil {
			return cms.AlgorithmIdentifier{}, err
		}
		return cms.AlgorithmIdentifier{Algorithm: cms.OIDRSASSAPSS, Parameters: params}, nil
	case k.rsaBits() > 0:
		if id, ok := rsaOIDs[h]; ok {
			null, _ := asn1.Marshal(asn1.NullRawValue)
			return cms.AlgorithmIdentifier{Algorithm: id, Parameters: null}, nil
		}
	}
	return cms.AlgorithmIdentifier{}, fmt.Errorf("no signature algorithm for %s with %v", k, h)
}

// pssParams encodes RSASSA-PSS-params with the hash, MGF1 over the same
// hash and a salt of the hash's length.
func pssParams(h crypto.Hash) ([]byte, error) {
	oid, ok := cms.HashOID(h)
	if !ok {
		return nil, fmt.Errorf("no OID for hash %v", h)
	}
	hashAlg, err := cms.AlgorithmIdentifier{Algorithm: oid}.Marshal()
	if err != nil {
		return nil, err
	}
	mgf, err := cms.AlgorithmIdentifier{Algorithm: cms.OIDMGF1, Parameters: hashAlg}.Marshal()
	if err != nil {
		return nil, err
	}
	salt, err := asn1.Marshal(h.Size())
	if err != nil {
		return nil, err
	}
	return der(tagSequence, explicit(0, hashAlg), explicit(1, mgf), explicit(2, salt)), nil
}

// sign signs msg with key under the algorithm of keyType and hash.
func sign(key crypto.Signer, keyType KeyType, h crypto.Hash, msg []byte) ([]byte, cms.AlgorithmIdentifier, error) {
	alg, err := keyType.signatureAlgorithm(h)
	if err != nil {
		return nil, alg, err
	}
	hh := h.New()
	hh.Write(msg)
	digest := hh.Sum(nil)
	var opts crypto.SignerOpts = h
	if keyType.PSS() {
		opts = &rsa.PSSOptions{SaltLength: h.Size(), Hash: h}
	}
	sig, err := key.Sign(rand.Reader, digest, opts)
	if err != nil {
		return nil, alg, fmt.Errorf("signing with %s: %w", keyType, err)
	}
	return sig, alg, nil
}

// keyTypeOf infers the KeyType of a key (RSA keys are PKCS#1 v1.5 unless
// pss).
func keyTypeOf(pub crypto.PublicKey, pss bool) (KeyType, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		for _, t := range KeyTypes {
			if c := t.curve(); c != nil && c.Params() == k.Curve.Params() {
				return t, nil
			}
		}
		return "", fmt.Errorf("unsupported curve %s", cms.CurveName(k.Curve))
	case *rsa.PublicKey:
		for _, t := range KeyTypes {
			if t.rsaBits() == k.N.BitLen() && t.PSS() == pss {
				return t, nil
			}
		}
		return "", fmt.Errorf("unsupported RSA size %d", k.N.BitLen())
	}
	return "", fmt.Errorf("unsupported key %T", pub)
}

// PEM block type and header of private keys saved by this package.
const (
	pemPrivateKey   = "PRIVATE KEY"    // PKCS#8, for RSA
	pemECPrivateKey = "EC PRIVATE KEY" // SEC 1, for every curve (crypto/x509 cannot write brainpool)
	pemKeyTypeHdr   = "Key-Type"
)

// ecPrivateKey is SEC 1's ECPrivateKey.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// marshalPrivateKey encodes a key as a PEM block with its KeyType.
func marshalPrivateKey(key crypto.Signer, kt KeyType) (*pem.Block, error) {
	hdr := map[string]string{pemKeyTypeHdr: string(kt)}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		oid, ok := cms.CurveOID(k.Curve)
		if !ok {
			return nil, fmt.Errorf("no OID for curve %s", cms.CurveName(k.Curve))
		}
		size := (k.Curve.Params().N.BitLen() + 7) / 8
		b, err := asn1.Marshal(ecPrivateKey{
			Version:       1,
			PrivateKey:    k.D.FillBytes(make([]byte, size)),
			NamedCurveOID: oid,
			PublicKey:     asn1.BitString{Bytes: uncompressedPoint(k.Curve, k.X, k.Y), BitLength: 8 * len(uncompressedPoint(k.Curve, k.X, k.Y))},
		})
		if err != nil {
			return nil, err
		}
		return &pem.Block{Type: pemECPrivateKey, Headers: hdr, Bytes: b}, nil
	case *rsa.PrivateKey:
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		return &pem.Block{Type: pemPrivateKey, Headers: hdr, Bytes: b}, nil
	}
	return nil, fmt.Errorf("unsupported private key %T", key)
}

// parsePrivateKey reads a block written by marshalPrivateKey.
func parsePrivateKey(blk *pem.Block) (crypto.Signer, KeyType, error) {
	kt, err := ParseKeyType(blk.Headers[pemKeyTypeHdr])
	if err != nil {
		return nil, "", fmt.Errorf("private key PEM header %s: %w", pemKeyTypeHdr, err)
	}
	switch blk.Type {
	case pemECPrivateKey:
		var k ecPrivateKey
		if _, err := asn1.Unmarshal(blk.Bytes, &k); err != nil {
			return nil, "", fmt.Errorf("EC private key: %w", err)
		}
		curve, ok := cms.CurveByOID(k.NamedCurveOID)
		if !ok || curve.Params() != kt.curve().Params() {
			return nil, "", fmt.Errorf("EC private key on curve %s does not match key type %s", k.NamedCurveOID, kt)
		}
		d := new(big.Int).SetBytes(k.PrivateKey)
		if d.Sign() <= 0 || d.Cmp(curve.Params().N) >= 0 {
			return nil, "", errors.New("EC private key out of range")
		}
		priv := &ecdsa.PrivateKey{D: d}
		priv.Curve = curve
		priv.X, priv.Y = curve.ScalarBaseMult(k.PrivateKey)
		return priv, kt, nil
	case pemPrivateKey:
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, "", err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok || kt.rsaBits() != rk.N.BitLen() {
			return nil, "", fmt.Errorf("private key %T does not match key type %s", k, kt)
		}
		return rk, kt, nil
	}
	return nil, "", fmt.Errorf("unexpected PEM block %q", blk.Type)
}

func uncompressedPoint(c elliptic.Curve, x, y *big.Int) []byte {
	return ecparams.MarshalPoint((c.Params().P.BitLen()+7)/8, x, y)
}

package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha1" // SHA-1: old SODs and CSCAs still use it
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// AlgorithmIdentifier is an X.509 AlgorithmIdentifier with its parameters
// kept as encoded (RSA-PSS and explicit EC parameters need them).
type AlgorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters []byte // full TLV of the parameters; nil when absent
}

// Errors wrapped by signature verification, so callers can tell a wrong
// signature from an algorithm this package cannot check.
var (
	ErrSignatureInvalid     = errors.New("signature invalid")
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	ErrUnsupportedKey       = errors.New("unsupported public key")
)

// Object identifiers of RFC 5652, RFC 8017, RFC 5758, BSI TR-03111 and
// Doc 9303 part 12.
var (
	OIDSignedData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDLDSSecurityObject   = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	OIDCscaMasterList      = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}
	OIDAttrContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDRSAEncryption       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDRSASSAPSS           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	OIDMGF1                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	OIDECPublicKey         = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDPrimeField          = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	OIDSubjectKeyID        = asn1.ObjectIdentifier{2, 5, 29, 14}
	OIDKeyUsage            = asn1.ObjectIdentifier{2, 5, 29, 15}
	OIDPrivateKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 16}
	OIDBasicConstraints    = asn1.ObjectIdentifier{2, 5, 29, 19}
	OIDAuthorityKeyID      = asn1.ObjectIdentifier{2, 5, 29, 35}
	OIDDocumentTypeList    = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 6, 2}
	OIDSHA1                = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDSHA224              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	OIDSHA256              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSHA384              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDSHA512              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	OIDSHA1WithRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	OIDSHA224WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	OIDSHA256WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	OIDSHA384WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	OIDSHA512WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	OIDECDSAWithSHA1       = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	OIDECDSAWithSHA224     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	OIDECDSAWithSHA256     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSAWithSHA384     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSAWithSHA512     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidECDSAPlainSHAPrefix = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1} // BSI TR-03111 ecdsa-plain-signatures
)

var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{OIDSHA1, crypto.SHA1}, {OIDSHA224, crypto.SHA224}, {OIDSHA256, crypto.SHA256},
	{OIDSHA384, crypto.SHA384}, {OIDSHA512, crypto.SHA512},
}

// HashByOID returns the hash function a digest AlgorithmIdentifier names.
func HashByOID(id asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, h := range hashOIDs {
		if h.oid.Equal(id) {
			return h.hash, true
		}
	}
	return 0, false
}

// HashOID returns the OID of a hash function.
func HashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, e := range hashOIDs {
		if e.hash == h {
			return e.oid, true
		}
	}
	return nil, false
}

// HashName names a hash the way Doc 9303 does ("SHA-256").
func HashName(h crypto.Hash) string {
	if h == 0 {
		return "unknown"
	}
	return h.String()
}

// signatureScheme is what a signature AlgorithmIdentifier implies.
type signatureScheme struct {
	name  string
	key   string      // "RSA", "RSA-PSS" or "ECDSA"
	hash  crypto.Hash // 0: taken from the SignerInfo's digest algorithm
	plain bool        // ECDSA r||s instead of DER ECDSA-Sig-Value
}

var signatureOIDs = []struct {
	oid    asn1.ObjectIdentifier
	scheme signatureScheme
}{
	{OIDRSAEncryption, signatureScheme{name: "RSA", key: "RSA"}},
	{OIDSHA1WithRSA, signatureScheme{name: "SHA1withRSA", key: "RSA", hash: crypto.SHA1}},
	{OIDSHA224WithRSA, signatureScheme{name: "SHA224withRSA", key: "RSA", hash: crypto.SHA224}},
	{OIDSHA256WithRSA, signatureScheme{name: "SHA256withRSA", key: "RSA", hash: crypto.SHA256}},
	{OIDSHA384WithRSA, signatureScheme{name: "SHA384withRSA", key: "RSA", hash: crypto.SHA384}},
	{OIDSHA512WithRSA, signatureScheme{name: "SHA512withRSA", key: "RSA", hash: crypto.SHA512}},
	{OIDRSASSAPSS, signatureScheme{name: "RSASSA-PSS", key: "RSA-PSS"}},
	{OIDECPublicKey, signatureScheme{name: "ECDSA", key: "ECDSA"}},
	{OIDECDSAWithSHA1, signatureScheme{name: "SHA1withECDSA", key: "ECDSA", hash: crypto.SHA1}},
	{OIDECDSAWithSHA224, signatureScheme{name: "SHA224withECDSA", key: "ECDSA", hash: crypto.SHA224}},
	{OIDECDSAWithSHA256, signatureScheme{name: "SHA256withECDSA", key: "ECDSA", hash: crypto.SHA256}},
	{OIDECDSAWithSHA384, signatureScheme{name: "SHA384withECDSA", key: "ECDSA", hash: crypto.SHA384}},
	{OIDECDSAWithSHA512, signatureScheme{name: "SHA512withECDSA", key: "ECDSA", hash: crypto.SHA512}},
}

var plainECDSAHashes = map[int]crypto.Hash{1: crypto.SHA1, 2: crypto.SHA224, 3: crypto.SHA256, 4: crypto.SHA384, 5: crypto.SHA512}

func lookupSignature(id asn1.ObjectIdentifier) (signatureScheme, bool) {
	for _, s := range signatureOIDs {
		if s.oid.Equal(id) {
			return s.scheme, true
		}
	}
	if len(id) == len(oidECDSAPlainSHAPrefix)+1 && id[:len(oidECDSAPlainSHAPrefix)].Equal(oidECDSAPlainSHAPrefix) {
		if h, ok := plainECDSAHashes[id[len(id)-1]]; ok {
			return signatureScheme{name: "ECDSA-plain-" + h.String(), key: "ECDSA", hash: h, plain: true}, true
		}
	}
	return signatureScheme{}, false
}

// Name is a readable name of the algorithm ("SHA256withECDSA", "SHA-256").
func (a AlgorithmIdentifier) Name() string {
	if s, ok := lookupSignature(a.Algorithm); ok {
		return s.name
	}
	if h, ok := HashByOID(a.Algorithm); ok {
		return h.String()
	}
	return a.Algorithm.String()
}

func parseAlgorithm(t tlv, depth int, what string) (AlgorithmIdentifier, error) {
	parts, err := sequenceOf(t, tagSequence, depth, what)
	if err != nil {
		return AlgorithmIdentifier{}, err
	}
	if len(parts) < 1 || len(parts) > 2 {
		return AlgorithmIdentifier{}, malformed("%s: AlgorithmIdentifier with %d parts", what, len(parts))
	}
	id, err := oid(parts[0])
	if err != nil {
		return AlgorithmIdentifier{}, fmt.Errorf("%s: %w", what, err)
	}
	a := AlgorithmIdentifier{Algorithm: id}
	if len(parts) == 2 && !parts[1].is(classUniversal, tagNull) {
		a.Parameters = parts[1].full
	}
	return a, nil
}

// Marshal encodes the AlgorithmIdentifier (absent parameters stay absent).
func (a AlgorithmIdentifier) Marshal() ([]byte, error) {
	id, err := asn1.Marshal(a.Algorithm)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: classUniversal, Tag: tagSequence, IsCompound: true, Bytes: append(id, a.Parameters...)})
}

// pssParameters decodes RSASSA-PSS-params (RFC 8017 A.2.3); the defaults are
// SHA-1, MGF1 with SHA-1 and a 20-byte salt.
func pssParameters(params []byte) (hash crypto.Hash, salt int, err error) {
	hash, salt = crypto.SHA1, 20
	if params == nil {
		return hash, salt, nil
	}
	t, err := parseOne(params, 0)
	if err != nil {
		return 0, 0, err
	}
	fields, err := sequenceOf(t, tagSequence, 0, "RSASSA-PSS-params")
	if err != nil {
		return 0, 0, err
	}
	mgfHash := crypto.SHA1
	for _, f := range fields {
		if f.class != classContext || !f.constructed {
			return 0, 0, malformed("RSASSA-PSS-params: unexpected %s", f)
		}
		inner, err := f.children(1)
		if err != nil || len(inner) != 1 {
			return 0, 0, malformed("RSASSA-PSS-params: bad field %s", f)
		}
		switch f.tag {
		case 0:
			a, err := parseAlgorithm(inner[0], 2, "PSS hash")
			if err != nil {
				return 0, 0, err
			}
			h, ok := HashByOID(a.Algorithm)
			if !ok {
				return 0, 0, fmt.Errorf("%w: PSS hash %s", ErrUnsupportedAlgorithm, a.Algorithm)
			}
			hash = h
		case 1:
			a, err := parseAlgorithm(inner[0], 2, "PSS mask generation")
			if err != nil {
				return 0, 0, err
			}
			if !a.Algorithm.Equal(OIDMGF1) || a.Parameters == nil {
				return 0, 0, fmt.Errorf("%w: PSS mask generation %s", ErrUnsupportedAlgorithm, a.Algorithm)
			}
			pt, err := parseOne(a.Parameters, 2)
			if err != nil {
				return 0, 0, err
			}
			ma, err := parseAlgorithm(pt, 3, "MGF1 hash")
			if err != nil {
				return 0, 0, err
			}
			h, ok := HashByOID(ma.Algorithm)
			if !ok {
				return 0, 0, fmt.Errorf("%w: MGF1 hash %s", ErrUnsupportedAlgorithm, ma.Algorithm)
			}
			mgfHash = h
		case 2:
			n, err := smallInt(inner[0], "PSS salt length")
			if err != nil {
				return 0, 0, err
			}
			if n < 0 {
				return 0, 0, malformed("negative PSS salt length")
			}
			salt = n
		case 3:
			n, err := smallInt(inner[0], "PSS trailer field")
			if err != nil {
				return 0, 0, err
			}
			if n != 1 {
				return 0, 0, fmt.Errorf("%w: PSS trailer field %d", ErrUnsupportedAlgorithm, n)
			}
		default:
			return 0, 0, malformed("RSASSA-PSS-params: unknown field [%d]", f.tag)
		}
	}
	// crypto/rsa uses the message hash for MGF1 too; Doc 9303 requires the same.
	if mgfHash != hash {
		return 0, 0, fmt.Errorf("%w: PSS with MGF1-%s over %s", ErrUnsupportedAlgorithm, mgfHash, hash)
	}
	return hash, salt, nil
}

// SignatureHash returns the hash a signature algorithm signs with; for the
// bare key OIDs (rsaEncryption, id-ecPublicKey) that SODs often carry it is
// fallback, the SignerInfo's digest algorithm.
func SignatureHash(alg AlgorithmIdentifier, fallback crypto.Hash) (crypto.Hash, error) {
	s, ok := lookupSignature(alg.Algorithm)
	if !ok {
		return 0, fmt.Errorf("%w: signature algorithm %s", ErrUnsupportedAlgorithm, alg.Algorithm)
	}
	switch {
	case s.key == "RSA-PSS":
		h, _, err := pssParameters(alg.Parameters)
		return h, err
	case s.hash != 0:
		return s.hash, nil
	case fallback != 0:
		return fallback, nil
	}
	return 0, fmt.Errorf("%w: %s names no hash and none was given", ErrUnsupportedAlgorithm, s.name)
}

// VerifySignature checks sig over signed with pub under alg. fallback is the
// hash to use when alg is a bare key algorithm (see SignatureHash).
func VerifySignature(pub any, alg AlgorithmIdentifier, fallback crypto.Hash, signed, sig []byte) error {
	s, ok := lookupSignature(alg.Algorithm)
	if !ok {
		return fmt.Errorf("%w: signature algorithm %s", ErrUnsupportedAlgorithm, alg.Algorithm)
	}
	hash, err := SignatureHash(alg, fallback)
	if err != nil {
		return err
	}
	if !hash.Available() {
		return fmt.Errorf("%w: hash %s", ErrUnsupportedAlgorithm, hash)
	}
	h := hash.New()
	h.Write(signed)
	digest := h.Sum(nil)
	switch key := pub.(type) {
	case *rsa.PublicKey:
		switch s.key {
		case "RSA":
			err = rsa.VerifyPKCS1v15(key, hash, digest, sig)
		case "RSA-PSS":
			_, salt, perr := pssParameters(alg.Parameters)
			if perr != nil {
				return perr
			}
			err = rsa.VerifyPSS(key, hash, digest, sig, &rsa.PSSOptions{SaltLength: salt, Hash: hash})
		default:
			return fmt.Errorf("%w: %s signature with an RSA key", ErrUnsupportedAlgorithm, s.name)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrSignatureInvalid, s.name, err)
		}
		return nil
	case *ecdsa.PublicKey:
		if s.key != "ECDSA" {
			return fmt.Errorf("%w: %s signature with an EC key", ErrUnsupportedAlgorithm, s.name)
		}
		r, ss, err := ecdsaSignatureValues(sig, s.plain)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrSignatureInvalid, s.name, err)
		}
		if !ecdsa.Verify(key, digest, r, ss) {
			return fmt.Errorf("%w: %s on %s does not verify", ErrSignatureInvalid, s.name, CurveName(key.Curve))
		}
		return nil
	case nil:
		return fmt.Errorf("%w: no usable public key", ErrUnsupportedKey)
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// ecdsaSignatureValues reads r and s from a DER ECDSA-Sig-Value, leniently
// (leading zeros tolerated: the signature itself is what is checked), or
// from the plain r||s format of BSI TR-03111.
func ecdsaSignatureValues(sig []byte, plain bool) (r, s *big.Int, err error) {
	if plain {
		if len(sig) == 0 || len(sig)%2 != 0 {
			return nil, nil, malformed("plain ECDSA signature of %d bytes", len(sig))
		}
		half := len(sig) / 2
		return new(big.Int).SetBytes(sig[:half]), new(big.Int).SetBytes(sig[half:]), nil
	}
	t, err := parseOne(sig, 0)
	if err != nil {
		return nil, nil, err
	}
	parts, err := sequenceOf(t, tagSequence, 0, "ECDSA-Sig-Value")
	if err != nil {
		return nil, nil, err
	}
	if len(parts) != 2 || !parts[0].is(classUniversal, tagInteger) || !parts[1].is(classUniversal, tagInteger) {
		return nil, nil, malformed("ECDSA-Sig-Value is not two INTEGERs")
	}
	if r, err = integer(parts[0]); err != nil {
		return nil, nil, err
	}
	if s, err = integer(parts[1]); err != nil {
		return nil, nil, err
	}
	return r, s, nil
}

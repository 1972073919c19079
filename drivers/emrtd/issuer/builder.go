package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// Certificates and CRLs are encoded here with encoding/asn1 rather than
// crypto/x509's CreateCertificate, which refuses brainpool keys both as the
// subject key and as the signer, and cannot write explicit EC parameters:
// the CSCAs this package has to imitate use both.

const (
	tagSequence = 16
	tagSet      = 17
)

// der encodes a universal constructed element around the parts.
func der(tag int, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, IsCompound: true, Bytes: body})
	if err != nil {
		panic("issuer: encoding DER: " + err.Error()) // cannot fail for a RawValue
	}
	return b
}

// explicit wraps inner in a context-specific [n] EXPLICIT tag.
func explicit(n int, inner []byte) []byte {
	b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: n, IsCompound: true, Bytes: inner})
	if err != nil {
		panic("issuer: encoding DER: " + err.Error())
	}
	return b
}

// implicit encodes content under a context-specific [n] IMPLICIT tag.
func implicit(n int, compound bool, content []byte) []byte {
	b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: n, IsCompound: compound, Bytes: content})
	if err != nil {
		panic("issuer: encoding DER: " + err.Error())
	}
	return b
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("issuer: encoding %T: %v", v, err))
	}
	return b
}

// nameFor builds the distinguished name of a test CSCA or signer.
func nameFor(country, org, cn string) pkix.Name {
	return pkix.Name{Country: []string{country}, Organization: []string{org}, CommonName: cn}
}

func encodeName(n pkix.Name) []byte {
	return mustMarshal(n.ToRDNSequence())
}

// marshalSPKI encodes a public key. EC keys use the namedCurve OID, or
// explicit domain parameters (SEC 1 ECParameters) when explicitParams.
func marshalSPKI(pub crypto.PublicKey, explicitParams bool) ([]byte, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		alg, _ := cms.AlgorithmIdentifier{Algorithm: cms.OIDRSAEncryption, Parameters: mustMarshal(asn1.NullRawValue)}.Marshal()
		key := x509.MarshalPKCS1PublicKey(k)
		return der(tagSequence, alg, mustMarshal(asn1.BitString{Bytes: key, BitLength: 8 * len(key)})), nil
	case *ecdsa.PublicKey:
		var params []byte
		if explicitParams {
			p, a, b, gx, gy, n, ok := cms.CurveDomain(k.Curve)
			if !ok {
				return nil, fmt.Errorf("no domain parameters for curve %s", cms.CurveName(k.Curve))
			}
			size := (p.BitLen() + 7) / 8
			params = der(tagSequence,
				mustMarshal(1),
				der(tagSequence, mustMarshal(cms.OIDPrimeField), mustMarshal(p)),
				der(tagSequence, mustMarshal(a.FillBytes(make([]byte, size))), mustMarshal(b.FillBytes(make([]byte, size)))),
				mustMarshal(uncompressedPoint(k.Curve, gx, gy)),
				mustMarshal(n),
				mustMarshal(1),
			)
		} else {
			oid, ok := cms.CurveOID(k.Curve)
			if !ok {
				return nil, fmt.Errorf("no OID for curve %s", cms.CurveName(k.Curve))
			}
			params = mustMarshal(oid)
		}
		alg, err := cms.AlgorithmIdentifier{Algorithm: cms.OIDECPublicKey, Parameters: params}.Marshal()
		if err != nil {
			return nil, err
		}
		pt := uncompressedPoint(k.Curve, k.X, k.Y)
		return der(tagSequence, alg, mustMarshal(asn1.BitString{Bytes: pt, BitLength: 8 * len(pt)})), nil
	}
	return nil, fmt.Errorf("unsupported public key %T", pub)
}

// keyID is the subject key identifier of a key: SHA-1 of the public key
// bits (RFC 5280 4.2.1.2, method 1).
func keyID(spki []byte) []byte {
	var info struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil
	}
	sum := sha1.Sum(info.Key.Bytes)
	return sum[:]
}

// keyUsageBits encodes x509.KeyUsage as the KeyUsage BIT STRING.
func keyUsageBits(ku x509.KeyUsage) asn1.BitString {
	var bs asn1.BitString
	for i := 0; i < 9; i++ {
		if ku&(1<<i) != 0 {
			for len(bs.Bytes) <= i/8 {
				bs.Bytes = append(bs.Bytes, 0)
			}
			bs.Bytes[i/8] |= 0x80 >> (i % 8)
			bs.BitLength = i + 1
		}
	}
	return bs
}

func extension(id asn1.ObjectIdentifier, critical bool, value []byte) []byte {
	parts := [][]byte{mustMarshal(id)}
	if critical {
		parts = append(parts, mustMarshal(true))
	}
	parts = append(parts, mustMarshal(value))
	return der(tagSequence, parts...)
}

func generalizedTime(t time.Time) []byte {
	return []byte(t.UTC().Format("20060102150405Z"))
}

// certSpec is what a certificate says, before signing.
type certSpec struct {
	serial         *big.Int
	subject        pkix.Name
	notBefore      time.Time
	notAfter       time.Time
	ca             bool
	keyUsage       x509.KeyUsage
	subjectKey     crypto.PublicKey
	explicitParams bool
	// Private key usage period (document signers); zero: none.
	pkupNotBefore, pkupNotAfter time.Time
}

// issueCertificate encodes spec and signs it with key (of keyType) under
// issuerName; issuerSPKI is the signing key's SubjectPublicKeyInfo, for
// the authority key identifier (nil: self-signed, the subject's own).
func issueCertificate(spec certSpec, issuerName pkix.Name, issuerSPKI []byte, key crypto.Signer, keyType KeyType, h crypto.Hash) (*cms.Certificate, error) {
	spki, err := marshalSPKI(spec.subjectKey, spec.explicitParams)
	if err != nil {
		return nil, err
	}
	if issuerSPKI == nil {
		issuerSPKI = spki
	}
	alg, err := keyType.signatureAlgorithm(h)
	if err != nil {
		return nil, err
	}
	algDER, err := alg.Marshal()
	if err != nil {
		return nil, err
	}
	exts := [][]byte{
		extension(cms.OIDSubjectKeyID, false, mustMarshal(keyID(spki))),
		extension(cms.OIDAuthorityKeyID, false, der(tagSequence, implicit(0, false, keyID(issuerSPKI)))),
		extension(cms.OIDKeyUsage, true, mustMarshal(keyUsageBits(spec.keyUsage))),
	}
	if spec.ca {
		exts = append(exts, extension(cms.OIDBasicConstraints, true, der(tagSequence, mustMarshal(true), mustMarshal(0))))
	}
	if !spec.pkupNotBefore.IsZero() || !spec.pkupNotAfter.IsZero() {
		var parts [][]byte
		if !spec.pkupNotBefore.IsZero() {
			parts = append(parts, implicit(0, false, generalizedTime(spec.pkupNotBefore)))
		}
		if !spec.pkupNotAfter.IsZero() {
			parts = append(parts, implicit(1, false, generalizedTime(spec.pkupNotAfter)))
		}
		exts = append(exts, extension(cms.OIDPrivateKeyUsage, false, der(tagSequence, parts...)))
	}
	tbs := der(tagSequence,
		explicit(0, mustMarshal(2)), // v3
		mustMarshal(spec.serial),
		algDER,
		encodeName(issuerName),
		der(tagSequence, mustMarshal(spec.notBefore.UTC()), mustMarshal(spec.notAfter.UTC())),
		encodeName(spec.subject),
		spki,
		explicit(3, der(tagSequence, exts...)),
	)
	sig, _, err := sign(key, keyType, h, tbs)
	if err != nil {
		return nil, err
	}
	raw := der(tagSequence, tbs, algDER, mustMarshal(asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}))
	return cms.ParseCertificate(raw)
}

// issueCRL encodes a v2 CRL listing the serials, signed by the CSCA.
func issueCRL(csca *Signer, revoked []*big.Int, revokedAt, thisUpdate, nextUpdate time.Time, number int64) ([]byte, error) {
	alg, err := csca.Type.signatureAlgorithm(csca.Hash)
	if err != nil {
		return nil, err
	}
	algDER, err := alg.Marshal()
	if err != nil {
		return nil, err
	}
	parts := [][]byte{
		mustMarshal(1), // v2
		algDER,
		csca.Cert.Subject.Raw,
		mustMarshal(thisUpdate.UTC()),
		mustMarshal(nextUpdate.UTC()),
	}
	if len(revoked) > 0 {
		var entries [][]byte
		for _, s := range revoked {
			entries = append(entries, der(tagSequence, mustMarshal(s), mustMarshal(revokedAt.UTC())))
		}
		parts = append(parts, der(tagSequence, entries...))
	}
	parts = append(parts, explicit(0, der(tagSequence,
		extension(cms.OIDAuthorityKeyID, false, der(tagSequence, implicit(0, false, csca.Cert.KeyIdentifier()))),
		extension(asn1.ObjectIdentifier{2, 5, 29, 20}, false, mustMarshal(big.NewInt(number))), // cRLNumber
	)))
	tbs := der(tagSequence, parts...)
	sig, _, err := sign(csca.Key, csca.Type, csca.Hash, tbs)
	if err != nil {
		return nil, err
	}
	return der(tagSequence, tbs, algDER, mustMarshal(asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)})), nil
}

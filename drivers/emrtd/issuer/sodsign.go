package issuer

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"sort"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// SignerID selects how the SignerInfo names the document signer.
type SignerID int

// Signer identifier forms of RFC 5652 5.3.
const (
	IssuerAndSerial SignerID = iota // SignerInfo v1, the usual form in SODs
	SubjectKeyID                    // SignerInfo v3
)

// SODOptions tune SignSODWith. The zero value makes a correct EF.SOD
// (LDSSecurityObject V0, signingTime now, signer named by issuer and
// serial number). The fields after "Broken" make deliberately wrong SODs
// for the attack suite; each breaks exactly one thing.
type SODOptions struct {
	SigningTime     time.Time // default now
	OmitSigningTime bool
	SignerID        SignerID
	// LDSVersion and UnicodeVersion ("0108", "040000") make a V1 object.
	LDSVersion, UnicodeVersion string

	// Broken: sign with this key instead of the document signer's own,
	// while still embedding the document signer's certificate.
	WrongKey crypto.Signer
	// Broken: embed this certificate instead of the document signer's.
	EmbedCertificate *cms.Certificate
	// Broken: embed no certificate at all.
	OmitCertificate bool
	// Broken: put the digest of other bytes in the messageDigest attribute
	// (the signature over the attributes is still valid).
	WrongMessageDigest bool
	// Broken: flip one bit of the signature.
	FlipSignatureBit bool
	// Broken: name this OID as the LDSSecurityObject's hash algorithm (the
	// hashes are still computed with hash).
	HashAlgorithmOID asn1.ObjectIdentifier
	// Broken: name this OID as the SignerInfo's digest algorithm.
	DigestAlgorithmOID asn1.ObjectIdentifier
	// Broken: leave the signed attributes out, signing the content directly.
	OmitSignedAttributes bool
}

// SignSOD produces an EF.SOD over the data groups, hashed with hash and
// signed by the document signer ds.
func SignSOD(dgs map[int][]byte, hash crypto.Hash, ds *Signer) ([]byte, error) {
	return SignSODWith(dgs, hash, ds, SODOptions{})
}

type dataGroupHash struct {
	Number int
	Hash   []byte
}

type ldsVersionInfo struct {
	LDSVersion     string `asn1:"printable"`
	UnicodeVersion string `asn1:"printable"`
}

// SignSODWith is SignSOD with options, including broken SODs.
func SignSODWith(dgs map[int][]byte, hash crypto.Hash, ds *Signer, o SODOptions) ([]byte, error) {
	if len(dgs) == 0 {
		return nil, errors.New("an EF.SOD needs at least one data group")
	}
	hashOID, ok := cms.HashOID(hash)
	if !ok || !hash.Available() {
		return nil, fmt.Errorf("unsupported hash %v", hash)
	}
	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		if n < 1 || n > 16 {
			return nil, fmt.Errorf("data group number %d outside 1..16", n)
		}
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var hashes []dataGroupHash
	for _, n := range nums {
		h := hash.New()
		h.Write(dgs[n])
		hashes = append(hashes, dataGroupHash{Number: n, Hash: h.Sum(nil)})
	}

	ldsHashOID := hashOID
	if o.HashAlgorithmOID != nil {
		ldsHashOID = o.HashAlgorithmOID
	}
	fields := [][]byte{mustMarshal(0), mustMarshal(pkix.AlgorithmIdentifier{Algorithm: ldsHashOID}), mustMarshal(hashes)}
	if o.LDSVersion != "" || o.UnicodeVersion != "" {
		fields[0] = mustMarshal(1)
		fields = append(fields, mustMarshal(ldsVersionInfo{LDSVersion: o.LDSVersion, UnicodeVersion: o.UnicodeVersion}))
	}
	content := der(tagSequence, fields...)

	contentInfo, err := signedData(cms.OIDLDSSecurityObject, content, hash, ds, o)
	if err != nil {
		return nil, err
	}

	// EF.SOD is the ContentInfo inside application tag 23 (0x77).
	out, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 23, IsCompound: true, Bytes: contentInfo})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// signedData builds a CMS ContentInfo with SignedData over content, signed
// by ds with hash, as Doc 9303 profiles it (one SignerInfo, the signer's
// certificate embedded, contentType, messageDigest and signingTime signed).
func signedData(contentType asn1.ObjectIdentifier, content []byte, hash crypto.Hash, ds *Signer, o SODOptions) ([]byte, error) {
	hashOID, ok := cms.HashOID(hash)
	if !ok {
		return nil, fmt.Errorf("unsupported hash %v", hash)
	}
	digestOID := hashOID
	if o.DigestAlgorithmOID != nil {
		digestOID = o.DigestAlgorithmOID
	}
	digestAlg := mustMarshal(pkix.AlgorithmIdentifier{Algorithm: digestOID})

	// Signed attributes: DER SET OF, so sorted by encoding (X.690 11.6).
	var signed, signedAttrsField []byte
	if o.OmitSignedAttributes {
		signed = content
	} else {
		mdInput := content
		if o.WrongMessageDigest {
			mdInput = append([]byte("not the content"), content...)
		}
		h := hash.New()
		h.Write(mdInput)
		attrs := [][]byte{
			der(tagSequence, mustMarshal(cms.OIDAttrContentType), der(tagSet, mustMarshal(contentType))),
			der(tagSequence, mustMarshal(cms.OIDAttrMessageDigest), der(tagSet, mustMarshal(h.Sum(nil)))),
		}
		if !o.OmitSigningTime {
			st := o.SigningTime
			if st.IsZero() {
				st = time.Now()
			}
			attrs = append(attrs, der(tagSequence, mustMarshal(cms.OIDAttrSigningTime), der(tagSet, mustMarshal(st.UTC().Truncate(time.Second)))))
		}
		sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
		signed = der(tagSet, attrs...)
		signedAttrsField = append([]byte{}, signed...)
		signedAttrsField[0] = 0xa0 // [0] IMPLICIT in the SignerInfo
	}

	key, keyType := ds.Key, ds.Type
	if o.WrongKey != nil {
		kt, err := keyTypeOf(o.WrongKey.Public(), ds.Type.PSS())
		if err != nil {
			return nil, err
		}
		key, keyType = o.WrongKey, kt
	}
	sig, sigAlg, err := sign(key, keyType, hash, signed)
	if err != nil {
		return nil, err
	}
	if o.FlipSignatureBit {
		sig[len(sig)/2] ^= 0x01
	}
	sigAlgDER, err := sigAlg.Marshal()
	if err != nil {
		return nil, err
	}

	version, sid := 1, der(tagSequence, ds.Cert.Issuer.Raw, mustMarshal(ds.Cert.SerialNumber))
	if o.SignerID == SubjectKeyID {
		version, sid = 3, implicit(0, false, ds.Cert.KeyIdentifier())
	}
	siParts := [][]byte{mustMarshal(version), sid, digestAlg}
	if signedAttrsField != nil {
		siParts = append(siParts, signedAttrsField)
	}
	siParts = append(siParts, sigAlgDER, mustMarshal(sig))
	signerInfo := der(tagSequence, siParts...)

	sdParts := [][]byte{
		mustMarshal(3),
		der(tagSet, digestAlg),
		der(tagSequence, mustMarshal(contentType), explicit(0, mustMarshal(content))),
	}
	embed := ds.Cert
	if o.EmbedCertificate != nil {
		embed = o.EmbedCertificate
	}
	if !o.OmitCertificate {
		sdParts = append(sdParts, implicit(0, true, embed.Raw))
	}
	sdParts = append(sdParts, der(tagSet, signerInfo))
	return der(tagSequence, mustMarshal(cms.OIDSignedData), explicit(0, der(tagSequence, sdParts...))), nil

}

// SignMasterList produces a CSCA master list (Doc 9303 part 12, 9): CMS
// SignedData with eContentType id-icao-cscaMasterList over CscaMasterList
// { version 0, certList }, signed by signer (a master list signer
// certificate issued by the signing state's CSCA).
func SignMasterList(certs []*cms.Certificate, hash crypto.Hash, signer *Signer) ([]byte, error) {
	var list [][]byte
	for _, c := range certs {
		list = append(list, c.Raw)
	}
	sort.Slice(list, func(i, j int) bool { return bytes.Compare(list[i], list[j]) < 0 }) // DER SET OF order
	content := der(tagSequence, mustMarshal(0), der(tagSet, list...))
	return signedData(cms.OIDCscaMasterList, content, hash, signer, SODOptions{})
}

package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Errors wrapped by SignerInfo verification.
var (
	ErrSignerNotFound        = errors.New("signer certificate not found")
	ErrMessageDigestMismatch = errors.New("messageDigest attribute does not match the content")
	ErrContentTypeMismatch   = errors.New("contentType attribute does not match the content type")
	ErrMissingAttribute      = errors.New("required signed attribute missing")
	// ErrUnknownDigestAlgorithm comes wrapped together with
	// ErrUnsupportedAlgorithm when the SignerInfo's digest algorithm is
	// not one this package knows.
	ErrUnknownDigestAlgorithm = errors.New("unknown digest algorithm")
)

// maxCertificates bounds the certificates one SignedData may embed (a
// master list holds about 600).
const maxCertificates = 10000

// SignedData is a parsed CMS SignedData (RFC 5652 section 5) inside its
// ContentInfo.
type SignedData struct {
	Version          int
	DigestAlgorithms []AlgorithmIdentifier
	EContentType     asn1.ObjectIdentifier
	EContent         []byte // the encapsulated content's octets

	Certificates []*Certificate
	// CertificateErrors lists embedded certificates that could not be
	// read at all; they are left out of Certificates.
	CertificateErrors []error
	SignerInfos       []SignerInfo
}

// SignerIdentifier names the signer's certificate, either way CMS allows.
type SignerIdentifier struct {
	Issuer       Name     // issuerAndSerialNumber form
	SerialNumber *big.Int // issuerAndSerialNumber form
	SubjectKeyID []byte   // subjectKeyIdentifier form
}

func (s SignerIdentifier) String() string {
	if s.SubjectKeyID != nil {
		return fmt.Sprintf("subjectKeyIdentifier %x", s.SubjectKeyID)
	}
	return fmt.Sprintf("issuer %q serial %s", s.Issuer, s.SerialNumber)
}

// Attribute is one signed attribute with its values as encoded.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte // each value's full TLV
}

// SignerInfo is one signer (RFC 5652 section 5.3).
type SignerInfo struct {
	Version         int
	SID             SignerIdentifier
	DigestAlgorithm AlgorithmIdentifier
	// SignedAttributesRaw is the DER of the signed attributes re-tagged as
	// SET OF, which is what the signature covers; nil when absent.
	SignedAttributesRaw []byte
	SignedAttributes    []Attribute
	SignatureAlgorithm  AlgorithmIdentifier
	Signature           []byte
}

// ParseSignedData parses a ContentInfo holding SignedData, DER or BER.
func ParseSignedData(b []byte) (*SignedData, error) {
	ci, err := parseOne(b, 0)
	if err != nil {
		return nil, fmt.Errorf("ContentInfo: %w", err)
	}
	parts, err := sequenceOf(ci, tagSequence, 0, "ContentInfo")
	if err != nil {
		return nil, err
	}
	if len(parts) != 2 {
		return nil, malformed("ContentInfo has %d parts, want 2", len(parts))
	}
	ct, err := oid(parts[0])
	if err != nil {
		return nil, fmt.Errorf("ContentInfo contentType: %w", err)
	}
	if !ct.Equal(OIDSignedData) {
		return nil, malformed("ContentInfo holds %s, want signedData %s", ct, OIDSignedData)
	}
	if err := expect(parts[1], classContext, 0, "ContentInfo content"); err != nil {
		return nil, err
	}
	wrapped, err := parts[1].children(1)
	if err != nil {
		return nil, err
	}
	if len(wrapped) != 1 {
		return nil, malformed("ContentInfo content holds %d elements", len(wrapped))
	}
	return parseSignedDataBody(wrapped[0], 2)
}

func parseSignedDataBody(t tlv, depth int) (*SignedData, error) {
	f, err := sequenceOf(t, tagSequence, depth, "SignedData")
	if err != nil {
		return nil, err
	}
	if len(f) < 4 {
		return nil, malformed("SignedData has %d fields, want at least 4", len(f))
	}
	sd := &SignedData{}
	if sd.Version, err = smallInt(f[0], "SignedData version"); err != nil {
		return nil, err
	}
	algs, err := sequenceOf(f[1], tagSet, depth+1, "SignedData digestAlgorithms")
	if err != nil {
		return nil, err
	}
	for _, a := range algs {
		alg, err := parseAlgorithm(a, depth+2, "digestAlgorithm")
		if err != nil {
			return nil, err
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, alg)
	}
	if err := sd.parseEncapsulated(f[2], depth+1); err != nil {
		return nil, err
	}
	rest := f[3:]
	if len(rest) > 0 && rest[0].is(classContext, 0) {
		if err := sd.parseCertificates(rest[0], depth+1); err != nil {
			return nil, err
		}
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0].is(classContext, 1) {
		rest = rest[1:] // CRLs: ICAO SODs carry none; master lists neither
	}
	if len(rest) != 1 {
		return nil, malformed("SignedData: expected signerInfos, found %d more fields", len(rest))
	}
	sis, err := sequenceOf(rest[0], tagSet, depth+1, "signerInfos")
	if err != nil {
		return nil, err
	}
	for i, s := range sis {
		si, err := parseSignerInfo(s, depth+2)
		if err != nil {
			return nil, fmt.Errorf("signerInfo %d: %w", i+1, err)
		}
		sd.SignerInfos = append(sd.SignerInfos, si)
	}
	return sd, nil
}

func (sd *SignedData) parseEncapsulated(t tlv, depth int) error {
	parts, err := sequenceOf(t, tagSequence, depth, "EncapsulatedContentInfo")
	if err != nil {
		return err
	}
	if len(parts) < 1 || len(parts) > 2 {
		return malformed("EncapsulatedContentInfo has %d parts", len(parts))
	}
	if sd.EContentType, err = oid(parts[0]); err != nil {
		return fmt.Errorf("eContentType: %w", err)
	}
	if len(parts) == 1 {
		return nil // detached content
	}
	if err := expect(parts[1], classContext, 0, "eContent"); err != nil {
		return err
	}
	inner, err := parts[1].children(depth + 1)
	if err != nil {
		return err
	}
	if len(inner) != 1 || !inner[0].is(classUniversal, tagOctetString) {
		return malformed("eContent is not one OCTET STRING")
	}
	sd.EContent, err = octets(inner[0], depth+2)
	return err
}

func (sd *SignedData) parseCertificates(t tlv, depth int) error {
	certs, err := t.children(depth)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if len(certs) > maxCertificates {
		return malformed("%d embedded certificates exceed the limit of %d", len(certs), maxCertificates)
	}
	for i, c := range certs {
		if !c.is(classUniversal, tagSequence) {
			continue // attribute certificates and other CertificateChoices
		}
		cert, err := ParseCertificate(c.full)
		if err != nil {
			sd.CertificateErrors = append(sd.CertificateErrors, fmt.Errorf("embedded certificate %d: %w", i+1, err))
			continue
		}
		sd.Certificates = append(sd.Certificates, cert)
	}
	return nil
}

func parseSignerInfo(t tlv, depth int) (SignerInfo, error) {
	f, err := sequenceOf(t, tagSequence, depth, "SignerInfo")
	if err != nil {
		return SignerInfo{}, err
	}
	if len(f) < 5 {
		return SignerInfo{}, malformed("SignerInfo has %d fields, want at least 5", len(f))
	}
	var si SignerInfo
	if si.Version, err = smallInt(f[0], "SignerInfo version"); err != nil {
		return si, err
	}
	switch {
	case f[1].is(classUniversal, tagSequence):
		ias, err := f[1].children(depth + 1)
		if err != nil || len(ias) != 2 {
			return si, malformed("IssuerAndSerialNumber")
		}
		if si.SID.Issuer, err = parseName(ias[0], depth+2); err != nil {
			return si, fmt.Errorf("signer issuer: %w", err)
		}
		if !ias[1].is(classUniversal, tagInteger) {
			return si, malformed("signer serial number: found %s", ias[1])
		}
		if si.SID.SerialNumber, err = integer(ias[1]); err != nil {
			return si, err
		}
	case f[1].is(classContext, 0):
		if si.SID.SubjectKeyID, err = octets(f[1], depth+1); err != nil {
			return si, err
		}
		if si.SID.SubjectKeyID == nil {
			si.SID.SubjectKeyID = []byte{}
		}
	default:
		return si, malformed("signer identifier: found %s", f[1])
	}
	if si.DigestAlgorithm, err = parseAlgorithm(f[2], depth+1, "SignerInfo digestAlgorithm"); err != nil {
		return si, err
	}
	i := 3
	if f[i].is(classContext, 0) {
		if err := si.parseSignedAttributes(f[i], depth+1); err != nil {
			return si, err
		}
		i++
	}
	if len(f) < i+2 {
		return si, malformed("SignerInfo lacks signatureAlgorithm or signature")
	}
	if si.SignatureAlgorithm, err = parseAlgorithm(f[i], depth+1, "SignerInfo signatureAlgorithm"); err != nil {
		return si, err
	}
	if !f[i+1].is(classUniversal, tagOctetString) {
		return si, malformed("signature: found %s", f[i+1])
	}
	if si.Signature, err = octets(f[i+1], depth+1); err != nil {
		return si, err
	}
	return si, nil
}

func (si *SignerInfo) parseSignedAttributes(t tlv, depth int) error {
	if !t.constructed {
		return malformed("signedAttrs is primitive")
	}
	attrs, err := t.children(depth)
	if err != nil {
		return fmt.Errorf("signedAttrs: %w", err)
	}
	// The signature covers the attributes with the SET OF tag in place of
	// the [0] IMPLICIT one (RFC 5652 5.4).
	si.SignedAttributesRaw = append([]byte{0x31}, t.full[1:]...)
	si.SignedAttributes = []Attribute{}
	for _, a := range attrs {
		parts, err := sequenceOf(a, tagSequence, depth+1, "Attribute")
		if err != nil {
			return err
		}
		if len(parts) != 2 {
			return malformed("Attribute has %d parts", len(parts))
		}
		typ, err := oid(parts[0])
		if err != nil {
			return err
		}
		vals, err := sequenceOf(parts[1], tagSet, depth+2, "AttributeValues")
		if err != nil {
			return err
		}
		attr := Attribute{Type: typ}
		for _, v := range vals {
			attr.Values = append(attr.Values, v.full)
		}
		si.SignedAttributes = append(si.SignedAttributes, attr)
	}
	return nil
}

// attribute returns the single value of a signed attribute.
func (si *SignerInfo) attribute(id asn1.ObjectIdentifier) (tlv, error) {
	var found []Attribute
	for _, a := range si.SignedAttributes {
		if a.Type.Equal(id) {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		return tlv{}, fmt.Errorf("%w: %s", ErrMissingAttribute, id)
	}
	if len(found) > 1 || len(found[0].Values) != 1 {
		return tlv{}, malformed("signed attribute %s must occur once with one value", id)
	}
	return parseOne(found[0].Values[0], 0)
}

// MessageDigest returns the messageDigest signed attribute.
func (si *SignerInfo) MessageDigest() ([]byte, error) {
	t, err := si.attribute(OIDAttrMessageDigest)
	if err != nil {
		return nil, err
	}
	if !t.is(classUniversal, tagOctetString) {
		return nil, malformed("messageDigest is %s, want OCTET STRING", t)
	}
	return octets(t, 1)
}

// ContentType returns the contentType signed attribute.
func (si *SignerInfo) ContentType() (asn1.ObjectIdentifier, error) {
	t, err := si.attribute(OIDAttrContentType)
	if err != nil {
		return nil, err
	}
	return oid(t)
}

// SigningTime returns the signingTime signed attribute; ok is false when
// the SignerInfo has none (many SODs do not carry it).
func (si *SignerInfo) SigningTime() (tm time.Time, ok bool, err error) {
	t, err := si.attribute(OIDAttrSigningTime)
	if errors.Is(err, ErrMissingAttribute) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	tm, err = parseTime(t)
	if err != nil {
		return time.Time{}, false, err
	}
	return tm, true, nil
}

// DigestHash returns the hash of the SignerInfo's digest algorithm.
func (si *SignerInfo) DigestHash() (crypto.Hash, error) {
	h, ok := HashByOID(si.DigestAlgorithm.Algorithm)
	if !ok {
		return 0, fmt.Errorf("%w: %w %s", ErrUnsupportedAlgorithm, ErrUnknownDigestAlgorithm, si.DigestAlgorithm.Algorithm)
	}
	return h, nil
}

// SignerCertificate finds the embedded certificate si names. Real SODs
// encode the identifier loosely (issuer names in another string type or
// attribute order than the certificate), so names are compared
// semantically; when nothing matches and exactly one certificate is
// embedded, that one is returned with matched=false, and the signature
// check decides.
func (sd *SignedData) SignerCertificate(si *SignerInfo) (cert *Certificate, matched bool, err error) {
	for _, c := range sd.Certificates {
		if si.SID.SubjectKeyID != nil {
			if len(si.SID.SubjectKeyID) > 0 && bytes.Equal(si.SID.SubjectKeyID, c.KeyIdentifier()) {
				return c, true, nil
			}
			continue
		}
		if si.SID.SerialNumber != nil && c.SerialNumber.Cmp(si.SID.SerialNumber) == 0 && c.Issuer.Equal(si.SID.Issuer) {
			return c, true, nil
		}
	}
	if len(sd.Certificates) == 1 {
		return sd.Certificates[0], false, nil
	}
	if len(sd.Certificates) == 0 {
		return nil, false, fmt.Errorf("%w: %v (the SignedData embeds no usable certificate)", ErrSignerNotFound, si.SID)
	}
	return nil, false, fmt.Errorf("%w: %v matches none of the %d embedded certificates", ErrSignerNotFound, si.SID, len(sd.Certificates))
}

// VerifySignerInfo checks that cert signed si over the encapsulated
// content: the contentType and messageDigest attributes (when signed
// attributes are present, as Doc 9303 requires) and the signature itself.
func (sd *SignedData) VerifySignerInfo(si *SignerInfo, cert *Certificate) error {
	hash, err := si.DigestHash()
	if err != nil {
		return err
	}
	signed := sd.EContent
	if si.SignedAttributesRaw != nil {
		ct, err := si.ContentType()
		if err != nil {
			return err
		}
		if !ct.Equal(sd.EContentType) {
			return fmt.Errorf("%w: attribute says %s, content is %s", ErrContentTypeMismatch, ct, sd.EContentType)
		}
		md, err := si.MessageDigest()
		if err != nil {
			return err
		}
		h := hash.New()
		h.Write(sd.EContent)
		if sum := h.Sum(nil); !bytes.Equal(sum, md) {
			return fmt.Errorf("%w: %s of the content is %x, attribute holds %x", ErrMessageDigestMismatch, hash, sum, md)
		}
		signed = si.SignedAttributesRaw
	}
	if cert.PublicKey == nil {
		return fmt.Errorf("%w: signer %q: %w", ErrUnsupportedKey, cert.Subject, cert.PublicKeyError)
	}
	return VerifySignature(cert.PublicKey, si.SignatureAlgorithm, hash, signed, si.Signature)
}

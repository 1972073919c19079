package cms

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// Certificate is an X.509 certificate as the eMRTD PKI needs it: CSCA,
// link, document signer and master list signer certificates. It is filled
// by crypto/x509 when that parser accepts the certificate and the key, and
// by this package's own parser when it does not (explicit EC parameters,
// brainpool curves, negative serial numbers, odd encodings: all common in
// real master lists).
type Certificate struct {
	Raw                     []byte
	RawTBSCertificate       []byte
	RawSubjectPublicKeyInfo []byte

	Version      int // 1, 2 or 3
	SerialNumber *big.Int
	Issuer       Name
	Subject      Name
	NotBefore    time.Time
	NotAfter     time.Time

	SignatureAlgorithm AlgorithmIdentifier
	Signature          []byte

	// PublicKey is *rsa.PublicKey or *ecdsa.PublicKey; nil when the key is
	// of a kind this package cannot use, with PublicKeyError saying why.
	PublicKey      any
	PublicKeyError error
	// KeyDescription names the key: "RSA-3072", "ECDSA brainpoolP256r1
	// (explicit parameters)".
	KeyDescription string

	SubjectKeyID          []byte
	AuthorityKeyID        []byte
	BasicConstraintsValid bool
	IsCA                  bool
	HasKeyUsage           bool
	KeyUsage              x509.KeyUsage
	// The private key usage period (2.5.29.16), which document signer
	// certificates carry: when the signer may sign. Zero when absent.
	PrivateKeyNotBefore time.Time
	PrivateKeyNotAfter  time.Time

	// StdlibError is why crypto/x509 refused the certificate ("" when it
	// parsed it), kept for reports.
	StdlibError string
}

// Limits on a single certificate, against memory exhaustion.
const maxCertificateSize = 64 << 10

// ParseCertificate parses one DER certificate: with crypto/x509 when it
// accepts it, else with the lenient parser here.
func ParseCertificate(der []byte) (*Certificate, error) {
	if len(der) > maxCertificateSize {
		return nil, fmt.Errorf("certificate of %d bytes exceeds the %d-byte limit", len(der), maxCertificateSize)
	}
	xc, stdErr := x509.ParseCertificate(der)
	if stdErr == nil {
		c, err := fromStdlib(xc)
		if err == nil {
			return c, nil
		}
		stdErr = err
	}
	c, err := ParseCertificateFallback(der)
	if err != nil {
		return nil, fmt.Errorf("unreadable certificate (crypto/x509: %v; lenient parser: %w)", stdErr, err)
	}
	c.StdlibError = stdErr.Error()
	return c, nil
}

// fromStdlib converts a crypto/x509 certificate; the parts x509 does not
// expose (raw signature algorithm parameters, lenient names, keys it does
// not know) are read here.
func fromStdlib(xc *x509.Certificate) (*Certificate, error) {
	outer, err := parseOne(xc.Raw, 0)
	if err != nil {
		return nil, err
	}
	parts, err := sequenceOf(outer, tagSequence, 0, "Certificate")
	if err != nil || len(parts) != 3 {
		return nil, malformed("Certificate is not a SEQUENCE of 3")
	}
	sigAlg, err := parseAlgorithm(parts[1], 1, "Certificate signatureAlgorithm")
	if err != nil {
		return nil, err
	}
	issuer, err := ParseName(xc.RawIssuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	subject, err := ParseName(xc.RawSubject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	c := &Certificate{
		Raw:                     xc.Raw,
		RawTBSCertificate:       xc.RawTBSCertificate,
		RawSubjectPublicKeyInfo: xc.RawSubjectPublicKeyInfo,
		Version:                 xc.Version,
		SerialNumber:            xc.SerialNumber,
		Issuer:                  issuer,
		Subject:                 subject,
		NotBefore:               xc.NotBefore.UTC(),
		NotAfter:                xc.NotAfter.UTC(),
		SignatureAlgorithm:      sigAlg,
		Signature:               xc.Signature,
		SubjectKeyID:            xc.SubjectKeyId,
		AuthorityKeyID:          xc.AuthorityKeyId,
		BasicConstraintsValid:   xc.BasicConstraintsValid,
		IsCA:                    xc.IsCA,
		KeyUsage:                xc.KeyUsage,
	}
	for _, e := range xc.Extensions {
		switch {
		case e.Id.Equal(OIDKeyUsage):
			c.HasKeyUsage = true
		case e.Id.Equal(OIDPrivateKeyUsage):
			c.PrivateKeyNotBefore, c.PrivateKeyNotAfter, _ = parsePrivateKeyUsage(e.Value)
		}
	}
	switch k := xc.PublicKey.(type) {
	case *rsa.PublicKey:
		c.PublicKey, c.KeyDescription = k, fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		c.PublicKey, c.KeyDescription = k, "ECDSA "+CurveName(k.Curve)
	default:
		spki, err := parseOne(xc.RawSubjectPublicKeyInfo, 0)
		if err != nil {
			return nil, err
		}
		c.PublicKey, c.KeyDescription, c.PublicKeyError = parseSPKI(spki, 0)
	}
	return c, nil
}

// ParseCertificateFallback reads a certificate with the lenient parser
// only, field by field, tolerating what crypto/x509 refuses. It checks
// structure, not policy. ParseCertificate uses it when crypto/x509 fails.
func ParseCertificateFallback(der []byte) (*Certificate, error) {
	if len(der) > maxCertificateSize {
		return nil, fmt.Errorf("certificate of %d bytes exceeds the %d-byte limit", len(der), maxCertificateSize)
	}
	outer, err := parseOne(der, 0)
	if err != nil {
		return nil, err
	}
	return parseCertificateTLV(outer, 0)
}

func parseCertificateTLV(outer tlv, depth int) (*Certificate, error) {
	parts, err := sequenceOf(outer, tagSequence, depth, "Certificate")
	if err != nil {
		return nil, err
	}
	if len(parts) != 3 {
		return nil, malformed("Certificate has %d parts, want 3", len(parts))
	}
	c := &Certificate{Raw: outer.full, RawTBSCertificate: parts[0].full}
	if c.SignatureAlgorithm, err = parseAlgorithm(parts[1], depth+1, "Certificate signatureAlgorithm"); err != nil {
		return nil, err
	}
	if c.Signature, err = bitString(parts[2]); err != nil {
		return nil, fmt.Errorf("certificate signature: %w", err)
	}

	tbs, err := sequenceOf(parts[0], tagSequence, depth+1, "TBSCertificate")
	if err != nil {
		return nil, err
	}
	d := depth + 2
	i := 0
	c.Version = 1
	if i < len(tbs) && tbs[i].is(classContext, 0) {
		inner, err := tbs[i].children(d)
		if err != nil || len(inner) != 1 {
			return nil, malformed("certificate version field")
		}
		v, err := smallInt(inner[0], "certificate version")
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 2 {
			return nil, malformed("certificate version %d", v+1)
		}
		c.Version = v + 1
		i++
	}
	if len(tbs) < i+6 {
		return nil, malformed("TBSCertificate has %d fields, want at least %d", len(tbs), i+6)
	}
	if !tbs[i].is(classUniversal, tagInteger) {
		return nil, malformed("serial number: found %s", tbs[i])
	}
	if c.SerialNumber, err = integer(tbs[i]); err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	if _, err := parseAlgorithm(tbs[i+1], d, "TBSCertificate signature"); err != nil {
		return nil, err
	}
	if c.Issuer, err = parseName(tbs[i+2], d); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	validity, err := sequenceOf(tbs[i+3], tagSequence, d, "Validity")
	if err != nil {
		return nil, err
	}
	if len(validity) != 2 {
		return nil, malformed("Validity has %d parts", len(validity))
	}
	if c.NotBefore, err = parseTime(validity[0]); err != nil {
		return nil, fmt.Errorf("notBefore: %w", err)
	}
	if c.NotAfter, err = parseTime(validity[1]); err != nil {
		return nil, fmt.Errorf("notAfter: %w", err)
	}
	if c.Subject, err = parseName(tbs[i+4], d); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	c.RawSubjectPublicKeyInfo = tbs[i+5].full
	c.PublicKey, c.KeyDescription, c.PublicKeyError = parseSPKI(tbs[i+5], d)
	for _, f := range tbs[i+6:] {
		if f.is(classContext, 1) || f.is(classContext, 2) {
			continue // issuer/subject unique identifiers
		}
		if !f.is(classContext, 3) {
			return nil, malformed("unexpected %s in TBSCertificate", f)
		}
		if err := c.parseExtensions(f, d); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Certificate) parseExtensions(f tlv, depth int) error {
	wrapped, err := f.children(depth)
	if err != nil || len(wrapped) != 1 {
		return malformed("extensions field")
	}
	exts, err := sequenceOf(wrapped[0], tagSequence, depth+1, "Extensions")
	if err != nil {
		return err
	}
	for _, e := range exts {
		parts, err := sequenceOf(e, tagSequence, depth+2, "Extension")
		if err != nil {
			return err
		}
		if len(parts) < 2 || len(parts) > 3 {
			return malformed("Extension with %d parts", len(parts))
		}
		id, err := oid(parts[0])
		if err != nil {
			return fmt.Errorf("extension id: %w", err)
		}
		val := parts[len(parts)-1]
		if !val.is(classUniversal, tagOctetString) {
			return malformed("extension %s value: found %s", id, val)
		}
		v, err := octets(val, depth+3)
		if err != nil {
			return err
		}
		// A damaged extension we only read for convenience (identifiers,
		// flags) is skipped rather than making the certificate unreadable:
		// the signature over the whole TBSCertificate is what is trusted.
		switch {
		case id.Equal(OIDSubjectKeyID):
			if t, err := parseOne(v, depth+3); err == nil && t.is(classUniversal, tagOctetString) {
				c.SubjectKeyID, _ = octets(t, depth+4)
			}
		case id.Equal(OIDAuthorityKeyID):
			if t, err := parseOne(v, depth+3); err == nil && t.is(classUniversal, tagSequence) {
				if kids, err := t.children(depth + 3); err == nil {
					for _, k := range kids {
						if k.is(classContext, 0) {
							c.AuthorityKeyID, _ = octets(k, depth+4)
						}
					}
				}
			}
		case id.Equal(OIDBasicConstraints):
			if t, err := parseOne(v, depth+3); err == nil && t.is(classUniversal, tagSequence) {
				c.BasicConstraintsValid = true
				if kids, err := t.children(depth + 3); err == nil && len(kids) > 0 && kids[0].is(classUniversal, tagBoolean) {
					c.IsCA = len(kids[0].content) == 1 && kids[0].content[0] != 0
				}
			}
		case id.Equal(OIDKeyUsage):
			if t, err := parseOne(v, depth+3); err == nil {
				if bits, _, err := bitStringBits(t); err == nil {
					c.HasKeyUsage = true
					c.KeyUsage = keyUsageFromBits(bits)
				}
			}
		case id.Equal(OIDPrivateKeyUsage):
			c.PrivateKeyNotBefore, c.PrivateKeyNotAfter, _ = parsePrivateKeyUsage(v)
		}
	}
	return nil
}

// keyUsageFromBits maps the KeyUsage BIT STRING (bit 0 = digitalSignature,
// most significant bit first) to x509.KeyUsage (bit 0 = least significant).
func keyUsageFromBits(bits []byte) x509.KeyUsage {
	var ku x509.KeyUsage
	for i := 0; i < 9 && i/8 < len(bits); i++ {
		if bits[i/8]&(0x80>>(i%8)) != 0 {
			ku |= 1 << i
		}
	}
	return ku
}

// parsePrivateKeyUsage reads PrivateKeyUsagePeriod ::= SEQUENCE {
// notBefore [0] IMPLICIT GeneralizedTime OPTIONAL, notAfter [1] ... }.
func parsePrivateKeyUsage(v []byte) (notBefore, notAfter time.Time, err error) {
	t, err := parseOne(v, 0)
	if err != nil {
		return
	}
	kids, err := sequenceOf(t, tagSequence, 0, "PrivateKeyUsagePeriod")
	if err != nil {
		return
	}
	for _, k := range kids {
		if k.class != classContext || (k.tag != 0 && k.tag != 1) {
			continue
		}
		gt := k
		gt.class, gt.tag = classUniversal, tagGeneralizedTime
		tm, terr := parseTime(gt)
		if terr != nil {
			return time.Time{}, time.Time{}, terr
		}
		if k.tag == 0 {
			notBefore = tm
		} else {
			notAfter = tm
		}
	}
	return notBefore, notAfter, nil
}

// parseSPKI reads a SubjectPublicKeyInfo: RSA (also under the RSA-PSS OID)
// and EC keys on named or explicitly specified curves. A key it cannot use
// yields a nil key and an error, not a failure of the whole certificate.
func parseSPKI(t tlv, depth int) (pub any, desc string, err error) {
	parts, err := sequenceOf(t, tagSequence, depth, "SubjectPublicKeyInfo")
	if err != nil {
		return nil, "unreadable", err
	}
	if len(parts) != 2 {
		return nil, "unreadable", malformed("SubjectPublicKeyInfo has %d parts", len(parts))
	}
	alg, err := parseAlgorithm(parts[0], depth+1, "public key algorithm")
	if err != nil {
		return nil, "unreadable", err
	}
	keyBytes, err := bitString(parts[1])
	if err != nil {
		return nil, "unreadable", fmt.Errorf("public key: %w", err)
	}
	switch {
	case alg.Algorithm.Equal(OIDRSAEncryption), alg.Algorithm.Equal(OIDRSASSAPSS):
		name := "RSA"
		if alg.Algorithm.Equal(OIDRSASSAPSS) {
			name = "RSA-PSS"
		}
		k, err := parseRSAKey(keyBytes, depth+1)
		if err != nil {
			return nil, name, err
		}
		return k, fmt.Sprintf("%s-%d", name, k.N.BitLen()), nil
	case alg.Algorithm.Equal(OIDECPublicKey):
		return parseECKey(alg.Parameters, keyBytes, depth+1)
	default:
		return nil, alg.Algorithm.String(), fmt.Errorf("%w: key algorithm %s", ErrUnsupportedKey, alg.Algorithm)
	}
}

func parseRSAKey(b []byte, depth int) (*rsa.PublicKey, error) {
	t, err := parseOne(b, depth)
	if err != nil {
		return nil, err
	}
	parts, err := sequenceOf(t, tagSequence, depth, "RSAPublicKey")
	if err != nil {
		return nil, err
	}
	if len(parts) != 2 || !parts[0].is(classUniversal, tagInteger) || !parts[1].is(classUniversal, tagInteger) {
		return nil, malformed("RSAPublicKey is not two INTEGERs")
	}
	n, err := integer(parts[0])
	if err != nil {
		return nil, err
	}
	e, err := integer(parts[1])
	if err != nil {
		return nil, err
	}
	if n.Sign() <= 0 || n.BitLen() > 16384 {
		return nil, malformed("RSA modulus out of range")
	}
	if e.Sign() <= 0 || !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, fmt.Errorf("%w: RSA public exponent out of range", ErrUnsupportedKey)
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func parseECKey(params, point []byte, depth int) (any, string, error) {
	if params == nil {
		return nil, "ECDSA", malformed("EC key without curve parameters")
	}
	pt, err := parseOne(params, depth)
	if err != nil {
		return nil, "ECDSA", err
	}
	var nc namedCurve
	explicit := false
	switch {
	case pt.is(classUniversal, tagOID):
		id, err := oid(pt)
		if err != nil {
			return nil, "ECDSA", err
		}
		found := false
		for _, k := range knownCurves() {
			if k.oid.Equal(id) {
				nc, found = k, true
				break
			}
		}
		if !found {
			name := curveNameForOID(id)
			return nil, "ECDSA " + name, fmt.Errorf("%w: %s", ErrUnsupportedCurve, name)
		}
	case pt.is(classUniversal, tagSequence):
		explicit = true
		var bits int
		nc, bits, err = parseExplicitCurve(pt, depth+1)
		if err != nil {
			desc := "ECDSA (explicit parameters)"
			if bits > 0 {
				desc = fmt.Sprintf("ECDSA %d-bit prime curve (explicit parameters)", bits)
			}
			return nil, desc, err
		}
	default:
		return nil, "ECDSA", fmt.Errorf("%w: EC parameters %s (implicitlyCA is not supported)", ErrUnsupportedCurve, pt)
	}
	desc := "ECDSA " + nc.name
	if explicit {
		desc += " (explicit parameters)"
	}
	x, y, err := decodePoint(nc.curve.Params().P, nc.a, nc.b, point)
	if err != nil {
		return nil, desc, fmt.Errorf("EC public key: %w", err)
	}
	return &ecdsa.PublicKey{Curve: nc.curve, X: x, Y: y}, desc, nil
}

// parseExplicitCurve reads SEC 1 ECParameters and matches them to a known
// curve; bits is the field size, for messages about unknown curves.
func parseExplicitCurve(t tlv, depth int) (nc namedCurve, bits int, err error) {
	parts, err := sequenceOf(t, tagSequence, depth, "ECParameters")
	if err != nil {
		return nc, 0, err
	}
	if len(parts) < 5 || len(parts) > 6 {
		return nc, 0, malformed("ECParameters has %d parts", len(parts))
	}
	field, err := sequenceOf(parts[1], tagSequence, depth+1, "FieldID")
	if err != nil {
		return nc, 0, err
	}
	if len(field) != 2 {
		return nc, 0, malformed("FieldID has %d parts", len(field))
	}
	ft, err := oid(field[0])
	if err != nil {
		return nc, 0, err
	}
	if !ft.Equal(OIDPrimeField) {
		return nc, 0, fmt.Errorf("%w: field type %s (only prime fields are used by eMRTDs)", ErrUnsupportedCurve, ft)
	}
	if !field[1].is(classUniversal, tagInteger) {
		return nc, 0, malformed("prime field modulus: found %s", field[1])
	}
	p, err := integer(field[1])
	if err != nil {
		return nc, 0, err
	}
	if p.Sign() <= 0 || p.BitLen() > 1024 {
		return nc, 0, malformed("prime field modulus out of range")
	}
	bits = p.BitLen()
	curve, err := sequenceOf(parts[2], tagSequence, depth+1, "Curve")
	if err != nil {
		return nc, bits, err
	}
	if len(curve) < 2 {
		return nc, bits, malformed("Curve has %d parts", len(curve))
	}
	aBytes, err := octets(curve[0], depth+2)
	if err != nil {
		return nc, bits, err
	}
	bBytes, err := octets(curve[1], depth+2)
	if err != nil {
		return nc, bits, err
	}
	a, b := new(big.Int).SetBytes(aBytes), new(big.Int).SetBytes(bBytes)
	if !parts[3].is(classUniversal, tagOctetString) {
		return nc, bits, malformed("EC base point: found %s", parts[3])
	}
	base, err := octets(parts[3], depth+1)
	if err != nil {
		return nc, bits, err
	}
	if !parts[4].is(classUniversal, tagInteger) {
		return nc, bits, malformed("EC order: found %s", parts[4])
	}
	n, err := integer(parts[4])
	if err != nil {
		return nc, bits, err
	}
	gx, gy, err := decodePoint(p, a, b, base)
	if err != nil {
		return nc, bits, fmt.Errorf("EC base point: %w", err)
	}
	if nc, ok := matchExplicitCurve(p, a, b, gx, gy, n); ok {
		return nc, bits, nil
	}
	// No named curve: use the parameters themselves, once checked.
	w, err := newWeierstrass(p, a, b, gx, gy, n)
	if err != nil {
		return nc, bits, fmt.Errorf("explicit parameters of a %d-bit prime curve match no known curve: %w", bits, err)
	}
	return namedCurve{name: w.Params().Name, curve: w, a: a, b: b}, bits, nil
}

// CheckSignatureFrom verifies that parent's key signed c.
func (c *Certificate) CheckSignatureFrom(parent *Certificate) error {
	if parent.PublicKey == nil {
		return fmt.Errorf("%w: issuer %q: %w", ErrUnsupportedKey, parent.Subject, parent.PublicKeyError)
	}
	return VerifySignature(parent.PublicKey, c.SignatureAlgorithm, 0, c.RawTBSCertificate, c.Signature)
}

// IsSelfIssued reports whether issuer and subject are the same name.
func (c *Certificate) IsSelfIssued() bool { return c.Issuer.Equal(c.Subject) }

// KeyIdentifier returns the subject key identifier, or, when the extension
// is absent, the SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1),
// which is what issuers put in the authority key identifier of what they sign.
func (c *Certificate) KeyIdentifier() []byte {
	if len(c.SubjectKeyID) > 0 {
		return c.SubjectKeyID
	}
	t, err := parseOne(c.RawSubjectPublicKeyInfo, 0)
	if err != nil {
		return nil
	}
	parts, err := t.children(0)
	if err != nil || len(parts) != 2 {
		return nil
	}
	bits, err := bitString(parts[1])
	if err != nil {
		return nil
	}
	sum := sha1.Sum(bits)
	return sum[:]
}

// ValidAt reports whether t lies within the certificate's validity period.
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

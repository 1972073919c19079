package cvc

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"autogate/drivers/emrtd/tlv"
)

// Tags of TR-03110-3 appendix D.2.
const (
	TagCertificate   tlv.Tag = 0x7F21
	TagBody          tlv.Tag = 0x7F4E
	TagProfile       tlv.Tag = 0x5F29
	TagCAR           tlv.Tag = 0x42
	TagPublicKey     tlv.Tag = 0x7F49
	TagCHR           tlv.Tag = 0x5F20
	TagCHAT          tlv.Tag = 0x7F4C
	TagEffectiveDate tlv.Tag = 0x5F25
	TagExpiryDate    tlv.Tag = 0x5F24
	TagExtensions    tlv.Tag = 0x65
	TagSignature     tlv.Tag = 0x5F37
	tagOID           tlv.Tag = 0x06
	tagDiscretionary tlv.Tag = 0x53
)

// Terminal types of the CHAT (TR-03110-3 appendix C.4): inspection systems
// (EAC1, ICAO), authentication terminals and signature terminals.
var (
	OIDInspectionSystem       = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 3, 1, 2, 1} // id-IS
	OIDAuthenticationTerminal = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 3, 1, 2, 2} // id-AT
	OIDSignatureTerminal      = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 3, 1, 2, 3} // id-ST
)

// ErrMalformed marks bytes that are not a CV certificate.
var ErrMalformed = errors.New("cvc: malformed CV certificate")

// Role is the certificate holder's place in the PKI, the two top bits of
// the CHAT.
type Role byte

// Roles of TR-03110-3 table C.2.
const (
	RoleTerminal   Role = 0 // inspection system (IS) / terminal
	RoleDVForeign  Role = 1 // document verifier, foreign
	RoleDVDomestic Role = 2 // document verifier, domestic (official)
	RoleCVCA       Role = 3
)

func (r Role) String() string {
	return [...]string{"terminal", "DV (foreign)", "DV (domestic)", "CVCA"}[r&3]
}

// IsDV reports whether the role is a document verifier.
func (r Role) IsDV() bool { return r == RoleDVForeign || r == RoleDVDomestic }

// Rights are the access rights of an inspection system (id-IS), the low
// six bits of the CHAT's single byte.
type Rights byte

// Read access of id-IS (TR-03110-3 table C.4; 9303-11 section 7.1).
const (
	ReadDG3   Rights = 0x01 // fingerprints
	ReadDG4   Rights = 0x02 // iris
	AllRights Rights = 0x3F
)

// CanRead reports whether the rights include reading data group dg
// (3 or 4); other groups need no EAC rights.
func (r Rights) CanRead(dg int) bool {
	switch dg {
	case 3:
		return r&ReadDG3 != 0
	case 4:
		return r&ReadDG4 != 0
	}
	return true
}

func (r Rights) String() string {
	switch r & (ReadDG3 | ReadDG4) {
	case ReadDG3:
		return "read DG3"
	case ReadDG4:
		return "read DG4"
	case ReadDG3 | ReadDG4:
		return "read DG3+DG4"
	}
	return "no read rights"
}

// CHAT is a certificate holder authorization template: the terminal type
// and its discretionary data (role and rights bits).
type CHAT struct {
	Terminal asn1.ObjectIdentifier
	Data     []byte
}

// NewCHAT is the id-IS template for a role with rights.
func NewCHAT(role Role, rights Rights) CHAT {
	return CHAT{Terminal: OIDInspectionSystem, Data: []byte{byte(role)<<6 | byte(rights&AllRights)}}
}

// Role is the two top bits of the template.
func (c CHAT) Role() Role {
	if len(c.Data) == 0 {
		return RoleTerminal
	}
	return Role(c.Data[0] >> 6)
}

// Rights are the id-IS rights: the low six bits of a one-byte template
// (other terminal types have longer templates and no id-IS rights).
func (c CHAT) Rights() Rights {
	if len(c.Data) != 1 || !c.Terminal.Equal(OIDInspectionSystem) {
		return 0
	}
	return Rights(c.Data[0]) & AllRights
}

func (c CHAT) encode() ([]byte, error) {
	oid, err := oidValue(c.Terminal)
	if err != nil {
		return nil, err
	}
	return tlv.Encode(TagCHAT, tlv.Encode(tagOID, oid), tlv.Encode(tagDiscretionary, c.Data)), nil
}

// Certificate is a CV certificate.
type Certificate struct {
	// Raw is the whole certificate, 7F21 included; Body the signed bytes,
	// the 7F4E element with its tag and length.
	Raw, Body []byte
	ProfileID byte
	// CAR names the key that signed the certificate; CHR the holder.
	CAR, CHR  string
	PublicKey PublicKey
	CHAT      CHAT
	// Effective and Expiry are dates (UTC midnight); the certificate is
	// valid on both days.
	Effective, Expiry time.Time
	// Extensions is the value of the optional 65 element, kept unread.
	Extensions []byte
	Signature  []byte
}

// maxCertificate bounds what Parse accepts: real certificates (RSA 4096
// with parameters) stay far below.
const maxCertificate = 4096

// Parse reads one CV certificate 7F21 { 7F4E …, 5F37 … }; b must hold
// nothing else.
func Parse(b []byte) (*Certificate, error) {
	if len(b) > maxCertificate {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(b), maxCertificate)
	}
	do, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if do.Tag != TagCertificate || len(rest) != 0 {
		return nil, fmt.Errorf("%w: want one element 7F21, got tag %s and %d trailing bytes", ErrMalformed, do.Tag, len(rest))
	}
	c, err := ParseBodyAndSignature(do.Value)
	if err != nil {
		return nil, err
	}
	c.Raw = bytes.Clone(b)
	return c, nil
}

// ParseBodyAndSignature reads the contents of a certificate: 7F4E body
// then 5F37 signature, the form PSO:Verify Certificate carries.
func ParseBodyAndSignature(b []byte) (*Certificate, error) {
	if len(b) > maxCertificate {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(b), maxCertificate)
	}
	body, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if body.Tag != TagBody {
		return nil, fmt.Errorf("%w: want the body 7F4E first, got tag %s", ErrMalformed, body.Tag)
	}
	bodyLen := len(b) - len(rest)
	sig, rest, err := tlv.Next(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	if sig.Tag != TagSignature || len(rest) != 0 {
		return nil, fmt.Errorf("%w: want the signature 5F37 after the body and nothing more, got tag %s and %d trailing bytes", ErrMalformed, sig.Tag, len(rest))
	}
	c := &Certificate{Body: bytes.Clone(b[:bodyLen]), Signature: bytes.Clone(sig.Value)}
	if err := c.parseBody(body.Value); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c.Raw = tlv.Encode(TagCertificate, b)
	return c, nil
}

// parseBody reads the body's elements, which come in a fixed order.
func (c *Certificate) parseBody(b []byte) error {
	next := func(want tlv.Tag, optional bool) ([]byte, bool, error) {
		if len(b) == 0 {
			if optional {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("body ends before element %s", want)
		}
		do, rest, err := tlv.Next(b)
		if err != nil {
			return nil, false, fmt.Errorf("element %s: %v", want, err)
		}
		if do.Tag != want {
			if optional {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("want element %s, got %s", want, do.Tag)
		}
		b = rest
		return do.Value, true, nil
	}
	v, _, err := next(TagProfile, false)
	if err != nil {
		return err
	}
	if len(v) != 1 || v[0] != 0 {
		return fmt.Errorf("certificate profile identifier %X: only version 1 (00) exists", v)
	}
	if v, _, err = next(TagCAR, false); err != nil {
		return err
	}
	if c.CAR, err = reference("CAR", v); err != nil {
		return err
	}
	if v, _, err = next(TagPublicKey, false); err != nil {
		return err
	}
	if c.PublicKey, err = parsePublicKey(v); err != nil {
		return err
	}
	if v, _, err = next(TagCHR, false); err != nil {
		return err
	}
	if c.CHR, err = reference("CHR", v); err != nil {
		return err
	}
	if v, _, err = next(TagCHAT, false); err != nil {
		return err
	}
	if c.CHAT, err = parseCHAT(v); err != nil {
		return err
	}
	if v, _, err = next(TagEffectiveDate, false); err != nil {
		return err
	}
	if c.Effective, err = parseDate(v); err != nil {
		return fmt.Errorf("effective date: %v", err)
	}
	if v, _, err = next(TagExpiryDate, false); err != nil {
		return err
	}
	if c.Expiry, err = parseDate(v); err != nil {
		return fmt.Errorf("expiration date: %v", err)
	}
	if c.Expiry.Before(c.Effective) {
		return fmt.Errorf("expires %s before it takes effect %s", day(c.Expiry), day(c.Effective))
	}
	var has bool
	if v, has, err = next(TagExtensions, true); err != nil {
		return err
	}
	if has {
		c.Extensions = bytes.Clone(v)
	}
	if len(b) != 0 {
		return fmt.Errorf("%d unexpected bytes after the dates", len(b))
	}
	return nil
}

// reference checks a CAR or CHR: 1 to 16 printable ISO 8859-1 characters
// (country code, holder mnemonic, sequence number).
func reference(what string, v []byte) (string, error) {
	if len(v) == 0 || len(v) > 16 {
		return "", fmt.Errorf("%s of %d bytes: want 1 to 16 characters", what, len(v))
	}
	for _, ch := range v {
		if ch < 0x20 || ch > 0x7E {
			return "", fmt.Errorf("%s %q holds a non-printable character", what, v)
		}
	}
	return string(v), nil
}

func parseCHAT(b []byte) (CHAT, error) {
	oid, rest, err := tlv.Next(b)
	if err != nil || oid.Tag != tagOID {
		return CHAT{}, fmt.Errorf("CHAT: want an object identifier first (%v)", err)
	}
	data, rest, err := tlv.Next(rest)
	if err != nil || data.Tag != tagDiscretionary || len(rest) != 0 || len(data.Value) == 0 {
		return CHAT{}, fmt.Errorf("CHAT: want discretionary data 53 after the terminal type and nothing more (%v)", err)
	}
	t, err := oidFromValue(oid.Value)
	if err != nil {
		return CHAT{}, fmt.Errorf("CHAT: %v", err)
	}
	return CHAT{Terminal: t, Data: bytes.Clone(data.Value)}, nil
}

// parseDate reads YYMMDD as six unpacked BCD digits (20YY).
func parseDate(v []byte) (time.Time, error) {
	if len(v) != 6 {
		return time.Time{}, fmt.Errorf("%d bytes, want six digits YYMMDD", len(v))
	}
	var d [6]int
	for i, b := range v {
		if b > 9 {
			return time.Time{}, fmt.Errorf("% X is not six unpacked BCD digits", v)
		}
		d[i] = int(b)
	}
	y, m, dd := 2000+d[0]*10+d[1], d[2]*10+d[3], d[4]*10+d[5]
	t := time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) || t.Day() != dd {
		return time.Time{}, fmt.Errorf("%04d-%02d-%02d is not a calendar date", y, m, dd)
	}
	return t, nil
}

func encodeDate(t time.Time) ([]byte, error) {
	t = t.UTC()
	if t.Year() < 2000 || t.Year() > 2099 {
		return nil, fmt.Errorf("cvc: date %s outside 2000-2099", day(t))
	}
	y, m, d := t.Year()-2000, int(t.Month()), t.Day()
	return []byte{byte(y / 10), byte(y % 10), byte(m / 10), byte(m % 10), byte(d / 10), byte(d % 10)}, nil
}

// Day is t's calendar day in UTC, the resolution of certificate dates.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// encodeBody writes the body of c from its fields.
func (c *Certificate) encodeBody(withParams bool) ([]byte, error) {
	if _, err := reference("CAR", []byte(c.CAR)); err != nil {
		return nil, fmt.Errorf("cvc: %w", err)
	}
	if _, err := reference("CHR", []byte(c.CHR)); err != nil {
		return nil, fmt.Errorf("cvc: %w", err)
	}
	pk, err := c.PublicKey.encode(withParams)
	if err != nil {
		return nil, err
	}
	chat, err := c.CHAT.encode()
	if err != nil {
		return nil, err
	}
	ced, err := encodeDate(c.Effective)
	if err != nil {
		return nil, err
	}
	cxd, err := encodeDate(c.Expiry)
	if err != nil {
		return nil, err
	}
	parts := [][]byte{
		tlv.Encode(TagProfile, []byte{c.ProfileID}),
		tlv.Encode(TagCAR, []byte(c.CAR)),
		pk,
		tlv.Encode(TagCHR, []byte(c.CHR)),
		chat,
		tlv.Encode(TagEffectiveDate, ced),
		tlv.Encode(TagExpiryDate, cxd),
	}
	if c.Extensions != nil {
		parts = append(parts, tlv.Encode(TagExtensions, c.Extensions))
	}
	return tlv.Encode(TagBody, parts...), nil
}

// Encode writes the certificate from Body and Signature: 7F21 { body,
// 5F37 signature }. It also sets Raw.
func (c *Certificate) Encode() []byte {
	c.Raw = tlv.Encode(TagCertificate, c.Body, tlv.Encode(TagSignature, c.Signature))
	return c.Raw
}

// VerifyCertificateData is the data of PSO:Verify Certificate: the body
// and the signature element.
func (c *Certificate) VerifyCertificateData() []byte {
	return append(bytes.Clone(c.Body), tlv.Encode(TagSignature, c.Signature)...)
}

// SelfSigned reports whether the certificate names itself as its signer.
func (c *Certificate) SelfSigned() bool { return c.CAR == c.CHR }

func (c *Certificate) String() string {
	return fmt.Sprintf("CV certificate %s (%s, %s) signed by %s, valid %s to %s", c.CHR, c.CHAT.Role(), c.CHAT.Rights(), c.CAR, day(c.Effective), day(c.Expiry))
}

func oidValue(oid asn1.ObjectIdentifier) ([]byte, error) {
	der, err := asn1.Marshal(oid)
	if err != nil {
		return nil, fmt.Errorf("cvc: object identifier %v: %w", oid, err)
	}
	do, _, err := tlv.Next(der)
	if err != nil {
		return nil, err
	}
	return do.Value, nil
}

func oidFromValue(v []byte) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if len(v) == 0 {
		return nil, errors.New("empty object identifier")
	}
	rest, err := asn1.Unmarshal(tlv.Encode(tagOID, v), &oid)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%X is not an object identifier", v)
	}
	return oid, nil
}

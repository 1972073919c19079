package lds

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"sort"

	"autogate/drivers/emrtd/tlv"
)

// Protocol object identifiers of ICAO 9303-11 §9.2 (BSI TR-03110 arcs under
// bsi-de 0.4.0.127.0.7.2.2) and Active Authentication.
var (
	OIDPACE                         = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}
	OIDCA                           = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}
	OIDCADH                         = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1}
	OIDCAECDH                       = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2}
	OIDPK                           = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1}
	OIDTA                           = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}
	OIDActiveAuthentication         = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}
	OIDStandardizedDomainParameters = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 2}

	// ECDSA signature algorithms an ActiveAuthenticationInfo names (X9.62,
	// RFC 5758); 9303-11 §6.1 requires the info for ECDSA Active
	// Authentication.
	OIDECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	OIDECDSAWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	OIDECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

// SecurityInfos is the content of DG14, EF.CardAccess and EF.CardSecurity:
// a SET OF SecurityInfo, sorted here by kind. SecurityInfos of protocols
// this package does not know are kept in Other, as 9303-11 asks readers to
// ignore rather than refuse them.
type SecurityInfos struct {
	PACE                               []PACEInfo
	PACEDomainParameters               []DomainParameterInfo
	ChipAuthentication                 []ChipAuthenticationInfo
	ChipAuthenticationPublicKeys       []ChipAuthenticationPublicKeyInfo
	ChipAuthenticationDomainParameters []DomainParameterInfo
	TerminalAuthentication             []TerminalAuthenticationInfo
	ActiveAuthentication               []ActiveAuthenticationInfo
	Other                              []SecurityInfo
}

// PACEInfo announces a PACE protocol: id-PACE-<agreement>-<mapping>-<cipher>.
type PACEInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	// ParameterID is the standardized domain parameter ID (9303-11 table 6)
	// or the ID of a PACEDomainParameterInfo; nil when absent.
	ParameterID *int
}

// DomainParameterInfo is a PACEDomainParameterInfo or a
// ChipAuthenticationDomainParameterInfo.
type DomainParameterInfo struct {
	Protocol asn1.ObjectIdentifier
	Domain   DomainParameters
	// ID is the parameterId (PACE) or keyId (CA); nil when absent.
	ID *int
}

// DomainParameters is an AlgorithmIdentifier naming a group: standardized
// domain parameters by number, an elliptic curve, or a DH group.
type DomainParameters struct {
	Algorithm asn1.ObjectIdentifier
	// StandardizedID is set for id-StandardizedDomainParameters.
	StandardizedID *int
	Curve          *Curve
	DH             *DHGroup
}

// ChipAuthenticationInfo announces a Chip Authentication protocol:
// id-CA-<DH|ECDH>-<cipher>.
type ChipAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	KeyID    *int
}

// ChipAuthenticationPublicKeyInfo holds the chip's static key agreement key.
type ChipAuthenticationPublicKeyInfo struct {
	Protocol  asn1.ObjectIdentifier // id-PK-DH or id-PK-ECDH
	PublicKey *PublicKey
	KeyID     *int
}

// TerminalAuthenticationInfo announces Terminal Authentication.
type TerminalAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	// EFCVCA is the DER FileID of EF.CVCA when the chip names it.
	EFCVCA []byte
}

// ActiveAuthenticationInfo names the signature algorithm of ECDSA Active
// Authentication.
type ActiveAuthenticationInfo struct {
	Protocol           asn1.ObjectIdentifier
	Version            int
	SignatureAlgorithm asn1.ObjectIdentifier
}

// SecurityInfo is a SecurityInfo of a protocol this package does not know.
type SecurityInfo struct {
	Protocol asn1.ObjectIdentifier
	Raw      []byte // DER of the whole SecurityInfo
}

// hasPrefix reports whether oid is base followed by exactly extra arcs.
func hasPrefix(oid, base asn1.ObjectIdentifier, extra int) bool {
	return len(oid) == len(base)+extra && oid[:len(base)].Equal(base)
}

// ParseSecurityInfos parses the DER SET OF SecurityInfo.
func ParseSecurityInfos(der []byte) (*SecurityInfos, error) {
	s, err := parseSecurityInfos(der)
	return s, malformed("SecurityInfos", err)
}

func parseSecurityInfos(der []byte) (*SecurityInfos, error) {
	var set asn1.RawValue
	rest, err := asn1.Unmarshal(der, &set)
	switch {
	case err != nil:
		return nil, err
	case len(rest) > 0:
		return nil, fmt.Errorf("%d bytes after the SET", len(rest))
	case set.Class != asn1.ClassUniversal || set.Tag != asn1.TagSet || !set.IsCompound:
		return nil, fmt.Errorf("want a SET OF SecurityInfo, found class %d tag %d", set.Class, set.Tag)
	}
	s := &SecurityInfos{}
	for i, b := 1, set.Bytes; len(b) > 0; i++ {
		if i > maxElements {
			return nil, fmt.Errorf("more than %d SecurityInfos", maxElements)
		}
		var one asn1.RawValue
		if b, err = asn1.Unmarshal(b, &one); err != nil {
			return nil, fmt.Errorf("SecurityInfo %d: %w", i, err)
		}
		if err := s.add(one.FullBytes); err != nil {
			return nil, fmt.Errorf("SecurityInfo %d: %w", i, err)
		}
	}
	return s, nil
}

// infoFields splits a SecurityInfo SEQUENCE into its protocol OID and the
// elements that follow.
func infoFields(der []byte) (asn1.ObjectIdentifier, []asn1.RawValue, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return nil, nil, err
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence {
		return nil, nil, fmt.Errorf("want a SEQUENCE, found class %d tag %d", seq.Class, seq.Tag)
	}
	var els []asn1.RawValue
	for b := seq.Bytes; len(b) > 0; {
		if len(els) == 8 {
			return nil, nil, errors.New("more elements than any SecurityInfo has")
		}
		var e asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &e); err != nil {
			return nil, nil, err
		}
		els = append(els, e)
	}
	if len(els) == 0 {
		return nil, nil, errors.New("empty SecurityInfo")
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(els[0].FullBytes, &oid); err != nil {
		return nil, nil, fmt.Errorf("protocol is not an OBJECT IDENTIFIER: %w", err)
	}
	return oid, els[1:], nil
}

func rawInt(r asn1.RawValue, what string) (int, error) {
	var n int
	if _, err := asn1.Unmarshal(r.FullBytes, &n); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// optInt reads an optional trailing INTEGER.
func optInt(els []asn1.RawValue, i int, what string) (*int, error) {
	if len(els) <= i {
		return nil, nil
	}
	n, err := rawInt(els[i], what)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func (s *SecurityInfos) add(der []byte) error {
	oid, els, err := infoFields(der)
	if err != nil {
		return err
	}
	need := func(n int, what string) error {
		if len(els) < n {
			return fmt.Errorf("%s (%v) lacks its required fields", what, oid)
		}
		return nil
	}
	switch {
	case hasPrefix(oid, OIDPACE, 2):
		if err := need(1, "PACEInfo"); err != nil {
			return err
		}
		var p PACEInfo
		p.Protocol = oid
		if p.Version, err = rawInt(els[0], "PACEInfo version"); err != nil {
			return err
		}
		if p.ParameterID, err = optInt(els, 1, "PACEInfo parameterId"); err != nil {
			return err
		}
		s.PACE = append(s.PACE, p)
	case hasPrefix(oid, OIDPACE, 1), hasPrefix(oid, OIDCA, 1):
		what := "PACEDomainParameterInfo"
		if hasPrefix(oid, OIDCA, 1) {
			what = "ChipAuthenticationDomainParameterInfo"
		}
		if err := need(1, what); err != nil {
			return err
		}
		d := DomainParameterInfo{Protocol: oid}
		if d.Domain, err = parseDomainParameters(els[0].FullBytes); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if d.ID, err = optInt(els, 1, what+" id"); err != nil {
			return err
		}
		if what == "PACEDomainParameterInfo" {
			s.PACEDomainParameters = append(s.PACEDomainParameters, d)
		} else {
			s.ChipAuthenticationDomainParameters = append(s.ChipAuthenticationDomainParameters, d)
		}
	case hasPrefix(oid, OIDCA, 2):
		if err := need(1, "ChipAuthenticationInfo"); err != nil {
			return err
		}
		c := ChipAuthenticationInfo{Protocol: oid}
		if c.Version, err = rawInt(els[0], "ChipAuthenticationInfo version"); err != nil {
			return err
		}
		if c.KeyID, err = optInt(els, 1, "ChipAuthenticationInfo keyId"); err != nil {
			return err
		}
		s.ChipAuthentication = append(s.ChipAuthentication, c)
	case hasPrefix(oid, OIDPK, 1):
		if err := need(1, "ChipAuthenticationPublicKeyInfo"); err != nil {
			return err
		}
		c := ChipAuthenticationPublicKeyInfo{Protocol: oid}
		if c.PublicKey, err = parsePublicKey(els[0].FullBytes); err != nil {
			return fmt.Errorf("ChipAuthenticationPublicKeyInfo: %w", err)
		}
		if c.KeyID, err = optInt(els, 1, "ChipAuthenticationPublicKeyInfo keyId"); err != nil {
			return err
		}
		s.ChipAuthenticationPublicKeys = append(s.ChipAuthenticationPublicKeys, c)
	case oid.Equal(OIDTA):
		if err := need(1, "TerminalAuthenticationInfo"); err != nil {
			return err
		}
		t := TerminalAuthenticationInfo{Protocol: oid}
		if t.Version, err = rawInt(els[0], "TerminalAuthenticationInfo version"); err != nil {
			return err
		}
		if len(els) > 1 {
			t.EFCVCA = els[1].FullBytes
		}
		s.TerminalAuthentication = append(s.TerminalAuthentication, t)
	case oid.Equal(OIDActiveAuthentication):
		if err := need(2, "ActiveAuthenticationInfo"); err != nil {
			return err
		}
		a := ActiveAuthenticationInfo{Protocol: oid}
		if a.Version, err = rawInt(els[0], "ActiveAuthenticationInfo version"); err != nil {
			return err
		}
		if _, err := asn1.Unmarshal(els[1].FullBytes, &a.SignatureAlgorithm); err != nil {
			return fmt.Errorf("ActiveAuthenticationInfo signatureAlgorithm: %w", err)
		}
		s.ActiveAuthentication = append(s.ActiveAuthentication, a)
	default:
		s.Other = append(s.Other, SecurityInfo{Protocol: oid, Raw: der})
	}
	return nil
}

// parseDomainParameters reads the AlgorithmIdentifier of a domain parameter
// info.
func parseDomainParameters(der []byte) (DomainParameters, error) {
	var d DomainParameters
	var alg struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &alg); err != nil || len(rest) > 0 {
		return d, fmt.Errorf("domain parameter AlgorithmIdentifier: %v", err)
	}
	d.Algorithm = alg.Algorithm
	params := alg.Parameters.FullBytes
	var err error
	switch {
	case alg.Algorithm.Equal(OIDStandardizedDomainParameters):
		var id int
		if rest, err := asn1.Unmarshal(params, &id); err != nil || len(rest) > 0 {
			return d, fmt.Errorf("standardized domain parameter ID: %v", err)
		}
		d.StandardizedID = &id
	case alg.Algorithm.Equal(OIDECPublicKey) || alg.Algorithm.Equal(OIDPKECDH):
		if d.Curve, err = parseECParameters(params); err != nil {
			return d, err
		}
	case alg.Algorithm.Equal(OIDDHPublicNumber) || alg.Algorithm.Equal(OIDDHKeyAgreement) || alg.Algorithm.Equal(OIDPKDH):
		if d.DH, err = parseDHParameters(alg.Algorithm, params); err != nil {
			return d, err
		}
	default:
		return d, fmt.Errorf("domain parameter algorithm %v not supported", alg.Algorithm)
	}
	return d, nil
}

// MarshalSecurityInfos encodes s as a DER SET OF SecurityInfo (elements
// sorted as DER requires), the content of DG14, EF.CardAccess and
// EF.CardSecurity.
func MarshalSecurityInfos(s *SecurityInfos) ([]byte, error) {
	var items [][]byte
	add := func(parts ...[]byte) {
		items = append(items, tlv.Encode(0x30, parts...))
	}
	var fail []error
	oid := func(o asn1.ObjectIdentifier) []byte {
		b, err := asn1.Marshal(o)
		if err != nil {
			fail = append(fail, fmt.Errorf("object identifier %v: %w", o, err))
		}
		return b
	}
	integer := func(n int) []byte {
		b, _ := asn1.Marshal(n) // an int always marshals
		return b
	}
	opt := func(n *int) []byte {
		if n == nil {
			return nil
		}
		return integer(*n)
	}
	for _, p := range s.PACE {
		if !hasPrefix(p.Protocol, OIDPACE, 2) {
			fail = append(fail, fmt.Errorf("PACEInfo protocol %v is not an id-PACE protocol", p.Protocol))
		}
		add(oid(p.Protocol), integer(p.Version), opt(p.ParameterID))
	}
	for _, group := range []struct {
		infos []DomainParameterInfo
		base  asn1.ObjectIdentifier
	}{{s.PACEDomainParameters, OIDPACE}, {s.ChipAuthenticationDomainParameters, OIDCA}} {
		for _, d := range group.infos {
			if !hasPrefix(d.Protocol, group.base, 1) {
				fail = append(fail, fmt.Errorf("domain parameter info protocol %v is not under %v", d.Protocol, group.base))
			}
			alg, err := marshalDomainParameters(d.Domain)
			if err != nil {
				fail = append(fail, err)
			}
			add(oid(d.Protocol), alg, opt(d.ID))
		}
	}
	for _, c := range s.ChipAuthentication {
		if !hasPrefix(c.Protocol, OIDCA, 2) {
			fail = append(fail, fmt.Errorf("ChipAuthenticationInfo protocol %v is not an id-CA protocol", c.Protocol))
		}
		add(oid(c.Protocol), integer(c.Version), opt(c.KeyID))
	}
	for _, c := range s.ChipAuthenticationPublicKeys {
		if !hasPrefix(c.Protocol, OIDPK, 1) || c.PublicKey == nil {
			fail = append(fail, fmt.Errorf("ChipAuthenticationPublicKeyInfo: protocol %v must be id-PK-DH or id-PK-ECDH and a key set", c.Protocol))
			continue
		}
		spki, err := MarshalPublicKey(c.PublicKey)
		if err != nil {
			fail = append(fail, err)
		}
		add(oid(c.Protocol), spki, opt(c.KeyID))
	}
	for _, t := range s.TerminalAuthentication {
		add(oid(t.Protocol), integer(t.Version), t.EFCVCA)
	}
	for _, a := range s.ActiveAuthentication {
		if len(a.SignatureAlgorithm) == 0 {
			fail = append(fail, errors.New("ActiveAuthenticationInfo without a signature algorithm"))
			continue
		}
		add(oid(a.Protocol), integer(a.Version), oid(a.SignatureAlgorithm))
	}
	for _, o := range s.Other {
		items = append(items, o.Raw)
	}
	if err := errors.Join(fail...); err != nil {
		return nil, fmt.Errorf("lds: SecurityInfos: %w", err)
	}
	if len(items) == 0 {
		return nil, errors.New("lds: SecurityInfos: empty; a SET OF SecurityInfo needs at least one")
	}
	sort.Slice(items, func(i, j int) bool { return bytes.Compare(items[i], items[j]) < 0 })
	return tlv.Encode(0x31, items...), nil
}

func marshalDomainParameters(d DomainParameters) ([]byte, error) {
	var params []byte
	var err error
	switch {
	case d.StandardizedID != nil:
		params, err = asn1.Marshal(*d.StandardizedID)
		d.Algorithm = OIDStandardizedDomainParameters
	case d.Curve != nil:
		if d.Curve.OID != nil && !d.Curve.Explicit {
			params, err = asn1.Marshal(d.Curve.OID)
		} else {
			params, err = marshalECParameters(d.Curve)
		}
		if d.Algorithm == nil {
			d.Algorithm = OIDECPublicKey
		}
	case d.DH != nil:
		var alg asn1.ObjectIdentifier
		alg, params, err = marshalDHParameters(*d.DH)
		if d.Algorithm == nil {
			d.Algorithm = alg
		}
	default:
		return nil, errors.New("domain parameters: set StandardizedID, Curve or DH")
	}
	if err != nil {
		return nil, fmt.Errorf("domain parameters: %w", err)
	}
	oid, err := asn1.Marshal(d.Algorithm)
	if err != nil {
		return nil, err
	}
	return tlv.Encode(0x30, oid, params), nil
}

// ParseDG14 parses DG14: 6E { SET OF SecurityInfo }.
func ParseDG14(b []byte) (*SecurityInfos, error) {
	v, err := unwrap(b, dgTags[13])
	if err != nil {
		return nil, malformed("DG14", err)
	}
	s, err := parseSecurityInfos(v)
	return s, malformed("DG14", err)
}

// BuildDG14 builds DG14 from SecurityInfos.
func BuildDG14(s *SecurityInfos) ([]byte, error) {
	set, err := MarshalSecurityInfos(s)
	if err != nil {
		return nil, err
	}
	return tlv.Encode(dgTags[13], set), nil
}

// DG15 holds the Active Authentication public key.
type DG15 struct {
	PublicKey *PublicKey
}

// ParseDG15 parses DG15: 6F { SubjectPublicKeyInfo }.
func ParseDG15(b []byte) (*DG15, error) {
	v, err := unwrap(b, dgTags[14])
	if err != nil {
		return nil, malformed("DG15", err)
	}
	k, err := parsePublicKey(v)
	if err != nil {
		return nil, malformed("DG15", err)
	}
	return &DG15{PublicKey: k}, nil
}

// BuildDG15 builds DG15 from an Active Authentication public key (RSA or
// ECDSA; see NewPublicKey for the types accepted, and *PublicKey itself).
func BuildDG15(pub any) ([]byte, error) {
	k, ok := pub.(*PublicKey)
	if !ok {
		var err error
		if k, err = NewPublicKey(pub); err != nil {
			return nil, err
		}
	}
	spki, err := MarshalPublicKey(k)
	if err != nil {
		return nil, err
	}
	return tlv.Encode(dgTags[14], spki), nil
}

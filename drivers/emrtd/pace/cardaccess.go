package pace

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"autogate/drivers/emrtd/tlv"
)

// SecurityInfos is the content of EF.CardAccess, EF.CardSecurity (inside
// its signature) and EF.DG14: SecurityInfos ::= SET OF SecurityInfo, where
// SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY,
// optionalData ANY OPTIONAL } (9303-11 section 9.2).
type SecurityInfos struct {
	// All holds every entry in file order, known or not.
	All []SecurityInfo

	PACE                         []PACEInfo
	PACEDomainParameters         []PACEDomainParameterInfo
	ChipAuthentication           []ChipAuthenticationInfo
	ChipAuthenticationPublicKeys []ChipAuthenticationPublicKeyInfo
	TerminalAuthentication       []TerminalAuthenticationInfo
	ActiveAuthentication         []ActiveAuthenticationInfo

	// Malformed lists entries whose protocol is known but whose content does
	// not parse. They are left out above rather than failing the whole file:
	// a broken entry for one protocol must not block the others.
	Malformed []MalformedInfo
}

// SecurityInfo is one entry, undecoded.
type SecurityInfo struct {
	Protocol asn1.ObjectIdentifier
	// RequiredData and OptionalData are the raw TLVs (OptionalData nil when absent).
	RequiredData, OptionalData []byte
	// Raw is the whole SEQUENCE.
	Raw []byte
}

// MalformedInfo is an entry of a known protocol that does not parse.
type MalformedInfo struct {
	Index    int // position in the SET, from 0
	Protocol asn1.ObjectIdentifier
	Err      error
}

// PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }
// (9303-11 section 9.2.1).
type PACEInfo struct {
	Protocol       asn1.ObjectIdentifier
	Version        int
	ParameterID    int
	HasParameterID bool
}

// PACEDomainParameterInfo ::= SEQUENCE { protocol, domainParameter
// AlgorithmIdentifier, parameterId INTEGER OPTIONAL } (9303-11 section 9.2.2).
type PACEDomainParameterInfo struct {
	Protocol        asn1.ObjectIdentifier
	DomainParameter AlgorithmIdentifier
	ParameterID     int
	HasParameterID  bool
}

// ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId
// INTEGER OPTIONAL } (9303-11 section 9.2.5).
type ChipAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	KeyID    int
	HasKeyID bool
}

// ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol (id-PK-DH or
// id-PK-ECDH), chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId
// INTEGER OPTIONAL } (9303-11 section 9.2.6).
type ChipAuthenticationPublicKeyInfo struct {
	Protocol  asn1.ObjectIdentifier
	Algorithm AlgorithmIdentifier
	// PublicKey is the content of the subjectPublicKey BIT STRING: an
	// uncompressed point for ECDH, a DER INTEGER for DH.
	PublicKey []byte
	KeyID     int
	HasKeyID  bool
}

// TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER }.
type TerminalAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
}

// ActiveAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER,
// signatureAlgorithm OBJECT IDENTIFIER } (9303-11 section 9.2.4).
type ActiveAuthenticationInfo struct {
	Protocol           asn1.ObjectIdentifier
	Version            int
	SignatureAlgorithm asn1.ObjectIdentifier
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER,
// parameters ANY OPTIONAL }.
type AlgorithmIdentifier struct {
	Algorithm asn1.ObjectIdentifier
	// Parameters is the raw TLV of the parameters, nil when absent.
	Parameters []byte
}

// ErrSecurityInfos reports a SecurityInfos structure that does not parse.
var ErrSecurityInfos = errors.New("pace: malformed SecurityInfos")

// maxSecurityInfos bounds the entries of one file; real files hold a handful.
const maxSecurityInfos = 256

// ParseSecurityInfos decodes a SecurityInfos file. It accepts BER lengths
// and the 00/FF padding chips leave after the structure. It fails only when
// the SET or an entry's SEQUENCE/OID frame is broken; entries of known
// protocols with bad content are reported in Malformed.
func ParseSecurityInfos(b []byte) (*SecurityInfos, error) {
	fail := func(format string, args ...any) (*SecurityInfos, error) {
		return nil, fmt.Errorf("%w: %s (the file is corrupt or not a SecurityInfos file; re-read it, and if it stays so, the document needs manual inspection)", ErrSecurityInfos, fmt.Sprintf(format, args...))
	}
	set, rest, err := tlv.Next(b)
	if err != nil {
		return fail("%v", err)
	}
	if set.Tag != 0x31 {
		return fail("starts with tag %v, want 31 (SET)", set.Tag)
	}
	for _, c := range rest {
		if c != 0x00 && c != 0xFF {
			return fail("%d bytes after the SET", len(rest))
		}
	}
	out := &SecurityInfos{}
	for i, body := 0, set.Value; len(body) > 0; i++ {
		if i == maxSecurityInfos {
			return fail("more than %d entries", maxSecurityInfos)
		}
		entry, next, err := tlv.Next(body)
		if err != nil {
			return fail("entry %d: %v", i, err)
		}
		raw := body[:len(body)-len(next)]
		body = next
		if entry.Tag != 0x30 {
			return fail("entry %d has tag %v, want 30 (SEQUENCE)", i, entry.Tag)
		}
		fields, err := splitTLVs(entry.Value)
		if err != nil {
			return fail("entry %d: %v", i, err)
		}
		if len(fields) < 2 || fields[0].Tag != 0x06 {
			return fail("entry %d does not start with an OBJECT IDENTIFIER and required data", i)
		}
		oid, err := parseOIDContent(fields[0].Value)
		if err != nil {
			return fail("entry %d: %v", i, err)
		}
		si := SecurityInfo{Protocol: oid, RequiredData: fields[1].raw, Raw: raw}
		if len(fields) > 2 {
			si.OptionalData = fields[2].raw
		}
		out.All = append(out.All, si)
		if err := out.classify(oid, fields[1:]); err != nil {
			out.Malformed = append(out.Malformed, MalformedInfo{Index: i, Protocol: oid, Err: err})
		}
	}
	return out, nil
}

// field is a TLV with its raw encoding.
type field struct {
	tlv.TLV
	raw []byte
}

// splitTLVs decodes a concatenation of TLVs without descending into them.
func splitTLVs(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		t, rest, err := tlv.Next(b)
		if err != nil {
			return nil, err
		}
		out = append(out, field{TLV: t, raw: b[:len(b)-len(rest)]})
		b = rest
		if len(out) > 64 {
			return nil, errors.New("more than 64 elements in one SEQUENCE")
		}
	}
	return out, nil
}

func hasPrefix(oid, prefix asn1.ObjectIdentifier) bool {
	return len(oid) > len(prefix) && slices.Equal(oid[:len(prefix)], prefix)
}

var (
	oidCAPrefix = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}
)

// classify decodes the entry of a known protocol; unknown ones stay in All.
func (s *SecurityInfos) classify(oid asn1.ObjectIdentifier, f []field) error {
	switch {
	case hasPrefix(oid, OIDPACE) && len(oid) == len(OIDPACE)+2:
		info := PACEInfo{Protocol: oid}
		var err error
		if info.Version, err = smallInt(f[0], "version"); err != nil {
			return err
		}
		if len(f) > 1 {
			if info.ParameterID, err = smallInt(f[1], "parameterId"); err != nil {
				return err
			}
			info.HasParameterID = true
		}
		if len(f) > 2 {
			return errors.New("PACEInfo has more than three elements")
		}
		s.PACE = append(s.PACE, info)
	case hasPrefix(oid, OIDPACE) && len(oid) == len(OIDPACE)+1:
		info := PACEDomainParameterInfo{Protocol: oid}
		var err error
		if info.DomainParameter, err = parseAlgorithmIdentifier(f[0]); err != nil {
			return err
		}
		if len(f) > 1 {
			if info.ParameterID, err = smallInt(f[1], "parameterId"); err != nil {
				return err
			}
			info.HasParameterID = true
		}
		s.PACEDomainParameters = append(s.PACEDomainParameters, info)
	case hasPrefix(oid, oidCAPrefix) && len(oid) == len(oidCAPrefix)+2:
		info := ChipAuthenticationInfo{Protocol: oid}
		var err error
		if info.Version, err = smallInt(f[0], "version"); err != nil {
			return err
		}
		if len(f) > 1 {
			if info.KeyID, err = smallInt(f[1], "keyId"); err != nil {
				return err
			}
			info.HasKeyID = true
		}
		s.ChipAuthentication = append(s.ChipAuthentication, info)
	case oid.Equal(OIDPKDH) || oid.Equal(OIDPKECDH):
		info := ChipAuthenticationPublicKeyInfo{Protocol: oid}
		if f[0].Tag != 0x30 {
			return fmt.Errorf("chipAuthenticationPublicKey has tag %v, want 30 (SubjectPublicKeyInfo)", f[0].Tag)
		}
		spki, err := splitTLVs(f[0].Value)
		if err != nil {
			return fmt.Errorf("SubjectPublicKeyInfo: %w", err)
		}
		if len(spki) != 2 {
			return fmt.Errorf("SubjectPublicKeyInfo has %d elements, want 2", len(spki))
		}
		if info.Algorithm, err = parseAlgorithmIdentifier(spki[0]); err != nil {
			return err
		}
		if info.PublicKey, err = bitString(spki[1]); err != nil {
			return fmt.Errorf("subjectPublicKey: %w", err)
		}
		if len(f) > 1 {
			if info.KeyID, err = smallInt(f[1], "keyId"); err != nil {
				return err
			}
			info.HasKeyID = true
		}
		s.ChipAuthenticationPublicKeys = append(s.ChipAuthenticationPublicKeys, info)
	case oid.Equal(OIDTA):
		v, err := smallInt(f[0], "version")
		if err != nil {
			return err
		}
		s.TerminalAuthentication = append(s.TerminalAuthentication, TerminalAuthenticationInfo{Protocol: oid, Version: v})
	case oid.Equal(OIDActiveAuthentication):
		v, err := smallInt(f[0], "version")
		if err != nil {
			return err
		}
		if len(f) < 2 || f[1].Tag != 0x06 {
			return errors.New("ActiveAuthenticationInfo lacks its signatureAlgorithm OBJECT IDENTIFIER")
		}
		alg, err := parseOIDContent(f[1].Value)
		if err != nil {
			return err
		}
		s.ActiveAuthentication = append(s.ActiveAuthentication, ActiveAuthenticationInfo{Protocol: oid, Version: v, SignatureAlgorithm: alg})
	}
	return nil
}

// smallInt decodes a non-negative INTEGER that fits 31 bits.
func smallInt(f field, name string) (int, error) {
	n, err := bigInt(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if n.BitLen() > 31 {
		return 0, fmt.Errorf("%s: %v out of range", name, n)
	}
	return int(n.Int64()), nil
}

// bigInt decodes a non-negative INTEGER.
func bigInt(f field) (*big.Int, error) {
	if f.Tag != 0x02 {
		return nil, fmt.Errorf("tag %v, want 02 (INTEGER)", f.Tag)
	}
	if len(f.Value) == 0 {
		return nil, errors.New("empty INTEGER")
	}
	if f.Value[0]&0x80 != 0 {
		return nil, errors.New("negative INTEGER")
	}
	return new(big.Int).SetBytes(f.Value), nil
}

func bitString(f field) ([]byte, error) {
	if f.Tag != 0x03 {
		return nil, fmt.Errorf("tag %v, want 03 (BIT STRING)", f.Tag)
	}
	if len(f.Value) == 0 || f.Value[0] != 0 {
		return nil, errors.New("BIT STRING is empty or not byte-aligned")
	}
	return f.Value[1:], nil
}

func parseAlgorithmIdentifier(f field) (AlgorithmIdentifier, error) {
	if f.Tag != 0x30 {
		return AlgorithmIdentifier{}, fmt.Errorf("AlgorithmIdentifier has tag %v, want 30", f.Tag)
	}
	parts, err := splitTLVs(f.Value)
	if err != nil {
		return AlgorithmIdentifier{}, fmt.Errorf("AlgorithmIdentifier: %w", err)
	}
	if len(parts) == 0 || len(parts) > 2 || parts[0].Tag != 0x06 {
		return AlgorithmIdentifier{}, errors.New("AlgorithmIdentifier is not { OBJECT IDENTIFIER, parameters OPTIONAL }")
	}
	oid, err := parseOIDContent(parts[0].Value)
	if err != nil {
		return AlgorithmIdentifier{}, err
	}
	a := AlgorithmIdentifier{Algorithm: oid}
	if len(parts) == 2 {
		a.Parameters = parts[1].raw
	}
	return a, nil
}

// ErrUnknownExplicitParams reports explicit domain parameters that match no
// standardized set. 9303-11 section 9.2.2 forbids using such parameters
// unless known to be secure: weak ones would leak the password.
var ErrUnknownExplicitParams = errors.New("pace: explicit domain parameters match none of the standardized ones; refusing them (9303-11 section 9.2.2)")

// Named curve OIDs seen in the field in place of explicit parameters.
var namedCurves = []struct {
	oid asn1.ObjectIdentifier
	id  int
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 1}, 8},       // prime192v1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 3}, 9},   // brainpoolP192r1
	{asn1.ObjectIdentifier{1, 3, 132, 0, 33}, 10},               // secp224r1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 5}, 11},  // brainpoolP224r1
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, 12},      // prime256v1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, 13},  // brainpoolP256r1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 9}, 14},  // brainpoolP320r1
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, 15},               // secp384r1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, 16}, // brainpoolP384r1
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, 17}, // brainpoolP512r1
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, 18},               // secp521r1
}

// DomainParams resolves the domain parameters an AlgorithmIdentifier
// names: standardizedDomainParameters with an ID, or ecPublicKey /
// dhpublicnumber with explicit parameters, which are accepted only when
// they equal a standardized set.
func (a AlgorithmIdentifier) DomainParams() (*DomainParams, error) {
	var params *field
	if a.Parameters != nil {
		t, rest, err := tlv.Next(a.Parameters)
		if err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: parameters of %v do not parse", ErrSecurityInfos, a.Algorithm)
		}
		params = &field{TLV: t, raw: a.Parameters}
	}
	switch {
	case a.Algorithm.Equal(OIDStandardizedDomainParameters):
		if params == nil {
			return nil, fmt.Errorf("%w: standardizedDomainParameters without an ID", ErrSecurityInfos)
		}
		id, err := smallInt(*params, "domain parameter ID")
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSecurityInfos, err)
		}
		return StandardDomainParams(id)
	case a.Algorithm.Equal(OIDECPublicKey):
		if params == nil {
			return nil, fmt.Errorf("%w: ecPublicKey without parameters", ErrSecurityInfos)
		}
		if params.Tag == 0x06 {
			oid, err := parseOIDContent(params.Value)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSecurityInfos, err)
			}
			for _, n := range namedCurves {
				if n.oid.Equal(oid) {
					return StandardDomainParams(n.id)
				}
			}
			return nil, fmt.Errorf("%w: named curve %v", ErrUnknownExplicitParams, oid)
		}
		return matchECParameters(*params)
	case a.Algorithm.Equal(OIDDHPublicNumber):
		if params == nil {
			return nil, fmt.Errorf("%w: dhpublicnumber without parameters", ErrSecurityInfos)
		}
		return matchDHParameters(*params)
	}
	return nil, fmt.Errorf("%w: domain parameter algorithm %v", ErrUnsupported, a.Algorithm)
}

// matchECParameters parses X9.62 ECParameters ::= SEQUENCE { version,
// fieldID { prime-field, p }, curve { a, b, seed OPTIONAL }, base, order,
// cofactor OPTIONAL } and finds the standardized curve it spells out.
func matchECParameters(f field) (*DomainParams, error) {
	bad := func(what string) (*DomainParams, error) {
		return nil, fmt.Errorf("%w: explicit EC parameters: %s", ErrSecurityInfos, what)
	}
	if f.Tag != 0x30 {
		return bad("not a SEQUENCE")
	}
	parts, err := splitTLVs(f.Value)
	if err != nil || len(parts) < 5 {
		return bad("want version, fieldID, curve, base, order")
	}
	fieldID, err := splitTLVs(parts[1].Value)
	if err != nil || parts[1].Tag != 0x30 || len(fieldID) != 2 || fieldID[0].Tag != 0x06 {
		return bad("fieldID")
	}
	if ft, err := parseOIDContent(fieldID[0].Value); err != nil || !ft.Equal(oidPrimeField) {
		return bad("field is not a prime field")
	}
	p, err := bigInt(fieldID[1])
	if err != nil {
		return bad("prime: " + err.Error())
	}
	curve, err := splitTLVs(parts[2].Value)
	if err != nil || parts[2].Tag != 0x30 || len(curve) < 2 || curve[0].Tag != 0x04 || curve[1].Tag != 0x04 {
		return bad("curve coefficients")
	}
	a, b := new(big.Int).SetBytes(curve[0].Value), new(big.Int).SetBytes(curve[1].Value)
	if parts[3].Tag != 0x04 {
		return bad("base point is not an OCTET STRING")
	}
	base := parts[3].Value
	n, err := bigInt(parts[4])
	if err != nil {
		return bad("order: " + err.Error())
	}
	if len(parts) > 5 {
		if cof, err := bigInt(parts[5]); err != nil || cof.Cmp(one) != 0 {
			return bad("cofactor is not 1")
		}
	}
	for _, id := range StandardDomainParamIDs() {
		d, _ := StandardDomainParams(id)
		if d.curve == nil {
			continue
		}
		cp := d.curve.Params()
		if cp.P.Cmp(p) != 0 || d.a.Cmp(a) != 0 || d.b.Cmp(b) != 0 || cp.N.Cmp(n) != 0 {
			continue
		}
		g := d.baseGroup()
		if bytes.Equal(base, g.encode(g.gen)) {
			return d, nil
		}
		return nil, fmt.Errorf("%w: curve equals %s but with another base point", ErrUnknownExplicitParams, d.Name)
	}
	return nil, ErrUnknownExplicitParams
}

// matchDHParameters parses X9.42 DomainParameters ::= SEQUENCE { p, g, q,
// j OPTIONAL, validationParms OPTIONAL } (or PKCS #3 { p, g, … } without q)
// and finds the RFC 5114 group it spells out.
func matchDHParameters(f field) (*DomainParams, error) {
	parts, err := splitTLVs(f.Value)
	if f.Tag != 0x30 || err != nil || len(parts) < 2 {
		return nil, fmt.Errorf("%w: explicit DH parameters are not a SEQUENCE { p, g, … }", ErrSecurityInfos)
	}
	p, err1 := bigInt(parts[0])
	g, err2 := bigInt(parts[1])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: explicit DH parameters: p or g is not an INTEGER", ErrSecurityInfos)
	}
	for _, id := range []int{0, 1, 2} {
		d, _ := StandardDomainParams(id)
		if d.p.Cmp(p) == 0 && d.g.Cmp(g) == 0 {
			return d, nil
		}
	}
	return nil, ErrUnknownExplicitParams
}

// DomainParams returns the domain parameters of the chip's public key.
func (c ChipAuthenticationPublicKeyInfo) DomainParams() (*DomainParams, error) {
	return c.Algorithm.DomainParams()
}

// Marshal encodes a PACEInfo in DER.
func (p PACEInfo) Marshal() []byte {
	fields := [][]byte{tlv.Encode(0x06, oidContent(p.Protocol)), encodeInt(big.NewInt(int64(p.Version)))}
	if p.HasParameterID {
		fields = append(fields, encodeInt(big.NewInt(int64(p.ParameterID))))
	}
	return tlv.Encode(0x30, fields...)
}

// Marshal encodes a ChipAuthenticationInfo in DER.
func (c ChipAuthenticationInfo) Marshal() []byte {
	fields := [][]byte{tlv.Encode(0x06, oidContent(c.Protocol)), encodeInt(big.NewInt(int64(c.Version)))}
	if c.HasKeyID {
		fields = append(fields, encodeInt(big.NewInt(int64(c.KeyID))))
	}
	return tlv.Encode(0x30, fields...)
}

// Marshal encodes a ChipAuthenticationPublicKeyInfo in DER.
func (c ChipAuthenticationPublicKeyInfo) Marshal() []byte {
	alg := [][]byte{tlv.Encode(0x06, oidContent(c.Algorithm.Algorithm))}
	if c.Algorithm.Parameters != nil {
		alg = append(alg, c.Algorithm.Parameters)
	}
	spki := tlv.Encode(0x30, tlv.Encode(0x30, alg...), tlv.Encode(0x03, []byte{0}, c.PublicKey))
	fields := [][]byte{tlv.Encode(0x06, oidContent(c.Protocol)), spki}
	if c.HasKeyID {
		fields = append(fields, encodeInt(big.NewInt(int64(c.KeyID))))
	}
	return tlv.Encode(0x30, fields...)
}

// MarshalSecurityInfos encodes DER-encoded SecurityInfo entries as a DER
// SET OF (entries sorted, as DER requires).
func MarshalSecurityInfos(entries ...[]byte) []byte {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, bytes.Compare)
	return tlv.Encode(0x31, sorted...)
}

// encodeInt encodes a non-negative INTEGER in DER.
func encodeInt(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv.Encode(0x02, b)
}

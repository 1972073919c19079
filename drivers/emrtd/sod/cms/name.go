package cms

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"sort"
	"strings"
)

var oidCountryName = asn1.ObjectIdentifier{2, 5, 4, 6}

// Name is an X.501 distinguished name read leniently: any string type, any
// attribute, in the order encoded.
type Name struct {
	Raw  []byte
	RDNs pkix.RDNSequence
}

// parseName reads a Name (SEQUENCE OF RelativeDistinguishedName). The values
// are decoded whatever their string type, so that names encoded with
// characters PrintableString forbids, or with T61String, still compare.
func parseName(t tlv, depth int) (Name, error) {
	rdns, err := sequenceOf(t, tagSequence, depth, "Name")
	if err != nil {
		return Name{}, err
	}
	n := Name{Raw: t.full}
	for _, rdnT := range rdns {
		atvs, err := sequenceOf(rdnT, tagSet, depth+1, "RelativeDistinguishedName")
		if err != nil {
			return Name{}, err
		}
		var rdn pkix.RelativeDistinguishedNameSET
		for _, atvT := range atvs {
			parts, err := sequenceOf(atvT, tagSequence, depth+2, "AttributeTypeAndValue")
			if err != nil {
				return Name{}, err
			}
			if len(parts) != 2 {
				return Name{}, malformed("AttributeTypeAndValue has %d parts, want 2", len(parts))
			}
			typ, err := oid(parts[0])
			if err != nil {
				return Name{}, fmt.Errorf("attribute type: %w", err)
			}
			val, err := decodeString(parts[1])
			if err != nil {
				// An attribute that is not a string (rare): keep its bytes as
				// hex so the name still compares byte-exactly.
				val = fmt.Sprintf("#%x", parts[1].full)
			}
			rdn = append(rdn, pkix.AttributeTypeAndValue{Type: typ, Value: val})
		}
		n.RDNs = append(n.RDNs, rdn)
	}
	return n, nil
}

// ParseName parses the DER (or BER) encoding of a Name.
func ParseName(der []byte) (Name, error) {
	t, err := parseOne(der, 0)
	if err != nil {
		return Name{}, err
	}
	return parseName(t, 0)
}

// String renders the name in RFC 2253 order, as crypto/x509 does.
func (n Name) String() string {
	var p pkix.Name
	p.FillFromRDNSequence(&n.RDNs)
	return p.String()
}

// Country returns the upper-cased countryName attribute, or "".
func (n Name) Country() string {
	for _, rdn := range n.RDNs {
		for _, atv := range rdn {
			if atv.Type.Equal(oidCountryName) {
				s, _ := atv.Value.(string)
				return strings.ToUpper(strings.TrimSpace(s))
			}
		}
	}
	return ""
}

// Key is a canonical form of the name for semantic comparison (RFC 5280
// 7.1, simplified: case-folded, whitespace collapsed, attributes of one RDN
// sorted), so that the issuer in a SignerInfo or a certificate matches its
// CA's subject even when the two were encoded with different string types.
func (n Name) Key() string {
	var b strings.Builder
	for _, rdn := range n.RDNs {
		parts := make([]string, 0, len(rdn))
		for _, atv := range rdn {
			s, _ := atv.Value.(string)
			parts = append(parts, atv.Type.String()+"="+normalizeValue(s))
		}
		sort.Strings(parts)
		b.WriteString(strings.Join(parts, "+"))
		b.WriteByte('/')
	}
	return b.String()
}

// Equal reports whether two names are the same name semantically.
func (n Name) Equal(o Name) bool { return n.Key() == o.Key() }

func normalizeValue(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

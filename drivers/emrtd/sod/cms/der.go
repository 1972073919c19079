package cms

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits that keep hostile input from exhausting the stack or the CPU: real
// EF.SODs nest about 12 deep and master lists about 15.
const (
	maxDepth      = 40
	maxTagBytes   = 4 // high-tag-number form: enough for any tag ICAO uses
	maxLengthSize = 4 // long-form length octets: up to 4 GiB, far beyond any input we take
)

// ASN.1 classes.
const (
	classUniversal   = 0
	classApplication = 1
	classContext     = 2
	classPrivate     = 3
)

// Universal tags used here.
const (
	tagBoolean         = 1
	tagInteger         = 2
	tagBitString       = 3
	tagOctetString     = 4
	tagNull            = 5
	tagOID             = 6
	tagUTF8String      = 12
	tagSequence        = 16
	tagSet             = 17
	tagNumericString   = 18
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagUTCTime         = 23
	tagGeneralizedTime = 24
	tagVisibleString   = 26
	tagUniversalString = 28
	tagBMPString       = 30
)

// ErrMalformed is wrapped by every error about bytes that are not the
// ASN.1 structure expected.
var ErrMalformed = errors.New("malformed ASN.1")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// tlv is one BER element. Real EF.SODs use BER indefinite lengths (New
// Zealand's do), which encoding/asn1 refuses, so the outer structures are
// walked with this reader; definite-length DER is a special case of it.
type tlv struct {
	class       int
	constructed bool
	tag         int
	indefinite  bool
	content     []byte // the value octets, without the end-of-contents marker
	full        []byte // header, content and end-of-contents marker
}

func (t tlv) is(class, tag int) bool { return t.class == class && t.tag == tag }

func (t tlv) String() string {
	names := [...]string{"universal", "application", "context", "private"}
	return fmt.Sprintf("[%s %d]", names[t.class], t.tag)
}

// readTLV reads one element from b and returns it with the bytes after it.
// depth counts the enclosing elements so nesting bombs stop at maxDepth.
func readTLV(b []byte, depth int) (tlv, []byte, error) {
	if depth > maxDepth {
		return tlv{}, nil, malformed("nested more than %d levels deep", maxDepth)
	}
	if len(b) < 2 {
		return tlv{}, nil, malformed("truncated element header (%d bytes left)", len(b))
	}
	var t tlv
	t.class = int(b[0] >> 6)
	t.constructed = b[0]&0x20 != 0
	t.tag = int(b[0] & 0x1f)
	i := 1
	if t.tag == 0x1f {
		t.tag = 0
		for n := 0; ; n++ {
			if n == maxTagBytes {
				return tlv{}, nil, malformed("tag number longer than %d bytes", maxTagBytes)
			}
			if i >= len(b) {
				return tlv{}, nil, malformed("truncated tag number")
			}
			c := b[i]
			i++
			t.tag = t.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return tlv{}, nil, malformed("truncated length")
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return t.withLength(b, i, int(l))
	case l == 0x80:
		if !t.constructed {
			return tlv{}, nil, malformed("indefinite length on primitive element %s", t)
		}
		t.indefinite = true
		rest := b[i:]
		start := i
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				end := len(b) - len(rest)
				t.content = b[start:end]
				t.full = b[:end+2]
				return t, rest[2:], nil
			}
			var err error
			_, rest, err = readTLV(rest, depth+1)
			if err != nil {
				return tlv{}, nil, fmt.Errorf("inside indefinite-length %s: %w", t, err)
			}
		}
	default:
		n := int(l & 0x7f)
		if n > maxLengthSize {
			return tlv{}, nil, malformed("length field of %d bytes", n)
		}
		if i+n > len(b) {
			return tlv{}, nil, malformed("truncated length field")
		}
		length := 0
		for _, c := range b[i : i+n] {
			length = length<<8 | int(c)
		}
		return t.withLength(b, i+n, length)
	}
}

func (t tlv) withLength(b []byte, headerLen, length int) (tlv, []byte, error) {
	if length < 0 || length > len(b)-headerLen {
		return tlv{}, nil, malformed("element %s claims %d bytes but only %d remain", t, length, len(b)-headerLen)
	}
	t.content = b[headerLen : headerLen+length]
	t.full = b[:headerLen+length]
	return t, b[headerLen+length:], nil
}

// parseOne reads exactly one element filling all of b.
func parseOne(b []byte, depth int) (tlv, error) {
	t, rest, err := readTLV(b, depth)
	if err != nil {
		return tlv{}, err
	}
	if len(rest) != 0 {
		return tlv{}, malformed("%d trailing bytes after %s", len(rest), t)
	}
	return t, nil
}

// children parses the content of a constructed element.
func (t tlv) children(depth int) ([]tlv, error) {
	if !t.constructed {
		return nil, malformed("%s is primitive, expected constructed", t)
	}
	var out []tlv
	rest := t.content
	for len(rest) > 0 {
		c, r, err := readTLV(rest, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		rest = r
	}
	return out, nil
}

// expect checks the class and tag of an element.
func expect(t tlv, class, tag int, what string) error {
	if !t.is(class, tag) {
		return malformed("%s: found %s, want %s", what, t, tlv{class: class, tag: tag})
	}
	return nil
}

// sequenceOf reads the children of a SEQUENCE or SET after checking its tag.
func sequenceOf(t tlv, tag int, depth int, what string) ([]tlv, error) {
	if err := expect(t, classUniversal, tag, what); err != nil {
		return nil, err
	}
	c, err := t.children(depth)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// octets returns the value of an OCTET STRING (or any string type), joining
// the segments of BER constructed strings.
func octets(t tlv, depth int) ([]byte, error) {
	if !t.constructed {
		return t.content, nil
	}
	parts, err := t.children(depth)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, p := range parts {
		b, err := octets(p, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// integer decodes an INTEGER, negative values included (some real
// certificates carry negative serial numbers).
func integer(t tlv) (*big.Int, error) {
	if t.constructed || len(t.content) == 0 {
		return nil, malformed("bad INTEGER encoding")
	}
	n := new(big.Int).SetBytes(t.content)
	if t.content[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(t.content))))
	}
	return n, nil
}

// smallInt decodes an INTEGER that must fit an int (versions, counts).
func smallInt(t tlv, what string) (int, error) {
	if !t.is(classUniversal, tagInteger) {
		return 0, malformed("%s: found %s, want INTEGER", what, t)
	}
	n, err := integer(t)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if !n.IsInt64() || n.Int64() < -1<<31 || n.Int64() > 1<<31-1 {
		return 0, malformed("%s: integer out of range", what)
	}
	return int(n.Int64()), nil
}

// oid decodes an OBJECT IDENTIFIER.
func oid(t tlv) (asn1.ObjectIdentifier, error) {
	if !t.is(classUniversal, tagOID) || t.constructed || len(t.content) == 0 {
		return nil, malformed("found %s, want OBJECT IDENTIFIER", t)
	}
	if len(t.content) > 128 {
		return nil, malformed("OBJECT IDENTIFIER of %d bytes", len(t.content))
	}
	var out asn1.ObjectIdentifier
	v := 0
	for i, c := range t.content {
		if v > 1<<24 {
			return nil, malformed("OBJECT IDENTIFIER arc too large")
		}
		v = v<<7 | int(c&0x7f)
		if c&0x80 != 0 {
			if i == len(t.content)-1 {
				return nil, malformed("truncated OBJECT IDENTIFIER")
			}
			continue
		}
		if len(out) == 0 {
			switch {
			case v < 40:
				out = append(out, 0, v)
			case v < 80:
				out = append(out, 1, v-40)
			default:
				out = append(out, 2, v-80)
			}
		} else {
			out = append(out, v)
		}
		v = 0
	}
	return out, nil
}

// bitString returns the bytes of a BIT STRING, which must hold whole bytes
// (keys and signatures always do).
func bitString(t tlv) ([]byte, error) {
	if !t.is(classUniversal, tagBitString) || t.constructed || len(t.content) == 0 {
		return nil, malformed("found %s, want BIT STRING", t)
	}
	if t.content[0] != 0 {
		return nil, malformed("BIT STRING with %d unused bits where whole bytes are expected", t.content[0])
	}
	return t.content[1:], nil
}

// bitStringBits returns the bytes and the unused-bit count of a BIT STRING
// (key usage flags are not whole bytes).
func bitStringBits(t tlv) ([]byte, int, error) {
	if !t.is(classUniversal, tagBitString) || t.constructed || len(t.content) == 0 || t.content[0] > 7 {
		return nil, 0, malformed("found %s, want BIT STRING", t)
	}
	return t.content[1:], int(t.content[0]), nil
}

// parseTime decodes UTCTime or GeneralizedTime. Real certificates use both,
// some without seconds, so the accepted layouts are those RFC 5280 allows
// plus the seconds-less and fractional forms found in the wild.
func parseTime(t tlv) (time.Time, error) {
	s := string(t.content)
	var layouts []string
	switch {
	case t.is(classUniversal, tagUTCTime):
		layouts = []string{"060102150405Z0700", "0601021504Z0700"}
	case t.is(classUniversal, tagGeneralizedTime):
		layouts = []string{"20060102150405Z0700", "20060102150405.999999999Z0700", "200601021504Z0700"}
	default:
		return time.Time{}, malformed("found %s, want UTCTime or GeneralizedTime", t)
	}
	for _, l := range layouts {
		if tm, err := time.Parse(l, s); err == nil {
			if t.tag == tagUTCTime && tm.Year() >= 2050 {
				tm = tm.AddDate(-100, 0, 0) // RFC 5280 4.1.2.5.1: YY >= 50 means 19YY
			}
			return tm.UTC(), nil
		}
	}
	return time.Time{}, malformed("unreadable time %q", s)
}

// decodeString decodes the ASN.1 string types found in distinguished names.
func decodeString(t tlv) (string, error) {
	if t.class != classUniversal || t.constructed {
		return "", malformed("found %s, want a string", t)
	}
	b := t.content
	switch t.tag {
	case tagUTF8String, tagPrintableString, tagIA5String, tagNumericString, tagVisibleString:
		if !utf8.Valid(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		}
		return string(b), nil
	case tagT61String:
		// Read as Latin-1: what every issuer that uses T61String means by it.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	case tagBMPString:
		if len(b)%2 != 0 {
			return "", malformed("BMPString of odd length")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	case tagUniversalString:
		if len(b)%4 != 0 {
			return "", malformed("UniversalString length not a multiple of 4")
		}
		r := make([]rune, len(b)/4)
		for i := range r {
			r[i] = rune(uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3]))
		}
		return strings.ToValidUTF8(string(r), "\uFFFD"), nil
	default:
		return "", malformed("found %s, want a string", t)
	}
}

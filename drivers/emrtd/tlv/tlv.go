package tlv

import (
	"errors"
	"fmt"
)

// Tag is a BER tag with its class and constructed bits, as the bytes read
// big-endian (0x61, 0x5F1F, 0x7F61).
type Tag uint32

// Constructed reports whether the tag's value is itself TLV-encoded.
func (t Tag) Constructed() bool {
	first := uint32(t)
	for first > 0xFF {
		first >>= 8
	}
	return first&0x20 != 0
}

func (t Tag) String() string { return fmt.Sprintf("%02X", uint32(t)) }

// Bytes returns the tag's encoding.
func (t Tag) Bytes() []byte {
	switch {
	case t > 0xFFFF:
		return []byte{byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFF:
		return []byte{byte(t >> 8), byte(t)}
	default:
		return []byte{byte(t)}
	}
}

// Limits bound what Parse accepts.
const (
	MaxDepth = 16      // nesting levels
	MaxNodes = 100_000 // TLVs in one Parse
)

// Decoding errors; returned wrapped with the offset where they occurred.
var (
	ErrTruncated  = errors.New("tlv: truncated")
	ErrLength     = errors.New("tlv: length beyond the data")
	ErrIndefinite = errors.New("tlv: indefinite length not allowed")
	ErrTag        = errors.New("tlv: malformed tag")
	ErrTooDeep    = errors.New("tlv: nested too deep")
	ErrTooMany    = errors.New("tlv: too many elements")
)

// TLV is one decoded element. For a constructed tag parsed with Parse,
// Children holds the decoded value.
type TLV struct {
	Tag      Tag
	Value    []byte
	Children []TLV
}

// ReadTag decodes a tag at the start of b and returns it with the bytes it took.
func ReadTag(b []byte) (Tag, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	t := Tag(b[0])
	if b[0]&0x1F != 0x1F {
		return t, 1, nil
	}
	for i := 1; ; i++ {
		if i >= len(b) {
			return 0, 0, ErrTruncated
		}
		if i > 2 {
			return 0, 0, fmt.Errorf("%w: longer than 3 bytes", ErrTag)
		}
		t = t<<8 | Tag(b[i])
		if b[i]&0x80 == 0 {
			return t, i + 1, nil
		}
	}
}

// ReadLength decodes a definite length at the start of b and returns it with
// the bytes it took.
func ReadLength(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	n := int(b[0] & 0x7F)
	if n == 0 {
		return 0, 0, ErrIndefinite
	}
	if n > 4 {
		return 0, 0, fmt.Errorf("%w: %d length bytes", ErrLength, n)
	}
	if len(b) < 1+n {
		return 0, 0, ErrTruncated
	}
	l := 0
	for _, c := range b[1 : 1+n] {
		l = l<<8 | int(c)
	}
	if l < 0 || l > 1<<30 {
		return 0, 0, fmt.Errorf("%w: %d", ErrLength, l)
	}
	return l, 1 + n, nil
}

// Next decodes one element at the start of b without descending into it and
// returns the rest of b.
func Next(b []byte) (TLV, []byte, error) {
	tag, tn, err := ReadTag(b)
	if err != nil {
		return TLV{}, nil, err
	}
	l, ln, err := ReadLength(b[tn:])
	if err != nil {
		return TLV{}, nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	start := tn + ln
	if l > len(b)-start {
		return TLV{}, nil, fmt.Errorf("tag %s: %w: %d bytes declared, %d present", tag, ErrLength, l, len(b)-start)
	}
	return TLV{Tag: tag, Value: b[start : start+l : start+l]}, b[start+l:], nil
}

// Parse decodes every element of b, descending into constructed ones.
func Parse(b []byte) ([]TLV, error) {
	nodes := 0
	return parse(b, 0, &nodes)
}

func parse(b []byte, depth int, nodes *int) ([]TLV, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	var out []TLV
	for len(b) > 0 {
		// Padding some chips leave after the last element.
		if b[0] == 0x00 || b[0] == 0xFF {
			b = b[1:]
			continue
		}
		t, rest, err := Next(b)
		if err != nil {
			return nil, err
		}
		*nodes++
		if *nodes > MaxNodes {
			return nil, ErrTooMany
		}
		if t.Tag.Constructed() {
			if t.Children, err = parse(t.Value, depth+1, nodes); err != nil {
				return nil, fmt.Errorf("in %s: %w", t.Tag, err)
			}
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

// ParseOne decodes b as exactly one element (with its children).
func ParseOne(b []byte) (TLV, error) {
	all, err := Parse(b)
	if err != nil {
		return TLV{}, err
	}
	if len(all) != 1 {
		return TLV{}, fmt.Errorf("tlv: want one element, found %d", len(all))
	}
	return all[0], nil
}

// Find returns the first child with the tag.
func (t TLV) Find(tag Tag) (TLV, bool) {
	return Find(t.Children, tag)
}

// Find returns the first element with the tag, following a path of tags
// through children: Find(nodes, 0x61, 0x5F1F).
func Find(nodes []TLV, path ...Tag) (TLV, bool) {
	var cur TLV
	for i, tag := range path {
		found := false
		for _, n := range nodes {
			if n.Tag == tag {
				cur, found = n, true
				break
			}
		}
		if !found {
			return TLV{}, false
		}
		if i < len(path)-1 {
			nodes = cur.Children
		}
	}
	return cur, len(path) > 0
}

// All returns every direct element with the tag.
func All(nodes []TLV, tag Tag) []TLV {
	var out []TLV
	for _, n := range nodes {
		if n.Tag == tag {
			out = append(out, n)
		}
	}
	return out
}

// EncodeLength encodes a definite length in the shortest form.
func EncodeLength(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n <= 0xFF:
		return []byte{0x81, byte(n)}
	case n <= 0xFFFF:
		return []byte{0x82, byte(n >> 8), byte(n)}
	case n <= 0xFFFFFF:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	default:
		return []byte{0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

// Encode encodes one element; a constructed value is the concatenation of
// already encoded children.
func Encode(tag Tag, value ...[]byte) []byte {
	n := 0
	for _, v := range value {
		n += len(v)
	}
	out := append(tag.Bytes(), EncodeLength(n)...)
	for _, v := range value {
		out = append(out, v...)
	}
	return out
}

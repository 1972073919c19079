package lds

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"autogate/drivers/emrtd/tlv"
)

// ParseError is what every parser returns for data that does not follow
// ICAO 9303-10 or the biometric standard it names.
type ParseError struct {
	File string // "EF.COM", "DG2", or the record type for standalone records
	Err  error  // what was wrong, and where
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("lds: %s is malformed: %v (read the chip again; if it persists, refer the document for manual inspection)", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func malformed(file string, err error) error {
	if err == nil {
		return nil
	}
	return &ParseError{File: file, Err: err}
}

// maxElements bounds the elements read from one constructed value, so that a
// value of many empty elements cannot make a parser build a huge slice.
const maxElements = 4096

// unwrap decodes b as one element with the given tag and returns its value.
// Only 00 or FF padding, which some chips leave at the end of a file, may
// follow it.
func unwrap(b []byte, tag tlv.Tag) ([]byte, error) {
	t, rest, err := tlv.Next(b)
	if err != nil {
		return nil, err
	}
	if t.Tag != tag {
		return nil, fmt.Errorf("starts with tag %s, want %s", t.Tag, tag)
	}
	for _, c := range rest {
		if c != 0x00 && c != 0xFF {
			return nil, fmt.Errorf("%d bytes follow the %s element", len(rest), tag)
		}
	}
	return t.Value, nil
}

// elements decodes the elements of a constructed value, one level deep:
// values stay undecoded, so each caller decides how deep to trust them.
func elements(b []byte) ([]tlv.TLV, error) {
	var out []tlv.TLV
	for len(b) > 0 {
		if len(out) == maxElements {
			return nil, fmt.Errorf("more than %d elements", maxElements)
		}
		t, rest, err := tlv.Next(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

// only returns the single element with the tag among els.
func only(els []tlv.TLV, tag tlv.Tag) (tlv.TLV, bool, error) {
	var found tlv.TLV
	n := 0
	for _, e := range els {
		if e.Tag == tag {
			found = e
			n++
		}
	}
	if n > 1 {
		return tlv.TLV{}, false, fmt.Errorf("tag %s appears %d times", tag, n)
	}
	return found, n == 1, nil
}

// text decodes a text field. 9303-10 prescribes UTF-8; older chips wrote
// Latin-1, which is taken byte for byte rather than refused.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// digits decodes a date or time field written either as ASCII digits or, by
// older chips, as packed BCD (two digits a byte). want is the digit count
// (8 for YYYYMMDD, 14 for YYYYMMDDhhmmss).
func digits(b []byte, want int) (string, error) {
	switch {
	case len(b) == want && allDigits(string(b)):
		return string(b), nil
	case len(b)*2 == want:
		var sb strings.Builder
		for _, c := range b {
			hi, lo := c>>4, c&0x0F
			if hi > 9 || lo > 9 {
				return "", fmt.Errorf("%X is neither %d ASCII digits nor packed BCD", b, want)
			}
			sb.WriteByte('0' + hi)
			sb.WriteByte('0' + lo)
		}
		return sb.String(), nil
	}
	return "", fmt.Errorf("%q is neither %d ASCII digits nor %d bytes of packed BCD", b, want, want/2)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// tagList decodes the value of a 5C tag list.
func tagList(b []byte) ([]tlv.Tag, error) {
	var tags []tlv.Tag
	for len(b) > 0 {
		t, n, err := tlv.ReadTag(b)
		if err != nil {
			return nil, fmt.Errorf("tag list %X: %w", b, err)
		}
		tags = append(tags, t)
		b = b[n:]
	}
	return tags, nil
}

func encodeTagList(tags []tlv.Tag) []byte {
	var v []byte
	for _, t := range tags {
		v = append(v, t.Bytes()...)
	}
	return tlv.Encode(0x5C, v)
}

// count decodes the one-byte 02 element that opens ICAO templates with the
// number of entries that follow.
func count(e tlv.TLV) (int, error) {
	if e.Tag != 0x02 || len(e.Value) != 1 {
		return 0, fmt.Errorf("want a one-byte count (02 01 nn), found tag %s with %d bytes", e.Tag, len(e.Value))
	}
	return int(e.Value[0]), nil
}

// checkTagList compares the tags a 5C list announces with the tags present
// and describes each difference. Chips get this wrong without the data being
// wrong, so callers report the result as warnings, not errors.
func checkTagList(listed []tlv.Tag, present []tlv.TLV) []string {
	var warn []string
	has := map[tlv.Tag]bool{}
	for _, e := range present {
		has[e.Tag] = true
	}
	inList := map[tlv.Tag]bool{}
	for _, t := range listed {
		inList[t] = true
		if !has[t] {
			warn = append(warn, fmt.Sprintf("tag list names %s but the file holds no %s element", t, t))
		}
	}
	for _, e := range present {
		if e.Tag != 0x5C && !inList[e.Tag] {
			warn = append(warn, fmt.Sprintf("element %s is not in the tag list", e.Tag))
		}
	}
	return warn
}

func joinSorted(s []string) string {
	sort.Strings(s)
	return strings.Join(s, ", ")
}

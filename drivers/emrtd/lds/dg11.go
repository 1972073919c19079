package lds

import (
	"errors"
	"fmt"
	"strings"

	"autogate/drivers/emrtd/tlv"
)

// DG11 holds additional personal details (9303-10 §4.7.11). Text is as
// stored: name components are separated by '<' and the primary identifier
// from the secondary by "<<", as in the MRZ but without transliteration.
type DG11 struct {
	FullName            string   // 5F0E
	OtherNames          []string // A0 { 02 n, 5F0F × n }
	PersonalNumber      string   // 5F10
	FullDateOfBirth     string   // 5F2B: YYYYMMDD
	PlaceOfBirth        string   // 5F11
	Address             string   // 5F42
	Telephone           string   // 5F12
	Profession          string   // 5F13
	Title               string   // 5F14
	PersonalSummary     string   // 5F15
	ProofOfCitizenship  []byte   // 5F16: an image of the proof
	OtherValidTDNumbers string   // 5F17: document numbers separated by '<'
	CustodyInformation  string   // 5F18
	// Tags is the tag list (5C) as written.
	Tags []tlv.Tag
	// Warnings describe inconsistencies that do not make the data unusable:
	// a tag list that disagrees with the elements present, a date that is
	// not YYYYMMDD.
	Warnings []string
}

// Name splits FullName into the primary identifier (surname) and the
// secondary identifier (given names), with '<' turned into spaces.
func (d *DG11) Name() (primary, secondary string) {
	p, s, _ := strings.Cut(d.FullName, "<<")
	clean := func(x string) string {
		return strings.Join(strings.FieldsFunc(x, func(r rune) bool { return r == '<' }), " ")
	}
	return clean(p), clean(s)
}

// textField binds a tag to the string field it fills.
type textField struct {
	tag tlv.Tag
	dst *string
}

func (d *DG11) textFields() []textField {
	return []textField{
		{0x5F0E, &d.FullName}, {0x5F10, &d.PersonalNumber}, {0x5F11, &d.PlaceOfBirth},
		{0x5F42, &d.Address}, {0x5F12, &d.Telephone}, {0x5F13, &d.Profession}, {0x5F14, &d.Title},
		{0x5F15, &d.PersonalSummary}, {0x5F17, &d.OtherValidTDNumbers}, {0x5F18, &d.CustodyInformation},
	}
}

// ParseDG11 parses DG11: 6B { 5C tag list, fields }.
func ParseDG11(b []byte) (*DG11, error) {
	d, err := parseDG11(b)
	return d, malformed("DG11", err)
}

func parseDG11(b []byte) (*DG11, error) {
	els, tags, err := taggedFile(b, dgTags[10])
	if err != nil {
		return nil, err
	}
	d := &DG11{Tags: tags}
	if err := fillText(els, d.textFields()); err != nil {
		return nil, err
	}
	if e, ok, err := only(els, 0x5F2B); err != nil {
		return nil, err
	} else if ok {
		d.FullDateOfBirth, d.Warnings = dateField(e, 8, "full date of birth", d.Warnings)
	}
	if e, ok, err := only(els, 0x5F16); err != nil {
		return nil, err
	} else if ok {
		d.ProofOfCitizenship = e.Value
	}
	if e, ok, err := only(els, 0xA0); err != nil {
		return nil, err
	} else if ok {
		if d.OtherNames, err = countedTexts(e.Value, 0x5F0F); err != nil {
			return nil, fmt.Errorf("other names (A0): %w", err)
		}
	}
	d.Warnings = append(d.Warnings, checkTagList(tags, els)...)
	return d, nil
}

// taggedFile opens a file of the form outer { 5C tag list, elements }.
func taggedFile(b []byte, outer tlv.Tag) ([]tlv.TLV, []tlv.Tag, error) {
	v, err := unwrap(b, outer)
	if err != nil {
		return nil, nil, err
	}
	els, err := elements(v)
	if err != nil {
		return nil, nil, err
	}
	list, ok, err := only(els, 0x5C)
	switch {
	case err != nil:
		return nil, nil, err
	case !ok:
		return nil, nil, errors.New("no tag list (5C)")
	}
	tags, err := tagList(list.Value)
	return els, tags, err
}

func fillText(els []tlv.TLV, fields []textField) error {
	for _, f := range fields {
		e, ok, err := only(els, f.tag)
		if err != nil {
			return err
		}
		if ok {
			*f.dst = text(e.Value)
		}
	}
	return nil
}

// dateField reads a date (8 digits) or date and time (14 digits); a value
// in neither form is kept as text with a warning.
func dateField(e tlv.TLV, n int, what string, warn []string) (string, []string) {
	s, err := digits(e.Value, n)
	if err != nil {
		return text(e.Value), append(warn, fmt.Sprintf("%s (%s): %v", what, e.Tag, err))
	}
	return s, warn
}

// countedTexts reads { 02 n, tag text × n }.
func countedTexts(v []byte, tag tlv.Tag) ([]string, error) {
	els, err := elements(v)
	if err != nil {
		return nil, err
	}
	if len(els) == 0 {
		return nil, errors.New("empty")
	}
	n, err := count(els[0])
	if err != nil {
		return nil, err
	}
	var out []string
	for i, e := range els[1:] {
		if e.Tag != tag {
			return nil, fmt.Errorf("element %d has tag %s, want %s", i+2, e.Tag, tag)
		}
		out = append(out, text(e.Value))
	}
	if len(out) != n {
		return nil, fmt.Errorf("announces %d entries and holds %d", n, len(out))
	}
	return out, nil
}

func encodeCounted(outer, inner tlv.Tag, items []string) ([]byte, error) {
	if len(items) > 255 {
		return nil, fmt.Errorf("%d entries; at most 255", len(items))
	}
	parts := [][]byte{tlv.Encode(0x02, []byte{byte(len(items))})}
	for _, s := range items {
		parts = append(parts, tlv.Encode(inner, []byte(s)))
	}
	return tlv.Encode(outer, parts...), nil
}

// taggedBuilder collects the elements of a tag-listed file in order.
type taggedBuilder struct {
	tags  []tlv.Tag
	parts [][]byte
	fail  []string
}

func (t *taggedBuilder) text(tag tlv.Tag, s string) {
	if s != "" {
		t.raw(tag, []byte(s))
	}
}

func (t *taggedBuilder) raw(tag tlv.Tag, b []byte) {
	if len(b) > 0 {
		t.tags = append(t.tags, tag)
		t.parts = append(t.parts, tlv.Encode(tag, b))
	}
}

func (t *taggedBuilder) date(tag tlv.Tag, s string, n int, what string) {
	if s == "" {
		return
	}
	if len(s) != n || !allDigits(s) {
		t.fail = append(t.fail, fmt.Sprintf("%s %q must be %d digits", what, s, n))
		return
	}
	t.raw(tag, []byte(s))
}

func (t *taggedBuilder) counted(outer, inner tlv.Tag, items []string, what string) {
	if len(items) == 0 {
		return
	}
	enc, err := encodeCounted(outer, inner, items)
	if err != nil {
		t.fail = append(t.fail, fmt.Sprintf("%s: %v", what, err))
		return
	}
	t.tags = append(t.tags, outer)
	t.parts = append(t.parts, enc)
}

func (t *taggedBuilder) build(fn string, outer tlv.Tag) ([]byte, error) {
	if len(t.fail) > 0 {
		return nil, fmt.Errorf("lds: %s: %s", fn, strings.Join(t.fail, "; "))
	}
	if len(t.parts) == 0 {
		return nil, fmt.Errorf("lds: %s: no field is set", fn)
	}
	return tlv.Encode(outer, append([][]byte{encodeTagList(t.tags)}, t.parts...)...), nil
}

// BuildDG11 builds DG11 from the fields of d that are set, in the order of
// 9303-10 table 40, with a tag list naming them. d.Tags and d.Warnings are
// ignored.
func BuildDG11(d DG11) ([]byte, error) {
	var t taggedBuilder
	t.text(0x5F0E, d.FullName)
	t.counted(0xA0, 0x5F0F, d.OtherNames, "other names")
	t.text(0x5F10, d.PersonalNumber)
	t.date(0x5F2B, d.FullDateOfBirth, 8, "full date of birth")
	t.text(0x5F11, d.PlaceOfBirth)
	t.text(0x5F42, d.Address)
	t.text(0x5F12, d.Telephone)
	t.text(0x5F13, d.Profession)
	t.text(0x5F14, d.Title)
	t.text(0x5F15, d.PersonalSummary)
	t.raw(0x5F16, d.ProofOfCitizenship)
	t.text(0x5F17, d.OtherValidTDNumbers)
	t.text(0x5F18, d.CustodyInformation)
	return t.build("BuildDG11", dgTags[10])
}

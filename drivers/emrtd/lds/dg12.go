package lds

import (
	"errors"
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// DG12 holds additional document details (9303-10 §4.7.12).
type DG12 struct {
	IssuingAuthority    string   // 5F19
	DateOfIssue         string   // 5F26: YYYYMMDD
	OtherPersons        []string // A0 { 02 n, 5F1A × n }
	Endorsements        string   // 5F1B: endorsements and observations
	TaxExitRequirements string   // 5F1C
	FrontImage          []byte   // 5F1D: image of the document's front
	RearImage           []byte   // 5F1E: image of the document's rear
	// PersonalizationTime is YYYYMMDDhhmmss (5F55).
	PersonalizationTime         string
	PersonalizationDeviceSerial string // 5F56
	Tags                        []tlv.Tag
	Warnings                    []string
}

// ParseDG12 parses DG12: 6C { 5C tag list, fields }.
func ParseDG12(b []byte) (*DG12, error) {
	d, err := parseDG12(b)
	return d, malformed("DG12", err)
}

func parseDG12(b []byte) (*DG12, error) {
	els, tags, err := taggedFile(b, dgTags[11])
	if err != nil {
		return nil, err
	}
	d := &DG12{Tags: tags}
	if err := fillText(els, []textField{
		{0x5F19, &d.IssuingAuthority}, {0x5F1B, &d.Endorsements}, {0x5F1C, &d.TaxExitRequirements},
		{0x5F56, &d.PersonalizationDeviceSerial},
	}); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		tag  tlv.Tag
		n    int
		dst  *string
		what string
	}{{0x5F26, 8, &d.DateOfIssue, "date of issue"}, {0x5F55, 14, &d.PersonalizationTime, "personalization time"}} {
		if e, ok, err := only(els, f.tag); err != nil {
			return nil, err
		} else if ok {
			*f.dst, d.Warnings = dateField(e, f.n, f.what, d.Warnings)
		}
	}
	for _, f := range []struct {
		tag tlv.Tag
		dst *[]byte
	}{{0x5F1D, &d.FrontImage}, {0x5F1E, &d.RearImage}} {
		if e, ok, err := only(els, f.tag); err != nil {
			return nil, err
		} else if ok {
			*f.dst = e.Value
		}
	}
	if e, ok, err := only(els, 0xA0); err != nil {
		return nil, err
	} else if ok {
		if d.OtherPersons, err = countedTexts(e.Value, 0x5F1A); err != nil {
			return nil, fmt.Errorf("other persons (A0): %w", err)
		}
	}
	d.Warnings = append(d.Warnings, checkTagList(tags, els)...)
	return d, nil
}

// BuildDG12 builds DG12 from the fields of d that are set, with a tag list
// naming them. d.Tags and d.Warnings are ignored.
func BuildDG12(d DG12) ([]byte, error) {
	var t taggedBuilder
	t.text(0x5F19, d.IssuingAuthority)
	t.date(0x5F26, d.DateOfIssue, 8, "date of issue")
	t.counted(0xA0, 0x5F1A, d.OtherPersons, "other persons")
	t.text(0x5F1B, d.Endorsements)
	t.text(0x5F1C, d.TaxExitRequirements)
	t.raw(0x5F1D, d.FrontImage)
	t.raw(0x5F1E, d.RearImage)
	t.date(0x5F55, d.PersonalizationTime, 14, "personalization time")
	t.text(0x5F56, d.PersonalizationDeviceSerial)
	return t.build("BuildDG12", dgTags[11])
}

// DG13 holds optional details whose format the issuing state defines; it is
// kept as the raw value of tag 6D.
type DG13 struct {
	Data []byte
}

// ParseDG13 checks the 6D wrapper of DG13 and returns its value.
func ParseDG13(b []byte) (*DG13, error) {
	v, err := unwrap(b, dgTags[12])
	if err != nil {
		return nil, malformed("DG13", err)
	}
	return &DG13{Data: v}, nil
}

// BuildDG13 wraps issuer-defined data in tag 6D.
func BuildDG13(data []byte) []byte { return tlv.Encode(dgTags[12], data) }

// DG16 lists persons to notify (9303-10 §4.7.16).
type DG16 struct {
	Persons []PersonToNotify
}

// PersonToNotify is one entry of DG16.
type PersonToNotify struct {
	DateRecorded string // 5F50: YYYYMMDD
	Name         string // 5F51: primary and secondary identifiers separated by "<<"
	Telephone    string // 5F52
	Address      string // 5F53
	Warnings     []string
}

// ParseDG16 parses DG16: 70 { 02 n, A1 { 5F50, 5F51, 5F52, 5F53 }, A2 {…}, … }.
func ParseDG16(b []byte) (*DG16, error) {
	d, err := parseDG16(b)
	return d, malformed("DG16", err)
}

func parseDG16(b []byte) (*DG16, error) {
	v, err := unwrap(b, dgTags[15])
	if err != nil {
		return nil, err
	}
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
	d := &DG16{}
	for i, e := range els[1:] {
		if e.Tag < 0xA1 || e.Tag > 0xBE {
			return nil, fmt.Errorf("element %d has tag %s, want a person template A1, A2, …", i+2, e.Tag)
		}
		fields, err := elements(e.Value)
		if err != nil {
			return nil, fmt.Errorf("person %d (%s): %w", i+1, e.Tag, err)
		}
		var p PersonToNotify
		if err := fillText(fields, []textField{{0x5F51, &p.Name}, {0x5F52, &p.Telephone}, {0x5F53, &p.Address}}); err != nil {
			return nil, fmt.Errorf("person %d (%s): %w", i+1, e.Tag, err)
		}
		if f, ok, err := only(fields, 0x5F50); err != nil {
			return nil, fmt.Errorf("person %d (%s): %w", i+1, e.Tag, err)
		} else if ok {
			p.DateRecorded, p.Warnings = dateField(f, 8, "date recorded", nil)
		}
		d.Persons = append(d.Persons, p)
	}
	if len(d.Persons) != n || n == 0 {
		return nil, fmt.Errorf("announces %d persons and holds %d", n, len(d.Persons))
	}
	return d, nil
}

// BuildDG16 builds DG16 from one to 30 persons to notify.
func BuildDG16(persons ...PersonToNotify) ([]byte, error) {
	if len(persons) == 0 || len(persons) > 30 {
		return nil, fmt.Errorf("lds: BuildDG16: %d persons; want 1 to 30 (templates A1 to BE)", len(persons))
	}
	parts := [][]byte{tlv.Encode(0x02, []byte{byte(len(persons))})}
	for i, p := range persons {
		var t taggedBuilder
		t.date(0x5F50, p.DateRecorded, 8, "date recorded")
		t.text(0x5F51, p.Name)
		t.text(0x5F52, p.Telephone)
		t.text(0x5F53, p.Address)
		if len(t.fail) > 0 || len(t.parts) == 0 {
			return nil, fmt.Errorf("lds: BuildDG16: person %d: %v (set at least one field)", i+1, t.fail)
		}
		parts = append(parts, tlv.Encode(tlv.Tag(0xA1+i), t.parts...))
	}
	return tlv.Encode(dgTags[15], parts...), nil
}

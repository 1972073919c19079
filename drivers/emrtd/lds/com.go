package lds

import (
	"errors"
	"fmt"
	"strconv"

	"autogate/drivers/emrtd/tlv"
)

// COM is EF.COM: the versions the chip was personalised with and the data
// groups it says it holds. EF.COM is not covered by the document signature;
// EF.SOD is the authoritative list.
type COM struct {
	// LDSVersion is "aabb" for LDS version aa.bb (e.g. "0107"); see
	// LDSVersionString.
	LDSVersion string
	// UnicodeVersion is "aabbcc" for Unicode aa.bb.cc (e.g. "040000").
	UnicodeVersion string
	// Tags is the tag list as written; DataGroups the data groups it names,
	// in the same order. Tags that name no data group are in Tags only.
	Tags       []tlv.Tag
	DataGroups []DataGroup
}

// LDSVersionString formats the LDS version as "1.7".
func (c *COM) LDSVersionString() string { return dotted(c.LDSVersion) }

// UnicodeVersionString formats the Unicode version as "4.0.0".
func (c *COM) UnicodeVersionString() string { return dotted(c.UnicodeVersion) }

func dotted(s string) string {
	out := ""
	for i := 0; i+2 <= len(s); i += 2 {
		n, _ := strconv.Atoi(s[i : i+2])
		if i > 0 {
			out += "."
		}
		out += strconv.Itoa(n)
	}
	return out
}

// Has reports whether EF.COM lists the data group.
func (c *COM) Has(dg DataGroup) bool {
	for _, d := range c.DataGroups {
		if d == dg {
			return true
		}
	}
	return false
}

// ParseCOM parses EF.COM: 60 { 5F01 LDS version, 5F36 Unicode version, 5C tag list }.
func ParseCOM(b []byte) (*COM, error) {
	c, err := parseCOM(b)
	return c, malformed("EF.COM", err)
}

func parseCOM(b []byte) (*COM, error) {
	v, err := unwrap(b, TagCOM)
	if err != nil {
		return nil, err
	}
	els, err := elements(v)
	if err != nil {
		return nil, err
	}
	var c COM
	lds, ok, err := only(els, 0x5F01)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errors.New("no LDS version (5F01)")
	case len(lds.Value) != 4 || !allDigits(string(lds.Value)):
		return nil, fmt.Errorf("LDS version (5F01) %q is not 4 digits", lds.Value)
	}
	c.LDSVersion = string(lds.Value)
	uni, ok, err := only(els, 0x5F36)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errors.New("no Unicode version (5F36)")
	case len(uni.Value) != 6 || !allDigits(string(uni.Value)):
		return nil, fmt.Errorf("Unicode version (5F36) %q is not 6 digits", uni.Value)
	}
	c.UnicodeVersion = string(uni.Value)
	list, ok, err := only(els, 0x5C)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errors.New("no tag list (5C)")
	}
	if c.Tags, err = tagList(list.Value); err != nil {
		return nil, err
	}
	for _, t := range c.Tags {
		if dg, ok := DataGroupForTag(t); ok {
			c.DataGroups = append(c.DataGroups, dg)
		}
	}
	return &c, nil
}

// BuildCOM builds EF.COM. ldsVersion is "aabb" (e.g. "0107"), unicodeVersion
// "aabbcc" (e.g. "040000"); groups are the data groups present, written in
// the order given.
func BuildCOM(ldsVersion, unicodeVersion string, groups []DataGroup) ([]byte, error) {
	if len(ldsVersion) != 4 || !allDigits(ldsVersion) {
		return nil, fmt.Errorf("lds: BuildCOM: LDS version %q must be 4 digits, e.g. 0107 for LDS 1.7", ldsVersion)
	}
	if len(unicodeVersion) != 6 || !allDigits(unicodeVersion) {
		return nil, fmt.Errorf("lds: BuildCOM: Unicode version %q must be 6 digits, e.g. 040000 for Unicode 4.0.0", unicodeVersion)
	}
	tags := make([]tlv.Tag, 0, len(groups))
	for _, dg := range groups {
		if !dg.Valid() {
			return nil, fmt.Errorf("lds: BuildCOM: %v is not a data group (1 to 16)", dg)
		}
		tags = append(tags, dg.Tag())
	}
	return tlv.Encode(TagCOM,
		tlv.Encode(0x5F01, []byte(ldsVersion)),
		tlv.Encode(0x5F36, []byte(unicodeVersion)),
		encodeTagList(tags)), nil
}

package lds

import (
	"encoding/binary"
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// Tags of the biometric information template group (ISO/IEC 7816-11, as
// 9303-10 §4.7.2 uses it for DG2, DG3 and DG4).
const (
	tagBITGroup tlv.Tag = 0x7F61 // biometric information group template
	tagBIT      tlv.Tag = 0x7F60 // biometric information template
	tagBHT      tlv.Tag = 0xA1   // biometric header template
	tagBDB      tlv.Tag = 0x5F2E // biometric data block
	tagBDBCons  tlv.Tag = 0x7F2E // biometric data block, constructed (ISO/IEC 39794 records)
)

// Format owner and types of the biometric header (CBEFF, registered by the
// IBIA): ISO/IEC JTC 1/SC 37 owns the ISO/IEC 19794 and 39794 formats.
const (
	FormatOwnerSC37       uint16 = 0x0101
	FormatTypeFace19794   uint16 = 0x0008
	FormatTypeFinger19794 uint16 = 0x0007
	FormatTypeIris19794   uint16 = 0x0009
	BiometricTypeFace            = 0x02
	BiometricTypeFinger          = 0x08
)

// BiometricHeader is the biometric header template (A1) in front of each
// biometric data block.
type BiometricHeader struct {
	Version []byte // 80: ICAO header version, 01 01 for 1.1
	Type    int    // 81: biometric type: 2 face, 8 finger, 16 iris
	Subtype int    // 82: e.g. which finger
	// Created (83) and the validity period (85), as the digits their
	// packed BCD holds: YYYYMMDDhhmmss, YYYYMMDD.
	Created            string
	ValidFrom, ValidTo string
	Creator            []byte // 86
	FormatOwner        uint16 // 87
	FormatType         uint16 // 88
}

// bioTemplate is one biometric information template: header and data block.
type bioTemplate struct {
	Header BiometricHeader
	Data   []byte
}

// parseBIT reads outer { 7F61 { 02 n, 7F60 { A1 header, 5F2E|7F2E data } × n } }.
func parseBIT(b []byte, outer tlv.Tag) ([]bioTemplate, error) {
	v, err := unwrap(b, outer)
	if err != nil {
		return nil, err
	}
	group, err := unwrap(v, tagBITGroup)
	if err != nil {
		return nil, fmt.Errorf("biometric information group template: %w", err)
	}
	els, err := elements(group)
	if err != nil {
		return nil, fmt.Errorf("biometric information group template: %w", err)
	}
	if len(els) == 0 {
		return nil, fmt.Errorf("biometric information group template is empty")
	}
	n, err := count(els[0])
	if err != nil {
		return nil, fmt.Errorf("biometric information group template: %w", err)
	}
	var out []bioTemplate
	for i, e := range els[1:] {
		if e.Tag != tagBIT {
			return nil, fmt.Errorf("biometric information group template: element %d has tag %s, want %s", i+2, e.Tag, tagBIT)
		}
		t, err := parseTemplate(e.Value)
		if err != nil {
			return nil, fmt.Errorf("biometric information template %d: %w", i+1, err)
		}
		out = append(out, t)
	}
	if len(out) != n {
		return nil, fmt.Errorf("biometric information group template announces %d templates and holds %d", n, len(out))
	}
	if n == 0 {
		return nil, fmt.Errorf("biometric information group template holds no template")
	}
	return out, nil
}

func parseTemplate(v []byte) (bioTemplate, error) {
	var t bioTemplate
	els, err := elements(v)
	if err != nil {
		return t, err
	}
	h, ok, err := only(els, tagBHT)
	switch {
	case err != nil:
		return t, err
	case !ok:
		return t, fmt.Errorf("no biometric header template (%s)", tagBHT)
	}
	if t.Header, err = parseHeader(h.Value); err != nil {
		return t, fmt.Errorf("biometric header template: %w", err)
	}
	var data []tlv.TLV
	for _, e := range els {
		if e.Tag == tagBDB || e.Tag == tagBDBCons {
			data = append(data, e)
		}
	}
	if len(data) != 1 {
		return t, fmt.Errorf("want one biometric data block (%s or %s), found %d", tagBDB, tagBDBCons, len(data))
	}
	if len(data[0].Value) == 0 {
		return t, fmt.Errorf("biometric data block is empty")
	}
	t.Data = data[0].Value
	return t, nil
}

func parseHeader(v []byte) (BiometricHeader, error) {
	var h BiometricHeader
	els, err := elements(v)
	if err != nil {
		return h, err
	}
	for _, e := range els {
		switch e.Tag {
		case 0x80:
			h.Version = e.Value
		case 0x81, 0x82:
			if len(e.Value) == 0 || len(e.Value) > 3 {
				return h, fmt.Errorf("element %s has %d bytes, want 1 to 3", e.Tag, len(e.Value))
			}
			n := 0
			for _, c := range e.Value {
				n = n<<8 | int(c)
			}
			if e.Tag == 0x81 {
				h.Type = n
			} else {
				h.Subtype = n
			}
		case 0x83:
			h.Created = fmt.Sprintf("%X", e.Value)
		case 0x85:
			if len(e.Value) != 8 {
				return h, fmt.Errorf("validity period (85) has %d bytes, want 8", len(e.Value))
			}
			h.ValidFrom, h.ValidTo = fmt.Sprintf("%X", e.Value[:4]), fmt.Sprintf("%X", e.Value[4:])
		case 0x86:
			h.Creator = e.Value
		case 0x87, 0x88:
			if len(e.Value) != 2 {
				return h, fmt.Errorf("element %s has %d bytes, want 2", e.Tag, len(e.Value))
			}
			if e.Tag == 0x87 {
				h.FormatOwner = binary.BigEndian.Uint16(e.Value)
			} else {
				h.FormatType = binary.BigEndian.Uint16(e.Value)
			}
		}
	}
	return h, nil
}

// encodeHeader writes the elements of h that are set, in tag order.
func encodeHeader(h BiometricHeader) []byte {
	var parts [][]byte
	if len(h.Version) > 0 {
		parts = append(parts, tlv.Encode(0x80, h.Version))
	}
	if h.Type != 0 {
		parts = append(parts, tlv.Encode(0x81, minimalBytes(h.Type)))
	}
	if h.Subtype != 0 {
		parts = append(parts, tlv.Encode(0x82, minimalBytes(h.Subtype)))
	}
	if h.Created != "" {
		parts = append(parts, tlv.Encode(0x83, bcd(h.Created)))
	}
	if h.ValidFrom != "" || h.ValidTo != "" {
		parts = append(parts, tlv.Encode(0x85, bcd(h.ValidFrom), bcd(h.ValidTo)))
	}
	if len(h.Creator) > 0 {
		parts = append(parts, tlv.Encode(0x86, h.Creator))
	}
	parts = append(parts,
		tlv.Encode(0x87, binary.BigEndian.AppendUint16(nil, h.FormatOwner)),
		tlv.Encode(0x88, binary.BigEndian.AppendUint16(nil, h.FormatType)))
	return tlv.Encode(tagBHT, parts...)
}

func buildBIT(outer tlv.Tag, templates []bioTemplate) []byte {
	parts := [][]byte{tlv.Encode(0x02, []byte{byte(len(templates))})}
	for _, t := range templates {
		parts = append(parts, tlv.Encode(tagBIT, encodeHeader(t.Header), tlv.Encode(tagBDB, t.Data)))
	}
	return tlv.Encode(outer, tlv.Encode(tagBITGroup, parts...))
}

func minimalBytes(n int) []byte {
	switch {
	case n > 0xFFFF:
		return []byte{byte(n >> 16), byte(n >> 8), byte(n)}
	case n > 0xFF:
		return []byte{byte(n >> 8), byte(n)}
	}
	return []byte{byte(n)}
}

// bcd packs a string of decimal digits two to a byte; callers validate.
func bcd(s string) []byte {
	out := make([]byte, 0, (len(s)+1)/2)
	for i := 0; i+1 < len(s); i += 2 {
		out = append(out, (s[i]-'0')<<4|(s[i+1]-'0'))
	}
	return out
}

package lds

import (
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// DataGroup is a data group number, 1 to 16.
type DataGroup int

// Tags of the files that are not data groups (9303-10 §4.6).
const (
	TagCOM tlv.Tag = 0x60
	TagSOD tlv.Tag = 0x77
)

// File identifiers of EF.COM and EF.SOD in the eMRTD application
// (9303-10 table 36).
const (
	FileIDCOM uint16 = 0x011E
	FileIDSOD uint16 = 0x011D
)

// dgTags lists the tag of each data group, DG1 first (9303-10 table 34).
var dgTags = [16]tlv.Tag{0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70}

// Valid reports whether dg is DG1 to DG16.
func (dg DataGroup) Valid() bool { return dg >= 1 && dg <= 16 }

// Tag returns the data group's tag (DG1: 61, DG2: 75, …), 0 if dg is not valid.
func (dg DataGroup) Tag() tlv.Tag {
	if !dg.Valid() {
		return 0
	}
	return dgTags[dg-1]
}

// FileID returns the data group's file identifier: 0x0101 for DG1 to 0x0110
// for DG16.
func (dg DataGroup) FileID() uint16 {
	if !dg.Valid() {
		return 0
	}
	return 0x0100 + uint16(dg)
}

// SFI returns the data group's short file identifier, which equals its
// number (9303-10 table 36).
func (dg DataGroup) SFI() byte {
	if !dg.Valid() {
		return 0
	}
	return byte(dg)
}

func (dg DataGroup) String() string {
	if !dg.Valid() {
		return fmt.Sprintf("DataGroup(%d)", int(dg))
	}
	return fmt.Sprintf("DG%d", int(dg))
}

// DataGroupForTag returns the data group a tag belongs to.
func DataGroupForTag(tag tlv.Tag) (DataGroup, bool) {
	for i, t := range dgTags {
		if t == tag {
			return DataGroup(i + 1), true
		}
	}
	return 0, false
}

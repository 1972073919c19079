package lds

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/drivers/emrtd/tlv"
	"autogate/internal/mrz"
)

func TestDataGroupNumbers(t *testing.T) {
	for dg := DataGroup(1); dg <= 16; dg++ {
		back, ok := DataGroupForTag(dg.Tag())
		if !ok || back != dg || dg.FileID() != 0x0100+uint16(dg) || dg.SFI() != byte(dg) {
			t.Errorf("%v: tag %v → %v, FID %04X, SFI %d", dg, dg.Tag(), back, dg.FileID(), dg.SFI())
		}
	}
	if DataGroup(2).Tag() != 0x75 || DataGroup(14).Tag() != 0x6E || DataGroup(0).Tag() != 0 || DataGroup(17).Valid() {
		t.Error("tags of DG2/DG14 or bounds wrong")
	}
	if _, ok := DataGroupForTag(TagSOD); ok {
		t.Error("EF.SOD taken for a data group")
	}
}

func TestCOMRoundTripAndRefusals(t *testing.T) {
	b, err := BuildCOM("0108", "040000", []DataGroup{1, 2, 11, 12, 14, 15})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCOM(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.LDSVersionString() != "1.8" || !slices.Equal(c.DataGroups, []DataGroup{1, 2, 11, 12, 14, 15}) {
		t.Errorf("%+v", c)
	}
	for _, bad := range []struct{ lds, uni string }{{"18", "040000"}, {"01a8", "040000"}, {"0108", "4.0.0"}} {
		if _, err := BuildCOM(bad.lds, bad.uni, []DataGroup{1}); err == nil {
			t.Errorf("BuildCOM(%q, %q) accepted", bad.lds, bad.uni)
		}
	}
	if _, err := BuildCOM("0108", "040000", []DataGroup{17}); err == nil {
		t.Error("DG17 accepted")
	}
	ver, uni, list := tlv.Encode(0x5F01, []byte("0107")), tlv.Encode(0x5F36, []byte("040000")), tlv.Encode(0x5C, []byte{0x61})
	for name, b := range map[string][]byte{
		"no version":     tlv.Encode(0x60, uni, list),
		"no unicode":     tlv.Encode(0x60, ver, list),
		"no tag list":    tlv.Encode(0x60, ver, uni),
		"two versions":   tlv.Encode(0x60, ver, ver, uni, list),
		"bad tag list":   tlv.Encode(0x60, ver, uni, tlv.Encode(0x5C, []byte{0x5F})),
		"version digits": tlv.Encode(0x60, tlv.Encode(0x5F01, []byte("01.7")), uni, list),
		"wrong tag":      tlv.Encode(0x61, ver, uni, list),
	} {
		var pe *ParseError
		if _, err := ParseCOM(b); !errors.As(err, &pe) || pe.File != "EF.COM" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDG1RoundTrip(t *testing.T) {
	born := time.Date(1988, 3, 4, 0, 0, 0, 0, time.UTC)
	expires := time.Date(2031, 7, 9, 0, 0, 0, 0, time.UTC)
	for _, format := range []mrz.Format{mrz.TD1, mrz.TD2, mrz.TD3} {
		lines, err := mrz.Build(format, mrz.Fields{
			DocumentCode: map[mrz.Format]string{mrz.TD1: "ID", mrz.TD2: "I", mrz.TD3: "P"}[format],
			IssuingState: "VNM", Nationality: "VNM", Surname: "NGUYEN", GivenNames: "VAN AN",
			DocumentNumber: "C1234567", BirthDate: born, ExpiryDate: expires, Sex: "M",
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := BuildDG1(lines)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseDG1(b, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Lines, lines) || !d.MRZ.Valid || d.MRZ.Format != format || d.MRZ.Surname != "NGUYEN" || d.MRZ.BirthDate != "1988-03-04" {
			t.Errorf("%s: %+v", format, d.MRZ)
		}
	}
	for name, lines := range map[string][]string{
		"one line":        {strings.Repeat("<", 88)},
		"uneven lines":    {strings.Repeat("<", 40), strings.Repeat("<", 48)},
		"lower case":      {"P<utoX" + strings.Repeat("<", 38), strings.Repeat("<", 44)},
		"three TD3 lines": {strings.Repeat("<", 44), strings.Repeat("<", 44), strings.Repeat("<", 44)},
	} {
		if _, err := BuildDG1(lines); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	// An MRZ whose check digit fails still parses, flagged invalid.
	bad := []string{"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458908UTO7408122F1204159<<<<<<<6"}
	b, _ := BuildDG1(bad)
	d, err := ParseDG1(b, testNow)
	if err != nil || d.MRZ.Valid || len(d.MRZ.Errors) == 0 {
		t.Errorf("bad check digit: valid=%v err=%v", d.MRZ.Valid, err)
	}
	for name, b := range map[string][]byte{
		"71 characters": tlv.Encode(0x61, tlv.Encode(0x5F1F, bytes.Repeat([]byte("<"), 71))),
		"no MRZ":        tlv.Encode(0x61, tlv.Encode(0x5F20, bytes.Repeat([]byte("<"), 88))),
		"wrong tag":     tlv.Encode(0x75, tlv.Encode(0x5F1F, bytes.Repeat([]byte("<"), 88))),
	} {
		if _, err := ParseDG1(b, testNow); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDG11RoundTrip(t *testing.T) {
	in := DG11{
		FullName: "NGUYEN<<VAN<AN", OtherNames: []string{"NGUYEN<<AN", "NGUYỄN<<VĂN<AN"}, PersonalNumber: "079088001234",
		FullDateOfBirth: "19880304", PlaceOfBirth: "HA<NOI", Address: "1 TRANG TIEN<HOAN KIEM<HA NOI", Telephone: "842400000",
		Profession: "ENGINEER", Title: "DR", PersonalSummary: "NONE", ProofOfCitizenship: makeJPEG(t, 4, 4),
		OtherValidTDNumbers: "B1234567<C7654321", CustodyInformation: "N/A",
	}
	b, err := BuildDG11(in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG11(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 0 || len(d.Tags) != 13 {
		t.Errorf("warnings %v, %d tags", d.Warnings, len(d.Tags))
	}
	d.Tags, d.Warnings = nil, nil
	if !dg11Equal(*d, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *d, in)
	}
	if _, err := BuildDG11(DG11{FullDateOfBirth: "1988-03-04"}); err == nil {
		t.Error("date with dashes built")
	}
	if _, err := BuildDG11(DG11{}); err == nil {
		t.Error("empty DG11 built")
	}
}

func dg11Equal(a, b DG11) bool {
	return a.FullName == b.FullName && slices.Equal(a.OtherNames, b.OtherNames) && a.PersonalNumber == b.PersonalNumber &&
		a.FullDateOfBirth == b.FullDateOfBirth && a.PlaceOfBirth == b.PlaceOfBirth && a.Address == b.Address &&
		a.Telephone == b.Telephone && a.Profession == b.Profession && a.Title == b.Title && a.PersonalSummary == b.PersonalSummary &&
		bytes.Equal(a.ProofOfCitizenship, b.ProofOfCitizenship) && a.OtherValidTDNumbers == b.OtherValidTDNumbers &&
		a.CustodyInformation == b.CustodyInformation
}

func TestDG11Tolerances(t *testing.T) {
	// A date of birth in packed BCD (older chips), a Latin-1 name, and a
	// tag list that disagrees with the content: read, with warnings.
	b := tlv.Encode(0x6B,
		tlv.Encode(0x5C, []byte{0x5F, 0x0E, 0x5F, 0x2B, 0x5F, 0x13}),
		tlv.Encode(0x5F0E, []byte("M\xdcLLER<<J\xd6RG")),
		tlv.Encode(0x5F2B, []byte{0x19, 0x74, 0x08, 0x12}),
		tlv.Encode(0x5F11, []byte("BERLIN")))
	d, err := ParseDG11(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.FullName != "MÜLLER<<JÖRG" || d.FullDateOfBirth != "19740812" || d.PlaceOfBirth != "BERLIN" {
		t.Errorf("%+v", d)
	}
	if len(d.Warnings) != 2 { // 5F13 listed but absent; 5F11 present but unlisted
		t.Errorf("warnings %q", d.Warnings)
	}
	odd := tlv.Encode(0x6B, tlv.Encode(0x5C, []byte{0x5F, 0x2B}), tlv.Encode(0x5F2B, []byte("1974<<<<")))
	d, err = ParseDG11(odd)
	if err != nil || d.FullDateOfBirth != "1974<<<<" || len(d.Warnings) != 1 {
		t.Errorf("partial date: %+v %v", d, err)
	}
	for name, b := range map[string][]byte{
		"no tag list":       tlv.Encode(0x6B, tlv.Encode(0x5F0E, []byte("A<<B"))),
		"name twice":        tlv.Encode(0x6B, tlv.Encode(0x5C, []byte{0x5F, 0x0E}), tlv.Encode(0x5F0E, []byte("A")), tlv.Encode(0x5F0E, []byte("B"))),
		"other names count": tlv.Encode(0x6B, tlv.Encode(0x5C, []byte{0xA0}), tlv.Encode(0xA0, tlv.Encode(0x02, []byte{2}), tlv.Encode(0x5F0F, []byte("A")))),
		"other names tag":   tlv.Encode(0x6B, tlv.Encode(0x5C, []byte{0xA0}), tlv.Encode(0xA0, tlv.Encode(0x02, []byte{1}), tlv.Encode(0x5F0E, []byte("A")))),
		"truncated":         tlv.Encode(0x6B, tlv.Encode(0x5C, []byte{0x5F, 0x0E}))[:5],
	} {
		if _, err := ParseDG11(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDG12RoundTrip(t *testing.T) {
	in := DG12{
		IssuingAuthority: "IMMIGRATION DEPARTMENT", DateOfIssue: "20240115", OtherPersons: []string{"NGUYEN<<BE"},
		Endorsements: "NONE", TaxExitRequirements: "PAID", FrontImage: makeJPEG(t, 8, 5), RearImage: makeJPEG(t, 8, 5),
		PersonalizationTime: "20240115093000", PersonalizationDeviceSerial: "PD-0001",
	}
	b, err := BuildDG12(in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG12(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.IssuingAuthority != in.IssuingAuthority || d.DateOfIssue != in.DateOfIssue || !slices.Equal(d.OtherPersons, in.OtherPersons) ||
		d.Endorsements != in.Endorsements || d.TaxExitRequirements != in.TaxExitRequirements || !bytes.Equal(d.FrontImage, in.FrontImage) ||
		!bytes.Equal(d.RearImage, in.RearImage) || d.PersonalizationTime != in.PersonalizationTime ||
		d.PersonalizationDeviceSerial != in.PersonalizationDeviceSerial || len(d.Warnings) != 0 {
		t.Errorf("round trip: %+v", d)
	}
	if _, err := BuildDG12(DG12{PersonalizationTime: "202401150930"}); err == nil {
		t.Error("12-digit personalization time built")
	}
}

func TestDG16RoundTrip(t *testing.T) {
	in := []PersonToNotify{{DateRecorded: "20240101", Name: "TRAN<<THI<B", Telephone: "84911111111", Address: "HAI PHONG"}, {Name: "LE<<C"}}
	b, err := BuildDG16(in...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG16(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Persons) != 2 || d.Persons[0].Name != "TRAN<<THI<B" || d.Persons[0].DateRecorded != "20240101" || d.Persons[1].Name != "LE<<C" || d.Persons[1].Telephone != "" {
		t.Errorf("%+v", d.Persons)
	}
	if _, err := BuildDG16(); err == nil {
		t.Error("empty DG16 built")
	}
	if _, err := BuildDG16(PersonToNotify{}); err == nil {
		t.Error("person without fields built")
	}
	if _, err := ParseDG16(tlv.Encode(0x70, tlv.Encode(0x02, []byte{3}), tlv.Encode(0xA1, tlv.Encode(0x5F51, []byte("X"))))); err == nil {
		t.Error("count mismatch accepted")
	}
}

func TestDG7AndDG5RoundTrip(t *testing.T) {
	sig := makeJPEG(t, 40, 12)
	b, err := BuildDG7(sig)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG7(b)
	if err != nil || len(d.Images) != 1 || !bytes.Equal(d.Images[0].Data, sig) || d.Images[0].Width != 40 || d.Images[0].Height != 12 {
		t.Fatalf("%+v %v", d, err)
	}
	b5, err := BuildDG5(sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	d5, err := ParseDG5(b5)
	if err != nil || len(d5.Images) != 2 {
		t.Fatalf("%+v %v", d5, err)
	}
	if _, err := BuildDG7([]byte("not an image")); err == nil {
		t.Error("non-image built")
	}
	if _, err := ParseDG7(tlv.Encode(0x67, tlv.Encode(0x02, []byte{1}), tlv.Encode(0x5F43, []byte("not an image")))); err == nil {
		t.Error("non-image accepted")
	}
	if _, err := ParseDG7(b5); err == nil {
		t.Error("DG5 accepted as DG7")
	}
}

func TestDG13(t *testing.T) {
	d, err := ParseDG13(BuildDG13([]byte{1, 2, 3}))
	if err != nil || !bytes.Equal(d.Data, []byte{1, 2, 3}) {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := ParseDG13([]byte{0x6D, 0x05, 1}); err == nil {
		t.Error("truncated DG13 accepted")
	}
}

func TestDG3Refusals(t *testing.T) {
	d3 := sample(t, "jmrtd/bsi2008/Datagroup3.bin")
	if _, err := ParseDG3(d3); err != nil {
		t.Fatal(err)
	}
	// Corrupt the first record's declared length (6 bytes at offset 8 of
	// the FIR header) to claim far more than present.
	i := bytes.Index(d3, []byte("FIR\x00"))
	bad := bytes.Clone(d3)
	copy(bad[i+8:], []byte{0x00, 0x01, 0x00, 0x00, 0x00, 0x00})
	if _, err := ParseDG3(bad); err == nil || !strings.Contains(err.Error(), "claims") {
		t.Errorf("oversized FIR record: %v", err)
	}
	bad = bytes.Clone(d3)
	bad[i+19] = 7 // scale units
	if _, err := ParseDG3(bad); err == nil {
		t.Error("scale units 7 accepted")
	}
	bad = bytes.Clone(d3)
	copy(bad[i+32:], []byte{0xFF, 0xFF, 0xFF, 0xFF}) // finger image block length
	if _, err := ParseDG3(bad); err == nil {
		t.Error("finger block claiming 4 GB accepted")
	}
}

package lds

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"autogate/drivers/emrtd/tlv"
	"autogate/internal/testenv"
)

// sample reads a file of the shared test data (skipping the test when the
// data is absent).
func sample(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, "emrtd/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The samples were issued long ago; a fixed "now" keeps the century
// placement of their dates stable.
var testNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// ICAO 9303-10 worked examples (appendix D): values as the standard shows them.

func TestICAOSampleCOM(t *testing.T) {
	c, err := ParseCOM(sample(t, "gmrtd/icao9303_p10_sample/EF.COM.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if c.LDSVersion != "0106" || c.LDSVersionString() != "1.6" || c.UnicodeVersion != "040000" || c.UnicodeVersionString() != "4.0.0" {
		t.Errorf("versions %q %q", c.LDSVersion, c.UnicodeVersion)
	}
	if !slices.Equal(c.DataGroups, []DataGroup{1, 2}) || !c.Has(2) || c.Has(3) {
		t.Errorf("data groups %v", c.DataGroups)
	}
}

func TestICAOSampleDG1(t *testing.T) {
	d, err := ParseDG1(sample(t, "gmrtd/icao9303_p10_sample/DG1.bin"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"}
	if !slices.Equal(d.Lines, want) {
		t.Fatalf("lines %q", d.Lines)
	}
	m := d.MRZ
	if !m.Valid || m.Format != "TD2" || m.Surname != "ERIKSSON" || m.GivenNames != "ANNA MARIA" ||
		m.DocumentNumber != "D23145890" || m.BirthDate != "1974-08-12" || m.ExpiryDate != "2012-04-15" || m.Sex != "F" {
		t.Errorf("MRZ %+v", m)
	}
}

func TestICAOSampleDG2(t *testing.T) {
	d, err := ParseDG2(sample(t, "gmrtd/icao9303_p10_sample/DG2.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Templates) != 1 {
		t.Fatalf("%d templates", len(d.Templates))
	}
	h := d.Templates[0].Header
	if !bytes.Equal(h.Version, []byte{1, 1}) || h.FormatOwner != FormatOwnerSC37 || h.FormatType != FormatTypeFace19794 {
		t.Errorf("header %+v", h)
	}
	faces := d.Faces()
	if len(faces) != 1 || faces[0].Format != JPEG || faces[0].Width != 148 || faces[0].Height != 70 {
		t.Fatalf("faces %+v", faces)
	}
	// The worked example embeds the same record as gmrtd's ISO19794 test 1.
	if !bytes.Equal(faces[0].Data, sample(t, "gmrtd/ISO19794_Test1_Face.jpg")) {
		t.Error("image differs from ISO19794_Test1_Face.jpg")
	}
}

func TestICAOSampleDG7(t *testing.T) {
	raw := sample(t, "gmrtd/icao9303_p10_sample/DG7.bin")
	d, err := ParseDG7(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != 1 || d.Images[0].Format != JPEG || d.Images[0].Width == 0 {
		t.Fatalf("%+v", d.Images)
	}
	// 67 82 13F3, 02 01 01, 5F43 82 13EB: the image fills the rest.
	if len(d.Images[0].Data) != 0x13EB || !bytes.HasSuffix(raw, d.Images[0].Data) {
		t.Errorf("image of %d bytes", len(d.Images[0].Data))
	}
}

func TestICAOSampleDG11(t *testing.T) {
	d, err := ParseDG11(sample(t, "gmrtd/icao9303_p10_sample/DG11.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if d.FullName != "SMITH<<JOHN<J" || d.PlaceOfBirth != "ANYTOWN<MN" || d.Address != "123 MAPLE RD<ANYTOWN<MN" ||
		d.Telephone != "16125551212" || d.Profession != "TRAVEL<AGENT" {
		t.Errorf("%+v", d)
	}
	if p, s := d.Name(); p != "SMITH" || s != "JOHN J" {
		t.Errorf("Name() = %q, %q", p, s)
	}
	if !slices.Equal(d.Tags, []tlv.Tag{0x5F0E, 0x5F11, 0x5F42, 0x5F12, 0x5F13}) || len(d.Warnings) != 0 {
		t.Errorf("tags %v warnings %v", d.Tags, d.Warnings)
	}
}

func TestICAOSampleDG12(t *testing.T) {
	// The sample holds the personalization time and device only (no
	// issuing authority): 5C 04 5F55 5F56.
	d, err := ParseDG12(sample(t, "gmrtd/icao9303_p10_sample/DG12.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if d.PersonalizationTime != "20161115013612" || d.PersonalizationDeviceSerial != "N-4962" || d.IssuingAuthority != "" || len(d.Warnings) != 0 {
		t.Errorf("%+v", d)
	}
}

func TestICAOSampleDG13(t *testing.T) {
	d, err := ParseDG13(sample(t, "gmrtd/icao9303_p10_sample/DG13.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Data, []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x45, 0x67, 0x89}) {
		t.Errorf("% X", d.Data)
	}
}

func TestICAOSampleDG14(t *testing.T) {
	s, err := ParseDG14(sample(t, "gmrtd/icao9303_p10_sample/DG14.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ChipAuthenticationPublicKeys) != 1 || len(s.ChipAuthentication) != 1 || len(s.TerminalAuthentication) != 1 || len(s.PACE) != 2 || len(s.Other) != 0 {
		t.Fatalf("%+v", s)
	}
	k := s.ChipAuthenticationPublicKeys[0]
	if !k.Protocol.Equal(OIDPKECDH) || k.PublicKey.EC == nil || k.PublicKey.EC.Curve.Name != "brainpoolP384r1" || !k.PublicKey.EC.Curve.Explicit {
		t.Errorf("CA key %v on %+v", k.Protocol, k.PublicKey)
	}
	ca := s.ChipAuthentication[0]
	if ca.Protocol.String() != "0.4.0.127.0.7.2.2.3.2.4" || ca.Version != 1 || ca.KeyID != nil {
		t.Errorf("CA info %+v", ca)
	}
	// id-PACE-ECDH-GM-AES-CBC-CMAC-256 and id-PACE-ECDH-CAM-AES-CBC-CMAC-256,
	// both with brainpoolP384r1 (standardized parameter 16).
	for i, want := range []string{"0.4.0.127.0.7.2.2.4.2.4", "0.4.0.127.0.7.2.2.4.6.4"} {
		p := s.PACE[i]
		if p.Protocol.String() != want || p.Version != 2 || p.ParameterID == nil || *p.ParameterID != 16 {
			t.Errorf("PACE %d: %v v%d", i, p.Protocol, p.Version)
		}
	}
}

func TestICAOSampleDG15(t *testing.T) {
	d, err := ParseDG15(sample(t, "gmrtd/icao9303_p10_sample/DG15.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if d.PublicKey.RSA == nil || d.PublicKey.RSA.N.BitLen() != 1792 || d.PublicKey.RSA.E != 65537 {
		t.Fatalf("%v", d.PublicKey)
	}
}

func TestICAOSampleDG16(t *testing.T) {
	d, err := ParseDG16(sample(t, "gmrtd/icao9303_p10_sample/DG16.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := []PersonToNotify{
		{DateRecorded: "20020101", Name: "SMITH<<CHARLES<R", Telephone: "19525551212", Address: "123 MAPLE RD<ANYTOWN<MN<55100"},
		{DateRecorded: "20020315", Name: "BROWN<<MARY<J", Telephone: "14155551212", Address: "49 REDWOOD LN<OCEAN BREEZE<CA<94000"},
	}
	if len(d.Persons) != 2 {
		t.Fatalf("%+v", d.Persons)
	}
	for i, p := range d.Persons {
		p.Warnings = nil
		if p.DateRecorded != want[i].DateRecorded || p.Name != want[i].Name || p.Telephone != want[i].Telephone || p.Address != want[i].Address {
			t.Errorf("person %d: %+v", i+1, p)
		}
	}
}

// BSI 2008 test passport (MUSTERMANN ERIKA), as JMRTD ships it.

func TestBSI2008(t *testing.T) {
	com, err := ParseCOM(sample(t, "jmrtd/bsi2008/EF_COM.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(com.DataGroups, []DataGroup{1, 2, 3, 14}) || com.LDSVersion != "0107" {
		t.Errorf("EF.COM %+v", com)
	}
	dg1, err := ParseDG1(sample(t, "jmrtd/bsi2008/Datagroup1.bin"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if m := dg1.MRZ; !m.Valid || m.Format != "TD3" || m.Surname != "MUSTERMANN" || m.GivenNames != "ERIKA" || m.DocumentNumber != "C11T002JM" || m.IssuingState != "D" {
		t.Errorf("DG1 %+v", m)
	}
	dg2, err := ParseDG2(sample(t, "jmrtd/bsi2008/Datagroup2.bin"))
	if err != nil {
		t.Fatal(err)
	}
	f := dg2.Faces()
	if len(f) != 1 || f[0].Format != JPEG2000 || f[0].Width != 413 || f[0].Height != 531 || f[0].ImageType != "full frontal" {
		t.Fatalf("DG2 %+v", f)
	}
	// The record declares 337×449; the JPEG 2000 header says 413×531.
	if f[0].DeclaredWidth != 337 || f[0].DeclaredHeight != 449 || len(f[0].Warnings) != 1 {
		t.Errorf("declared %d×%d, warnings %v", f[0].DeclaredWidth, f[0].DeclaredHeight, f[0].Warnings)
	}
	dg3, err := ParseDG3(sample(t, "jmrtd/bsi2008/Datagroup3.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dg3.Templates) != 2 {
		t.Fatalf("DG3: %d templates", len(dg3.Templates))
	}
	for i, wantPos := range []string{"right index finger", "left index finger"} {
		tp := dg3.Templates[i]
		r := tp.Record
		if tp.Header.FormatType != FormatTypeFinger19794 || r.Compression != WSQ || r.ScaleUnits != "ppi" || r.ImageResolutionX != 500 || len(r.Images) != 1 {
			t.Fatalf("DG3 template %d: %+v", i+1, r)
		}
		img := r.Images[0]
		if img.PositionName != wantPos || img.Width != 620 || img.Height != 620 || img.Quality != 100 || DetectImageFormat(img.Data) != WSQ {
			t.Errorf("DG3 template %d image: %s %d×%d q%d", i+1, img.PositionName, img.Width, img.Height, img.Quality)
		}
	}
	dg14, err := ParseDG14(sample(t, "jmrtd/bsi2008/Datagroup14.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dg14.ChipAuthenticationPublicKeys) != 1 || dg14.ChipAuthenticationPublicKeys[0].PublicKey.EC.Curve.Name != "brainpoolP224r1" ||
		len(dg14.ChipAuthentication) != 1 || dg14.ChipAuthentication[0].Protocol.String() != "0.4.0.127.0.7.2.2.3.2.1" {
		t.Errorf("DG14 %+v", dg14)
	}
	// The modulus lacks the leading zero DER wants; it is still the
	// 1024-bit key it is meant to be.
	dg15, err := ParseDG15(sample(t, "jmrtd/bsi2008/Datagroup15.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if dg15.PublicKey.RSA == nil || dg15.PublicKey.RSA.N.BitLen() != 1024 || dg15.PublicKey.RSA.N.Sign() <= 0 {
		t.Errorf("DG15 %v", dg15.PublicKey)
	}
}

// Dutch specimen (MEULENDIJK LOES ALBERTINE), 2006.

func TestLoes2006(t *testing.T) {
	com, err := ParseCOM(sample(t, "jmrtd/loes2006/ef011E.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(com.DataGroups, []DataGroup{1, 2, 15}) {
		t.Errorf("EF.COM %v", com.DataGroups)
	}
	dg1, err := ParseDG1(sample(t, "jmrtd/loes2006/ef0101.bin"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if m := dg1.MRZ; !m.Valid || m.Surname != "MEULENDIJK" || m.GivenNames != "LOES ALBERTINE" || m.DocumentNumber != "XX0001328" || m.Nationality != "NLD" || m.BirthDate != "1971-10-19" {
		t.Errorf("DG1 %+v", m)
	}
	dg2, err := ParseDG2(sample(t, "jmrtd/loes2006/ef0102.bin"))
	if err != nil {
		t.Fatal(err)
	}
	f := dg2.Faces()
	if len(f) != 1 || f[0].Format != JPEG2000 || f[0].Width != 449 || f[0].Height != 598 || f[0].ColourSpace != "RGB 24-bit" || len(f[0].Warnings) != 0 {
		t.Errorf("DG2 %+v", f)
	}
	dg15, err := ParseDG15(sample(t, "jmrtd/loes2006/ef010F.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if dg15.PublicKey.RSA == nil || dg15.PublicKey.RSA.N.BitLen() != 1024 {
		t.Errorf("DG15 %v", dg15.PublicKey)
	}
}

func TestDoc9303SampleDG14(t *testing.T) {
	s, err := ParseDG14(sample(t, "jmrtd/misc/spec_sample_encoded_dg14.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ChipAuthenticationPublicKeys) != 1 {
		t.Fatalf("%+v", s)
	}
	k := s.ChipAuthenticationPublicKeys[0].PublicKey
	// PKCS #3 parameters {p, g, privateValueLength 1017}: no q.
	if k.DH == nil || k.DH.Group.P.BitLen() != 1024 || k.DH.Group.Q != nil || k.DH.Group.PrivateValueLength != 1017 || !k.Algorithm.Equal(OIDDHKeyAgreement) {
		t.Fatalf("key %v", k)
	}
	if s.ChipAuthentication[0].Protocol.String() != "0.4.0.127.0.7.2.2.3.1.1" || s.TerminalAuthentication[0].Version != 1 {
		t.Errorf("%+v", s)
	}
}

// The ISO/IEC 19794-5 records of gmrtd: the image comes out byte for byte,
// the corrupt one is refused.
func TestISO19794Records(t *testing.T) {
	r, err := ParseFaceRecord(sample(t, "gmrtd/ISO19794_Test1_Data.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Standard != ISO19794_5 || r.Version != "010" || len(r.Images) != 1 {
		t.Fatalf("%+v", r)
	}
	img := r.Images[0]
	if !bytes.Equal(img.Data, sample(t, "gmrtd/ISO19794_Test1_Face.jpg")) {
		t.Fatal("extracted image differs from ISO19794_Test1_Face.jpg")
	}
	if img.Format != JPEG || img.Width != 148 || img.Height != 70 || img.Components != 3 || img.ImageType != "token frontal" {
		t.Errorf("%+v", img)
	}
	// The record says JPEG 2000 (data type 1) for what is a JPEG: kept,
	// with a warning, since the bytes decide.
	if img.DeclaredFormat != JPEG2000 || len(img.Warnings) != 1 {
		t.Errorf("declared %s, warnings %v", img.DeclaredFormat, img.Warnings)
	}
	_, err = ParseFaceRecord(sample(t, "gmrtd/ISO19794_Test2_Data_InvalidImage.bin"))
	var pe *ParseError
	if !errors.As(err, &pe) || !bytes.Contains([]byte(err.Error()), []byte("neither JPEG nor JPEG 2000")) {
		t.Fatalf("invalid image accepted or wrong error: %v", err)
	}
}

func TestISO39794Records(t *testing.T) {
	face := sample(t, "gmrtd/ICAO_39794_5_AP_Face.jpg") // a JP2 despite its name
	for _, name := range []string{"ICAO_39794_5_AP_AllFields.dat", "ICAO_39794_5_AP_MandFields.dat"} {
		r, err := ParseFaceRecord(sample(t, "gmrtd/"+name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Standard != ISO39794_5 || r.Version != "3/2019" || len(r.Images) != 1 {
			t.Fatalf("%s: %+v", name, r)
		}
		img := r.Images[0]
		if !bytes.Equal(img.Data, face) || img.Format != JPEG2000 || img.Width != 413 || img.Height != 531 {
			t.Errorf("%s: image %s %d×%d", name, img.Format, img.Width, img.Height)
		}
	}
	r, err := ParseFaceRecord(sample(t, "gmrtd/ICAO_39794_5_AP_AllFields.dat"))
	if err != nil {
		t.Fatal(err)
	}
	img := r.Images[0]
	if img.DeclaredFormat != JPEG2000 || img.DeclaredWidth != 572 || img.DeclaredHeight != 731 || img.ImageType != "mrtd" ||
		img.ColourSpace != "RGB 24-bit" || img.Gender != "female" || img.EyeColour != "blue" || img.HairColour != "brown" ||
		img.CaptureTime != "2024-01-20T13:23:09.908" || !slices.Equal(img.Expression, []string{"neutral"}) {
		t.Errorf("%+v", img)
	}
	if img.Pose.Yaw == nil || *img.Pose.Yaw != 2 || *img.Pose.Pitch != 3 || *img.Pose.Roll != 1 {
		t.Errorf("pose %v %v %v", img.Pose.Yaw, img.Pose.Pitch, img.Pose.Roll)
	}
	if len(img.Landmarks) != 1 || img.Landmarks[0] != (Landmark{Kind: "MPEG4 2.11", X: 90, Y: 22, Located: true}) {
		t.Errorf("landmarks %+v", img.Landmarks)
	}
	_, err = ParseFaceRecord(sample(t, "gmrtd/ICAO_39794_5_AP_MandFields_InvalidImage.dat"))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("neither JPEG nor JPEG 2000")) {
		t.Fatalf("invalid image accepted or wrong error: %v", err)
	}
}

func TestISO39794DG2(t *testing.T) {
	face := sample(t, "gmrtd/ICAO_39794_5_AP_Face.jpg")
	for _, name := range []string{"ICAO_39794_5_AP_DG2_AllFields.dat", "ICAO_39794_5_AP_DG2_MandFields.dat"} {
		d, err := ParseDG2(sample(t, "gmrtd/"+name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := d.Faces()
		if len(f) != 1 || !bytes.Equal(f[0].Data, face) || d.Templates[0].Record.Standard != ISO39794_5 {
			t.Fatalf("%s: %d faces", name, len(f))
		}
		if h := d.Templates[0].Header; h.FormatOwner != FormatOwnerSC37 || h.FormatType != 0x002A {
			t.Errorf("%s: header %+v", name, h)
		}
	}
	d, _ := ParseDG2(sample(t, "gmrtd/ICAO_39794_5_AP_DG2_AllFields.dat"))
	if h := d.Templates[0].Header; h.Type != BiometricTypeFace || h.Created != "21240105112345" || h.ValidFrom != "21240105" || h.ValidTo != "21290105" {
		t.Errorf("header %+v", h)
	}
	// The invalid record wrapped in a DG2 is refused as well.
	bad := sample(t, "gmrtd/ICAO_39794_5_AP_MandFields_InvalidImage.dat")
	dg2 := buildBIT(0x75, []bioTemplate{{Header: BiometricHeader{FormatOwner: FormatOwnerSC37, FormatType: 0x002A}, Data: bad}})
	if _, err := ParseDG2(dg2); err == nil {
		t.Fatal("DG2 wrapping an invalid 39794-5 image accepted")
	}
}

package lds

import (
	"bytes"
	"errors"
	"fmt"
)

// FaceStandard names the standard a face record follows.
type FaceStandard string

// The face record standards ICAO 9303 admits in DG2.
const (
	ISO19794_5 FaceStandard = "ISO/IEC 19794-5:2005"
	ISO39794_5 FaceStandard = "ISO/IEC 39794-5"
)

// DG2 is the encoded face: one or more biometric templates, each a header
// and a face record.
type DG2 struct {
	Templates []FaceTemplate
}

// FaceTemplate is one biometric information template of DG2.
type FaceTemplate struct {
	Header BiometricHeader
	Record *FaceRecord
}

// FaceRecord is a face image record (the biometric data block).
type FaceRecord struct {
	Standard FaceStandard
	// Version is "010" for 19794-5:2005, "<generation>/<year>" (e.g.
	// "3/2019") for 39794-5.
	Version string
	Images  []FaceImage
	// Warnings describe inconsistencies that do not make the record
	// unusable (bytes after the record, for instance).
	Warnings []string
}

// FaceImage is one face image with what its record says about it. Text
// fields use the names of the standard ("male", "full frontal"), a code
// without a name reads "code N", and an unspecified field is empty.
type FaceImage struct {
	// Format is what the image bytes are, recognised from their first
	// bytes; DeclaredFormat is what the record says they are.
	Format         ImageFormat
	DeclaredFormat ImageFormat
	// Data is the encoded image, exactly as stored on the chip.
	Data []byte
	// Width and Height come from the image header; where the header does
	// not tell, from the record. DeclaredWidth/Height are the record's (0
	// when it does not say).
	Width, Height                 int
	DeclaredWidth, DeclaredHeight int
	Components                    int // colour components per the image header, 0 if unknown

	ImageType   string // 19794-5: "basic", "full frontal", "token frontal"; 39794-5: "mrtd"
	ColourSpace string
	SourceType  string // 19794-5 only
	DeviceType  int    // 19794-5 only: vendor-assigned
	Quality     int    // 19794-5 only: 0 unspecified
	Gender      string // "male", "female", "other", "unknown"
	EyeColour   string
	HairColour  string
	Properties  []string // "glasses", "beard", …
	Expression  []string // "neutral", "smile", …
	Pose        Pose
	Landmarks   []Landmark
	// CaptureTime is the 39794-5 capture date and time, as much of
	// "YYYY-MM-DDThh:mm:ss.sss" as the record gives.
	CaptureTime string

	// Warnings describe where the record and the image disagree. The image
	// bytes are authoritative: chips in circulation declare JPEG 2000 for
	// a JPEG, for instance.
	Warnings []string
}

// Pose holds the head's pose angles in degrees; nil where unspecified.
type Pose struct {
	Yaw, Pitch, Roll *int
}

// Landmark is a feature point of the face.
type Landmark struct {
	// Kind is "MPEG4 <major>.<minor>" for an MPEG-4 feature point, or
	// "anthropometric …" with the 39794-5 code.
	Kind string
	// X, Y are pixel coordinates, valid when Located.
	X, Y    int
	Located bool
}

// Faces returns every face image of every template, in order.
func (d *DG2) Faces() []FaceImage {
	var out []FaceImage
	for _, t := range d.Templates {
		out = append(out, t.Record.Images...)
	}
	return out
}

// ParseDG2 parses DG2: 75 { 7F61 { 02 n, 7F60 { A1 header, 5F2E|7F2E face record } × n } }.
// Each face record must hold at least one image, and every image must be a
// JPEG or JPEG 2000 whose header reads.
func ParseDG2(b []byte) (*DG2, error) {
	d, err := parseDG2(b)
	return d, malformed("DG2", err)
}

func parseDG2(b []byte) (*DG2, error) {
	templates, err := parseBIT(b, dgTags[1])
	if err != nil {
		return nil, err
	}
	d := &DG2{}
	for i, t := range templates {
		rec, err := parseFaceRecord(t.Data)
		if err != nil {
			return nil, fmt.Errorf("biometric information template %d: %w", i+1, err)
		}
		d.Templates = append(d.Templates, FaceTemplate{Header: t.Header, Record: rec})
	}
	return d, nil
}

// ParseFaceRecord parses a face record on its own: ISO/IEC 19794-5:2005
// (it opens with "FAC\0") or ISO/IEC 39794-5 (DER, opening with A1 or 65).
func ParseFaceRecord(b []byte) (*FaceRecord, error) {
	r, err := parseFaceRecord(b)
	return r, malformed("face record", err)
}

func parseFaceRecord(b []byte) (*FaceRecord, error) {
	switch {
	case bytes.HasPrefix(b, []byte("FAC\x00")):
		return parse19794Face(b)
	case len(b) > 0 && (b[0] == 0xA1 || b[0] == 0x65):
		return parse39794Face(b)
	case len(b) == 0:
		return nil, errors.New("face record is empty")
	}
	return nil, fmt.Errorf("face record opens with % X: neither ISO/IEC 19794-5 (\"FAC\\0\") nor ISO/IEC 39794-5 (A1 or 65)", b[:min(len(b), 4)])
}

// checkFaceImage recognises the image, reads its header and notes where the
// record disagrees with it.
func checkFaceImage(img *FaceImage) error {
	if len(img.Data) == 0 {
		return errors.New("no image data")
	}
	info, err := SniffImage(img.Data)
	if err != nil {
		return err
	}
	img.Format, img.Components = info.Format, info.Components
	img.Width, img.Height = info.Width, info.Height
	if info.Width == 0 {
		img.Width, img.Height = img.DeclaredWidth, img.DeclaredHeight
	}
	if img.DeclaredFormat != FormatUnknown && !sameFamily(img.DeclaredFormat, img.Format) {
		img.Warnings = append(img.Warnings, fmt.Sprintf("record declares %s, the image is %s", img.DeclaredFormat, img.Format))
	}
	if info.Width != 0 && img.DeclaredWidth != 0 && (info.Width != img.DeclaredWidth || info.Height != img.DeclaredHeight) {
		img.Warnings = append(img.Warnings, fmt.Sprintf("record declares %d×%d pixels, the image is %d×%d", img.DeclaredWidth, img.DeclaredHeight, info.Width, info.Height))
	}
	return nil
}

func sameFamily(a, b ImageFormat) bool {
	j2k := func(f ImageFormat) bool { return f == JPEG2000 || f == JPEG2000Stream }
	return a == b || j2k(a) && j2k(b)
}

// code names an enumerated value from a table, or "code N" for one it lacks.
func code(table map[int]string, v int) string {
	if s, ok := table[v]; ok {
		return s
	}
	return fmt.Sprintf("code %d", v)
}

// codeOf is the reverse of code, for the builders.
func codeOf(table map[int]string, field, name string) (int, error) {
	var known []string
	for c, s := range table {
		if s == name {
			return c, nil
		}
		if s != "" {
			known = append(known, fmt.Sprintf("%q", s))
		}
	}
	var n int
	if _, err := fmt.Sscanf(name, "code %d", &n); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("%s %q is not a known value (known: %s, or \"code N\")", field, name, joinSorted(known))
}

// BuildDG2 builds DG2 with one biometric information template per face,
// each holding an ISO/IEC 19794-5:2005 record of that image. Of each
// FaceImage it uses Data (JPEG or JPEG 2000), Width and Height (taken from
// the image header when zero, and checked against it otherwise) and the
// descriptive fields; unset descriptive fields are written as unspecified,
// ImageType defaults to "full frontal". Format, Declared* and Warnings are
// ignored: the record declares what the image is.
func BuildDG2(faces ...FaceImage) ([]byte, error) {
	if len(faces) == 0 || len(faces) > 255 {
		return nil, fmt.Errorf("lds: BuildDG2: %d faces; want 1 to 255", len(faces))
	}
	var templates []bioTemplate
	for i, f := range faces {
		rec, err := build19794Face(f)
		if err != nil {
			return nil, fmt.Errorf("lds: BuildDG2: face %d: %w", i+1, err)
		}
		templates = append(templates, bioTemplate{
			Header: BiometricHeader{Version: []byte{1, 1}, Type: BiometricTypeFace, FormatOwner: FormatOwnerSC37, FormatType: FormatTypeFace19794},
			Data:   rec,
		})
	}
	return buildBIT(dgTags[1], templates), nil
}

package lds

import (
	"errors"
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// ISO/IEC 39794-5 face records are DER with implicit context tags, following
// the ASN.1 module ICAO publishes with the application profile
// (ID-ICAO-ISO-IEC-39794-5-ed-1-v1). In DG2 and in the standalone records the
// FaceImageDataBlock ([APPLICATION 5], tag 65) comes wrapped in a [1]
// (tag A1). The path to the image:
//
//	65 FaceImageDataBlock
//	  A0 versionBlock { 80 generation, 81 year }
//	  A1 representationBlocks
//	    30 RepresentationBlock
//	      80 representationId
//	      A1 imageRepresentation  A0 base  A0 imageRepresentation2DBlock
//	           80 representationData2D (the image)
//	           A1 imageInformation2DBlock { A0 imageDataFormat { 80 code }, A7 imageSizeBlock { 80 w, 81 h }, … }
//	      A2 captureDateTimeBlock, A8 identityMetadataBlock, A9 landmarkBlocks, …
//
// Every SEQUENCE of the module is extensible, so elements this reader does
// not know are skipped. CHOICE values are explicitly tagged, and the
// enumerations come as "extension blocks" holding a fallback code: A1 { 80 code }.

var (
	format39794     = map[int]ImageFormat{2: JPEG, 3: JPEG2000, 4: JPEG2000}
	kind39794       = map[int]string{0: "mrtd"}
	gender39794     = map[int]string{1: "other", 2: "male", 3: "female"}
	eye39794        = map[int]string{0: "unknown", 1: "other", 2: "black", 3: "blue", 4: "brown", 5: "grey", 6: "green", 7: "hazel", 8: "multi-coloured", 9: "pink"}
	hair39794       = map[int]string{0: "unknown", 1: "other", 2: "bald", 3: "black", 4: "blonde", 5: "brown", 6: "grey", 7: "white", 8: "red", 9: "known coloured"}
	colour39794     = map[int]string{0: "unknown", 1: "other", 2: "RGB 24-bit", 3: "RGB 48-bit", 4: "YUV422", 5: "greyscale 8-bit", 6: "greyscale 16-bit"}
	properties39794 = []string{"glasses", "moustache", "beard", "teeth visible", "pupil or iris not visible", "mouth open", "left eye patch", "right eye patch", "dark glasses", "biometric absent", "head coverings present"}
	expression39794 = []string{"neutral", "smile", "raised eyebrows", "eyes looking away", "squinting", "frowning"}
	// MPEG-4 feature point groups (major number, points in the group): the
	// 39794-5 enumeration counts through them in order from 2.1.
	mpeg4Groups = [][2]int{{2, 14}, {3, 14}, {4, 6}, {5, 4}, {6, 4}, {7, 1}, {8, 10}, {9, 15}, {10, 10}, {11, 6}, {12, 4}}
)

// fields are the elements of one DER SEQUENCE.
type fields []tlv.TLV

func sequence(v []byte) (fields, error) {
	els, err := elements(v)
	return fields(els), err
}

// prim and cons return the element with context tag [n], primitive or
// constructed. Every tag in the module is below 31, so one byte.
func (f fields) prim(n int) (tlv.TLV, bool) { return f.tag(tlv.Tag(0x80 | n)) }
func (f fields) cons(n int) (tlv.TLV, bool) { return f.tag(tlv.Tag(0xA0 | n)) }

func (f fields) tag(t tlv.Tag) (tlv.TLV, bool) {
	for _, e := range f {
		if e.Tag == t {
			return e, true
		}
	}
	return tlv.TLV{}, false
}

// consFields decodes the SEQUENCE in constructed field [n]; ok is false when
// the field is absent.
func (f fields) consFields(n int) (fields, bool, error) {
	e, ok := f.cons(n)
	if !ok {
		return nil, false, nil
	}
	inner, err := sequence(e.Value)
	if err != nil {
		return nil, true, fmt.Errorf("[%d]: %w", n, err)
	}
	return inner, true, nil
}

// integer decodes field [n] as an INTEGER of up to 4 bytes.
func (f fields) integer(n int) (int, bool, error) {
	e, ok := f.prim(n)
	if !ok {
		return 0, false, nil
	}
	v, err := derInt(e.Value)
	if err != nil {
		return 0, true, fmt.Errorf("[%d]: %w", n, err)
	}
	return v, true, nil
}

func derInt(v []byte) (int, error) {
	if len(v) == 0 || len(v) > 4 {
		return 0, fmt.Errorf("INTEGER of %d bytes, want 1 to 4", len(v))
	}
	n := int(int8(v[0])) // sign from the first byte
	for _, c := range v[1:] {
		n = n<<8 | int(c)
	}
	return n, nil
}

// fallback decodes field [n] of the enumerated-with-extension form:
// [n] { [1] { [0] code } }.
func (f fields) fallback(n int) (int, bool, error) {
	outer, ok, err := f.consFields(n)
	if !ok || err != nil {
		return 0, ok, err
	}
	ext, ok2, err := outer.consFields(1)
	if err != nil {
		return 0, true, fmt.Errorf("[%d]: %w", n, err)
	}
	if !ok2 {
		return 0, true, fmt.Errorf("[%d]: no extension block [1]", n)
	}
	v, ok3, err := ext.integer(0)
	if err != nil || !ok3 {
		return 0, true, fmt.Errorf("[%d]: fallback code [0] missing or unreadable: %v", n, err)
	}
	return v, true, nil
}

// flags decodes a SEQUENCE of optional BOOLEANs [0], [1], … into the names
// of those that are true.
func (f fields) flags(n int, names []string) ([]string, error) {
	inner, ok, err := f.consFields(n)
	if !ok || err != nil {
		return nil, err
	}
	var out []string
	for i, name := range names {
		e, ok := inner.prim(i)
		if !ok {
			continue
		}
		if len(e.Value) != 1 {
			return nil, fmt.Errorf("[%d] [%d]: BOOLEAN of %d bytes", n, i, len(e.Value))
		}
		if e.Value[0] != 0 {
			out = append(out, name)
		}
	}
	return out, nil
}

func parse39794Face(b []byte) (*FaceRecord, error) {
	block := b
	t, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("ISO/IEC 39794-5 record: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("ISO/IEC 39794-5 record: %d bytes after the record", len(rest))
	}
	if t.Tag == 0xA1 {
		block = t.Value
	}
	v, err := unwrap(block, 0x65)
	if err != nil {
		return nil, fmt.Errorf("ISO/IEC 39794-5 FaceImageDataBlock: %w", err)
	}
	rec, err := parseFaceImageDataBlock(v)
	if err != nil {
		return nil, fmt.Errorf("ISO/IEC 39794-5 FaceImageDataBlock: %w", err)
	}
	return rec, nil
}

func parseFaceImageDataBlock(v []byte) (*FaceRecord, error) {
	top, err := sequence(v)
	if err != nil {
		return nil, err
	}
	version, ok, err := top.consFields(0)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errors.New("no versionBlock [0]")
	}
	gen, okGen, err1 := version.integer(0)
	year, okYear, err2 := version.integer(1)
	if err := errors.Join(err1, err2); err != nil || !okGen || !okYear {
		return nil, fmt.Errorf("versionBlock: generation [0] and year [1] required: %v", err)
	}
	rec := &FaceRecord{Standard: ISO39794_5, Version: fmt.Sprintf("%d/%d", gen, year)}
	reps, ok := top.cons(1)
	if !ok {
		return nil, errors.New("no representationBlocks [1]")
	}
	list, err := elements(reps.Value)
	if err != nil {
		return nil, fmt.Errorf("representationBlocks: %w", err)
	}
	if len(list) == 0 {
		return nil, errors.New("representationBlocks is empty: the record holds no face image")
	}
	for i, r := range list {
		if r.Tag != 0x30 {
			return nil, fmt.Errorf("representationBlock %d: tag %s, want SEQUENCE (30)", i+1, r.Tag)
		}
		img, err := parseRepresentation(r.Value)
		if err != nil {
			return nil, fmt.Errorf("representationBlock %d: %w", i+1, err)
		}
		rec.Images = append(rec.Images, img)
	}
	return rec, nil
}

func parseRepresentation(v []byte) (FaceImage, error) {
	var img FaceImage
	rep, err := sequence(v)
	if err != nil {
		return img, err
	}
	if _, ok, err := rep.integer(0); err != nil || !ok {
		return img, fmt.Errorf("representationId [0] missing or unreadable: %v", err)
	}
	choice, ok, err := rep.consFields(1)
	switch {
	case err != nil:
		return img, fmt.Errorf("imageRepresentation: %w", err)
	case !ok:
		return img, errors.New("no imageRepresentation [1]")
	}
	base, ok, err := choice.consFields(0)
	switch {
	case err != nil:
		return img, fmt.Errorf("imageRepresentation: %w", err)
	case !ok:
		return img, errors.New("imageRepresentation is not the base alternative [0]: an extension this reader does not know")
	}
	twoD, ok, err := base.consFields(0)
	switch {
	case err != nil:
		return img, fmt.Errorf("imageRepresentation: %w", err)
	case !ok:
		return img, errors.New("imageRepresentation holds no imageRepresentation2DBlock [0]")
	}
	data, ok := twoD.prim(0)
	if !ok {
		return img, errors.New("imageRepresentation2DBlock has no representationData2D [0]")
	}
	img.Data = data.Value
	info, ok, err := twoD.consFields(1)
	switch {
	case err != nil:
		return img, fmt.Errorf("imageRepresentation2DBlock: %w", err)
	case !ok:
		return img, errors.New("imageRepresentation2DBlock has no imageInformation2DBlock [1]")
	}
	if err := parseImageInformation(info, &img); err != nil {
		return img, fmt.Errorf("imageInformation2DBlock: %w", err)
	}
	if dt, ok, err := rep.consFields(2); err != nil {
		return img, fmt.Errorf("captureDateTimeBlock: %w", err)
	} else if ok {
		if img.CaptureTime, err = dateTime39794(dt); err != nil {
			return img, fmt.Errorf("captureDateTimeBlock: %w", err)
		}
	}
	if meta, ok, err := rep.consFields(8); err != nil {
		return img, fmt.Errorf("identityMetadataBlock: %w", err)
	} else if ok {
		if err := parseIdentityMetadata(meta, &img); err != nil {
			return img, fmt.Errorf("identityMetadataBlock: %w", err)
		}
	}
	if marks, ok := rep.cons(9); ok {
		if img.Landmarks, err = parseLandmarks(marks.Value); err != nil {
			return img, fmt.Errorf("landmarkBlocks: %w", err)
		}
	}
	if err := checkFaceImage(&img); err != nil {
		return img, err
	}
	return img, nil
}

func parseImageInformation(info fields, img *FaceImage) error {
	format, ok, err := info.consFields(0)
	switch {
	case err != nil:
		return err
	case !ok:
		return errors.New("no imageDataFormat [0]")
	}
	if c, ok, err := format.integer(0); err != nil {
		return fmt.Errorf("imageDataFormat: %w", err)
	} else if ok {
		if f, known := format39794[c]; known {
			img.DeclaredFormat = f
		} else {
			img.Warnings = append(img.Warnings, fmt.Sprintf("unknown image data format code %d", c))
		}
	}
	if c, ok, err := info.fallback(1); err != nil {
		return fmt.Errorf("faceImageKind2D: %w", err)
	} else if ok {
		img.ImageType = code(kind39794, c)
	}
	if size, ok, err := info.consFields(7); err != nil {
		return fmt.Errorf("imageSizeBlock: %w", err)
	} else if ok {
		w, okW, err1 := size.integer(0)
		h, okH, err2 := size.integer(1)
		if err := errors.Join(err1, err2); err != nil || !okW || !okH || w < 0 || h < 0 || w > 65535 || h > 65535 {
			return fmt.Errorf("imageSizeBlock: width [0] and height [1] from 0 to 65535 required (%d×%d): %v", w, h, err)
		}
		img.DeclaredWidth, img.DeclaredHeight = w, h
	}
	if c, ok, err := info.fallback(9); err != nil {
		return fmt.Errorf("imageColourSpace: %w", err)
	} else if ok {
		img.ColourSpace = code(colour39794, c)
	}
	return nil
}

func dateTime39794(dt fields) (string, error) {
	var parts [7]int
	var have [7]bool
	for i := range parts {
		v, ok, err := dt.integer(i)
		if err != nil {
			return "", err
		}
		parts[i], have[i] = v, ok
	}
	if !have[0] {
		return "", errors.New("no year [0]")
	}
	s := fmt.Sprintf("%04d", parts[0])
	seps := []string{"-", "-", "T", ":", ":", "."}
	widths := []string{"%02d", "%02d", "%02d", "%02d", "%02d", "%03d"}
	for i := 1; i < 7 && have[i]; i++ {
		s += seps[i-1] + fmt.Sprintf(widths[i-1], parts[i])
	}
	return s, nil
}

func parseIdentityMetadata(meta fields, img *FaceImage) error {
	for _, f := range []struct {
		n     int
		table map[int]string
		dst   *string
		what  string
	}{
		{0, gender39794, &img.Gender, "gender"},
		{1, eye39794, &img.EyeColour, "eyeColour"},
		{2, hair39794, &img.HairColour, "hairColour"},
	} {
		c, ok, err := meta.fallback(f.n)
		if err != nil {
			return fmt.Errorf("%s: %w", f.what, err)
		}
		if ok {
			*f.dst = code(f.table, c)
		}
	}
	var err error
	if img.Properties, err = meta.flags(4, properties39794); err != nil {
		return fmt.Errorf("propertiesBlock: %w", err)
	}
	if img.Expression, err = meta.flags(5, expression39794); err != nil {
		return fmt.Errorf("expressionBlock: %w", err)
	}
	pose, ok, err := meta.consFields(6)
	if err != nil || !ok {
		return err
	}
	for i, dst := range []**int{&img.Pose.Yaw, &img.Pose.Pitch, &img.Pose.Roll} {
		a, ok, err := pose.consFields(i)
		if err != nil {
			return fmt.Errorf("poseAngleBlock: %w", err)
		}
		if !ok {
			continue
		}
		v, ok, err := a.integer(0)
		if err != nil || !ok || v < -180 || v > 180 {
			return fmt.Errorf("poseAngleBlock [%d]: angleValue [0] from -180 to 180 required (%d): %v", i, v, err)
		}
		*dst = &v
	}
	return nil
}

func parseLandmarks(v []byte) ([]Landmark, error) {
	list, err := elements(v)
	if err != nil {
		return nil, err
	}
	var out []Landmark
	for i, e := range list {
		if e.Tag != 0x30 {
			return nil, fmt.Errorf("landmarkBlock %d: tag %s, want SEQUENCE (30)", i+1, e.Tag)
		}
		l, err := parseLandmark(e.Value)
		if err != nil {
			return nil, fmt.Errorf("landmarkBlock %d: %w", i+1, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func parseLandmark(v []byte) (Landmark, error) {
	var l Landmark
	block, err := sequence(v)
	if err != nil {
		return l, err
	}
	kind, ok, err := block.consFields(0)
	switch {
	case err != nil:
		return l, err
	case !ok:
		return l, errors.New("no landmarkKind [0]")
	}
	l.Kind = "extension"
	if base, ok, err := kind.consFields(0); err != nil {
		return l, fmt.Errorf("landmarkKind: %w", err)
	} else if ok {
		if c, ok, err := base.fallback(0); err != nil {
			return l, fmt.Errorf("mpeg4FeaturePoint: %w", err)
		} else if ok {
			l.Kind = mpeg4Name(c)
		} else if anthro, ok, err := base.consFields(1); err != nil {
			return l, fmt.Errorf("anthropometricLandmark: %w", err)
		} else if ok {
			l.Kind = "anthropometric"
			if ab, ok, err := anthro.consFields(0); err != nil {
				return l, fmt.Errorf("anthropometricLandmark: %w", err)
			} else if ok {
				for n, name := range []string{"name", "point name", "point id"} {
					if c, ok, err := ab.fallback(n); err != nil {
						return l, fmt.Errorf("anthropometricLandmark %s: %w", name, err)
					} else if ok {
						l.Kind = fmt.Sprintf("anthropometric %s %d", name, c)
					}
				}
			}
		}
	}
	coords, ok, err := block.consFields(1)
	if err != nil || !ok {
		return l, err
	}
	base, ok, err := coords.consFields(0)
	if err != nil || !ok {
		return l, err
	}
	// 2D cartesian [0] or texture image [1] coordinates: both are pixels.
	for _, alt := range []int{0, 1} {
		xy, ok, err := base.consFields(alt)
		if err != nil {
			return l, fmt.Errorf("landmarkCoordinates: %w", err)
		}
		if !ok {
			continue
		}
		x, okX, err1 := xy.integer(0)
		y, okY, err2 := xy.integer(1)
		if err := errors.Join(err1, err2); err != nil || !okX || !okY {
			return l, fmt.Errorf("landmarkCoordinates: x [0] and y [1] required: %v", err)
		}
		l.X, l.Y, l.Located = x, y, true
	}
	return l, nil
}

// mpeg4Name turns the 39794-5 enumeration of MPEG-4 feature points into
// "MPEG4 <major>.<minor>", the naming 19794-5 uses.
func mpeg4Name(c int) string {
	if c < 0 {
		return fmt.Sprintf("MPEG4 code %d", c)
	}
	n := c
	for _, g := range mpeg4Groups {
		if n < g[1] {
			return fmt.Sprintf("MPEG4 %d.%d", g[0], n+1)
		}
		n -= g[1]
	}
	return fmt.Sprintf("MPEG4 code %d", c)
}

package lds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ISO/IEC 19794-5:2005 face image record layout:
//
//	record header      14 bytes: "FAC\0", "010\0", record length (4), number of images (2)
//	per image:
//	  facial information 20 bytes: block length (4), feature points (2), gender, eye colour,
//	                     hair colour, property mask (3), expression (2), pose angles (3),
//	                     pose angle uncertainty (3)
//	  feature points     8 bytes each: type, major/minor code, x (2), y (2), reserved (2)
//	  image information  12 bytes: face image type, image data type, width (2), height (2),
//	                     colour space, source type, device type (2), quality (2)
//	  image data         the rest of the block
const (
	fac19794HeaderLen   = 14
	fac19794InfoLen     = 20
	fac19794PointLen    = 8
	fac19794ImageInfLen = 12
)

var (
	gender19794 = map[int]string{0: "", 1: "male", 2: "female", 0xFF: "unknown"}
	eye19794    = map[int]string{0: "", 1: "black", 2: "blue", 3: "brown", 4: "grey", 5: "green", 6: "multi-coloured", 7: "pink", 0xFF: "other"}
	hair19794   = map[int]string{0: "", 1: "bald", 2: "black", 3: "blonde", 4: "brown", 5: "grey", 6: "white", 7: "red", 8: "green", 9: "blue", 0xFF: "other"}
	// Property mask bits from bit 1 (bit 0 says whether properties are
	// specified at all).
	properties19794 = []string{"glasses", "moustache", "beard", "teeth visible", "blink", "mouth open", "left eye patch", "right eye patch", "dark glasses", "distorting medical condition"}
	expression19794 = map[int]string{0: "", 1: "neutral", 2: "smile closed jaw", 3: "smile open jaw", 4: "raised eyebrows", 5: "eyes looking away", 6: "squinting", 7: "frowning"}
	imageType19794  = map[int]string{0: "basic", 1: "full frontal", 2: "token frontal"}
	dataType19794   = map[int]ImageFormat{0: JPEG, 1: JPEG2000}
	colour19794     = map[int]string{0: "", 1: "RGB 24-bit", 2: "YUV422", 3: "greyscale 8-bit", 4: "other"}
	source19794     = map[int]string{0: "", 1: "static photo, unknown source", 2: "static photo, digital still camera", 3: "static photo, scanner", 4: "video frame, unknown source", 5: "video frame, analogue camera", 6: "video frame, digital camera", 7: "unknown"}
)

func parse19794Face(b []byte) (*FaceRecord, error) {
	if len(b) < fac19794HeaderLen {
		return nil, fmt.Errorf("ISO/IEC 19794-5 record header cut short: %d bytes, want %d", len(b), fac19794HeaderLen)
	}
	if v := string(b[4:8]); v != "010\x00" {
		return nil, fmt.Errorf("ISO/IEC 19794-5 version %q is not supported; ICAO 9303 uses \"010\" (19794-5:2005)", strings.TrimRight(v, "\x00"))
	}
	rec := &FaceRecord{Standard: ISO19794_5, Version: "010"}
	total := binary.BigEndian.Uint32(b[8:12])
	n := int(binary.BigEndian.Uint16(b[12:14]))
	switch {
	case uint64(total) > uint64(len(b)):
		return nil, fmt.Errorf("ISO/IEC 19794-5 record claims %d bytes, %d present", total, len(b))
	case total < fac19794HeaderLen:
		return nil, fmt.Errorf("ISO/IEC 19794-5 record claims %d bytes, less than its own header", total)
	case n == 0:
		return nil, errors.New("ISO/IEC 19794-5 record holds no face image")
	}
	if int(total) < len(b) {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("%d bytes after the %d-byte record ignored", len(b)-int(total), total))
	}
	rest := b[fac19794HeaderLen:total]
	for i := 0; i < n; i++ {
		img, used, err := parse19794Image(rest)
		if err != nil {
			return nil, fmt.Errorf("ISO/IEC 19794-5 image %d of %d: %w", i+1, n, err)
		}
		rec.Images = append(rec.Images, img)
		rest = rest[used:]
	}
	if len(rest) > 0 {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("%d bytes after the last of %d images ignored", len(rest), n))
	}
	return rec, nil
}

func parse19794Image(b []byte) (FaceImage, int, error) {
	var img FaceImage
	if len(b) < fac19794InfoLen {
		return img, 0, fmt.Errorf("facial information block cut short: %d bytes, want %d", len(b), fac19794InfoLen)
	}
	blockLen := binary.BigEndian.Uint32(b[0:4])
	points := int(binary.BigEndian.Uint16(b[4:6]))
	fixed := uint64(fac19794InfoLen + points*fac19794PointLen + fac19794ImageInfLen)
	switch {
	case uint64(blockLen) > uint64(len(b)):
		return img, 0, fmt.Errorf("image block claims %d bytes, %d present", blockLen, len(b))
	case uint64(blockLen) <= fixed:
		return img, 0, fmt.Errorf("image block of %d bytes has no room for image data after %d feature points", blockLen, points)
	}
	block := b[:blockLen]
	img.Gender = code(gender19794, int(block[6]))
	img.EyeColour = code(eye19794, int(block[7]))
	img.HairColour = code(hair19794, int(block[8]))
	mask := int(block[9])<<16 | int(block[10])<<8 | int(block[11])
	if mask&1 != 0 {
		for bit, name := range properties19794 {
			if mask&(1<<(bit+1)) != 0 {
				img.Properties = append(img.Properties, name)
			}
		}
	}
	if e := int(binary.BigEndian.Uint16(block[12:14])); e != 0 {
		img.Expression = []string{code(expression19794, e)}
	}
	img.Pose = Pose{Yaw: angle19794(block[14]), Pitch: angle19794(block[15]), Roll: angle19794(block[16])}
	// block[17:20] holds the pose angle uncertainties, which nothing here uses.
	p := block[fac19794InfoLen:]
	for i := 0; i < points; i++ {
		fp := p[i*fac19794PointLen:]
		kind := fmt.Sprintf("type %d code %02X", fp[0], fp[1])
		if fp[0] == 1 {
			kind = fmt.Sprintf("MPEG4 %d.%d", fp[1]>>4, fp[1]&0x0F)
		}
		img.Landmarks = append(img.Landmarks, Landmark{Kind: kind, X: int(binary.BigEndian.Uint16(fp[2:4])), Y: int(binary.BigEndian.Uint16(fp[4:6])), Located: true})
	}
	inf := p[points*fac19794PointLen:]
	img.ImageType = code(imageType19794, int(inf[0]))
	if f, ok := dataType19794[int(inf[1])]; ok {
		img.DeclaredFormat = f
	} else {
		img.Warnings = append(img.Warnings, fmt.Sprintf("unknown image data type %d", inf[1]))
	}
	img.DeclaredWidth = int(binary.BigEndian.Uint16(inf[2:4]))
	img.DeclaredHeight = int(binary.BigEndian.Uint16(inf[4:6]))
	img.ColourSpace = code(colour19794, int(inf[6]))
	img.SourceType = code(source19794, int(inf[7]))
	img.DeviceType = int(binary.BigEndian.Uint16(inf[8:10]))
	img.Quality = int(binary.BigEndian.Uint16(inf[10:12]))
	img.Data = inf[fac19794ImageInfLen:]
	if err := checkFaceImage(&img); err != nil {
		return img, 0, err
	}
	return img, int(blockLen), nil
}

// angle19794 decodes a pose angle: 0 unspecified, 1…181 for −180…+180
// degrees in steps of 2.
func angle19794(v byte) *int {
	if v == 0 || v > 181 {
		return nil
	}
	a := (int(v) - 91) * 2
	return &a
}

// build19794Face lays out one ISO/IEC 19794-5:2005 record holding one image.
func build19794Face(img FaceImage) ([]byte, error) {
	var fail []string
	bad := func(format string, args ...any) { fail = append(fail, fmt.Sprintf(format, args...)) }
	enc := func(table map[int]string, field, name string) byte {
		c, err := codeOf(table, field, name)
		if err != nil {
			bad("%v", err)
		}
		if c < 0 || c > 0xFF {
			bad("%s code %d does not fit a byte", field, c)
		}
		return byte(c)
	}
	info, err := SniffImage(img.Data)
	if err != nil {
		return nil, err
	}
	var dataType byte
	switch info.Format {
	case JPEG:
		dataType = 0
	case JPEG2000, JPEG2000Stream:
		dataType = 1
	}
	w, h := img.Width, img.Height
	switch {
	case info.Width == 0 && (w <= 0 || h <= 0):
		bad("the image header gives no size: set Width and Height")
	case info.Width == 0:
	case w == 0 && h == 0:
		w, h = info.Width, info.Height
	case w != info.Width || h != info.Height:
		bad("Width×Height %d×%d differ from the image's %d×%d", w, h, info.Width, info.Height)
	}
	if w > math.MaxUint16 || h > math.MaxUint16 {
		bad("%d×%d pixels do not fit the record's 16-bit size fields", w, h)
	}
	imageType := img.ImageType
	if imageType == "" {
		imageType = "full frontal"
	}
	var mask int
	for _, p := range img.Properties {
		bit := -1
		for i, name := range properties19794 {
			if name == p {
				bit = i + 1
			}
		}
		if bit < 0 {
			bad("property %q is not one of %s", p, strings.Join(properties19794, ", "))
			continue
		}
		mask |= 1<<bit | 1
	}
	var expression int
	switch len(img.Expression) {
	case 0:
	case 1:
		c, err := codeOf(expression19794, "expression", img.Expression[0])
		if err != nil {
			bad("%v", err)
		}
		expression = c
	default:
		bad("19794-5 records one expression, %d given", len(img.Expression))
	}
	var points []byte
	for _, l := range img.Landmarks {
		var major, minor int
		if _, err := fmt.Sscanf(l.Kind, "MPEG4 %d.%d", &major, &minor); err != nil || major > 15 || minor > 15 || major < 0 || minor < 0 {
			bad("landmark %q: 19794-5 records MPEG4 feature points only (\"MPEG4 <major>.<minor>\")", l.Kind)
			continue
		}
		if l.X < 0 || l.Y < 0 || l.X > math.MaxUint16 || l.Y > math.MaxUint16 {
			bad("landmark %q at %d,%d is outside 0…65535", l.Kind, l.X, l.Y)
			continue
		}
		points = append(points, 1, byte(major<<4|minor))
		points = binary.BigEndian.AppendUint16(points, uint16(l.X))
		points = binary.BigEndian.AppendUint16(points, uint16(l.Y))
		points = append(points, 0, 0)
	}
	if len(img.Landmarks) > math.MaxUint16 {
		bad("%d landmarks do not fit the 16-bit count", len(img.Landmarks))
	}
	if img.Quality < 0 || img.Quality > math.MaxUint16 || img.DeviceType < 0 || img.DeviceType > math.MaxUint16 {
		bad("quality %d or device type %d outside 0…65535", img.Quality, img.DeviceType)
	}
	gender := enc(gender19794, "gender", img.Gender)
	eye := enc(eye19794, "eye colour", img.EyeColour)
	hair := enc(hair19794, "hair colour", img.HairColour)
	typ := enc(imageType19794, "image type", imageType)
	colour := enc(colour19794, "colour space", img.ColourSpace)
	source := enc(source19794, "source type", img.SourceType)
	var pose [3]byte
	for i, a := range []*int{img.Pose.Yaw, img.Pose.Pitch, img.Pose.Roll} {
		if a == nil {
			continue
		}
		if *a < -180 || *a > 180 || *a%2 != 0 {
			bad("pose angle %d: 19794-5 holds even angles from -180 to 180", *a)
			continue
		}
		pose[i] = byte(*a/2 + 91)
	}
	blockLen := fac19794InfoLen + len(points) + fac19794ImageInfLen + len(img.Data)
	total := fac19794HeaderLen + blockLen
	if uint64(total) > math.MaxUint32 {
		bad("image of %d bytes is too large for a 19794-5 record", len(img.Data))
	}
	if len(fail) > 0 {
		return nil, errors.New(strings.Join(fail, "; "))
	}
	out := make([]byte, 0, total)
	out = append(out, "FAC\x00010\x00"...)
	out = binary.BigEndian.AppendUint32(out, uint32(total))
	out = binary.BigEndian.AppendUint16(out, 1)
	out = binary.BigEndian.AppendUint32(out, uint32(blockLen))
	out = binary.BigEndian.AppendUint16(out, uint16(len(img.Landmarks)))
	out = append(out, gender, eye, hair, byte(mask>>16), byte(mask>>8), byte(mask))
	out = binary.BigEndian.AppendUint16(out, uint16(expression))
	out = append(out, pose[0], pose[1], pose[2], 0, 0, 0)
	out = append(out, points...)
	out = append(out, typ, dataType)
	out = binary.BigEndian.AppendUint16(out, uint16(w))
	out = binary.BigEndian.AppendUint16(out, uint16(h))
	out = append(out, colour, source)
	out = binary.BigEndian.AppendUint16(out, uint16(img.DeviceType))
	out = binary.BigEndian.AppendUint16(out, uint16(img.Quality))
	return append(out, img.Data...), nil
}

package lds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"slices"
	"strings"
	"testing"

	"autogate/drivers/emrtd/tlv"
)

// makeJPEG encodes a w×h gradient with the standard library's encoder.
func makeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func intp(v int) *int { return &v }

func TestBuildDG2RoundTrip(t *testing.T) {
	jpg := makeJPEG(t, 64, 80)
	in := FaceImage{
		Data: jpg, Gender: "female", EyeColour: "brown", HairColour: "black",
		Properties: []string{"glasses", "beard"}, Expression: []string{"neutral"},
		Pose:        Pose{Yaw: intp(-10), Pitch: intp(4), Roll: nil},
		Landmarks:   []Landmark{{Kind: "MPEG4 12.1", X: 30, Y: 40, Located: true}, {Kind: "MPEG4 3.5", X: 20, Y: 35, Located: true}},
		ColourSpace: "RGB 24-bit", SourceType: "static photo, digital still camera", Quality: 77, DeviceType: 0x1234,
	}
	dg2, err := BuildDG2(in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG2(dg2)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Templates[0].Header
	if h.Type != BiometricTypeFace || h.FormatOwner != FormatOwnerSC37 || h.FormatType != FormatTypeFace19794 {
		t.Errorf("header %+v", h)
	}
	faces := d.Faces()
	if len(faces) != 1 {
		t.Fatalf("%d faces", len(faces))
	}
	got := faces[0]
	if !bytes.Equal(got.Data, jpg) || got.Format != JPEG || got.DeclaredFormat != JPEG || got.Width != 64 || got.Height != 80 ||
		got.DeclaredWidth != 64 || got.DeclaredHeight != 80 || len(got.Warnings) != 0 {
		t.Fatalf("image: %s/%s %d×%d declared %d×%d %v", got.Format, got.DeclaredFormat, got.Width, got.Height, got.DeclaredWidth, got.DeclaredHeight, got.Warnings)
	}
	if got.Gender != "female" || got.EyeColour != "brown" || got.HairColour != "black" || got.ImageType != "full frontal" ||
		!slices.Equal(got.Properties, []string{"glasses", "beard"}) || !slices.Equal(got.Expression, []string{"neutral"}) ||
		got.ColourSpace != in.ColourSpace || got.SourceType != in.SourceType || got.Quality != 77 || got.DeviceType != 0x1234 {
		t.Errorf("descriptive fields: %+v", got)
	}
	if got.Pose.Yaw == nil || *got.Pose.Yaw != -10 || *got.Pose.Pitch != 4 || got.Pose.Roll != nil {
		t.Errorf("pose %v %v %v", got.Pose.Yaw, got.Pose.Pitch, got.Pose.Roll)
	}
	if !slices.Equal(got.Landmarks, in.Landmarks) {
		t.Errorf("landmarks %+v", got.Landmarks)
	}
}

func TestBuildDG2SeveralFacesAndJPEG2000(t *testing.T) {
	jp2 := sample(t, "gmrtd/ICAO_39794_5_AP_Face.jpg")
	jpg := makeJPEG(t, 20, 30)
	dg2, err := BuildDG2(FaceImage{Data: jp2}, FaceImage{Data: jpg, Width: 20, Height: 30})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDG2(dg2)
	if err != nil {
		t.Fatal(err)
	}
	f := d.Faces()
	if len(d.Templates) != 2 || len(f) != 2 || f[0].Format != JPEG2000 || f[0].DeclaredFormat != JPEG2000 ||
		f[0].Width != 413 || f[0].DeclaredWidth != 413 || !bytes.Equal(f[1].Data, jpg) {
		t.Fatalf("%+v", f)
	}
}

func TestBuildDG2Refuses(t *testing.T) {
	jpg := makeJPEG(t, 16, 16)
	cases := map[string]FaceImage{
		"wrong size":        {Data: jpg, Width: 17, Height: 16},
		"not an image":      {Data: []byte("GIF89a....")},
		"unknown gender":    {Data: jpg, Gender: "robot"},
		"odd pose":          {Data: jpg, Pose: Pose{Yaw: intp(3)}},
		"pose out of range": {Data: jpg, Pose: Pose{Roll: intp(200)}},
		"two expressions":   {Data: jpg, Expression: []string{"neutral", "frowning"}},
		"39794 landmark":    {Data: jpg, Landmarks: []Landmark{{Kind: "anthropometric name 3"}}},
		"unknown property":  {Data: jpg, Properties: []string{"hat"}},
	}
	for name, f := range cases {
		if _, err := BuildDG2(f); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	if _, err := BuildDG2(); err == nil {
		t.Error("DG2 without faces built")
	}
}

// record19794 lays out a 19794-5 record around a JPEG by hand, so tests can
// corrupt any field.
func record19794(jpg []byte, w, h int) []byte {
	rec, err := build19794Face(FaceImage{Data: jpg, Width: w, Height: h})
	if err != nil {
		panic(err)
	}
	return rec
}

func TestISO19794Refusals(t *testing.T) {
	jpg := makeJPEG(t, 16, 16)
	good := record19794(jpg, 16, 16)
	if _, err := ParseFaceRecord(good); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	cases := map[string]struct {
		rec  []byte
		want string
	}{
		"record claims 4 GB":      {mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 0xFFFFFFFF); return b }), "claims 4294967295 bytes"},
		"block claims 4 GB":       {mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[14:], 0xFFFFFFFF); return b }), "claims 4294967295 bytes"},
		"no images":               {mutate(func(b []byte) []byte { b[12], b[13] = 0, 0; return b }), "no face image"},
		"two images, one present": {mutate(func(b []byte) []byte { b[13] = 2; return b }), "image 2 of 2"},
		"feature points overflow": {mutate(func(b []byte) []byte { b[18], b[19] = 0xFF, 0xFF; return b }), "feature points"},
		"version 030":             {mutate(func(b []byte) []byte { copy(b[4:], "030\x00"); return b }), "version \"030\""},
		"header only":             {good[:14], "claims"},
		"short header":            {good[:10], "cut short"},
		"JPEG cut in its header":  {mutate(func(b []byte) []byte { return b[:14+20+12+20] }), "claims"},
	}
	for name, c := range cases {
		_, err := ParseFaceRecord(c.rec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err=%v, want it to mention %q", name, err, c.want)
		}
	}
	// A JPEG whose SOF is cut off, inside a consistent record.
	if _, err := ParseFaceRecord(withImage(good, jpg[:30])); err == nil || !strings.Contains(err.Error(), "JPEG header unreadable") {
		t.Errorf("truncated JPEG header: %v", err)
	}
}

// withImage replaces the image of a one-image, no-feature-point 19794-5
// record and rewrites its two length fields.
func withImage(rec, data []byte) []byte {
	const prefix = fac19794HeaderLen + fac19794InfoLen + fac19794ImageInfLen
	out := append(slices.Clone(rec[:prefix]), data...)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)))
	binary.BigEndian.PutUint32(out[14:], uint32(len(out)-fac19794HeaderLen))
	return out
}

// A record that claims 4 GB must be refused before anything that size is
// allocated.
func TestHugeClaimsAllocateNothing(t *testing.T) {
	rec := record19794(makeJPEG(t, 8, 8), 8, 8)
	binary.BigEndian.PutUint32(rec[8:], 0xFFFFFFF0)
	binary.BigEndian.PutUint32(rec[14:], 0xFFFFFFE0)
	dg2 := buildBIT(0x75, []bioTemplate{{Header: BiometricHeader{FormatOwner: FormatOwnerSC37, FormatType: FormatTypeFace19794}, Data: rec}})
	// A DER length of 4 GB for the 39794-5 image.
	huge := append([]byte{0xA1, 0x84, 0xFF, 0xFF, 0xFF, 0xF0, 0x65}, make([]byte, 32)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := ParseDG2(dg2); err == nil {
			t.Fatal("19794-5 record claiming 4 GB accepted")
		}
		if _, err := ParseFaceRecord(huge); err == nil {
			t.Fatal("39794-5 record claiming 4 GB accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing the claims allocated %d bytes", grew)
	}
}

// Every truncation of a valid DG2 is refused with an error, never a panic.
func TestDG2Truncations(t *testing.T) {
	dg2, err := BuildDG2(FaceImage{Data: makeJPEG(t, 8, 8), Landmarks: []Landmark{{Kind: "MPEG4 2.1", X: 1, Y: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(dg2); n++ {
		if _, err := ParseDG2(dg2[:n]); err == nil {
			t.Fatalf("DG2 cut to %d of %d bytes accepted", n, len(dg2))
		}
	}
}

func TestDG2TemplateStructure(t *testing.T) {
	rec := record19794(makeJPEG(t, 8, 8), 8, 8)
	header := encodeHeader(BiometricHeader{FormatOwner: FormatOwnerSC37, FormatType: FormatTypeFace19794})
	bit := tlv.Encode(tagBIT, header, tlv.Encode(tagBDB, rec))
	cases := map[string][]byte{
		"count 2, one template":    tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{2}), bit)),
		"count 0":                  tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{0}))),
		"no count":                 tlv.Encode(0x75, tlv.Encode(tagBITGroup, bit)),
		"no group template":        tlv.Encode(0x75, bit),
		"no header":                tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), tlv.Encode(tagBIT, tlv.Encode(tagBDB, rec)))),
		"no data block":            tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), tlv.Encode(tagBIT, header))),
		"two data blocks":          tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), tlv.Encode(tagBIT, header, tlv.Encode(tagBDB, rec), tlv.Encode(tagBDB, rec)))),
		"wrong outer tag":          tlv.Encode(0x63, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), bit)),
		"trailing garbage":         append(tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), bit)), 0x42),
		"19794 record of a finger": tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), tlv.Encode(tagBIT, header, tlv.Encode(tagBDB, []byte("FIR\x00010\x00"))))),
	}
	for name, b := range cases {
		_, err := ParseDG2(b)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "DG2" {
			t.Errorf("%s: err=%v, want a DG2 ParseError", name, err)
		}
	}
	// Padding after the file is tolerated.
	ok := append(tlv.Encode(0x75, tlv.Encode(tagBITGroup, tlv.Encode(0x02, []byte{1}), bit)), 0, 0, 0xFF)
	if _, err := ParseDG2(ok); err != nil {
		t.Errorf("padding refused: %v", err)
	}
}

// 39794-5 records built by hand: the minimal structure, and what breaks it.
func TestISO39794Structure(t *testing.T) {
	jpg := makeJPEG(t, 12, 10)
	c := func(n int, parts ...[]byte) []byte { return tlv.Encode(tlv.Tag(0xA0|n), parts...) }
	p := func(n int, v ...byte) []byte { return tlv.Encode(tlv.Tag(0x80|n), v) }
	version := c(0, p(0, 3), p(1, 0x07, 0xE3))
	info := c(1, c(0, p(0, 2)), c(7, p(0, 12), p(1, 10)))
	twoD := c(0, tlv.Encode(0x80, jpg), info)
	rep := tlv.Encode(0x30, p(0, 0), c(1, c(0, twoD)))
	record := func(version, reps []byte) []byte { return c(1, tlv.Encode(0x65, version, reps)) }

	r, err := ParseFaceRecord(record(version, c(1, rep)))
	if err != nil {
		t.Fatal(err)
	}
	img := r.Images[0]
	if img.Format != JPEG || img.DeclaredFormat != JPEG || img.Width != 12 || img.DeclaredHeight != 10 || !bytes.Equal(img.Data, jpg) || len(img.Warnings) != 0 {
		t.Fatalf("%+v", img)
	}
	// Elements of a later edition are skipped (every SEQUENCE is extensible).
	extended := tlv.Encode(0x30, p(0, 0), c(1, c(0, twoD)), p(20, 1, 2, 3))
	if _, err := ParseFaceRecord(record(version, c(1, extended))); err != nil {
		t.Errorf("unknown trailing element refused: %v", err)
	}
	// The bare FaceImageDataBlock, without the A1 wrapper, reads too.
	if _, err := ParseFaceRecord(tlv.Encode(0x65, version, c(1, rep))); err != nil {
		t.Errorf("bare block refused: %v", err)
	}
	cases := map[string][]byte{
		"no version":                    record(nil, c(1, rep)),
		"no representations":            record(version, nil),
		"empty representations":         record(version, c(1)),
		"no image data":                 record(version, c(1, tlv.Encode(0x30, p(0, 0), c(1, c(0, c(0, info)))))),
		"no image information":          record(version, c(1, tlv.Encode(0x30, p(0, 0), c(1, c(0, c(0, tlv.Encode(0x80, jpg))))))),
		"extension representation":      record(version, c(1, tlv.Encode(0x30, p(0, 0), c(1, c(1))))),
		"no representation id":          record(version, c(1, tlv.Encode(0x30, c(1, c(0, twoD))))),
		"image not an image":            record(version, c(1, tlv.Encode(0x30, p(0, 0), c(1, c(0, c(0, tlv.Encode(0x80, []byte("hello")), info)))))),
		"oversized INTEGER":             record(c(0, p(0, 1, 2, 3, 4, 5), p(1, 0x07, 0xE3)), c(1, rep)),
		"size out of range":             record(version, c(1, tlv.Encode(0x30, p(0, 0), c(1, c(0, c(0, tlv.Encode(0x80, jpg), c(1, c(0, p(0, 2)), c(7, p(0, 0x01, 0x00, 0x00), p(1, 10))))))))),
		"bytes after record":            append(record(version, c(1, rep)), 1, 2),
		"representation not a SEQUENCE": record(version, c(1, tlv.Encode(0x31, p(0, 0)))),
	}
	for name, b := range cases {
		if _, err := ParseFaceRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSniffImage(t *testing.T) {
	jpg := makeJPEG(t, 33, 21)
	info, err := SniffImage(jpg)
	if err != nil || info != (ImageInfo{Format: JPEG, Width: 33, Height: 21, Components: 3}) {
		t.Fatalf("JPEG: %+v %v", info, err)
	}
	jp2 := sample(t, "gmrtd/ICAO_39794_5_AP_Face.jpg")
	info, err = SniffImage(jp2)
	if err != nil || info != (ImageInfo{Format: JPEG2000, Width: 413, Height: 531, Components: 3}) {
		t.Fatalf("JP2: %+v %v", info, err)
	}
	// The codestream inside the JP2 (box jp2c) reads as a bare J2K stream.
	i := bytes.Index(jp2, []byte("jp2c"))
	info, err = SniffImage(jp2[i+4:])
	if err != nil || info != (ImageInfo{Format: JPEG2000Stream, Width: 413, Height: 531, Components: 3}) {
		t.Fatalf("J2K: %+v %v", info, err)
	}
	lied := slices.Clone(jp2)
	ihdr := bytes.Index(lied, []byte("ihdr"))
	binary.BigEndian.PutUint32(lied[ihdr+4:], 4000) // height, against the codestream's 531
	noStream := slices.Clone(jp2[:bytes.Index(jp2, []byte("jp2c"))-4])
	for name, b := range map[string][]byte{
		"ihdr disagrees":   lied,
		"no codestream":    noStream,
		"empty":            nil,
		"PNG":              {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0},
		"JP2 box overflow": append(slices.Clone(jp2[:12]), 0xFF, 0xFF, 0xFF, 0xFF, 'f', 't', 'y', 'p'),
		"JP2 no header":    jp2[:12],
		"J2K cut":          jp2[i+4 : i+20],
		"JPEG cut":         jpg[:20],
	} {
		if _, err := SniffImage(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

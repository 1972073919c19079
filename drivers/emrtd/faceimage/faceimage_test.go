package faceimage

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"autogate/drivers/emrtd/lds"
	"autogate/internal/testenv"
)

func shared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, "emrtd/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// meanDiff is the mean absolute difference of the RGB channels of two
// images of the same size.
func meanDiff(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var sum, n float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				sum += float64(max(d, -d))
				n++
			}
		}
	}
	return sum / n
}

// OpenCV (libjpeg) and Go's image/jpeg decode the chip's JPEG to the same
// picture, give or take IDCT rounding.
func TestDecodeJPEGAgreesWithStandardLibrary(t *testing.T) {
	data := shared(t, "gmrtd/ISO19794_Test1_Face.jpg")
	d, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != lds.JPEG || d.Width != 148 || d.Height != 70 || d.Channels != 3 {
		t.Fatalf("%s %d×%d×%d", d.Format, d.Width, d.Height, d.Channels)
	}
	if _, ok := d.Image.(*image.RGBA); !ok {
		t.Fatalf("image type %T", d.Image)
	}
	ref, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := meanDiff(t, d.Image, ref); diff > 2 {
		t.Errorf("OpenCV and image/jpeg differ by %.2f per channel on average", diff)
	}
}

// The face of the ICAO 39794-5 application profile is a JPEG 2000 (JP2),
// which Debian's OpenCV reads through OpenJPEG.
func TestDecodeJPEG2000FromDG2(t *testing.T) {
	d, err := lds.ParseDG2(shared(t, "gmrtd/ICAO_39794_5_AP_DG2_AllFields.dat"))
	if err != nil {
		t.Fatal(err)
	}
	face := d.Faces()[0]
	img, err := DecodeFace(face)
	if err != nil {
		t.Fatal(err)
	}
	if img.Format != lds.JPEG2000 || img.Width != 413 || img.Height != 531 || img.Channels != 3 {
		t.Fatalf("%s %d×%d×%d", img.Format, img.Width, img.Height, img.Channels)
	}
	// Not a blank frame: a portrait has contrast.
	lo, hi := uint32(0xFFFF), uint32(0)
	for y := 0; y < img.Height; y += 7 {
		for x := 0; x < img.Width; x += 7 {
			r, _, _, _ := img.Image.At(x, y).RGBA()
			lo, hi = min(lo, r), max(hi, r)
		}
	}
	if hi-lo < 0x4000 {
		t.Errorf("decoded image is nearly flat (red %04X…%04X)", lo, hi)
	}
}

// A JPEG from the shared data, re-encoded as JPEG 2000 by OpenCV, carried
// in a 19794-5 DG2, extracted and decoded again.
func TestJPEG2000RoundTripThroughDG2(t *testing.T) {
	src := shared(t, "gmrtd/ISO19794_Test1_Face.jpg")
	jp2, err := Transcode(src, lds.JPEG2000, 100)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := lds.SniffImage(jp2); err != nil || info.Format != lds.JPEG2000 || info.Width != 148 || info.Height != 70 {
		t.Fatalf("transcoded: %+v %v", info, err)
	}
	dg2, err := lds.BuildDG2(lds.FaceImage{Data: jp2})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := lds.ParseDG2(dg2)
	if err != nil {
		t.Fatal(err)
	}
	face := parsed.Faces()[0]
	if face.DeclaredFormat != lds.JPEG2000 || !bytes.Equal(face.Data, jp2) {
		t.Fatalf("DG2 face %s, %d bytes", face.DeclaredFormat, len(face.Data))
	}
	got, err := DecodeFace(face)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	if diff := meanDiff(t, got.Image, want.Image); diff > 1 {
		t.Errorf("JPEG 2000 at full rate differs from its source by %.2f per channel", diff)
	}
	// A lower rate gives a smaller file of the same picture.
	small, err := Transcode(src, lds.JPEG2000, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(small) >= len(jp2) {
		t.Errorf("rate 10: %d bytes, rate 100: %d", len(small), len(jp2))
	}
}

func TestGreyscaleStaysGrey(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	d, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d.Channels != 1 || d.Width != 24 || d.Height != 16 {
		t.Fatalf("%d×%d×%d", d.Width, d.Height, d.Channels)
	}
	if _, ok := d.Image.(*image.Gray); !ok {
		t.Fatalf("image type %T", d.Image)
	}
	m, info, err := DecodeMat(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Channels() != 3 || m.Type() != gocv.MatTypeCV8UC3 || info.Format != lds.JPEG {
		t.Errorf("DecodeMat gives %v with %d channels", m.Type(), m.Channels())
	}
}

func TestEncode(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 36))
	for y := 0; y < 36; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 12), 200, 255})
		}
	}
	for _, f := range []lds.ImageFormat{lds.JPEG, lds.JPEG2000} {
		b, err := Encode(img, f, 95)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(b)
		if err != nil || d.Format != f || d.Width != 40 || d.Height != 36 {
			t.Fatalf("%s: %+v %v", f, d, err)
		}
		if diff := meanDiff(t, d.Image, img); diff > 6 {
			t.Errorf("%s: decoded image differs by %.2f", f, diff)
		}
	}
	if _, err := Encode(img, lds.WSQ, 90); err == nil {
		t.Error("WSQ encoded")
	}
	if _, err := Encode(img, lds.JPEG, 0); err == nil {
		t.Error("quality 0 accepted")
	}
	// OpenJPEG's default six resolution levels need 32 pixels a side; below
	// that OpenCV throws, which through gocv would abort the process.
	if _, err := Encode(image.NewRGBA(image.Rect(0, 0, 31, 64)), lds.JPEG2000, 90); err == nil || !strings.Contains(err.Error(), "32") {
		t.Errorf("31-pixel-wide JPEG 2000: %v", err)
	}
	if b, err := Encode(image.NewRGBA(image.Rect(0, 0, 32, 32)), lds.JPEG2000, 90); err != nil || lds.DetectImageFormat(b) != lds.JPEG2000 {
		t.Errorf("32×32 JPEG 2000: %v", err)
	}
}

func TestDecodeRefusals(t *testing.T) {
	jp2 := shared(t, "gmrtd/ICAO_39794_5_AP_Face.jpg")
	src := shared(t, "gmrtd/ISO19794_Test1_Face.jpg")

	// The corrupt image of gmrtd's test 2 (FF D8 FE …).
	bad := bytes.Clone(src)
	bad[2] = 0xFE
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "neither JPEG nor JPEG 2000") {
		t.Errorf("corrupt magic: %v", err)
	}

	// A JPEG whose frame header claims 60000×60000 pixels: refused before
	// OpenCV allocates 10 GB for it.
	huge := bytes.Clone(src)
	sof := bytes.Index(huge, []byte{0xFF, 0xC0})
	if sof < 0 {
		t.Fatal("no SOF0 in the sample")
	}
	binary.BigEndian.PutUint16(huge[sof+5:], 60000)
	binary.BigEndian.PutUint16(huge[sof+7:], 60000)
	if _, err := Decode(huge); err == nil || !strings.Contains(err.Error(), "60000×60000") {
		t.Errorf("huge JPEG: %v", err)
	}

	// A JP2 whose codestream claims 100000×100000 pixels behind a modest
	// image header box: OpenJPEG sizes from the codestream, and OpenCV
	// aborts the process on a size past its limit, so it must never see it.
	lied := bytes.Clone(jp2)
	siz := bytes.Index(lied, []byte{0xFF, 0x4F, 0xFF, 0x51})
	binary.BigEndian.PutUint32(lied[siz+8:], 100000)  // Xsiz
	binary.BigEndian.PutUint32(lied[siz+12:], 100000) // Ysiz
	if _, err := Decode(lied); err == nil || !strings.Contains(err.Error(), "codestream 100000×100000") {
		t.Errorf("inconsistent JP2: %v", err)
	}

	// A JPEG header followed by nothing decodable.
	cut := bytes.Clone(src[:bytes.Index(src, []byte{0xFF, 0xDA})])
	if _, err := Decode(cut); err == nil {
		t.Error("JPEG without scan data decoded")
	}
	if _, err := Decode(nil); err == nil {
		t.Error("empty input decoded")
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	f.Add(buf.Bytes())
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03})
	f.Add([]byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A})
	jp2, err := Encode(image.NewGray(image.Rect(0, 0, 32, 32)), lds.JPEG2000, 50)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(jp2)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		if d.Width <= 0 || d.Height <= 0 || d.Width*d.Height > MaxPixels || d.Image.Bounds().Dx() != d.Width {
			t.Fatalf("accepted %d×%d", d.Width, d.Height)
		}
	})
}

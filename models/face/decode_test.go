package face

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"gocv.io/x/gocv"
)

// gradient is a small test picture with some structure.
func gradient(w, h int, grey bool) image.Image {
	if grey {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				g.SetGray(x, y, color.Gray{uint8((x*7 + y*3) % 256)})
			}
		}
		return g
	}
	c := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c.SetRGBA(x, y, color.RGBA{uint8(x * 3), uint8(y * 5), uint8(x + y), 255})
		}
	}
	return c
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withJPEGSize rewrites the frame header's dimensions.
func withJPEGSize(t testing.TB, data []byte, w, h int) []byte {
	t.Helper()
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	binary.BigEndian.PutUint16(out[i+5:], uint16(h))
	binary.BigEndian.PutUint16(out[i+7:], uint16(w))
	return out
}

// withPNGSize rewrites IHDR's dimensions and its CRC.
func withPNGSize(data []byte, w, h int) []byte {
	out := bytes.Clone(data)
	binary.BigEndian.PutUint32(out[16:], uint32(w))
	binary.BigEndian.PutUint32(out[20:], uint32(h))
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

// encodeJP2 encodes a picture as JPEG 2000 (JP2 file format) with OpenCV.
func encodeJP2(t testing.TB, img image.Image) []byte {
	t.Helper()
	m, err := gocv.ImageToMatRGB(img)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	buf, err := gocv.IMEncode(gocv.FileExt(".jp2"), m)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return bytes.Clone(buf.GetBytes())
}

func TestDecodeImageGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"jpeg 2000", encodeJP2(t, gradient(64, 48, false))},
		{"jpeg colour", encodeJPEG(t, gradient(64, 48, false))},
		{"jpeg grey", encodeJPEG(t, gradient(64, 48, true))},
		{"png colour", encodePNG(t, gradient(64, 48, false))},
		{"png grey", encodePNG(t, gradient(64, 48, true))},
	} {
		m, err := DecodeImage(tc.data, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Cols() != 64 || m.Rows() != 48 || m.Channels() != 3 {
			t.Errorf("%s: decoded %d×%d×%d, want 64×48×3", tc.name, m.Cols(), m.Rows(), m.Channels())
		}
		m.Close()
	}
}

func TestDecodeImageBad(t *testing.T) {
	good := encodeJPEG(t, gradient(64, 48, false))
	big := encodeJPEG(t, gradient(400, 300, false))
	goodPNG := encodePNG(t, gradient(64, 48, false))
	jp2 := encodeJP2(t, gradient(200, 150, false))
	corrupt := bytes.Clone(good)
	// Wreck the entropy-coded data after the headers.
	sos, err := jpegScanStart(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	for i := sos + 20; i < len(corrupt)-2; i++ {
		corrupt[i] = 0xFF
	}
	for _, tc := range []struct {
		name string
		data []byte
		max  int
	}{
		{"empty", nil, 0},
		{"not an image", []byte("hello, this is not an image at all"), 0},
		{"gif", []byte("GIF89a\x10\x00\x10\x00\x00\x00\x00;"), 0},
		{"truncated jpeg", good[:len(good)/2], 0},
		{"jpeg cut in its headers", good[:40], 0},
		{"corrupt jpeg", corrupt, 0},
		{"huge jpeg header", withJPEGSize(t, good, 60000, 60000), 0},
		{"jpeg over the caller's limit", good, 64*48 - 1},
		{"jpeg header claims more rows than the data holds", withJPEGSize(t, good, 64, 200), 0},
		{"truncated jpeg scan", big[:len(big)*2/3], 0},
		{"jpeg without its end marker", big[:len(big)-2], 0},
		{"tiny jpeg", encodeJPEG(t, gradient(8, 8, false)), 0},
		{"truncated jpeg 2000", jp2[:len(jp2)*2/3], 0},
		{"truncated png", goodPNG[:len(goodPNG)-30], 0},
		{"huge png header", withPNGSize(goodPNG, 100000, 100000), 0},
		{"zero-size png header", withPNGSize(goodPNG, 0, 48), 0},
	} {
		m, err := DecodeImage(tc.data, tc.max)
		if err == nil {
			m.Close()
			t.Errorf("%s: decoded", tc.name)
			continue
		}
		if !errors.Is(err, ErrBadImage) {
			t.Errorf("%s: %v does not wrap ErrBadImage", tc.name, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

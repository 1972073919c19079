package face

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"

	"gocv.io/x/gocv"

	"autogate/drivers/emrtd/lds"
)

// Errors a caller tells apart with errors.Is. None of them is ever a match:
// the gate refers the traveller to an officer.
var (
	// ErrBadImage: the image is empty, corrupt, truncated, of a format
	// not accepted, or larger than the pixel limit.
	ErrBadImage = errors.New("face: bad image")
	// ErrNoFace: no face of usable size was found.
	ErrNoFace = errors.New("face: no face found")
	// ErrMultipleFaces: more than one face was found where one was expected.
	ErrMultipleFaces = errors.New("face: several faces found")
)

// DefaultMaxPixels bounds DecodeImage when the caller passes 0: a 24
// megapixel photo decodes to about 72 MB of BGR.
const DefaultMaxPixels = 24_000_000

// minSide is the smallest image side accepted: nothing smaller holds a face
// of usable size.
const minSide = 16

// DecodeImage decodes a JPEG, JPEG 2000 or PNG image into an 8-bit BGR
// matrix (greyscale and alpha are converted). The header is read first and
// the dimensions checked against maxPixels (DefaultMaxPixels if ≤ 0) before
// any pixel is decoded, so a forged header cannot make the decoder allocate
// gigabytes. Every failure wraps ErrBadImage. The caller closes the Mat.
func DecodeImage(data []byte, maxPixels int) (gocv.Mat, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if len(data) == 0 {
		return gocv.Mat{}, fmt.Errorf("%w: no data", ErrBadImage)
	}
	format, w, h, err := imageSize(data)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	switch {
	case w == 0 || h == 0:
		return gocv.Mat{}, fmt.Errorf("%w: the %s header states no size, so decoding cannot be bounded", ErrBadImage, format)
	case w < minSide || h < minSide:
		return gocv.Mat{}, fmt.Errorf("%w: the %s image is %d×%d pixels, too small to hold a face", ErrBadImage, format, w, h)
	case w*h > maxPixels || w > 1<<15 || h > 1<<15:
		return gocv.Mat{}, fmt.Errorf("%w: the %s header states %d×%d pixels, more than the %d accepted", ErrBadImage, format, w, h, maxPixels)
	}
	if err := checkComplete(format, data); err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	// IMReadColor turns greyscale and alpha into 3-channel BGR.
	mat, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: OpenCV: %v", ErrBadImage, err)
	}
	if mat.Empty() {
		mat.Close()
		return gocv.Mat{}, fmt.Errorf("%w: the %d-byte %s image does not decode: its data is corrupt", ErrBadImage, len(data), format)
	}
	// OpenCV applies a JPEG's EXIF orientation, which may swap the sides.
	mw, mh := mat.Cols(), mat.Rows()
	if !(mw == w && mh == h) && !(mw == h && mh == w) {
		mat.Close()
		return gocv.Mat{}, fmt.Errorf("%w: the %s header states %d×%d pixels but the image decodes to %d×%d", ErrBadImage, format, w, h, mw, mh)
	}
	if mat.Channels() != 3 || mat.Type() != gocv.MatTypeCV8UC3 {
		mat.Close()
		return gocv.Mat{}, fmt.Errorf("%w: the %s image decodes to OpenCV type %v, not 8-bit colour", ErrBadImage, format, mat.Type())
	}
	return mat, nil
}

var pngMagic = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}

// imageSize reads the format and the dimensions from the header alone.
func imageSize(data []byte) (format string, w, h int, err error) {
	if bytes.HasPrefix(data, pngMagic) {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "PNG", 0, 0, fmt.Errorf("PNG header unreadable: %v", err)
		}
		return "PNG", cfg.Width, cfg.Height, nil
	}
	info, err := lds.SniffImage(data)
	if err != nil {
		return "", 0, 0, fmt.Errorf("%v (JPEG, JPEG 2000 and PNG are accepted)", err)
	}
	return string(info.Format), info.Width, info.Height, nil
}

// checkComplete refuses an image whose end is missing. libjpeg and OpenJPEG
// decode a truncated file to a partly grey picture with only a warning, and
// half a face must not reach the matcher as if it were whole.
func checkComplete(format string, data []byte) error {
	switch format {
	case "PNG":
		if !bytes.Contains(data[max(0, len(data)-64):], []byte("IEND")) {
			return errors.New("the PNG image is truncated: no IEND chunk at its end")
		}
	case string(lds.JPEG):
		sos, err := jpegScanStart(data)
		if err != nil {
			return err
		}
		if bytes.LastIndex(data, []byte{0xFF, 0xD9}) < sos {
			return errors.New("the JPEG image is truncated: no end-of-image marker after its scan")
		}
		// libjpeg also fills a corrupt scan with grey and only warns; the
		// standard library's decoder is strict, so it vets the data first.
		// Its size is already bounded by the header check.
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			var unsupported jpeg.UnsupportedError
			if !errors.As(err, &unsupported) {
				return fmt.Errorf("the JPEG data is corrupt: %v", err)
			}
		}
	default: // JPEG 2000: the codestream ends with the EOC marker
		if !bytes.Contains(data[max(0, len(data)-64):], []byte{0xFF, 0xD9}) {
			return errors.New("the JPEG 2000 image is truncated: no end-of-codestream marker at its end")
		}
	}
	return nil
}

// jpegScanStart walks the marker segments after SOI (skipping APPn
// segments, which may hold a whole thumbnail JPEG) and returns the offset
// of the first start-of-scan marker of the main image.
func jpegScanStart(b []byte) (int, error) {
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0, fmt.Errorf("the JPEG image is corrupt: no marker at offset %d", i)
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xDA:
			return i, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			i += 2
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 {
			return 0, fmt.Errorf("the JPEG image is corrupt: segment length %d at offset %d", n, i)
		}
		i += 2 + n
	}
	return 0, errors.New("the JPEG image is truncated: it ends before its scan")
}

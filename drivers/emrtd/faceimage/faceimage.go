package faceimage

import (
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"autogate/drivers/emrtd/lds"
)

// MaxPixels bounds the images Decode accepts. Face images on chips are
// under a megapixel; 24 megapixels leaves room for scanned portraits while
// keeping a decode under about 100 MB.
const MaxPixels = 24_000_000

// imwriteJPEG2000CompressionX1000 is OpenCV's IMWRITE_JPEG2000_COMPRESSION_X1000
// (imgcodecs.hpp), which gocv v0.31 does not name.
const imwriteJPEG2000CompressionX1000 = 272

// Decoded is a decoded image.
type Decoded struct {
	Format        lds.ImageFormat
	Width, Height int
	// Channels is 1 for a greyscale image (Image is *image.Gray), 3 for
	// colour (*image.RGBA), 4 for colour with alpha (*image.NRGBA).
	Channels int
	Image    image.Image
}

// Decode decodes a JPEG or JPEG 2000 image, keeping greyscale images grey.
func Decode(data []byte) (*Decoded, error) {
	mat, info, err := decode(data, gocv.IMReadAnyColor)
	if err != nil {
		return nil, err
	}
	defer mat.Close()
	img, err := mat.ToImage()
	if err != nil {
		return nil, fmt.Errorf("faceimage: converting the decoded %s image (OpenCV type %v): %w", info.Format, mat.Type(), err)
	}
	return &Decoded{Format: info.Format, Width: mat.Cols(), Height: mat.Rows(), Channels: mat.Channels(), Image: img}, nil
}

// DecodeMat decodes a JPEG or JPEG 2000 image into an 8-bit, 3-channel BGR
// matrix, the form OpenCV's DNN module takes. The caller closes the Mat.
func DecodeMat(data []byte) (gocv.Mat, lds.ImageInfo, error) {
	return decode(data, gocv.IMReadColor)
}

// DecodeFace decodes a face image taken from DG2.
func DecodeFace(f lds.FaceImage) (*Decoded, error) {
	d, err := Decode(f.Data)
	if err != nil {
		return nil, fmt.Errorf("face image (%s, %d bytes): %w", f.Format, len(f.Data), err)
	}
	return d, nil
}

func decode(data []byte, flags gocv.IMReadFlag) (gocv.Mat, lds.ImageInfo, error) {
	info, err := lds.SniffImage(data)
	switch {
	case err != nil:
		return gocv.Mat{}, info, fmt.Errorf("faceimage: %w (the image is corrupt or not a face image; refer the document for manual inspection)", err)
	case info.Width == 0 || info.Height == 0:
		return gocv.Mat{}, info, fmt.Errorf("faceimage: the %s header states no size, so decoding could not be bounded; refusing the image", info.Format)
	case info.Width*info.Height > MaxPixels:
		return gocv.Mat{}, info, fmt.Errorf("faceimage: the %s header states %d×%d pixels, more than the %d this decoder accepts; refusing the image", info.Format, info.Width, info.Height, MaxPixels)
	}
	mat, err := gocv.IMDecode(data, flags)
	if err != nil {
		return gocv.Mat{}, info, fmt.Errorf("faceimage: OpenCV: %w", err)
	}
	if mat.Empty() {
		mat.Close()
		return gocv.Mat{}, info, fmt.Errorf("faceimage: OpenCV could not decode the %d-byte %s image: its data is corrupt; refer the document for manual inspection", len(data), info.Format)
	}
	// OpenCV applies a JPEG's EXIF orientation, which may swap the sides.
	w, h := mat.Cols(), mat.Rows()
	if !(w == info.Width && h == info.Height) && !(w == info.Height && h == info.Width) {
		mat.Close()
		return gocv.Mat{}, info, fmt.Errorf("faceimage: the %s header states %d×%d pixels but the image decodes to %d×%d: the image is corrupt", info.Format, info.Width, info.Height, w, h)
	}
	return mat, info, nil
}

// Encode encodes an image as JPEG or JPEG 2000 (JP2 file format). quality
// runs from 1 to 100: the JPEG quality, or for JPEG 2000 a tenth of
// OpenCV's compression rate ×1000 (100 keeps all the data).
func Encode(img image.Image, format lds.ImageFormat, quality int) ([]byte, error) {
	mat, err := gocv.ImageToMatRGB(img)
	if err != nil {
		return nil, fmt.Errorf("faceimage: converting the image for OpenCV: %w", err)
	}
	defer mat.Close()
	return encodeMat(mat, format, quality)
}

// Transcode re-encodes a JPEG or JPEG 2000 image in the other format (or
// the same one at another quality), as the document issuer does to store
// a photograph in DG2.
func Transcode(data []byte, to lds.ImageFormat, quality int) ([]byte, error) {
	mat, _, err := decode(data, gocv.IMReadColor)
	if err != nil {
		return nil, err
	}
	defer mat.Close()
	return encodeMat(mat, to, quality)
}

// Limits of the encoders. gocv v0.31 does not turn OpenCV's C++ exceptions
// into errors: an encoder that fails throws and the process aborts. Inputs
// an encoder would refuse are refused here first.
const (
	minJPEG2000Side = 32    // OpenJPEG's default 6 resolution levels need 2^5 pixels a side
	maxJPEGSide     = 65500 // libjpeg's JPEG_MAX_DIMENSION
)

func encodeMat(mat gocv.Mat, format lds.ImageFormat, quality int) ([]byte, error) {
	w, h := mat.Cols(), mat.Rows()
	switch {
	case quality < 1 || quality > 100:
		return nil, fmt.Errorf("faceimage: quality %d outside 1…100", quality)
	case mat.Empty() || w*h > MaxPixels:
		return nil, fmt.Errorf("faceimage: cannot encode a %d×%d image: from 1 to %d pixels", w, h, MaxPixels)
	case format == lds.JPEG && (w > maxJPEGSide || h > maxJPEGSide):
		return nil, fmt.Errorf("faceimage: cannot encode %d×%d as JPEG: at most %d pixels a side", w, h, maxJPEGSide)
	case format == lds.JPEG2000 && (w < minJPEG2000Side || h < minJPEG2000Side):
		return nil, fmt.Errorf("faceimage: cannot encode %d×%d as JPEG 2000: at least %d pixels a side", w, h, minJPEG2000Side)
	}
	var ext gocv.FileExt
	var params []int
	switch format {
	case lds.JPEG:
		ext, params = gocv.JPEGFileExt, []int{gocv.IMWriteJpegQuality, quality}
	case lds.JPEG2000:
		ext, params = gocv.FileExt(".jp2"), []int{imwriteJPEG2000CompressionX1000, quality * 10}
	default:
		return nil, fmt.Errorf("faceimage: cannot encode %q: JPEG or JPEG2000 only", format)
	}
	buf, err := gocv.IMEncodeWithParams(ext, mat, params)
	if err != nil {
		return nil, fmt.Errorf("faceimage: OpenCV encoding %s: %w", format, err)
	}
	defer buf.Close()
	// GetBytes aliases C memory that Close frees: copy it out first.
	out := append([]byte(nil), buf.GetBytes()...)
	if len(out) == 0 {
		return nil, errors.New("faceimage: OpenCV produced no " + string(format) + " data: its build lacks the codec")
	}
	return out, nil
}

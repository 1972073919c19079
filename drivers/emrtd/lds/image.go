package lds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/color"
	"image/jpeg"
)

// ImageFormat is the encoding of an image held in a data group.
type ImageFormat string

// Image formats found in eMRTD data groups.
const (
	FormatUnknown  ImageFormat = ""
	JPEG           ImageFormat = "JPEG"
	JPEG2000       ImageFormat = "JPEG2000"       // JP2 file format (ISO/IEC 15444-1 annex I)
	JPEG2000Stream ImageFormat = "JPEG2000-J2K"   // bare JPEG 2000 codestream
	WSQ            ImageFormat = "WSQ"            // fingerprints only
	PNG            ImageFormat = "PNG"            // fingerprints only
	RawPixels      ImageFormat = "raw"            // uncompressed fingerprint pixels
	BitPacked      ImageFormat = "raw-bit-packed" // uncompressed, bit-packed fingerprint pixels
)

// ImageInfo is what an image's header says about it.
type ImageInfo struct {
	Format ImageFormat
	// Width and Height in pixels; 0 when the header could not tell (a JPEG
	// variant the header reader does not handle).
	Width, Height int
	// Components is the number of colour components (1 grey, 3 colour);
	// 0 when unknown.
	Components int
}

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	jp2Magic  = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	j2kMagic  = []byte{0xFF, 0x4F, 0xFF, 0x51}
	wsqMagic  = []byte{0xFF, 0xA0}
	pngMagic  = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}
)

// DetectImageFormat names the image format from the first bytes.
func DetectImageFormat(b []byte) ImageFormat {
	switch {
	case bytes.HasPrefix(b, jpegMagic):
		return JPEG
	case bytes.HasPrefix(b, jp2Magic):
		return JPEG2000
	case bytes.HasPrefix(b, j2kMagic):
		return JPEG2000Stream
	case bytes.HasPrefix(b, wsqMagic):
		return WSQ
	case bytes.HasPrefix(b, pngMagic):
		return PNG
	}
	return FormatUnknown
}

// SniffImage recognises a JPEG or JPEG 2000 image and reads its dimensions
// from its header, without decoding pixels. It refuses anything else, and
// headers that are cut short or contradict themselves.
func SniffImage(b []byte) (ImageInfo, error) {
	switch f := DetectImageFormat(b); f {
	case JPEG:
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		var unsupported jpeg.UnsupportedError
		switch {
		case errors.As(err, &unsupported):
			// A valid JPEG variant (arithmetic coding, 12-bit) that the
			// standard library's header reader does not handle: the
			// decoder may well; the size is just not known here.
			return ImageInfo{Format: JPEG}, nil
		case err != nil:
			return ImageInfo{}, fmt.Errorf("JPEG header unreadable: %v", err)
		}
		comps := 0
		switch cfg.ColorModel {
		case color.GrayModel:
			comps = 1
		case color.YCbCrModel:
			comps = 3
		case color.CMYKModel:
			comps = 4
		}
		return ImageInfo{Format: JPEG, Width: cfg.Width, Height: cfg.Height, Components: comps}, nil
	case JPEG2000:
		return sniffJP2(b)
	case JPEG2000Stream:
		return sniffJ2K(b)
	default:
		n := min(len(b), 8)
		return ImageInfo{}, fmt.Errorf("image data is neither JPEG nor JPEG 2000: it starts % X", b[:n])
	}
}

// sniffJP2 walks the boxes of a JP2 file (ISO/IEC 15444-1 annex I): the
// image header box inside the JP2 header box gives the size, and the
// codestream's SIZ segment must agree with it, since decoders (OpenJPEG)
// size their buffers from the codestream.
func sniffJP2(b []byte) (ImageInfo, error) {
	var header *ImageInfo
	for boxes := b; len(boxes) > 0; {
		typ, content, rest, err := jp2Box(boxes)
		if err != nil {
			return ImageInfo{}, fmt.Errorf("JPEG 2000 file: %v", err)
		}
		switch typ {
		case "jp2h":
			if header != nil {
				return ImageInfo{}, errors.New("JPEG 2000 file: two JP2 header boxes")
			}
			h, err := jp2ImageHeader(content)
			if err != nil {
				return ImageInfo{}, fmt.Errorf("JPEG 2000 file: %v", err)
			}
			header = &h
		case "jp2c":
			if header == nil {
				return ImageInfo{}, errors.New("JPEG 2000 file: codestream before the JP2 header box")
			}
			cs, err := sniffJ2K(content)
			if err != nil {
				return ImageInfo{}, fmt.Errorf("JPEG 2000 file: %v", err)
			}
			if cs.Width != header.Width || cs.Height != header.Height || cs.Components != header.Components {
				return ImageInfo{}, fmt.Errorf("JPEG 2000 file: image header box says %d×%d×%d, codestream %d×%d×%d",
					header.Width, header.Height, header.Components, cs.Width, cs.Height, cs.Components)
			}
			return *header, nil
		}
		boxes = rest
	}
	return ImageInfo{}, errors.New("JPEG 2000 file: no codestream box (jp2c)")
}

// jp2ImageHeader finds the image header box among the boxes of the JP2
// header box.
func jp2ImageHeader(boxes []byte) (ImageInfo, error) {
	for len(boxes) > 0 {
		typ, content, rest, err := jp2Box(boxes)
		if err != nil {
			return ImageInfo{}, err
		}
		if typ == "ihdr" {
			if len(content) < 14 {
				return ImageInfo{}, fmt.Errorf("image header box of %d bytes, want 14", len(content))
			}
			h := binary.BigEndian.Uint32(content[0:4])
			w := binary.BigEndian.Uint32(content[4:8])
			nc := binary.BigEndian.Uint16(content[8:10])
			if w == 0 || h == 0 || w > 1<<24 || h > 1<<24 || nc == 0 {
				return ImageInfo{}, fmt.Errorf("image header says %d×%d pixels, %d components", w, h, nc)
			}
			return ImageInfo{Format: JPEG2000, Width: int(w), Height: int(h), Components: int(nc)}, nil
		}
		boxes = rest
	}
	return ImageInfo{}, errors.New("JP2 header box holds no image header box (ihdr)")
}

// jp2Box splits off one box: 4-byte length (1: an 8-byte length follows; 0:
// to the end), 4-byte type.
func jp2Box(b []byte) (typ string, content, rest []byte, err error) {
	if len(b) < 8 {
		return "", nil, nil, fmt.Errorf("box header cut short (%d bytes)", len(b))
	}
	size := uint64(binary.BigEndian.Uint32(b[0:4]))
	typ = string(b[4:8])
	head := uint64(8)
	switch size {
	case 0:
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return "", nil, nil, fmt.Errorf("box %q: extended length cut short", typ)
		}
		size, head = binary.BigEndian.Uint64(b[8:16]), 16
	}
	if size < head || size > uint64(len(b)) {
		return "", nil, nil, fmt.Errorf("box %q claims %d bytes, %d present", typ, size, len(b))
	}
	return typ, b[head:size], b[size:], nil
}

// sniffJ2K reads the SIZ marker segment that must follow SOC in a JPEG 2000
// codestream (ISO/IEC 15444-1 A.5.1).
func sniffJ2K(b []byte) (ImageInfo, error) {
	if !bytes.HasPrefix(b, j2kMagic) {
		return ImageInfo{}, fmt.Errorf("JPEG 2000 codestream does not open with SOC and SIZ (FF4F FF51): % X", b[:min(len(b), 4)])
	}
	// FF4F FF51 Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4) XTsiz YTsiz XTOsiz YTOsiz (4 each) Csiz(2)
	if len(b) < 4+38 {
		return ImageInfo{}, errors.New("JPEG 2000 codestream: SIZ marker segment cut short")
	}
	s := b[4:]
	x, y := binary.BigEndian.Uint32(s[4:8]), binary.BigEndian.Uint32(s[8:12])
	xo, yo := binary.BigEndian.Uint32(s[12:16]), binary.BigEndian.Uint32(s[16:20])
	nc := binary.BigEndian.Uint16(s[36:38])
	if x <= xo || y <= yo || x-xo > 1<<24 || y-yo > 1<<24 || nc == 0 {
		return ImageInfo{}, fmt.Errorf("JPEG 2000 codestream: SIZ says image area %d×%d at offset %d,%d with %d components", x, y, xo, yo, nc)
	}
	return ImageInfo{Format: JPEG2000Stream, Width: int(x - xo), Height: int(y - yo), Components: int(nc)}, nil
}

package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"

	"github.com/pion/mediadevices/pkg/frame"
)

// simFormats are the pixel formats the simulator can deliver: the ones UVC
// face cameras send (YUYV raw, MJPEG) and planar I420.
var simFormats = []frame.Format{frame.FormatYUYV, frame.FormatI420, frame.FormatMJPEG}

// parseFormat returns the pixel format named s (case-insensitive).
func parseFormat(s string) (frame.Format, error) {
	for _, f := range simFormats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	names := make([]string, len(simFormats))
	for i, f := range simFormats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown pixel format %q; one of %s", s, strings.Join(names, ", "))
}

// mjpegQuality is the JPEG quality of simulated MJPEG frames: what UVC
// cameras use at 640×480 (visible artefacts are rare at this level).
const mjpegQuality = 90

// encodeFrame turns img into the bytes a camera sending format f would put
// on the wire, at the frame size w×h (img's size rounded up to even, as
// chroma subsampling needs; the extra column/row repeats the edge).
func encodeFrame(img image.Image, f frame.Format) (raw []byte, w, h int, err error) {
	b := img.Bounds()
	w, h = b.Dx()+b.Dx()%2, b.Dy()+b.Dy()%2
	if w == 0 || h == 0 {
		return nil, 0, 0, fmt.Errorf("empty image %v", b)
	}
	// ycc returns the full-range (JFIF) Y, Cb, Cr of frame pixel (x, y):
	// the inverse of what mediadevices' decoders and image/draw assume.
	ycc := func(x, y int) (uint8, uint8, uint8) {
		x, y = min(x, b.Dx()-1), min(y, b.Dy()-1)
		r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
	}
	switch f {
	case frame.FormatYUYV:
		raw = make([]byte, 2*w*h)
		for y := range h {
			for x := 0; x < w; x += 2 {
				y0, cb0, cr0 := ycc(x, y)
				y1, cb1, cr1 := ycc(x+1, y)
				i := 2 * (y*w + x)
				raw[i], raw[i+1], raw[i+2], raw[i+3] = y0, avg2(cb0, cb1), y1, avg2(cr0, cr1)
			}
		}
	case frame.FormatI420:
		raw = make([]byte, w*h+w*h/2)
		cb, cr := raw[w*h:w*h+w*h/4], raw[w*h+w*h/4:]
		for y := range h {
			for x := range w {
				raw[y*w+x], _, _ = ycc(x, y)
			}
		}
		for y := 0; y < h; y += 2 {
			for x := 0; x < w; x += 2 {
				var sb, sr int
				for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					_, b, r := ycc(x+d[0], y+d[1])
					sb, sr = sb+int(b), sr+int(r)
				}
				i := (y/2)*(w/2) + x/2
				cb[i], cr[i] = uint8((sb+2)/4), uint8((sr+2)/4)
			}
		}
	case frame.FormatMJPEG:
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: mjpegQuality}); err != nil {
			return nil, 0, 0, err
		}
		return buf.Bytes(), b.Dx(), b.Dy(), nil
	default:
		return nil, 0, 0, fmt.Errorf("the simulator cannot send pixel format %s", f)
	}
	return raw, w, h, nil
}

func avg2(a, b uint8) uint8 { return uint8((int(a) + int(b) + 1) / 2) }

// minFrameBytes is the size a raw frame of format f and size w×h needs;
// 0 for compressed formats, whose size varies.
func minFrameBytes(f frame.Format, w, h int) int {
	switch f {
	case frame.FormatYUYV, frame.FormatYUY2, frame.FormatUYVY:
		return 2 * w * h
	case frame.FormatI420, frame.FormatNV12, frame.FormatNV21:
		return w*h + w*h/2
	}
	return 0
}

// decodeFrame decodes one wire frame with mediadevices' decoder for f (the
// one its V4L2 driver uses), refusing sizes and lengths the decoders do not
// check themselves. The result may share memory with raw.
func decodeFrame(raw []byte, f frame.Format, w, h int) (image.Image, error) {
	if w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return nil, fmt.Errorf("frame size %d×%d out of range", w, h)
	}
	if n := minFrameBytes(f, w, h); n > 0 && (w%2 != 0 || f != frame.FormatYUYV && f != frame.FormatYUY2 && f != frame.FormatUYVY && h%2 != 0) {
		return nil, fmt.Errorf("frame size %d×%d is odd; %s needs even sizes", w, h, f)
	} else if len(raw) < n {
		return nil, fmt.Errorf("%s frame of %d bytes, want %d for %d×%d", f, len(raw), n, w, h)
	}
	if f == frame.FormatMJPEG {
		// The JPEG header sets the size the decoder allocates: a corrupt
		// one must not make a 64k×64k image out of a few bytes.
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("decoding an MJPEG frame: %w", err)
		}
		if cfg.Width != w || cfg.Height != h {
			return nil, fmt.Errorf("MJPEG frame of %d×%d, want %d×%d", cfg.Width, cfg.Height, w, h)
		}
	}
	dec, err := frame.NewDecoder(f)
	if err != nil {
		return nil, err
	}
	img, _, err := dec.Decode(raw, w, h)
	if err != nil {
		return nil, fmt.Errorf("decoding a %s frame: %w", f, err)
	}
	return img, nil
}

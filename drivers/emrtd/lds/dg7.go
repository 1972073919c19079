package lds

import (
	"fmt"

	"autogate/drivers/emrtd/tlv"
)

// DisplayedImage is a displayed image (portrait in DG5, signature or usual
// mark in DG7), kept encoded.
type DisplayedImage struct {
	Format        ImageFormat // from the image's first bytes
	Width, Height int         // from the image header; 0 if it does not tell
	Data          []byte
}

// DG5 holds the displayed portrait(s).
type DG5 struct{ Images []DisplayedImage }

// DG7 holds the displayed signature(s) or usual mark(s).
type DG7 struct{ Images []DisplayedImage }

// ParseDG5 parses DG5: 65 { 02 n, 5F40 image × n }.
func ParseDG5(b []byte) (*DG5, error) {
	imgs, err := parseDisplayed(b, dgTags[4], 0x5F40)
	if err != nil {
		return nil, malformed("DG5", err)
	}
	return &DG5{Images: imgs}, nil
}

// ParseDG7 parses DG7: 67 { 02 n, 5F43 image × n }.
func ParseDG7(b []byte) (*DG7, error) {
	imgs, err := parseDisplayed(b, dgTags[6], 0x5F43)
	if err != nil {
		return nil, malformed("DG7", err)
	}
	return &DG7{Images: imgs}, nil
}

func parseDisplayed(b []byte, outer, inner tlv.Tag) ([]DisplayedImage, error) {
	v, err := unwrap(b, outer)
	if err != nil {
		return nil, err
	}
	els, err := elements(v)
	if err != nil {
		return nil, err
	}
	if len(els) == 0 {
		return nil, fmt.Errorf("empty")
	}
	n, err := count(els[0])
	if err != nil {
		return nil, err
	}
	var out []DisplayedImage
	for i, e := range els[1:] {
		if e.Tag != inner {
			return nil, fmt.Errorf("element %d has tag %s, want %s", i+2, e.Tag, inner)
		}
		info, err := SniffImage(e.Value)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i+1, err)
		}
		out = append(out, DisplayedImage{Format: info.Format, Width: info.Width, Height: info.Height, Data: e.Value})
	}
	if len(out) != n || n == 0 {
		return nil, fmt.Errorf("announces %d images and holds %d", n, len(out))
	}
	return out, nil
}

// BuildDG7 builds DG7 from encoded images (JPEG or JPEG 2000).
func BuildDG7(images ...[]byte) ([]byte, error) {
	return buildDisplayed("BuildDG7", dgTags[6], 0x5F43, images)
}

// BuildDG5 builds DG5 from encoded portraits (JPEG or JPEG 2000).
func BuildDG5(images ...[]byte) ([]byte, error) {
	return buildDisplayed("BuildDG5", dgTags[4], 0x5F40, images)
}

func buildDisplayed(fn string, outer, inner tlv.Tag, images [][]byte) ([]byte, error) {
	if len(images) == 0 || len(images) > 255 {
		return nil, fmt.Errorf("lds: %s: %d images; want 1 to 255", fn, len(images))
	}
	parts := [][]byte{tlv.Encode(0x02, []byte{byte(len(images))})}
	for i, img := range images {
		if _, err := SniffImage(img); err != nil {
			return nil, fmt.Errorf("lds: %s: image %d: %w", fn, i+1, err)
		}
		parts = append(parts, tlv.Encode(inner, img))
	}
	return tlv.Encode(outer, parts...), nil
}

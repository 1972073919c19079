package lds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DG3 is the encoded fingers: biometric templates holding ISO/IEC
// 19794-4:2005 finger image records. DG3 is readable only after Terminal
// Authentication (EAC).
type DG3 struct {
	Templates []FingerTemplate
}

// FingerTemplate is one biometric information template of DG3.
type FingerTemplate struct {
	Header BiometricHeader
	Record *FingerRecord
}

// FingerRecord is an ISO/IEC 19794-4:2005 finger image record: a general
// header, then one image per finger view.
type FingerRecord struct {
	CaptureDeviceID  int
	AcquisitionLevel int // image acquisition setting level (31, 41 for 500 ppi …)
	// ScaleUnits is "ppi" or "ppcm"; the resolutions are in those units.
	ScaleUnits                         string
	ScanResolutionX, ScanResolutionY   int
	ImageResolutionX, ImageResolutionY int
	PixelDepth                         int // bits per pixel
	Compression                        ImageFormat
	Images                             []FingerImage
	Warnings                           []string
}

// FingerImage is one finger view. The image is kept encoded (WSQ mostly);
// nothing here decodes it.
type FingerImage struct {
	Position       int    // ISO/IEC 19794-4 finger position code
	PositionName   string // "right index finger", …
	ViewCount      int
	ViewNumber     int
	Quality        int // 0–100, 254 not calculated, 255 failed
	ImpressionType int // 0 live-scan plain, 1 live-scan rolled, …
	Width, Height  int // horizontal and vertical line lengths in pixels
	Data           []byte
}

var (
	fingerPositions = map[int]string{
		0: "unknown finger", 1: "right thumb", 2: "right index finger", 3: "right middle finger", 4: "right ring finger", 5: "right little finger",
		6: "left thumb", 7: "left index finger", 8: "left middle finger", 9: "left ring finger", 10: "left little finger",
		11: "plain right four fingers", 12: "plain left four fingers", 13: "plain thumbs",
	}
	fingerCompression = map[int]ImageFormat{0: RawPixels, 1: BitPacked, 2: WSQ, 3: JPEG, 4: JPEG2000, 5: PNG}
)

const (
	fir19794HeaderLen = 32
	fir19794ViewLen   = 14
)

// ParseDG3 parses DG3: 63 { 7F61 { 02 n, 7F60 { A1 header, 5F2E finger record } × n } }.
func ParseDG3(b []byte) (*DG3, error) {
	d, err := parseDG3(b)
	return d, malformed("DG3", err)
}

func parseDG3(b []byte) (*DG3, error) {
	templates, err := parseBIT(b, dgTags[2])
	if err != nil {
		return nil, err
	}
	d := &DG3{}
	for i, t := range templates {
		rec, err := parseFingerRecord(t.Data)
		if err != nil {
			return nil, fmt.Errorf("biometric information template %d: %w", i+1, err)
		}
		d.Templates = append(d.Templates, FingerTemplate{Header: t.Header, Record: rec})
	}
	return d, nil
}

// ParseFingerRecord parses an ISO/IEC 19794-4:2005 finger image record.
func ParseFingerRecord(b []byte) (*FingerRecord, error) {
	r, err := parseFingerRecord(b)
	return r, malformed("finger record", err)
}

// parseFingerRecord reads the 32-byte general header — "FIR\0", "010\0",
// record length (6), capture device (2), acquisition level (2), number of
// fingers (1), scale units (1), scan and image resolutions (4×2), pixel depth
// (1), compression (1), reserved (2) — and the views that follow.
func parseFingerRecord(b []byte) (*FingerRecord, error) {
	if !bytes.HasPrefix(b, []byte("FIR\x00")) {
		return nil, fmt.Errorf("finger record opens with % X, not \"FIR\\0\" (ISO/IEC 19794-4)", b[:min(len(b), 4)])
	}
	if len(b) < fir19794HeaderLen {
		return nil, fmt.Errorf("ISO/IEC 19794-4 header cut short: %d bytes, want %d", len(b), fir19794HeaderLen)
	}
	if v := string(b[4:8]); v != "010\x00" {
		return nil, fmt.Errorf("ISO/IEC 19794-4 version %q is not supported; ICAO 9303 uses \"010\" (19794-4:2005)", strings.TrimRight(v, "\x00"))
	}
	total := uint64(binary.BigEndian.Uint16(b[8:10]))<<32 | uint64(binary.BigEndian.Uint32(b[10:14]))
	if total > uint64(len(b)) || total < fir19794HeaderLen {
		return nil, fmt.Errorf("ISO/IEC 19794-4 record claims %d bytes, %d present", total, len(b))
	}
	r := &FingerRecord{
		CaptureDeviceID:  int(binary.BigEndian.Uint16(b[14:16])),
		AcquisitionLevel: int(binary.BigEndian.Uint16(b[16:18])),
		ScanResolutionX:  int(binary.BigEndian.Uint16(b[20:22])),
		ScanResolutionY:  int(binary.BigEndian.Uint16(b[22:24])),
		ImageResolutionX: int(binary.BigEndian.Uint16(b[24:26])),
		ImageResolutionY: int(binary.BigEndian.Uint16(b[26:28])),
		PixelDepth:       int(b[28]),
	}
	n := int(b[18])
	switch b[19] {
	case 1:
		r.ScaleUnits = "ppi"
	case 2:
		r.ScaleUnits = "ppcm"
	default:
		return nil, fmt.Errorf("ISO/IEC 19794-4 scale units %d, want 1 (ppi) or 2 (ppcm)", b[19])
	}
	var ok bool
	if r.Compression, ok = fingerCompression[int(b[29])]; !ok {
		return nil, fmt.Errorf("ISO/IEC 19794-4 compression algorithm %d unknown (0–5 defined)", b[29])
	}
	if n == 0 {
		return nil, errors.New("ISO/IEC 19794-4 record holds no finger image")
	}
	if int(total) < len(b) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d bytes after the %d-byte record ignored", len(b)-int(total), total))
	}
	rest := b[fir19794HeaderLen:total]
	for i := 0; i < n; i++ {
		// Finger image header: data block length (4, header included),
		// position, view count, view number, quality, impression type
		// (1 each), line lengths (2 each), reserved (1).
		if len(rest) < fir19794ViewLen {
			return nil, fmt.Errorf("ISO/IEC 19794-4 finger image %d of %d: header cut short (%d bytes)", i+1, n, len(rest))
		}
		blockLen := binary.BigEndian.Uint32(rest[0:4])
		if uint64(blockLen) > uint64(len(rest)) || blockLen <= fir19794ViewLen {
			return nil, fmt.Errorf("ISO/IEC 19794-4 finger image %d of %d: block claims %d bytes, %d present (header alone is %d)", i+1, n, blockLen, len(rest), fir19794ViewLen)
		}
		img := FingerImage{
			Position:       int(rest[4]),
			ViewCount:      int(rest[5]),
			ViewNumber:     int(rest[6]),
			Quality:        int(rest[7]),
			ImpressionType: int(rest[8]),
			Width:          int(binary.BigEndian.Uint16(rest[9:11])),
			Height:         int(binary.BigEndian.Uint16(rest[11:13])),
			Data:           rest[fir19794ViewLen:blockLen],
		}
		img.PositionName = code(fingerPositions, img.Position)
		r.Images = append(r.Images, img)
		rest = rest[blockLen:]
	}
	if len(rest) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d bytes after the last of %d finger images ignored", len(rest), n))
	}
	return r, nil
}

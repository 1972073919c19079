package lds

import (
	"fmt"
	"strings"
	"time"

	"autogate/drivers/emrtd/tlv"
	"autogate/internal/mrz"
)

// DG1 is the MRZ as stored on the chip.
type DG1 struct {
	// Lines are the MRZ lines, split by the format's line length.
	Lines []string
	// MRZ is the parsed MRZ. A check digit that fails does not make
	// ParseDG1 fail: the container is sound and MRZ.Valid, MRZ.Errors say
	// what is wrong, for the caller to decide (and to compare with the
	// printed MRZ).
	MRZ mrz.Document
}

// MRZ lengths by format: TD1 is 3×30, TD2 and MRV-B 2×36, TD3 and MRV-A 2×44.
var mrzShapes = map[int][2]int{90: {3, 30}, 72: {2, 36}, 88: {2, 44}}

// ParseDG1 parses DG1: 61 { 5F1F MRZ }. now places the MRZ's two-digit
// years in their century (see mrz.Parse).
func ParseDG1(b []byte, now time.Time) (*DG1, error) {
	d, err := parseDG1(b, now)
	return d, malformed("DG1", err)
}

func parseDG1(b []byte, now time.Time) (*DG1, error) {
	v, err := unwrap(b, dgTags[0])
	if err != nil {
		return nil, err
	}
	els, err := elements(v)
	if err != nil {
		return nil, err
	}
	e, ok, err := only(els, 0x5F1F)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("no MRZ element (5F1F)")
	}
	shape, ok := mrzShapes[len(e.Value)]
	if !ok {
		return nil, fmt.Errorf("MRZ (5F1F) is %d characters; want 88 (TD3, MRV-A), 72 (TD2, MRV-B) or 90 (TD1)", len(e.Value))
	}
	s := string(e.Value)
	lines := make([]string, shape[0])
	for i := range lines {
		lines[i] = s[i*shape[1] : (i+1)*shape[1]]
	}
	return &DG1{Lines: lines, MRZ: mrz.Parse(lines, now)}, nil
}

// BuildDG1 builds DG1 from MRZ lines (two of 44 or 36 characters, or three
// of 30), as mrz.Build returns them.
func BuildDG1(lines []string) ([]byte, error) {
	joined := strings.Join(lines, "")
	shape, ok := mrzShapes[len(joined)]
	if !ok || len(lines) != shape[0] {
		return nil, fmt.Errorf("lds: BuildDG1: %d lines of %d characters in all; want 2×44 (TD3, MRV-A), 2×36 (TD2, MRV-B) or 3×30 (TD1)", len(lines), len(joined))
	}
	for i, l := range lines {
		if len(l) != shape[1] {
			return nil, fmt.Errorf("lds: BuildDG1: line %d is %d characters; this MRZ has lines of %d", i+1, len(l), shape[1])
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
				return nil, fmt.Errorf("lds: BuildDG1: line %d position %d holds %q, outside the MRZ alphabet A–Z 0–9 <", i+1, j+1, c)
			}
		}
	}
	return tlv.Encode(dgTags[0], tlv.Encode(0x5F1F, []byte(joined))), nil
}

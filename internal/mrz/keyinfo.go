package mrz

import (
	"fmt"
	"strings"
)

// KeyInfo returns the "MRZ information" from which BAC and PACE derive the
// chip's access keys (ICAO 9303-11 section 9.7.2): document number with its
// check digit, date of birth with its check digit, date of expiry with its
// check digit — taken from the printed characters, so fillers in a document
// number and unknown birth-date parts stay exactly as printed. A document
// number longer than nine characters (TD1, TD2) is taken whole, with the
// check digit that follows it in the optional data.
func (d Document) KeyInfo() (string, error) {
	if !d.Valid {
		return "", fmt.Errorf("mrz: key information of an MRZ that does not verify: %s", strings.Join(d.Errors, "; "))
	}
	var number, rest string
	switch d.Format {
	case TD3, TD2, MRVA, MRVB:
		l := d.Lines[1]
		number, rest = l[0:10], l[13:20]+l[21:28]
		if d.Format == TD2 && l[9] == '<' {
			number = longNumber(l[0:9], d.Lines[1][28:35])
		}
	case TD1:
		l1, l2 := d.Lines[0], d.Lines[1]
		number = l1[5:15]
		if l1[14] == '<' {
			number = longNumber(l1[5:14], l1[15:30])
		}
		rest = l2[0:7] + l2[8:15]
	default:
		return "", fmt.Errorf("mrz: unknown format %q", d.Format)
	}
	return number + rest, nil
}

// longNumber joins the first nine characters of a long document number with
// its continuation in the optional data, whose last character before the
// fillers is the check digit.
func longNumber(head, optional string) string {
	tail := strings.TrimRight(optional, "<")
	if i := strings.IndexByte(tail, '<'); i >= 0 {
		tail = tail[:i]
	}
	return head + tail
}

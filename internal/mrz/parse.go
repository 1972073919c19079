package mrz

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Line widths per format (ICAO 9303 parts 4–7).
const (
	widthTD1 = 30
	widthTD2 = 36 // also MRV-B
	widthTD3 = 44 // also MRV-A
)

// Parse reads and validates an MRZ given as its lines (2 or 3, exactly as
// printed: no trimming, no case folding). now places two-digit years in their
// century. Parse never panics and never fails: anything wrong is reported in
// Errors with Valid=false.
//
// Parse corrects nothing: OCR-confusion correction, accepted only where the
// check digits prove it, is Correct, run in front of Parse.
func Parse(lines []string, now time.Time) (d Document) {
	d = Document{Lines: append([]string{}, lines...), Errors: []string{}}
	p := &parser{doc: &d, now: now}
	defer func() {
		// Belt and braces for a border gate: a bug here must refer the
		// traveller, not crash the agent.
		if r := recover(); r != nil {
			d.Errors = append(d.Errors, fmt.Sprintf("mrz: internal error while parsing (please report with the MRZ lines): %v", r))
			d.Valid = false
		}
	}()
	if format, ok := p.detect(lines); ok {
		d.Format = format
		switch format {
		case TD1:
			p.parseTD1(lines[0], lines[1], lines[2])
		case TD2:
			p.parseTD2(lines[0], lines[1])
		case TD3:
			p.parseTD3(lines[0], lines[1])
		case MRVA, MRVB:
			p.parseMRV(format, lines[0], lines[1])
		}
	}
	d.Valid = len(d.Errors) == 0
	return d
}

type parser struct {
	doc *Document
	now time.Time
}

func (p *parser) errf(field, format string, args ...any) {
	p.doc.Errors = append(p.doc.Errors, field+": "+fmt.Sprintf(format, args...))
}

// detect checks the line count, the character set and the line lengths, and
// picks the format; false means the lines cannot be cut into fields.
func (p *parser) detect(lines []string) (Format, bool) {
	if len(lines) != 2 && len(lines) != 3 {
		p.errf("mrz", "got %d lines; an MRZ has 2 lines (TD2, TD3, MRV-A, MRV-B) or 3 (TD1)", len(lines))
		return "", false
	}
	ok := true
	lengths := make([]string, len(lines))
	for i, line := range lines {
		lengths[i] = fmt.Sprint(utf8.RuneCountInString(line))
		if !p.checkCharset(i+1, line) {
			ok = false
		}
	}
	// Lengths are in characters so that a stray non-ASCII character is
	// reported once, as a bad character, and not also as a wrong length.
	n := func(i int) int { return utf8.RuneCountInString(lines[i]) }
	var format Format
	switch {
	case len(lines) == 3:
		if n(0) != widthTD1 || n(1) != widthTD1 || n(2) != widthTD1 {
			p.errf("mrz", "3 lines must be %d characters each (TD1); got %s", widthTD1, strings.Join(lengths, ", "))
			return "", false
		}
		format = TD1
	case n(0) == widthTD3 && n(1) == widthTD3:
		format = TD3
	case n(0) == widthTD2 && n(1) == widthTD2:
		format = TD2
	default:
		p.errf("mrz", "2 lines must be %d characters each (TD3, MRV-A) or %d each (TD2, MRV-B); got %s",
			widthTD3, widthTD2, strings.Join(lengths, ", "))
		return "", false
	}
	if !ok {
		return "", false
	}
	// Doc 9303-7: a visa's document code starts with V; no other
	// document may use V as its first character.
	if format != TD1 && lines[0][0] == 'V' {
		if format == TD3 {
			format = MRVA
		} else {
			format = MRVB
		}
	}
	return format, true
}

// checkCharset reports the first character outside A–Z 0–9 '<' on a line.
func (p *parser) checkCharset(lineNo int, line string) bool {
	bad, first, firstPos := 0, rune(0), 0
	pos := 0
	for _, r := range line {
		pos++
		if r < utf8.RuneSelf && validChar(byte(r)) {
			continue
		}
		if bad == 0 {
			first, firstPos = r, pos
		}
		bad++
	}
	if bad == 0 {
		return true
	}
	more := ""
	if bad > 1 {
		more = fmt.Sprintf(" (and %d more such characters)", bad-1)
	}
	p.errf(fmt.Sprintf("line %d", lineNo), "character %d is %q, outside the MRZ set A–Z 0–9 '<'%s; rescan the document or check the reader's output",
		firstPos, first, more)
	return false
}

// The layouts below use 0-based, half-open slices; comments give the
// 1-based character positions of Doc 9303.

func (p *parser) parseTD1(l1, l2, l3 string) {
	d := p.doc
	p.documentCode(l1[0:2], TD1)                           // 1–2
	d.IssuingState = p.stateCode("issuing_state", l1[2:5]) // 3–5
	// 6–14 number, 15 check digit, 16–30 optional data (9303-5).
	var opt string
	d.DocumentNumber, opt = p.documentNumber(l1[5:14], l1[14], l1[15:30], true)
	d.OptionalData = strings.TrimRight(opt, "<")
	d.BirthDate = p.birthDate(l2[0:6], l2[6])                         // 1–6, 7
	d.Sex = p.sex(l2[7])                                              // 8
	d.ExpiryDate = p.expiryDate(l2[8:14], l2[14])                     // 9–14, 15
	d.Nationality = p.stateCode("nationality", l2[15:18])             // 16–18
	d.OptionalData2 = strings.TrimRight(l2[18:29], "<")               // 19–29
	p.check("composite", l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29]) // 30
	p.name(l3)
}

func (p *parser) parseTD2(l1, l2 string) {
	d := p.doc
	p.documentCode(l1[0:2], TD2)
	d.IssuingState = p.stateCode("issuing_state", l1[2:5])
	p.name(l1[5:36])
	// 1–9 number, 10 check digit, 29–35 optional data (9303-6).
	var opt string
	d.DocumentNumber, opt = p.documentNumber(l2[0:9], l2[9], l2[28:35], true)
	d.OptionalData = strings.TrimRight(opt, "<")
	p.personalLine(l2)
	p.check("composite", l2[0:10]+l2[13:20]+l2[21:35], l2[35]) // 36
}

func (p *parser) parseTD3(l1, l2 string) {
	d := p.doc
	p.documentCode(l1[0:2], TD3)
	d.IssuingState = p.stateCode("issuing_state", l1[2:5])
	p.name(l1[5:44])
	d.DocumentNumber, _ = p.documentNumber(l2[0:9], l2[9], "", false)
	p.personalLine(l2)
	// 29–42 personal number, 43 its check digit: '<' (or 0) when the
	// number is all fillers (9303-4).
	personal, cd := l2[28:42], l2[42]
	d.OptionalData = strings.TrimRight(personal, "<")
	if cd == '<' {
		if d.OptionalData != "" {
			p.errf("optional_data", "check digit is '<', allowed only when the personal number is empty; computed %c", digitOf(personal))
		}
	} else {
		p.check("optional_data", personal, cd)
	}
	p.check("composite", l2[0:10]+l2[13:20]+l2[21:43], l2[43]) // 44
}

// parseMRV reads MRV-A and MRV-B: the TD3/TD2 line 2 up to the expiry date,
// then optional data to the end of the line; no composite (9303-7).
func (p *parser) parseMRV(format Format, l1, l2 string) {
	d := p.doc
	p.documentCode(l1[0:2], format)
	d.IssuingState = p.stateCode("issuing_state", l1[2:5])
	p.name(l1[5:])
	d.DocumentNumber, _ = p.documentNumber(l2[0:9], l2[9], "", false)
	p.personalLine(l2)
	d.OptionalData = strings.TrimRight(l2[28:], "<")
}

// personalLine reads the fields TD2, TD3 and MRV share on line 2:
// 11–13 nationality, 14–19 birth date, 20 its check digit, 21 sex,
// 22–27 expiry date, 28 its check digit.
func (p *parser) personalLine(l2 string) {
	d := p.doc
	d.Nationality = p.stateCode("nationality", l2[10:13])
	d.BirthDate = p.birthDate(l2[13:19], l2[19])
	d.Sex = p.sex(l2[20])
	d.ExpiryDate = p.expiryDate(l2[21:27], l2[27])
}

// check verifies the check digit got over data.
func (p *parser) check(field, data string, got byte) {
	want := digitOf(data)
	switch {
	case got < '0' || got > '9':
		p.errf(field, "check digit is %q, not a digit; computed %c", got, want)
	case got != want:
		p.errf(field, "check digit is %c, computed %c", got, want)
	}
}

// documentCode checks the 2-character code: a letter, then a letter or '<'.
func (p *parser) documentCode(raw string, format Format) {
	p.doc.DocumentCode = strings.TrimRight(raw, "<")
	switch {
	case !isLetter(raw[0]):
		p.errf("document_code", "%q must start with a letter (P passport; I, A or C identity card; V visa)", raw)
	case !isLetter(raw[1]) && raw[1] != '<':
		p.errf("document_code", "second character of %q must be a letter or '<'", raw)
	case format == TD1 && raw[0] == 'V':
		p.errf("document_code", "%q is a visa code, but visas are MRV-A or MRV-B (2 lines), never TD1 (3 lines)", raw)
	}
}

// stateCode reads a 3-character state or organisation code (ICAO 9303-3):
// letters, padded on the right with '<' (e.g. "D<<").
func (p *parser) stateCode(field, raw string) string {
	code := strings.TrimRight(raw, "<")
	switch {
	case code == "":
		p.errf(field, "is empty (all fillers); a state or organisation code such as UTO or D<< is required")
	case !allLetters(code):
		p.errf(field, "%q is not a code of letters padded with '<' (e.g. UTO, D<<)", raw)
	}
	return code
}

// documentNumber reads a 9-character number field with its check digit.
// When long is allowed (TD1, TD2) and the check digit position holds '<',
// the number continues at the start of opt, ended by its check digit and a
// '<' (9303-5 and 9303-6). It returns the whole number and what remains of
// opt after any continuation.
func (p *parser) documentNumber(field string, cd byte, opt string, long bool) (number, rest string) {
	if cd != '<' || !long {
		number = strings.TrimRight(field, "<")
		if number == "" {
			p.errf("document_number", "is empty (all fillers)")
		}
		p.check("document_number", field, cd)
		return number, opt
	}
	end := strings.IndexByte(opt, '<')
	if end < 2 {
		p.errf("document_number", "check digit position holds '<', which marks a number longer than 9 characters, "+
			"but the optional data %q does not open with the rest of the number, its check digit and a '<'", opt)
		return strings.TrimRight(field, "<"), opt
	}
	if strings.HasSuffix(field, "<") {
		p.errf("document_number", "%q ends in a filler, but a number longer than 9 characters must fill all 9 positions before continuing in the optional data", field)
	}
	number = field + opt[:end-1]
	p.check("document_number", number, opt[end-1])
	return number, opt[end+1:]
}

// sex maps M and F to themselves and '<' (unspecified) to X.
func (p *parser) sex(c byte) string {
	switch c {
	case 'M', 'F':
		return string(c)
	case '<':
		return "X"
	}
	p.errf("sex", "%q is not M, F or '<' (unspecified)", c)
	return ""
}

// name splits the name field: primary identifier, "<<", secondary
// identifiers; single '<' inside a part separates its components.
func (p *parser) name(field string) {
	d := p.doc
	d.NameTruncated = field[len(field)-1] != '<'
	trimmed := strings.TrimRight(field, "<")
	switch {
	case trimmed == "":
		p.errf("surname", "the name field is empty (all fillers); the primary identifier is mandatory")
		return
	case trimmed[0] == '<':
		p.errf("surname", "the name field starts with a filler; it must start with the primary identifier (surname)")
	}
	surname, given, _ := strings.Cut(trimmed, "<<")
	if i := strings.IndexFunc(trimmed, func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 {
		field := "surname"
		if i >= len(surname) {
			field = "given_names"
		}
		p.errf(field, "character %d of the name field is the digit %q; names hold only A–Z and '<'", i+1, trimmed[i])
	}
	d.Surname = strings.ReplaceAll(surname, "<", " ")
	d.GivenNames = strings.ReplaceAll(given, "<", " ")
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

package mrz

import (
	"fmt"
	"strings"
	"time"
)

// Fields are the data Build lays out. Text is expected in the MRZ alphabet
// already (transliteration is the caller's job): uppercase A–Z in names, with
// single spaces between name components; A–Z, 0–9 and '<' in the document
// number and optional data, where trailing '<' are padding.
type Fields struct {
	DocumentCode, IssuingState, Surname, GivenNames, DocumentNumber, Nationality string
	BirthDate, ExpiryDate                                                        time.Time
	// BirthMonthUnknown and BirthDayUnknown write "<<" for a partly unknown
	// date of birth (ICAO 9303-3); BirthDate then only supplies the rest.
	BirthMonthUnknown, BirthDayUnknown bool
	Sex                                string // "M", "F", "X"
	OptionalData, OptionalData2        string
}

// spec is the geometry Build needs per format.
type spec struct {
	width     int  // characters per line
	nameWidth int  // name field
	optWidth  int  // optional data (TD3: personal number)
	long      bool // document numbers over 9 characters continue in the optional data
}

var specs = map[Format]spec{
	TD1:  {width: widthTD1, nameWidth: 30, optWidth: 15, long: true},
	TD2:  {width: widthTD2, nameWidth: 31, optWidth: 7, long: true},
	TD3:  {width: widthTD3, nameWidth: 39, optWidth: 14},
	MRVA: {width: widthTD3, nameWidth: 39, optWidth: 16},
	MRVB: {width: widthTD2, nameWidth: 31, optWidth: 8},
}

// Build lays out an MRZ of the given format, computing every check digit and
// truncating names that do not fit (given names first). It refuses fields
// that cannot be encoded faithfully, naming each one.
func Build(format Format, f Fields) ([]string, error) {
	sp, ok := specs[format]
	if !ok {
		return nil, fmt.Errorf("mrz: cannot build format %q: known formats are TD1, TD2, TD3, MRVA, MRVB", format)
	}
	b := builder{format: format}
	code := b.documentCode(f.DocumentCode)
	state := b.stateCode("issuing_state", f.IssuingState)
	nat := b.stateCode("nationality", f.Nationality)
	name := b.name(f.Surname, f.GivenNames, sp.nameWidth)
	birth := b.birthDate(f)
	expiry := b.date("expiry_date", f.ExpiryDate)
	sex := b.sex(f.Sex)
	number, numberCD, opt := b.documentNumber(f.DocumentNumber, f.OptionalData, sp)
	opt2 := ""
	if format == TD1 {
		opt2 = b.optional("optional_data_2", f.OptionalData2, 11)
	} else if f.OptionalData2 != "" {
		b.fail("optional_data_2", "only TD1 has a second optional data field")
	}
	if len(b.problems) > 0 {
		return nil, fmt.Errorf("mrz: cannot build %s: %s", format, strings.Join(b.problems, "; "))
	}

	head := code + state // positions 1–5 of line 1
	birthCD, expiryCD := string(digitOf(birth)), string(digitOf(expiry))
	switch format {
	case TD1:
		l1 := head + number + numberCD + opt
		l2 := birth + birthCD + sex + expiry + expiryCD + nat + opt2
		l2 += string(digitOf(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]))
		return []string{l1, l2, name}, nil
	case TD2:
		l2 := number + numberCD + nat + birth + birthCD + sex + expiry + expiryCD + opt
		l2 += string(digitOf(l2[0:10] + l2[13:20] + l2[21:35]))
		return []string{head + name, l2}, nil
	case TD3:
		// An empty personal number takes '<' as its check digit (9303-4
		// allows '<' or 0; both weigh 0 in the composite).
		personalCD := "<"
		if strings.Trim(opt, "<") != "" {
			personalCD = string(digitOf(opt))
		}
		l2 := number + numberCD + nat + birth + birthCD + sex + expiry + expiryCD + opt + personalCD
		l2 += string(digitOf(l2[0:10] + l2[13:20] + l2[21:43]))
		return []string{head + name, l2}, nil
	default: // MRV-A, MRV-B: no composite
		l2 := number + numberCD + nat + birth + birthCD + sex + expiry + expiryCD + opt
		return []string{head + name, l2}, nil
	}
}

type builder struct {
	format   Format
	problems []string
}

func (b *builder) fail(field, format string, args ...any) {
	b.problems = append(b.problems, field+": "+fmt.Sprintf(format, args...))
}

func (b *builder) documentCode(code string) string {
	c := strings.TrimRight(code, "<")
	switch {
	case len(c) < 1 || len(c) > 2 || !allLetters(c):
		b.fail("document_code", "%q must be 1 or 2 letters (e.g. P, PO, I, ID, AC, V)", code)
		return ""
	case (b.format == MRVA || b.format == MRVB) != (c[0] == 'V'):
		b.fail("document_code", "%q does not fit format %s: visa codes start with V and only visas (MRVA, MRVB) use them", code, b.format)
		return ""
	}
	return pad(c, 2)
}

func (b *builder) stateCode(field, code string) string {
	c := strings.TrimRight(code, "<")
	if len(c) < 1 || len(c) > 3 || !allLetters(c) {
		b.fail(field, "%q must be 1 to 3 letters (e.g. UTO, D)", code)
		return ""
	}
	return pad(c, 3)
}

func (b *builder) sex(s string) string {
	switch s {
	case "M", "F":
		return s
	case "X":
		return "<"
	}
	b.fail("sex", "%q must be M, F or X", s)
	return ""
}

func (b *builder) date(field string, t time.Time) string {
	if t.IsZero() {
		b.fail(field, "is not set")
		return ""
	}
	y, m, d := t.Date()
	return fmt.Sprintf("%02d%02d%02d", floorMod(y, 100), int(m), d)
}

func (b *builder) birthDate(f Fields) string {
	s := b.date("birth_date", f.BirthDate)
	if s == "" {
		return ""
	}
	if f.BirthMonthUnknown {
		s = s[:2] + "<<" + s[4:]
	}
	if f.BirthDayUnknown {
		s = s[:4] + "<<"
	}
	return s
}

// mrzText reports whether s holds only A–Z, 0–9 and '<'.
func mrzText(s string) bool {
	for i := 0; i < len(s); i++ {
		if !validChar(s[i]) {
			return false
		}
	}
	return true
}

func (b *builder) optional(field, s string, width int) string {
	v := strings.TrimRight(s, "<")
	switch {
	case !mrzText(v):
		b.fail(field, "%q holds characters outside A–Z 0–9 '<'", s)
		return ""
	case len(v) > width:
		b.fail(field, "%q is %d characters; the field holds %d", v, len(v), width)
		return ""
	}
	return pad(v, width)
}

// documentNumber returns the 9-character number field, its check digit
// position and the optional data field, which for TD1/TD2 numbers longer
// than 9 characters opens with the rest of the number, its check digit and a
// '<' (9303-5, 9303-6).
func (b *builder) documentNumber(number, optional string, sp spec) (field, cd, opt string) {
	n := strings.TrimRight(number, "<")
	switch {
	case n == "":
		b.fail("document_number", "is empty")
		return "", "", ""
	case !mrzText(n):
		b.fail("document_number", "%q holds characters outside A–Z 0–9 '<'", number)
		return "", "", ""
	case len(n) <= 9:
		field = pad(n, 9)
		return field, string(digitOf(field)), b.optional("optional_data", optional, sp.optWidth)
	case !sp.long:
		b.fail("document_number", "%q is %d characters; %s holds at most 9", n, len(n), b.format)
		return "", "", ""
	case n[8] == '<':
		b.fail("document_number", "%q is longer than 9 characters but has a '<' as its 9th, where Parse would see padding", n)
		return "", "", ""
	case strings.Contains(n[9:], "<"):
		b.fail("document_number", "%q has a '<' after its 9th character, which would end its continuation in the optional data early", n)
		return "", "", ""
	}
	continuation := n[9:] + string(digitOf(n)) + "<"
	room := sp.optWidth - len(continuation)
	if room < 0 {
		b.fail("document_number", "%q is %d characters; %s holds at most %d", n, len(n), b.format, 9+sp.optWidth-2)
		return "", "", ""
	}
	rest := b.optional("optional_data", optional, room)
	return n[:9], "<", continuation + rest
}

// name lays out the name field. When the name does not fit, the given names
// are cut first, keeping at least their first character; only then is the
// surname cut (ICAO 9303-3, truncation of names). A cut leaves a letter in
// the last position, which readers take as the mark of possible truncation,
// unless it falls right after a component separator.
func (b *builder) name(surname, given string, width int) string {
	ok := true
	check := func(field, s string, required bool) {
		switch {
		case s == "" && required:
			b.fail(field, "is empty; the primary identifier is mandatory")
		case s == "":
			return
		case s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "  "):
			b.fail(field, "%q has a leading, trailing or double space; separate name components with one space", s)
		case strings.IndexFunc(s, func(r rune) bool { return r != ' ' && (r < 'A' || r > 'Z') }) >= 0:
			b.fail(field, "%q holds characters other than A–Z and space; transliterate it first (ICAO 9303-3)", s)
		default:
			return
		}
		ok = false
	}
	check("surname", surname, true)
	check("given_names", given, false)
	if !ok {
		return ""
	}
	s := strings.ReplaceAll(surname, " ", "<")
	g := strings.ReplaceAll(given, " ", "<")
	full := s
	if g != "" {
		full = s + "<<" + g
	}
	if len(full) <= width {
		return pad(full, width)
	}
	switch {
	case g == "":
		full = s[:width]
	case len(s)+3 <= width: // the surname, "<<" and at least one given-name character fit
		full = s + "<<" + strings.TrimRight(g[:width-len(s)-2], "<")
	default: // the surname must give way too; keep the first given initial
		full = strings.TrimRight(s[:width-3], "<") + "<<" + g[:1]
	}
	return pad(full, width)
}

func pad(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return s + strings.Repeat("<", width-len(s))
}

// Fields returns what Build needs to lay out d again. It fails when the
// MRZ's dates did not parse.
func (d Document) Fields() (Fields, error) {
	f := Fields{
		DocumentCode:   d.DocumentCode,
		IssuingState:   d.IssuingState,
		Surname:        d.Surname,
		GivenNames:     d.GivenNames,
		DocumentNumber: d.DocumentNumber,
		Nationality:    d.Nationality,
		Sex:            d.Sex,
		OptionalData:   d.OptionalData,
		OptionalData2:  d.OptionalData2,
	}
	y, m, day, err := BirthDate(d)
	if err != nil {
		return Fields{}, err
	}
	f.BirthMonthUnknown, f.BirthDayUnknown = m == 0, day == 0
	f.BirthDate = time.Date(y, time.Month(max(m, 1)), max(day, 1), 0, 0, 0, 0, time.UTC)
	if f.ExpiryDate, err = Expiry(d); err != nil {
		return Fields{}, err
	}
	return f, nil
}

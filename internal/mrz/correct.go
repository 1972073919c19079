package mrz

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Correction is one character Correct changed, and why that is proven.
type Correction struct {
	Field    string `json:"field"`    // e.g. "birth_date", "composite check digit", "issuing_state", "surname"
	Line     int    `json:"line"`     // 1-based
	Position int    `json:"position"` // 1-based character in the line
	From     string `json:"from"`     // the character read
	To       string `json:"to"`       // the character it was corrected to
	Why      string `json:"why"`
}

func (c Correction) String() string {
	return fmt.Sprintf("%s (line %d, character %d): %q → %q: %s", c.Field, c.Line, c.Position, c.From, c.To, c.Why)
}

// ocrConfusions are the character pairs OCR engines confuse in the OCR-B
// font of the MRZ. A pair is used in one direction only, where the field's
// type proves which side is wrong: a letter in a digit-only field, a digit in
// a letter-only field. A character may stand for several of the other class
// (Z for 2 or 7; 0 for O, Q or D): the field's checks must then single one
// out, or nothing is corrected.
var ocrConfusions = [][2]byte{
	{'O', '0'}, {'Q', '0'}, {'D', '0'},
	{'I', '1'},
	{'Z', '2'}, {'Z', '7'},
	{'S', '5'},
	{'G', '6'},
	{'B', '8'},
}

// confusedWith returns the characters of the other class that c is
// confused with: digits for a letter, letters for a digit.
func confusedWith(c byte) []byte {
	var out []byte
	for _, p := range ocrConfusions {
		switch c {
		case p[0]:
			out = append(out, p[1])
		case p[1]:
			out = append(out, p[0])
		}
	}
	return out
}

// charClass is what a field may hold.
type charClass int

const (
	digitsOnly  charClass = iota // dates and check digits ('<' kept where the layout allows it)
	lettersOnly                  // document code, state codes, names ('<' kept)
)

// span is a run of one field's characters, 0-based half-open on a line.
type span struct {
	field          string
	line, from, to int
	class          charClass
	// choose: a character here that stands for several digits may be
	// settled by the checks. Only dates and their check digits: those checks
	// cover digits alone. A check over a document number or optional data
	// (letters and digits, never corrected) cannot settle anything: two
	// misreads there can shift its sum by exactly the five between 2 and 7
	// and make the wrong digit verify.
	choose bool
}

// unit is a set of spans that is corrected as a whole: every candidate
// correction of its spans must leave the fields in checks free of any error
// Parse reports (check digits, the composite, date and code rules).
type unit struct {
	spans  []span
	checks []string
}

// layouts lists each format's correctable units. Document numbers and
// optional data are letters and digits alike: their type proves nothing, so
// they are never corrected, only verified (a misread there leaves the
// check digits that cover it failing, and nothing in their unit changes).
var layouts = map[Format][]unit{
	TD1: {
		letterUnit("document_code", 0, 0, 2), letterUnit("issuing_state", 0, 2, 5),
		letterUnit("nationality", 1, 15, 18), nameUnit(2, 0, 30),
		{spans: []span{
			digitSpan("document_number check digit", 0, 14, 15),
			dateSpan("birth_date", 1, 0, 6), dateSpan("birth_date check digit", 1, 6, 7),
			dateSpan("expiry_date", 1, 8, 14), dateSpan("expiry_date check digit", 1, 14, 15),
			digitSpan("composite check digit", 1, 29, 30),
		}, checks: []string{"document_number", "birth_date", "expiry_date", "composite"}},
	},
	TD2: {
		letterUnit("document_code", 0, 0, 2), letterUnit("issuing_state", 0, 2, 5), nameUnit(0, 5, 36),
		letterUnit("nationality", 1, 10, 13),
		{spans: slices.Concat(line2Digits(), []span{digitSpan("composite check digit", 1, 35, 36)}),
			checks: []string{"document_number", "birth_date", "expiry_date", "composite"}},
	},
	TD3: {
		letterUnit("document_code", 0, 0, 2), letterUnit("issuing_state", 0, 2, 5), nameUnit(0, 5, 44),
		letterUnit("nationality", 1, 10, 13),
		{spans: slices.Concat(line2Digits(), []span{
			digitSpan("optional_data check digit", 1, 42, 43), digitSpan("composite check digit", 1, 43, 44),
		}), checks: []string{"document_number", "birth_date", "expiry_date", "optional_data", "composite"}},
	},
	// Visas have no composite: each check digit proves its own field.
	MRVA: visaUnits(44),
	MRVB: visaUnits(36),
}

func digitSpan(field string, line, from, to int) span {
	return span{field: field, line: line, from: from, to: to, class: digitsOnly}
}

func dateSpan(field string, line, from, to int) span {
	return span{field: field, line: line, from: from, to: to, class: digitsOnly, choose: true}
}

func letterUnit(field string, line, from, to int) unit {
	return unit{spans: []span{{field: field, line: line, from: from, to: to, class: lettersOnly}}, checks: []string{field}}
}

// nameUnit is the name field; Parse reports its problems as surname or
// given_names.
func nameUnit(line, from, to int) unit {
	return unit{spans: []span{{field: "name", line: line, from: from, to: to, class: lettersOnly}}, checks: []string{"surname", "given_names"}}
}

// line2Digits are the digit fields TD2, TD3 and MRV share on line 2.
func line2Digits() []span {
	return []span{
		digitSpan("document_number check digit", 1, 9, 10),
		dateSpan("birth_date", 1, 13, 19), dateSpan("birth_date check digit", 1, 19, 20),
		dateSpan("expiry_date", 1, 21, 27), dateSpan("expiry_date check digit", 1, 27, 28),
	}
}

func visaUnits(width int) []unit {
	d := line2Digits()
	return []unit{
		letterUnit("document_code", 0, 0, 2), letterUnit("issuing_state", 0, 2, 5), nameUnit(0, 5, width),
		letterUnit("nationality", 1, 10, 13),
		{spans: d[0:1], checks: []string{"document_number"}},
		{spans: d[1:3], checks: []string{"birth_date"}},
		{spans: d[3:5], checks: []string{"expiry_date"}},
	}
}

// maxCandidates bounds the corrections tried for one unit: a read with that
// many unreadable characters is not worth proving, and a bound keeps Correct
// fast on any input.
const maxCandidates = 1024

// Correct fixes OCR confusions in an MRZ where the MRZ itself proves the fix,
// and reports each one. A character is corrected only when
//
//   - its field's type proves it wrong: a letter in a digit-only field
//     (dates, check digits) or a digit in a letter-only field (document
//     code, state codes, names);
//   - it has a known confusion of the right type (ocrConfusions: O/Q/D↔0,
//     I↔1, Z↔2, Z↔7, S↔5, G↔6, B↔8);
//   - with the correction, every check that covers the field holds: its
//     check digit, the composite check digit and, for dates, the date
//     itself; for letter fields, which no check digit covers, the field's
//     rules;
//   - and it is the only such correction: when two candidates both verify
//     (Z read for 2 or 7 twice in one date; a 0 in a name, which could be
//     O, Q or D) nothing in that part is corrected. A Z in the check digit
//     of a document number, of optional data or of the composite is never
//     corrected: those checks cover data no type proves (see span.choose).
//
// Characters are corrected together per part of the MRZ: the letter fields
// one by one, and the digit fields all check digits tie together (in TD1,
// TD2 and TD3 the composite covers them all; visas check each date alone). A
// part that cannot be proven is left exactly as read, for Parse to report.
// Correct never fails: lines it cannot cut into fields (wrong count or
// lengths, characters outside the MRZ set) come back unchanged. now places
// two-digit years, as for Parse.
func Correct(lines []string, now time.Time) (fixed []string, corrections []Correction) {
	fixed = slices.Clone(lines)
	read := Parse(lines, now)
	if read.Format == "" {
		return fixed, nil
	}
	for _, u := range layouts[read.Format] {
		corrections = append(corrections, correctUnit(fixed, lines, u, now)...)
	}
	return fixed, corrections
}

// position is one character to correct and its candidates.
type position struct {
	s          span
	line, col  int
	candidates []byte
}

// correctUnit tries every combination of candidates for the characters of
// unit u that its field types prove wrong, on the original lines, and applies
// the single combination that verifies, if there is exactly one, to fixed.
func correctUnit(fixed, lines []string, u unit, now time.Time) []Correction {
	var wrong []position
	combos := 1
	for _, s := range u.spans {
		for col := s.from; col < s.to; col++ {
			c := lines[s.line][col]
			if c == Filler || (s.class == digitsOnly && isDigit(c)) || (s.class == lettersOnly && isLetter(c)) {
				continue
			}
			cands := confusedWith(c)
			if len(cands) == 0 || len(cands) > 1 && s.class == digitsOnly && !s.choose {
				// A character no confusion explains, or one only a check
				// over uncorrectable data could settle: nothing is proven.
				return nil
			}
			wrong = append(wrong, position{s: s, line: s.line, col: col, candidates: cands})
			if combos *= len(cands); combos > maxCandidates {
				return nil
			}
		}
	}
	if len(wrong) == 0 {
		return nil
	}
	var found []byte // the verifying choice, one byte per wrong position
	pick := make([]byte, len(wrong))
	candidate := make([][]byte, len(lines))
	for i := range combos {
		k := i
		for j, w := range wrong {
			pick[j] = w.candidates[k%len(w.candidates)]
			k /= len(w.candidates)
		}
		for l := range lines {
			candidate[l] = []byte(lines[l])
		}
		for j, w := range wrong {
			candidate[w.line][w.col] = pick[j]
		}
		cl := make([]string, len(lines))
		for l := range candidate {
			cl[l] = string(candidate[l])
		}
		if !checksHold(Parse(cl, now), u.checks) {
			continue
		}
		if found != nil {
			return nil // ambiguous: two corrections verify
		}
		found = slices.Clone(pick)
	}
	if found == nil {
		return nil
	}
	proof := proofOf(u)
	out := make([]Correction, len(wrong))
	for j, w := range wrong {
		b := []byte(fixed[w.line])
		b[w.col] = found[j]
		fixed[w.line] = string(b)
		field := w.s.field
		if field == "name" {
			field = nameField(lines[w.line][w.s.from:w.s.to], w.col-w.s.from)
		}
		kind, other := "digits", "a digit"
		if w.s.class == lettersOnly {
			kind, other = "letters", "a letter"
		}
		out[j] = Correction{
			Field: field, Line: w.line + 1, Position: w.col + 1,
			From: string(lines[w.line][w.col]), To: string(found[j]),
			Why: fmt.Sprintf("%s holds only %s and OCR confuses %q with %s; %s", field, kind, lines[w.line][w.col], other, proof),
		}
	}
	return out
}

// checksHold reports whether Parse found nothing wrong with the fields.
func checksHold(d Document, fields []string) bool {
	if d.Format == "" {
		return false
	}
	for _, e := range d.Errors {
		for _, f := range fields {
			if strings.HasPrefix(e, f+": ") {
				return false
			}
		}
	}
	return true
}

// proofOf says what verified a unit's correction.
func proofOf(u unit) string {
	if u.spans[0].class == lettersOnly {
		return "it is the only letter that fits"
	}
	checks := make([]string, 0, len(u.checks))
	for _, c := range u.checks {
		if c != "composite" {
			checks = append(checks, c)
		}
	}
	if !slices.Contains(u.checks, "composite") && len(checks) == 1 {
		return "with it the " + checks[0] + " check digit verifies, and no other correction does"
	}
	s := "with it the check digits of " + strings.Join(checks, ", ")
	if slices.Contains(u.checks, "composite") {
		s += " and the composite check digit"
	}
	return s + " verify, and no other correction does"
}

// nameField tells whether character i of a name field is in the primary
// identifier (before the first "<<") or the secondary ones.
func nameField(name string, i int) string {
	if sep := strings.Index(name, "<<"); sep >= 0 && i > sep {
		return "given_names"
	}
	return "surname"
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

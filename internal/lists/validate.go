package lists

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of record fields. Names are bounded in bytes, not characters, so
// the replica's column sizes are predictable whatever the script.
const (
	MaxNameBytes         = 200
	MaxNoteBytes         = 2000
	MaxIDBytes           = 64
	MaxDocumentNumberLen = 20
	MaxAliases           = 50
)

// NormaliseDocumentNumber brings a document number to its canonical form:
// upper case, without spaces, MRZ fillers '<' and dashes ("ab-123 45" →
// "AB12345").
func NormaliseDocumentNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '<' || r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// NormaliseState brings an issuing state or nationality code to its
// canonical form: upper case, without surrounding spaces or MRZ fillers. ICAO
// 9303 codes Germany "D" (written "D<<" in the MRZ), not "DEU", and the MRZ
// parser yields "D": so "D<<", "d" and "DEU" all become "D", or a German
// document typed as DEU would never match the one a gate reads.
func NormaliseState(s string) string {
	s = strings.ToUpper(strings.TrimRight(strings.TrimSpace(s), "<"))
	if s == "DEU" {
		return "D"
	}
	return s
}

// NormaliseDocumentType brings an MRZ document code to its canonical form:
// upper case, without spaces and fillers ("I<" → "I").
func NormaliseDocumentType(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '<' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// checkState: "D" (Germany) or three letters A–Z.
func checkState(field, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty; give the ICAO 3-letter code (e.g. FRA, or D for Germany)", field)
	case s == "D":
		return nil
	case s == "DEU":
		return fmt.Errorf("%s %q: ICAO 9303 codes Germany D, not DEU; write D", field, s)
	case len(s) != 3 || !isUpperASCII(s):
		return fmt.Errorf("%s %q is not an ICAO code (three letters A–Z such as FRA, or D for Germany)", field, s)
	}
	return nil
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func checkDocumentNumber(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if len(s) > MaxDocumentNumberLen {
		return fmt.Errorf("%s %q is %d characters long; at most %d", field, s, len(s), MaxDocumentNumberLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			if n := NormaliseDocumentNumber(s); n != s {
				return fmt.Errorf("%s %q is not in canonical form: write %q (upper case, no spaces, '<' or '-')", field, s, n)
			}
			return fmt.Errorf("%s %q may hold only letters A–Z and digits", field, s)
		}
	}
	return nil
}

// checkID: 1–MaxIDBytes printable ASCII characters, no spaces.
func checkID(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if len(s) > MaxIDBytes {
		return fmt.Errorf("%s is %d bytes long; at most %d", field, len(s), MaxIDBytes)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%s %q may hold only printable ASCII characters without spaces", field, s)
		}
	}
	return nil
}

// checkText: valid UTF-8, bounded, trimmed, no control characters except
// those in allowed.
func checkText(field, s string, maxBytes int, allowed string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8; save the file as UTF-8", field)
	}
	if len(s) > maxBytes {
		return fmt.Errorf("%s is %d bytes long; at most %d", field, len(s), maxBytes)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%s %q has surrounding spaces; trim them", field, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return fmt.Errorf("%s contains the control character U+%04X", field, r)
		}
	}
	return nil
}

func checkNames(surname, given string) error {
	if surname == "" {
		return errors.New("surname is empty; it is required (given_names may be empty)")
	}
	if err := checkText("surname", surname, MaxNameBytes, ""); err != nil {
		return err
	}
	return checkText("given_names", given, MaxNameBytes, "")
}

// checkDate: a full date YYYY-MM-DD between 1900 and 2199.
func checkDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return time.Time{}, fmt.Errorf("%s %q is not a date YYYY-MM-DD", field, s)
	}
	if t.Year() < 1900 || t.Year() > 2199 {
		return time.Time{}, fmt.Errorf("%s %q: the year is outside 1900–2199", field, s)
	}
	return t, nil
}

// checkBirthDate: YYYY-MM-DD where 0000 is an unknown year and 00 an
// unknown month or day; the known parts must be possible together.
func checkBirthDate(field, s string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s %q %s (YYYY-MM-DD, 00 for an unknown month or day, 0000 for an unknown year)", field, s, why)
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return bad("is not a date")
	}
	year, okY := digits(s[0:4])
	month, okM := digits(s[5:7])
	day, okD := digits(s[8:10])
	if !okY || !okM || !okD {
		return bad("is not a date")
	}
	if year != 0 && (year < 1850 || year > 2199) {
		return bad("has a year outside 1850–2199")
	}
	if month > 12 {
		return bad(fmt.Sprintf("has month %02d", month))
	}
	if day > 31 {
		return bad(fmt.Sprintf("has day %02d", day))
	}
	if day != 0 && month != 0 {
		probe := year
		if probe == 0 {
			probe = 2000 // a leap year: 29 February is possible when the year is unknown
		}
		if time.Date(probe, time.Month(month), day, 0, 0, 0, 0, time.UTC).Day() != day {
			return bad("has a day that month does not have")
		}
	}
	return nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func checkOneOf(field, s string, allowed []string) error {
	if !slices.Contains(allowed, s) {
		return fmt.Errorf("%s %q is not one of %s", field, s, strings.Join(allowed, ", "))
	}
	return nil
}

// Validate checks a person of interest. Like every record's Validate, it
// wants the canonical form — what NormaliseState, NormaliseDocumentNumber,
// NormaliseDocumentType and trimming produce — and does not normalise: the
// CSV readers normalise before they validate, and central must send
// canonical records, because the gate compares keys byte for byte with
// what it reads from an MRZ. Names are ≤ MaxNameBytes of UTF-8 without
// control characters (given names may be empty); the birth date is
// YYYY-MM-DD with 00 and 0000 for unknown parts; nationality "" is unknown.
func (p Person) Validate() error {
	if err := checkID("id", p.ID); err != nil {
		return err
	}
	if err := checkNames(p.Surname, p.GivenNames); err != nil {
		return err
	}
	if err := checkBirthDate("birth_date", p.BirthDate); err != nil {
		return err
	}
	if p.Nationality != "" {
		if err := checkState("nationality", p.Nationality); err != nil {
			return err
		}
	}
	if err := checkOneOf("category", p.Category, Categories); err != nil {
		return err
	}
	if len(p.Aliases) > MaxAliases {
		return fmt.Errorf("aliases: %d of them; at most %d", len(p.Aliases), MaxAliases)
	}
	for i, a := range p.Aliases {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("aliases[%d]: %w", i, err)
		}
	}
	return checkText("note", p.Note, MaxNoteBytes, "\n\t")
}

// Validate checks an alias: a surname, and a birth date in the person's
// format when one is given.
func (a Alias) Validate() error {
	if err := checkNames(a.Surname, a.GivenNames); err != nil {
		return err
	}
	if a.BirthDate != "" {
		return checkBirthDate("birth_date", a.BirthDate)
	}
	return nil
}

// Validate checks a lost, stolen or revoked document.
func (d Document) Validate() error {
	if err := checkDocumentRef(d.Number, d.IssuingState); err != nil {
		return err
	}
	if err := checkDocumentType(d.Type); err != nil {
		return err
	}
	return checkOneOf("reason", d.Reason, DocumentReasons)
}

// checkDocumentRef checks the travel document a record is keyed by.
func checkDocumentRef(number, state string) error {
	if err := checkDocumentNumber("document_number", number); err != nil {
		return err
	}
	return checkState("issuing_state", state)
}

// checkDocumentType: an MRZ document code, one or two letters, the first
// A, C, I (cards and official travel documents), P (passports) or V (visas).
func checkDocumentType(s string) error {
	if len(s) < 1 || len(s) > 2 || !isUpperASCII(s) || !strings.Contains("ACIPV", s[:1]) {
		return fmt.Errorf("document_type %q is not an MRZ document code (P, PP, I, ID, AC, V, ...: one or two letters, the first A, C, I, P or V)", s)
	}
	return nil
}

// Validate checks a visa or residence permit.
func (v Visa) Validate() error {
	if err := checkID("id", v.ID); err != nil {
		return err
	}
	if err := checkDocumentRef(v.DocumentNumber, v.IssuingState); err != nil {
		return err
	}
	if err := checkOneOf("kind", v.Kind, []string{KindVisa, KindResidencePermit}); err != nil {
		return err
	}
	from, err := checkDate("valid_from", v.ValidFrom)
	if err != nil {
		return err
	}
	until, err := checkDate("valid_until", v.ValidUntil)
	if err != nil {
		return err
	}
	if until.Before(from) {
		return fmt.Errorf("valid_until %s is before valid_from %s", v.ValidUntil, v.ValidFrom)
	}
	if v.Entries < 0 {
		return fmt.Errorf("entries is %d; 0 means multiple, otherwise a positive count", v.Entries)
	}
	if v.StayDays < 0 {
		return fmt.Errorf("stay_days is %d; 0 means the whole validity, otherwise a positive count", v.StayDays)
	}
	return nil
}

// Validate checks a registered traveller.
func (r Registered) Validate() error {
	if err := checkDocumentRef(r.DocumentNumber, r.IssuingState); err != nil {
		return err
	}
	if r.Programme == "" || len(r.Programme) > MaxIDBytes || strings.TrimLeft(r.Programme, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("programme %q is not a programme name (1–%d characters a–z, 0–9, _ such as border_pass)", r.Programme, MaxIDBytes)
	}
	_, err := checkDate("valid_until", r.ValidUntil)
	return err
}

// Validate checks a recorded movement.
func (m Movement) Validate() error {
	if err := checkID("id", m.ID); err != nil {
		return err
	}
	if err := checkDocumentRef(m.DocumentNumber, m.IssuingState); err != nil {
		return err
	}
	if err := checkOneOf("direction", m.Direction, []string{DirectionEntry, DirectionExit}); err != nil {
		return err
	}
	if m.At.IsZero() {
		return errors.New("at is not set; give the time of the crossing")
	}
	return checkID("gate", m.Gate)
}

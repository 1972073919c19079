package identity

import (
	"fmt"
	"slices"
	"strconv"
)

// Date is a birth date; a zero Year, Month or Day is unknown. Lists hold
// partial dates ("1975-00-00": only the year is known), so every part is
// compared on its own.
type Date struct{ Year, Month, Day int }

// ParseDate reads YYYY-MM-DD with 00 for an unknown month or day and 0000
// for an unknown year. A known day must exist in its month (in its year when
// the year is known: 29 February only in a leap year); a day may be known
// while the month is not ("1980-00-15").
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("birth date %q: want YYYY-MM-DD, with 00 for an unknown month or day and 0000 for an unknown year", s)
	}
	var parts [3]int
	for i, field := range [3]string{s[0:4], s[5:7], s[8:10]} {
		for j := 0; j < len(field); j++ {
			if field[j] < '0' || field[j] > '9' {
				return Date{}, fmt.Errorf("birth date %q: %q is not a number; write digits, 00 or 0000 when unknown", s, field)
			}
		}
		parts[i], _ = strconv.Atoi(field)
	}
	d := Date{Year: parts[0], Month: parts[1], Day: parts[2]}
	if err := d.check(); err != nil {
		return Date{}, fmt.Errorf("birth date %q: %w", s, err)
	}
	return d, nil
}

// check says what makes d impossible, or nil.
func (d Date) check() error {
	switch {
	case d.Year < 0 || d.Year > 9999:
		return fmt.Errorf("year %d is outside 0000–9999 (0000 = unknown)", d.Year)
	case d.Month < 0 || d.Month > 12:
		return fmt.Errorf("month %d does not exist; use 01–12, or 00 when unknown", d.Month)
	case d.Day < 0 || d.Day > daysIn(d.Year, d.Month):
		if d.Month == 0 {
			return fmt.Errorf("day %d does not exist; use 01–31, or 00 when unknown", d.Day)
		}
		return fmt.Errorf("day %d does not exist in month %02d; use 01–%02d, or 00 when unknown", d.Day, d.Month, daysIn(d.Year, d.Month))
	}
	return nil
}

// daysIn is the longest day a month may have; with the year or the month
// unknown it is the longest the known parts allow.
func daysIn(year, month int) int {
	switch month {
	case 0, 1, 3, 5, 7, 8, 10, 12:
		return 31
	case 4, 6, 9, 11:
		return 30
	}
	if year == 0 || (year%4 == 0 && (year%100 != 0 || year%400 == 0)) {
		return 29
	}
	return 28
}

// String formats d as YYYY-MM-DD with zeros for unknown parts.
func (d Date) String() string {
	b := make([]byte, 0, 10)
	b = appendDigits(b, d.Year, 4)
	b = append(b, '-')
	b = appendDigits(b, d.Month, 2)
	b = append(b, '-')
	b = appendDigits(b, d.Day, 2)
	return string(b)
}

// appendDigits writes v zero-padded to width digits (more when v needs them).
func appendDigits(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// transposedYear swaps the last two digits of a year (1978 → 1987): the
// commonest typing slip in a birth year.
func transposedYear(y int) int {
	return y - y%100 + (y%10)*10 + (y/10)%10
}

// CandidateYears returns the birth years a record may carry and still
// match a query born d (the tolerance Match applies, and the index search
// uses): the year, the years either side, the year with its last two digits
// transposed, and 0 (a record whose year is unknown). It returns nil when
// d's year is unknown: every year may match, so the caller searches the
// name keys without a year filter.
func CandidateYears(d Date) []int {
	if d.Year == 0 {
		return nil
	}
	years := make([]int, 0, 5)
	for _, y := range [...]int{d.Year, d.Year - 1, d.Year + 1, transposedYear(d.Year), 0} {
		if !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	return years
}

// Birth-date factors. A hit needs the name and the date together above the
// threshold (0.85): an exact name carries every "near" date here except a
// same-year date whose month and day both differ, which is another person.
const (
	dateEqual         = 1.0
	dateOnePartAbsent = 0.95 // year agrees, month or day unknown on a side
	dateYearOnly      = 0.92 // year agrees, month and day unknown on a side
	dateYearAbsent    = 0.93 // a side's year unknown, month and day agree
	dateBothAbsent    = 0.9  // nothing to compare: the name must carry it
	dateSwapped       = 0.88 // day and month swapped
	dateYearSlip      = 0.87 // year ±1 or its digits transposed, rest equal
	dateDayDigits     = 0.87 // day digits transposed (12 ↔ 21)
	dateYearSlipVague = 0.82 // year ±1 or transposed, month/day unknown
	dateOnePartDiffer = 0.75 // same year; month or day differs
	dateVagueDiffer   = 0.7  // a side's year unknown; month or day differs
	dateBothDiffer    = 0.5  // same year; month and day both differ
	dateVagueBoth     = 0.45 // a side's year unknown; month and day differ
	dateSlipAndDiffer = 0.3  // year ±1 and month or day differs
)

// partState is how one part of two dates compares.
type partState uint8

const (
	partAgree partState = iota
	partUnknown
	partDiffer
)

func comparePart(a, b int) partState {
	switch {
	case a == 0 || b == 0:
		return partUnknown
	case a == b:
		return partAgree
	}
	return partDiffer
}

// dateFactor compares a query's birth date with a record's: the factor the
// name score is multiplied by, and the reason in an officer's words (a
// constant: Match adds the two dates when it explains).
func dateFactor(q, r Date) (float64, string) {
	if q == (Date{}) && r == (Date{}) {
		return dateBothAbsent, "birth date unknown on both sides"
	}
	month, day := comparePart(q.Month, r.Month), comparePart(q.Day, r.Day)
	vague := month == partUnknown || day == partUnknown
	both := month == partDiffer && day == partDiffer

	if q.Year == 0 || r.Year == 0 {
		switch {
		case both:
			return dateVagueBoth, "birth year unknown on a side; month and day differ"
		case month == partDiffer:
			return dateVagueDiffer, "birth year unknown on a side; month differs"
		case day == partDiffer:
			return dateVagueDiffer, "birth year unknown on a side; day differs"
		case vague:
			return dateBothAbsent, "birth year unknown on a side; no other part to compare"
		}
		return dateYearAbsent, "birth year unknown on a side; month and day agree"
	}

	if q.Year == r.Year {
		switch {
		case both && q.Month == r.Day && q.Day == r.Month:
			return dateSwapped, "birth day and month swapped"
		case both:
			return dateBothDiffer, "same birth year but month and day differ"
		case month == partDiffer:
			return dateOnePartDiffer, "same birth year but month differs"
		case day == partDiffer && q.Day%10*10+q.Day/10 == r.Day:
			return dateDayDigits, "birth day digits transposed"
		case day == partDiffer:
			return dateOnePartDiffer, "same birth year but day differs"
		case month == partUnknown && day == partUnknown:
			return dateYearOnly, "birth month and day unknown on a side; year agrees"
		case month == partUnknown:
			return dateOnePartAbsent, "birth month unknown on a side; the rest agrees"
		case day == partUnknown:
			return dateOnePartAbsent, "birth day unknown on a side; the rest agrees"
		}
		return dateEqual, "birth date equal"
	}

	offByOne := q.Year-r.Year == 1 || r.Year-q.Year == 1
	if !offByOne && transposedYear(q.Year) != r.Year {
		return 0, "birth years differ"
	}
	switch {
	case offByOne && (month == partDiffer || day == partDiffer):
		return dateSlipAndDiffer, "birth year off by one, and month or day differs"
	case month == partDiffer || day == partDiffer:
		return dateSlipAndDiffer, "birth year digits transposed, and month or day differs"
	case offByOne && vague:
		return dateYearSlipVague, "birth year off by one; month or day unknown on a side"
	case vague:
		return dateYearSlipVague, "birth year digits transposed; month or day unknown on a side"
	case offByOne:
		return dateYearSlip, "birth year off by one; month and day agree"
	}
	return dateYearSlip, "birth year digits transposed; month and day agree"
}

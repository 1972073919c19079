package mrz

import (
	"fmt"
	"time"
)

// Century windows for two-digit years.
const (
	expiryYearsBack  = 80
	expiryYearsAhead = 20
)

// birthDate reads a YYMMDD date of birth with its check digit. An unknown
// month or day, written "<<" (ICAO 9303-3), is reported as "00".
func (p *parser) birthDate(raw string, cd byte) string {
	p.check("birth_date", raw, cd)
	yy, mm, dd, ok := p.yymmdd("birth_date", raw, true)
	if !ok {
		return ""
	}
	y := birthYear(yy, mm, dd, p.now)
	if !p.calendarDate("birth_date", y, mm, dd) {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mm, dd)
}

// expiryDate reads a YYMMDD date of expiry with its check digit.
func (p *parser) expiryDate(raw string, cd byte) string {
	p.check("expiry_date", raw, cd)
	yy, mm, dd, ok := p.yymmdd("expiry_date", raw, false)
	if !ok {
		return ""
	}
	y := expiryYear(yy, mm, dd, p.now)
	if !p.calendarDate("expiry_date", y, mm, dd) {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mm, dd)
}

// yymmdd splits a date into numbers; with unknownOK a "<<" month or day
// yields 0. Whether the day exists in its month is checked once the century
// is known (February 29).
func (p *parser) yymmdd(field, raw string, unknownOK bool) (yy, mm, dd int, ok bool) {
	twoDigits := func(s string) (int, bool) {
		if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
			return 0, false
		}
		return int(s[0]-'0')*10 + int(s[1]-'0'), true
	}
	hint := ""
	if unknownOK {
		hint = " or '<<' (unknown)"
	}
	ok = true
	var good bool
	if yy, good = twoDigits(raw[0:2]); !good {
		p.errf(field, "year %q in %q is not two digits", raw[0:2], raw)
		ok = false
	}
	switch {
	case unknownOK && raw[2:4] == "<<":
		mm = 0
	default:
		if mm, good = twoDigits(raw[2:4]); !good {
			p.errf(field, "month %q in %q is not two digits%s", raw[2:4], raw, hint)
			ok = false
		} else if mm < 1 || mm > 12 {
			p.errf(field, "month %02d in %q does not exist", mm, raw)
			ok = false
		}
	}
	switch {
	case unknownOK && raw[4:6] == "<<":
		dd = 0
	default:
		if dd, good = twoDigits(raw[4:6]); !good {
			p.errf(field, "day %q in %q is not two digits%s", raw[4:6], raw, hint)
			ok = false
		} else if dd < 1 || dd > 31 {
			p.errf(field, "day %02d in %q does not exist", dd, raw)
			ok = false
		}
	}
	return yy, mm, dd, ok
}

// calendarDate checks that a known day exists in its month and year.
func (p *parser) calendarDate(field string, y, m, d int) bool {
	if m == 0 || d == 0 {
		return true
	}
	if n := daysIn(y, m); d > n {
		p.errf(field, "%04d-%02d-%02d is not a calendar date (%s %d has %d days)", y, m, d, time.Month(m), y, n)
		return false
	}
	return true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dateKey orders dates as the integer YYYYMMDD.
func dateKey(y, m, d int) int { return y*10000 + m*100 + d }

func timeKey(t time.Time) int {
	y, m, d := t.Date()
	return dateKey(y, int(m), d)
}

// birthYear puts a two-digit birth year in the latest century that does not
// make the date lie after now. An unknown month or day counts as the
// earliest possible one, since it may still be in the past.
func birthYear(yy, mm, dd int, now time.Time) int {
	y := now.Year() - floorMod(now.Year(), 100) + yy
	if dateKey(y, max(mm, 1), max(dd, 1)) > timeKey(now) {
		y -= 100
	}
	return y
}

// expiryYear puts a two-digit expiry year in the century that places the date
// within [now − 80 years, now + 20 years]. Only a date exactly on both
// bounds matches twice; the later reading wins.
func expiryYear(yy, mm, dd int, now time.Time) int {
	lo := timeKey(now.AddDate(-expiryYearsBack, 0, 0))
	hi := timeKey(now.AddDate(expiryYearsAhead, 0, 0))
	base := now.Year() - floorMod(now.Year(), 100) + yy
	for _, y := range []int{base + 100, base, base - 100} {
		if k := dateKey(y, mm, dd); k >= lo && k <= hi {
			return y
		}
	}
	// Unreachable for real dates: the window spans a full century.
	return base
}

func floorMod(a, n int) int { return ((a % n) + n) % n }

// Expiry returns the document's expiry date (midnight UTC starting that day;
// the document is valid through the whole day).
func Expiry(d Document) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, d.ExpiryDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("mrz: expiry_date %q of document %q is not a readable date (was the MRZ valid?): %w", d.ExpiryDate, d.DocumentNumber, err)
	}
	return t, nil
}

// BirthDate returns the date of birth; m or day is 0 where the MRZ marks it
// unknown.
func BirthDate(d Document) (y, m, day int, err error) {
	s := d.BirthDate
	bad := func() (int, int, int, error) {
		return 0, 0, 0, fmt.Errorf("mrz: birth_date %q of document %q is not YYYY-MM-DD (was the MRZ valid?)", s, d.DocumentNumber)
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	num := func(t string) (int, bool) {
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int(t[i]-'0')
		}
		return n, true
	}
	var ok1, ok2, ok3 bool
	y, ok1 = num(s[0:4])
	m, ok2 = num(s[5:7])
	day, ok3 = num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m > 12 || day > 31 || (m > 0 && day > daysIn(y, m)) {
		return bad()
	}
	return y, m, day, nil
}

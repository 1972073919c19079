package identity

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	valid := map[string]Date{
		"1980-01-15": {1980, 1, 15},
		"0000-00-00": {},
		"1975-00-00": {Year: 1975},
		"1975-06-00": {Year: 1975, Month: 6},
		"1980-00-15": {Year: 1980, Day: 15},
		"0000-06-12": {Month: 6, Day: 12},
		"1980-02-29": {1980, 2, 29},
		"2000-02-29": {2000, 2, 29},
		"0000-02-29": {Month: 2, Day: 29}, // some year has it
		"1980-00-31": {Year: 1980, Day: 31},
		"1980-12-31": {1980, 12, 31},
	}
	for s, want := range valid {
		got, err := ParseDate(s)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("ParseDate(%q).String() = %q", s, got.String())
		}
	}
	invalid := map[string]string{
		"1980-13-01":  "month 13 does not exist",
		"1980-04-31":  "day 31 does not exist in month 04; use 01–30",
		"1981-02-29":  "day 29 does not exist in month 02; use 01–28",
		"1900-02-29":  "day 29 does not exist in month 02",
		"1980-00-32":  "day 32 does not exist; use 01–31",
		"1980-1-15":   "want YYYY-MM-DD",
		"80-01-15":    "want YYYY-MM-DD",
		"1980/01/15":  "want YYYY-MM-DD",
		"19800115":    "want YYYY-MM-DD",
		" 1980-01-15": "want YYYY-MM-DD",
		"":            "want YYYY-MM-DD",
		"1980-01-1a":  `"1a" is not a number`,
		"+980-01-15":  `"+980" is not a number`,
		"1980-0x-15":  `"0x" is not a number`,
	}
	for s, msg := range invalid {
		_, err := ParseDate(s)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseDate(%q): error %v, want one saying %q", s, err, msg)
		}
	}
}

func TestCandidateYears(t *testing.T) {
	cases := []struct {
		year int
		want []int
	}{
		{1978, []int{1978, 1977, 1979, 1987, 0}},
		{1980, []int{1980, 1979, 1981, 1908, 0}},
		{1988, []int{1988, 1987, 1989, 0}},       // transposing changes nothing
		{1989, []int{1989, 1988, 1990, 1998, 0}}, //
		{1910, []int{1910, 1909, 1911, 1901, 0}},
		{1, []int{1, 0, 2, 10}},
	}
	for _, c := range cases {
		if got := CandidateYears(Date{Year: c.year, Month: 3, Day: 4}); !slices.Equal(got, c.want) {
			t.Errorf("CandidateYears(%d) = %v, want %v", c.year, got, c.want)
		}
	}
	if got := CandidateYears(Date{Month: 3, Day: 4}); got != nil {
		t.Errorf("unknown year: %v, want nil", got)
	}
}

// TestCandidateYearsAgreeWithMatch: the index search and Match must agree:
// a record whose year is outside CandidateYears can never score, and one
// inside can (its month and day equal).
func TestCandidateYearsAgreeWithMatch(t *testing.T) {
	for _, q := range []Date{{1978, 6, 12}, {1980, 1, 1}, {1999, 12, 31}, {2000, 0, 0}} {
		years := CandidateYears(q)
		for y := q.Year - 30; y <= q.Year+30; y++ {
			f, _ := dateFactor(q, Date{y, q.Month, q.Day})
			if in := slices.Contains(years, y); in != (f > 0) {
				t.Errorf("query %v, record year %d: in CandidateYears %v, date factor %.2f", q, y, in, f)
			}
		}
		if f, _ := dateFactor(q, Date{0, q.Month, q.Day}); f == 0 || !slices.Contains(years, 0) {
			t.Errorf("query %v: a record of unknown year must stay a candidate (factor %.2f)", q, f)
		}
	}
}

package identity

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// person builds a prepared person; birth is YYYY-MM-DD.
func person(t testing.TB, surname, given, birth, nationality string) Prepared {
	t.Helper()
	d, err := ParseDate(birth)
	if err != nil {
		t.Fatal(err)
	}
	return Prepare(Person{Name: Name{Surname: surname, Given: given}, Birth: d, Nationality: nationality})
}

// mrzNameField lays out an MRZ name field ("SURNAME<<GIVEN<NAMES") and
// cuts it at width characters, as an issuer truncates a long name.
func mrzNameField(surname, given string, width int) string {
	f := strings.ReplaceAll(surname, " ", "<") + "<<" + strings.ReplaceAll(given, " ", "<")
	if len(f) > width {
		f = f[:width]
	}
	return f
}

type matchCase struct {
	name   string
	query  Prepared
	record Prepared
	why    []string // substrings that must each appear in some reason
}

func checkWhy(t *testing.T, res Result, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(res.Why, func(r string) bool { return strings.Contains(r, w) }) {
			t.Errorf("no reason contains %q; reasons: %q", w, res.Why)
		}
	}
}

// hitCases are the comparisons that must be hits (and, for the index, that
// must share a key).
func hitCases(t *testing.T) []matchCase {
	const birth = "1980-01-15"
	q := func(field string) Prepared { return person(t, field, "", birth, "") } // an MRZ name field
	rec := func(surname, given string) Prepared { return person(t, surname, given, birth, "") }
	td3 := mrzNameField("WOLFESCHLEGELSTEINHAUSEN", "ALEXANDRA CHRISTINA", 39)
	td1 := mrzNameField("WOLFESCHLEGELSTEINHAUSEN", "ALEXANDRA CHRISTINA", 30)
	if td3 != "WOLFESCHLEGELSTEINHAUSEN<<ALEXANDRA<CHR" || td1 != "WOLFESCHLEGELSTEINHAUSEN<<ALEX" {
		t.Fatalf("MRZ fields: %q, %q", td3, td1)
	}
	cases := []matchCase{
		// The same person with and without diacritics, in several scripts.
		{"Vietnamese", q("NGUYEN<<VAN<DUC"), rec("Nguyễn", "Văn Đức"), []string{"surname NGUYEN = NGUYEN", "given name DUC = DUC"}},
		{"Vietnamese stacked marks", q("DO<<THI<HUONG"), rec("Đỗ", "Thị Hương"), []string{"surname DO = DO", "given name HUONG = HUONG"}},
		{"German umlaut as AE", q("MUELLER<<JUERGEN"), rec("Müller", "Jürgen"), []string{"surname MUELLER = MUELLER"}},
		{"German umlaut bare", q("MULLER<<JURGEN"), rec("Müller", "Jürgen"), []string{"surname MULLER = MULLER; record transliterated MUELLER or MULLER"}},
		{"German umlaut UXX escape", q("MUXXLLER<<JUXXRGEN"), rec("Müller", "Jürgen"), []string{"surname MUXXLLER = MUXXLLER"}},
		{"Nordic", q("SORENSEN<<SOREN"), rec("Sørensen", "Søren"), []string{"record transliterated SOERENSEN or SORENSEN"}},
		{"Icelandic", q("THORSDOTTIR<<GUDRUN"), rec("Þórsdóttir", "Guðrún"), []string{"surname THORSDOTTIR = THORSDOTTIR"}},
		{"Polish", q("WISNIEWSKI<<LUKASZ"), rec("Wiśniewski", "Łukasz"), []string{"given name LUKASZ = LUKASZ"}},
		{"Turkish", q("SAHIN<<AYSE<GUL"), rec("Şahin", "Ayşe Gül"), []string{"surname SAHIN = SAHIN", "given name GUL = GUL"}},
		{"Spanish NXX escape", q("PENXXA<<JOSE"), rec("Peña", "José"), []string{"surname PENXXA = PENXXA"}},
		{"Russian", q("IVANOV<<SERGEI"), rec("Иванов", "Сергей"), []string{"surname IVANOV = IVANOV", "given name SERGEI = SERGEI"}},
		{"Ukrainian column", q("SHEVCHENKO<<HRYHORII"), rec("Шевченко", "Григорій"), []string{"given name HRYHORII = HRYHORII"}},
		{"Greek", q("PAPADOPOULOS<<GEORGIOS"), rec("Παπαδόπουλος", "Γεώργιος"), []string{"surname PAPADOPOULOS = PAPADOPOULOS"}},
		{"Arabic script", q("MOHAMMED<<ABDULLAH"), rec("محمد", "عبدالله"), []string{"same consonants"}},
		// Order, slips, truncation, missing parts.
		{"names swapped", person(t, "VAN DUC", "NGUYEN", birth, ""), rec("Nguyễn", "Văn Đức"), []string{"names in swapped order"}},
		{"one letter wrong", q("SMYTH<<JOHN"), rec("SMITH", "JOHN"), []string{"surname SMYTH ~ SMITH (1 letter differs)"}},
		{"one letter wrong, long token", q("KOWALSKY<<ANNA"), rec("Kowalski", "Anna"), []string{"surname KOWALSKY ~ KOWALSKI (1 letter differs)"}},
		{"adjacent letters swapped", q("SCHNIEDER<<PETRA"), rec("Schneider", "Petra"), []string{"(2 adjacent letters swapped)"}},
		{"truncated TD3", q(td3), rec("Wolfeschlegelsteinhausen", "Alexandra Christina"), []string{"given name CHR = CHRISTINA (given name truncated in the query)"}},
		{"truncated TD1", q(td1), rec("Wolfeschlegelsteinhausen", "Alexandra Christina"), []string{"given name ALEX = ALEXANDRA (given name truncated in the query)", "record given name CHRISTINA not in the query"}},
		{"middle name missing", q("GARCIA<<MARIA"), rec("García", "María Isabel"), []string{"record given name ISABEL not in the query"}},
		{"extra middle name in query", q("GARCIA<<MARIA<ISABEL"), rec("García", "María"), []string{"query given name ISABEL not on the record"}},
		{"hyphenated surname vs space", q("GARCIA<LOPEZ<<ANA"), rec("García-López", "Ana"), []string{"surname GARCIA = GARCIA", "surname LOPEZ = LOPEZ"}},
		{"apostrophe", q("ONEILL<<SEAN"), rec("O'Neill", "Seán"), []string{"surname ONEILL = ONEILL"}},
		{"initial", q("KENNEDY<<JOHN<F"), rec("Kennedy", "John Fitzgerald"), []string{"given name F = FITZGERALD (initial)"}},
	}
	return cases
}

func TestMatchHits(t *testing.T) {
	for _, c := range hitCases(t) {
		t.Run(c.name, func(t *testing.T) {
			res := Match(c.query, c.record)
			if res.Score < DefaultThreshold {
				t.Errorf("score %.3f (name %.3f, date %.2f) below the threshold %.2f: must hit; reasons %q", res.Score, res.Name, res.Date, DefaultThreshold, res.Why)
			}
			checkWhy(t, res, c.why)
			if s := MatchScore(c.query, c.record); s != res.Score {
				t.Errorf("MatchScore %.4f, Match %.4f", s, res.Score)
			}
		})
	}
}

func TestMatchDates(t *testing.T) {
	name := func(birth string) Prepared { return person(t, "Trần", "Thị Lan", birth, "") }
	hits := []struct {
		query, record string
		why           string
	}{
		{"1975-06-12", "1975-06-12", "birth date equal (1975-06-12)"},
		{"1975-06-12", "1975-00-00", "birth month and day unknown on a side; year agrees"},
		{"1975-06-12", "1975-06-00", "birth day unknown on a side"},
		{"1975-06-12", "1975-00-12", "birth month unknown on a side"},
		{"1975-06-12", "0000-06-12", "birth year unknown on a side; month and day agree"},
		{"0000-00-00", "0000-00-00", "birth date unknown on both sides"},
		{"1975-06-12", "0000-00-00", "birth year unknown on a side; no other part"},
		{"1975-06-12", "1976-06-12", "birth year off by one; month and day agree"},
		{"1978-06-12", "1987-06-12", "birth year digits transposed"},
		{"1975-06-12", "1975-12-06", "birth day and month swapped"},
		{"1975-06-12", "1975-06-21", "birth day digits transposed"},
	}
	for _, h := range hits {
		res := Match(name(h.query), name(h.record))
		if res.Score < DefaultThreshold || res.Date > 1 || res.Date < 0.85 {
			t.Errorf("%s vs %s: score %.3f, date %.2f: want a hit with a date factor in [0.85, 1]", h.query, h.record, res.Score, res.Date)
		}
		checkWhy(t, res, []string{h.why})
	}
	misses := []struct {
		query, record string
		maxDate       float64
		why           string
	}{
		{"1975-06-12", "1975-09-23", 0.6, "same birth year but month and day differ"},
		{"1975-06-12", "1985-06-12", 0, "birth years differ"},
		{"1975-06-12", "1965-09-23", 0, "birth years differ"},
		{"1975-06-12", "1977-06-12", 0, "birth years differ"},
		{"1975-06-12", "1976-09-12", 0.4, "birth year off by one, and month or day differs"},
		{"1975-06-12", "0000-09-23", 0.5, "birth year unknown on a side; month and day differ"},
	}
	for _, m := range misses {
		res := Match(name(m.query), name(m.record))
		if res.Score >= DefaultThreshold || res.Date > m.maxDate {
			t.Errorf("%s vs %s: score %.3f, date %.2f: want no hit and a date factor ≤ %.2f", m.query, m.record, res.Score, res.Date, m.maxDate)
		}
		checkWhy(t, res, []string{m.why})
	}
}

func TestMatchNearMisses(t *testing.T) {
	cases := []matchCase{
		{"common name, same year, another month and day",
			person(t, "NGUYEN", "VAN ANH", "1980-03-14", ""), person(t, "Nguyễn", "Văn Anh", "1980-11-02", ""),
			[]string{"surname NGUYEN = NGUYEN", "same birth year but month and day differ"}},
		{"common name, another decade",
			person(t, "SMITH", "JOHN", "1980-03-14", ""), person(t, "Smith", "John", "1990-03-14", ""),
			[]string{"birth years differ"}},
		{"same surname, different given name",
			person(t, "SMITH", "PETER", "1980-03-14", ""), person(t, "Smith", "Michael", "1980-03-14", ""),
			[]string{"record given name MICHAEL not in the query", "names differ"}},
		{"one common token of two",
			person(t, "ALI", "MOHAMMED", "1980-03-14", ""), person(t, "Hassan", "Mohammed", "1980-03-14", ""),
			[]string{"given name MOHAMMED = MOHAMMED", "names differ"}},
		{"one common given token of two, same surname",
			person(t, "KHAN", "MOHAMMED ALI", "1980-03-14", ""), person(t, "Khan", "Mohammed Hassan", "1980-03-14", ""),
			[]string{"names differ"}},
		{"one letter in a 4-letter given name is another name",
			person(t, "SMITH", "JOHN", "1980-03-14", ""), person(t, "Smith", "Joan", "1980-03-14", ""),
			[]string{"record given name JOAN not in the query"}},
		{"nothing in common",
			person(t, "TRAN", "THI LAN", "1980-03-14", ""), person(t, "Müller", "Hans", "1980-03-14", ""),
			[]string{"record surname MUELLER not in the query"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Match(c.query, c.record)
			if res.Score >= DefaultThreshold {
				t.Errorf("score %.3f (name %.3f, date %.2f) reaches the threshold %.2f: must not hit; reasons %q", res.Score, res.Name, res.Date, DefaultThreshold, res.Why)
			}
			checkWhy(t, res, c.why)
		})
	}
}

func TestMatchNationality(t *testing.T) {
	same := Match(person(t, "SMITH", "JOHN", "1980-03-14", "GBR"), person(t, "Smith", "John", "1980-03-14", "GBR"))
	unknown := Match(person(t, "SMITH", "JOHN", "1980-03-14", "GBR"), person(t, "Smith", "John", "1980-03-14", ""))
	other := Match(person(t, "SMITH", "JOHN", "1980-03-14", "GBR"), person(t, "Smith", "John", "1980-03-14", "IRL"))
	if same.Score != 1 || unknown.Score != 1 {
		t.Errorf("same or unknown nationality: scores %.3f, %.3f, want 1", same.Score, unknown.Score)
	}
	if math.Abs(other.Score-nationalityFactor) > 1e-9 || other.Score < DefaultThreshold {
		t.Errorf("other nationality: score %.3f, want %.2f (still a hit)", other.Score, nationalityFactor)
	}
	checkWhy(t, other, []string{"nationality differs (GBR vs IRL)"})
}

// TestMatchPenalties pins the order the semantics promise: an exact name
// beats one with a missing given name, which beats one with a missing
// surname; a swapped name ranks just under the same name in order.
func TestMatchPenalties(t *testing.T) {
	const birth = "1980-03-14"
	full := person(t, "GARCIA LOPEZ", "MARIA ISABEL", birth, "")
	score := func(q Prepared) float64 { return Match(q, full).Score }
	exact := score(person(t, "GARCIA LOPEZ", "MARIA ISABEL", birth, ""))
	noGiven := score(person(t, "GARCIA LOPEZ", "MARIA", birth, ""))
	noSurname := score(person(t, "GARCIA", "MARIA ISABEL", birth, ""))
	swapped := score(person(t, "MARIA ISABEL", "GARCIA LOPEZ", birth, ""))
	if !(exact == 1 && noGiven < exact && noSurname < noGiven && swapped < exact && swapped > noGiven) {
		t.Errorf("exact %.3f, missing given %.3f, missing surname %.3f, swapped %.3f: want 1 > swapped > missing given > missing surname", exact, noGiven, noSurname, swapped)
	}
}

func TestMatchEmptyNames(t *testing.T) {
	res := Match(person(t, "", "", "1980-03-14", ""), person(t, "Smith", "John", "1980-03-14", ""))
	if res.Score != 0 || res.Name != 0 {
		t.Errorf("empty query: score %.3f, name %.3f, want 0", res.Score, res.Name)
	}
	checkWhy(t, res, []string{"no name to compare"})
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b  string
		d     int
		swaps bool
	}{
		{"SMITH", "SMITH", 0, false},
		{"SMITH", "SMYTH", 1, false},
		{"SMITH", "SMITHS", 1, false},
		{"SCHNEIDER", "SCHNIEDER", 1, true},
		{"ANNA", "ANAN", 1, true},
		{"MOHAMMED", "MUHAMMAD", 2, false},
		{"ABC", "XYZ", 3, false},
		{"KOWALSKI", "NOWAK", 3, false},
	}
	for _, c := range cases {
		d, swaps := editDistance(c.a, c.b)
		if d != c.d || swaps != c.swaps {
			t.Errorf("editDistance(%s, %s) = %d, %v; want %d, %v", c.a, c.b, d, swaps, c.d, c.swaps)
		}
	}
}

// TestTwoDeviations pins the threshold's placement: one deviation stays a
// hit, two together may not (see DefaultThreshold).
func TestTwoDeviations(t *testing.T) {
	cases := []struct {
		query, record Prepared
		hit           bool
	}{
		{person(t, "GARCIA", "MARIA", "1975-06-12", ""), person(t, "García", "María Isabel", "1975-06-12", ""), true},
		{person(t, "GARCIA", "MARIA ISABEL", "1975-06-12", ""), person(t, "García", "María Isabel", "1976-06-12", ""), true},
		{person(t, "GARCIA", "MARIA", "1975-06-12", ""), person(t, "García", "María Isabel", "1976-06-12", ""), false},
		{person(t, "SMYTH", "JOHN PAUL", "1975-06-12", ""), person(t, "Smith", "John Paul", "1975-06-12", ""), true},
		{person(t, "SMYTH", "JOHN PAUL", "1975-06-12", ""), person(t, "Smith", "John Paul", "1976-06-12", ""), false},
	}
	for _, c := range cases {
		if res := Match(c.query, c.record); (res.Score >= DefaultThreshold) != c.hit {
			t.Errorf("%v vs %v: score %.3f, want hit %v; reasons %q", c.query.Given, c.record.Birth, res.Score, c.hit, res.Why)
		}
	}
}

// TestMatchPartBoundary: a name filed in the other part on one side only
// (NGUYEN VAN / ANH vs NGUYEN / VAN ANH) is not a swap.
func TestMatchPartBoundary(t *testing.T) {
	res := Match(person(t, "NGUYEN", "VAN ANH", "1980-03-14", ""), person(t, "Nguyễn Văn", "Anh", "1980-03-14", ""))
	if res.Score != 1 {
		t.Errorf("score %.3f, want 1", res.Score)
	}
	checkWhy(t, res, []string{"a name is a surname on one side and a given name on the other"})
	if slices.ContainsFunc(res.Why, func(r string) bool { return strings.Contains(r, "swapped") }) {
		t.Errorf("reported as swapped: %q", res.Why)
	}
}

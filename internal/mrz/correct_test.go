package mrz

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/internal/testenv"
)

// The ICAO Doc 9303 specimens the correction tests corrupt (parts 4, 5, 6
// and 7), and the "now" that places their years.
var (
	corrNow = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	icaoTD3 = []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
	icaoTD1 = []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}
	icaoTD2 = []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<6",
	}
	icaoMRVA = []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
	}
	// The TD3 specimen born 1972-07-12 (laid out by Build; Parse checks it
	// below): a birth date whose two 7s read as Z could be 7 or 2 each.
	td3Born720712 = []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7207129F3204153ZE184226B<<<<<12",
	}
)

// corrupt returns lines with the 1-based (line, position) characters
// replaced, as an OCR engine misreading them.
func corrupt(lines []string, edits ...any) []string {
	out := slices.Clone(lines)
	for i := 0; i < len(edits); i += 3 {
		l, p, c := edits[i].(int)-1, edits[i+1].(int)-1, edits[i+2].(byte)
		b := []byte(out[l])
		b[p] = c
		out[l] = string(b)
	}
	return out
}

// want is an expected correction, without its explanation.
type want struct {
	field          string
	line, position int
	from, to       string
}

func got(cs []Correction) []want {
	out := make([]want, len(cs))
	for i, c := range cs {
		out[i] = want{c.Field, c.Line, c.Position, c.From, c.To}
	}
	return out
}

func TestSpecimensParse(t *testing.T) {
	for _, lines := range [][]string{icaoTD3, icaoTD1, icaoTD2, icaoMRVA, td3Born720712} {
		if d := Parse(lines, corrNow); !d.Valid {
			t.Fatalf("specimen %q does not parse: %q", lines, d.Errors)
		}
		fixed, cs := Correct(lines, corrNow)
		if len(cs) != 0 || !slices.Equal(fixed, lines) {
			t.Errorf("Correct changed a valid MRZ %q: %q, %v", lines, fixed, cs)
		}
	}
}

func TestCorrectProvenConfusions(t *testing.T) {
	cases := []struct {
		name   string
		spec   []string
		read   []string
		want   []want
		reason string // a phrase the first correction's Why must hold
	}{
		{"TD3 birth date O for 0", icaoTD3, corrupt(icaoTD3, 2, 16, byte('O')),
			[]want{{"birth_date", 2, 16, "O", "0"}},
			"check digits of document_number, birth_date, expiry_date, optional_data and the composite check digit verify"},
		{"TD3 expiry date I, O, I for 1, 0, 1", icaoTD3, corrupt(icaoTD3, 2, 22, byte('I'), 2, 24, byte('O'), 2, 26, byte('I')),
			[]want{{"expiry_date", 2, 22, "I", "1"}, {"expiry_date", 2, 24, "O", "0"}, {"expiry_date", 2, 26, "I", "1"}},
			"expiry_date holds only digits"},
		// Z is read for 2 and for 7; only 2 makes the check digit verify.
		{"TD3 check digits Z for 2, O for 0", icaoTD3, corrupt(icaoTD3, 2, 20, byte('Z'), 2, 44, byte('O')),
			[]want{{"birth_date check digit", 2, 20, "Z", "2"}, {"composite check digit", 2, 44, "O", "0"}}, "no other correction does"},
		// The birth date 740812 read 7408I2 with B for 8, and its check
		// digit read Z.
		{"TD3 birth date B for 8, I for 1, check digit Z", icaoTD3, corrupt(icaoTD3, 2, 17, byte('B'), 2, 18, byte('I'), 2, 20, byte('Z')),
			[]want{{"birth_date", 2, 17, "B", "8"}, {"birth_date", 2, 18, "I", "1"}, {"birth_date check digit", 2, 20, "Z", "2"}}, "birth_date"},
		{"TD3 surname 5 for S, given name 1 for I", icaoTD3, corrupt(icaoTD3, 1, 10, byte('5'), 1, 11, byte('5'), 1, 24, byte('1')),
			[]want{{"surname", 1, 10, "5", "S"}, {"surname", 1, 11, "5", "S"}, {"given_names", 1, 24, "1", "I"}},
			"surname holds only letters and OCR confuses '5' with a letter; it is the only letter that fits"},
		{"TD1 document code 1 for I, birth date and composite", icaoTD1, corrupt(icaoTD1, 1, 1, byte('1'), 2, 3, byte('O'), 2, 30, byte('G')),
			[]want{{"document_code", 1, 1, "1", "I"}, {"birth_date", 2, 3, "O", "0"}, {"composite check digit", 2, 30, "G", "6"}}, "document_code holds only letters"},
		{"TD1 name 8 for B", corruptName(icaoTD1, 3, "BERG<<ANNA"), corrupt(corruptName(icaoTD1, 3, "BERG<<ANNA"), 3, 1, byte('8')),
			[]want{{"surname", 3, 1, "8", "B"}}, "only letter"},
		{"TD2 expiry date D for 0, check digit G for 6", icaoTD2, corrupt(icaoTD2, 2, 24, byte('D'), 2, 36, byte('G')),
			[]want{{"expiry_date", 2, 24, "D", "0"}, {"composite check digit", 2, 36, "G", "6"}}, "composite"},
		// Visas have no composite: a misread document number does not
		// stop the birth date, which its own check digit proves.
		{"MRV-A birth date with a misread document number", corrupt(icaoMRVA, 2, 6, byte('O')),
			corrupt(icaoMRVA, 2, 6, byte('O'), 2, 15, byte('O'), 2, 16, byte('O')),
			[]want{{"birth_date", 2, 15, "O", "0"}, {"birth_date", 2, 16, "O", "0"}}, "with it the birth_date check digit verifies"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := Parse(c.read, corrNow); d.Valid {
				t.Fatalf("the corrupted MRZ %q still parses valid: the test corrupts nothing", c.read)
			}
			fixed, cs := Correct(c.read, corrNow)
			if !slices.Equal(got(cs), c.want) {
				t.Errorf("corrections %v\nwant %v", got(cs), c.want)
			}
			if !slices.Equal(fixed, c.spec) {
				t.Errorf("fixed %q\nwant %q", fixed, c.spec)
			}
			if len(cs) > 0 && !strings.Contains(cs[0].Why, c.reason) {
				t.Errorf("why %q does not say %q", cs[0].Why, c.reason)
			}
			// The input is not modified in place.
			if d := Parse(c.read, corrNow); d.Valid {
				t.Error("Correct changed its input")
			}
		})
	}
}

// corruptName replaces the name field of a TD1 (line 3) with name.
func corruptName(lines []string, line int, name string) []string {
	out := slices.Clone(lines)
	out[line-1] = name + strings.Repeat("<", 30-len(name))
	return out
}

func TestCorrectRefusesWhatIsNotProven(t *testing.T) {
	cases := []struct {
		name string
		read []string
	}{
		// Document numbers hold letters and digits: O and 0 are both
		// possible, so the type proves nothing. And since the composite
		// then fails, the birth date in its unit is not corrected either.
		{"document number O for 0, with a birth date O for 0", corrupt(icaoTD3, 2, 6, byte('O'), 2, 16, byte('O'))},
		// The corrected date would not match its check digit.
		{"check digit disagrees", corrupt(icaoTD3, 2, 16, byte('O'), 2, 20, byte('3'))},
		// The composite disagrees (a misread inside the personal number,
		// which is letters and digits and cannot be corrected).
		{"composite disagrees", corrupt(icaoTD3, 2, 16, byte('O'), 2, 30, byte('F'))},
		// Z is 2 or 7 twice: 220212 and 720712 both satisfy the birth
		// date's check digit, the composite and the calendar.
		{"ambiguous Z Z in a date", corrupt(td3Born720712, 2, 14, byte('Z'), 2, 17, byte('Z'))},
		// 0 in a letter field could be O, Q or D.
		{"0 in a state code", corrupt(icaoTD3, 1, 5, byte('0'))},
		{"0 in a name", corrupt(icaoTD3, 1, 11, byte('0'))},
		// X is confused with no digit.
		{"unexplained letter in a date", corrupt(icaoTD3, 2, 16, byte('X'))},
		// 4 is confused with no letter.
		{"unexplained digit in a name", corrupt(icaoTD3, 1, 8, byte('4'))},
		// A wrong digit is not an OCR confusion the type can see.
		{"wrong digit", corrupt(icaoTD3, 2, 16, byte('1'))},
		// Z is 2 or 7, and only a check over the document number (letters
		// and digits) could choose: not proven.
		{"Z in the document number check digit", corrupt(icaoTD1, 1, 15, byte('Z'))},
		{"Z in the composite check digit", corrupt(icaoTD2, 2, 36, byte('Z'), 2, 16, byte('O'))},
		// Lines that cannot be cut into fields.
		{"too short", []string{icaoTD3[0], icaoTD3[1][:43]}},
		{"lowercase", []string{icaoTD3[0], strings.ToLower(icaoTD3[1])}},
		{"one line", icaoTD3[:1]},
		{"no lines", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fixed, cs := Correct(c.read, corrNow)
			if len(cs) != 0 || !slices.Equal(fixed, c.read) {
				t.Errorf("Correct(%q) = %q, %v; want it unchanged", c.read, fixed, cs)
			}
		})
	}
	// Independent parts: an unproven name does not stop a proven date.
	read := corrupt(icaoTD3, 1, 11, byte('0'), 2, 16, byte('O'))
	fixed, cs := Correct(read, corrNow)
	if w := []want{{"birth_date", 2, 16, "O", "0"}}; !slices.Equal(got(cs), w) || fixed[0] != read[0] || fixed[1] != icaoTD3[1] {
		t.Errorf("Correct(%q) = %q, %v; want only the birth date corrected", read, fixed, got(cs))
	}
}

// TestCorrectNeverWrong corrupts the MRZs of the shared test data (every
// specimen Parse reads as valid) with OCR confusions — every single one, and
// random pairs and triples — and checks Correct either restores the
// original exactly or leaves the read as it was: never a wrong correction,
// and every change reported.
func TestCorrectNeverWrong(t *testing.T) {
	specimens := [][]string{icaoTD3, icaoTD1, icaoTD2, icaoMRVA, td3Born720712}
	path := testenv.SharedTestdata(t, "mrz/expected_mrz.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(entries)) { // a fixed order: the same corruptions every run
		var e struct{ Lines []string }
		if json.Unmarshal(entries[name], &e) == nil && Parse(e.Lines, corrNow).Valid {
			specimens = append(specimens, e.Lines)
		}
	}
	if len(specimens) < 10 {
		t.Fatalf("only %d valid MRZs to corrupt", len(specimens))
	}
	restored, refused := 0, 0
	check := func(spec, read []string) {
		t.Helper()
		if slices.Equal(read, spec) || Parse(read, corrNow).Valid {
			return // a confusion that happens to make another valid MRZ proves nothing
		}
		fixed, cs := Correct(read, corrNow)
		changed := 0
		for l := range read {
			for p := range len(read[l]) {
				if read[l][p] != fixed[l][p] {
					changed++
				}
			}
		}
		if changed != len(cs) {
			t.Fatalf("Correct(%q) changed %d characters, reported %d: %v", read, changed, len(cs), cs)
		}
		for _, c := range cs {
			if read[c.Line-1][c.Position-1] != c.From[0] || fixed[c.Line-1][c.Position-1] != c.To[0] || c.Why == "" {
				t.Fatalf("Correct(%q): report %+v does not match the change", read, c)
			}
			if spec[c.Line-1][c.Position-1] != c.To[0] {
				t.Fatalf("WRONG correction of %q (original %q): %v", read, spec, c)
			}
		}
		if len(cs) > 0 {
			restored++
		} else {
			refused++
		}
		// Idempotent: nothing left that Correct can prove.
		if again, more := Correct(fixed, corrNow); len(more) != 0 || !slices.Equal(again, fixed) {
			t.Fatalf("second Correct of %q found more: %v", fixed, more)
		}
	}
	type pos struct{ l, p int }
	r := rand.New(rand.NewPCG(9303, 1))
	for _, spec := range specimens {
		var confusable []pos
		for l, line := range spec {
			for p := range len(line) {
				if len(confusedWith(line[p])) > 0 {
					confusable = append(confusable, pos{l, p})
				}
			}
		}
		misread := func(ps ...pos) []string {
			out := slices.Clone(spec)
			for _, x := range ps {
				alts := confusedWith(out[x.l][x.p])
				b := []byte(out[x.l])
				b[x.p] = alts[r.IntN(len(alts))]
				out[x.l] = string(b)
			}
			return out
		}
		for _, x := range confusable {
			check(spec, misread(x))
		}
		for range 300 {
			if len(confusable) < 3 {
				break
			}
			// Three distinct positions: each character is misread once.
			i := r.Perm(len(confusable))
			a, b, c := confusable[i[0]], confusable[i[1]], confusable[i[2]]
			check(spec, misread(a, b))
			check(spec, misread(a, b, c))
		}
	}
	// Most single confusions are provable (digits in dates and check
	// digits, most digits in names); some are not (0 in a name).
	if restored == 0 || refused == 0 {
		t.Errorf("restored %d, refused %d: want both to happen", restored, refused)
	}
	t.Logf("%d valid MRZs: %d corrupted reads restored, %d left for Parse to refuse", len(specimens), restored, refused)
}

func TestCorrectionString(t *testing.T) {
	_, cs := Correct(corrupt(icaoTD3, 2, 16, byte('O')), corrNow)
	if len(cs) != 1 {
		t.Fatalf("corrections %v", cs)
	}
	s := cs[0].String()
	if !strings.HasPrefix(s, `birth_date (line 2, character 16): "O" → "0": birth_date holds only digits`) {
		t.Errorf("String() = %q", s)
	}
	b, err := json.Marshal(cs[0])
	if err != nil || !strings.Contains(string(b), `"field":"birth_date","line":2,"position":16,"from":"O","to":"0"`) {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

// FuzzCorrect: Correct never panics, keeps the shape of its input, reports
// exactly what it changed, only ever swaps confusable characters, never
// makes Parse find more problems, and is idempotent.
func FuzzCorrect(f *testing.F) {
	for _, l := range [][]string{
		icaoTD3, icaoTD1, icaoTD2, icaoMRVA,
		corrupt(icaoTD3, 2, 16, byte('O'), 1, 10, byte('5')),
		corrupt(td3Born720712, 2, 14, byte('Z'), 2, 17, byte('Z')),
		corrupt(icaoTD1, 1, 1, byte('1'), 2, 30, byte('G')),
	} {
		f.Add(strings.Join(l, "\n"))
	}
	f.Add("")
	f.Add("P<\n<<")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		in := slices.Clone(lines)
		fixed, cs := Correct(lines, corrNow)
		if !slices.Equal(lines, in) {
			t.Fatal("Correct modified its input")
		}
		if len(fixed) != len(lines) {
			t.Fatalf("%d lines in, %d out", len(lines), len(fixed))
		}
		changed := 0
		for l := range lines {
			if len(fixed[l]) != len(lines[l]) {
				t.Fatalf("line %d changed length", l+1)
			}
			for p := range len(lines[l]) {
				if lines[l][p] != fixed[l][p] {
					changed++
					if !slices.Contains(confusedWith(lines[l][p]), fixed[l][p]) {
						t.Fatalf("%q → %q is not an OCR confusion", lines[l][p], fixed[l][p])
					}
				}
			}
		}
		if changed != len(cs) {
			t.Fatalf("changed %d characters, reported %d", changed, len(cs))
		}
		if len(cs) > 0 && len(Parse(fixed, corrNow).Errors) >= len(Parse(lines, corrNow).Errors) {
			t.Fatalf("corrections %v did not reduce Parse's problems: %q", cs, Parse(fixed, corrNow).Errors)
		}
		if _, more := Correct(fixed, corrNow); len(more) != 0 {
			t.Fatalf("not idempotent: %v", more)
		}
	})
}

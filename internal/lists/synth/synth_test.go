package synth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"autogate/internal/lists"
)

func TestTables(t *testing.T) {
	if len(tables) < 25 {
		t.Errorf("%d nationalities, want at least 25", len(tables))
	}
	codes := Nationalities()
	for i, tb := range tables {
		if codes[i] != tb.code || (i > 0 && tables[i-1].share < tb.share) {
			t.Errorf("Nationalities()[%d] = %s: not in falling share order", i, codes[i])
		}
		if err := (lists.Document{Number: "1", IssuingState: tb.code, Type: "P", Reason: lists.ReasonLost}).Validate(); err != nil {
			t.Errorf("%s is not a valid state code: %v", tb.code, err)
		}
		given := len(tb.male.names) + len(tb.female.names)
		if tb.share >= 3 && (len(tb.surnames.names) < 40 || given < 40) {
			t.Errorf("%s (share %g) has %d surnames and %d given names; a big nationality needs 40 of each", tb.code, tb.share, len(tb.surnames.names), given)
		}
		for _, list := range []struct {
			what  string
			names []string
		}{{"surnames", tb.surnames.names}, {"female surnames", tb.femaleSurnames}, {"male", tb.male.names},
			{"female", tb.female.names}, {"middle male", tb.middleMale.names}, {"middle female", tb.middleFemale.names}} {
			seen := map[string]bool{}
			for _, name := range list.names {
				if err := (lists.Alias{Surname: name}).Validate(); err != nil {
					t.Errorf("%s %s %q: %v", tb.code, list.what, name, err)
				}
				if seen[name] && list.what != "female surnames" {
					t.Errorf("%s %s: %q twice", tb.code, list.what, name)
				}
				seen[name] = true
			}
		}
	}
}

// TestZipfShares: a few names dominate each nationality, as in real lists.
func TestZipfShares(t *testing.T) {
	for _, tb := range tables {
		s := &tb.surnames
		// China's surnames are the least concentrated: Wang takes 7 %.
		if s.share(0) < 0.07 || s.share(0) < 3*s.share(9) {
			t.Errorf("%s: the first surname takes %.3f, the tenth %.3f; want a Zipf-like head", tb.code, s.share(0), s.share(9))
		}
	}
	vnm := tables[indexOf(t, "VNM")]
	if got := vnm.surnames.share(0); vnm.surnames.names[0] != "Nguyễn" || got < 0.37 || got > 0.39 {
		t.Errorf("Nguyễn share %.3f, want 0.38", got)
	}
}

func indexOf(t *testing.T, code string) int {
	for i, c := range Nationalities() {
		if c == code {
			return i
		}
	}
	t.Fatalf("no table for %s", code)
	return -1
}

func TestDeterministic(t *testing.T) {
	a, b, other := New(7), New(7), New(8)
	same := 0
	for i := range 2000 {
		pa, pb := a.Person(i), b.Person(i)
		if !reflect.DeepEqual(pa, pb) {
			t.Fatalf("person %d differs between two generators of seed 7:\n%+v\n%+v", i, pa, pb)
		}
		if da, db := a.Document(i), b.Document(i); da != db {
			t.Fatalf("document %d differs: %+v %+v", i, da, db)
		}
		if va, vb := a.Visa(i, "X1", "FRA"), b.Visa(i, "X1", "FRA"); va != vb {
			t.Fatalf("visa %d differs", i)
		}
		po := other.Person(i)
		if po.Surname == pa.Surname && po.BirthDate == pa.BirthDate {
			same++
		}
	}
	if same > 100 {
		t.Errorf("seeds 7 and 8 agree on %d of 2000 persons", same)
	}
	var streamed []lists.Person
	if err := a.Persons(500, func(p lists.Person) error { streamed = append(streamed, p); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := len(streamed) - 1; i >= 0; i-- { // out of order: records do not depend on each other
		if !reflect.DeepEqual(streamed[i], b.Person(i)) {
			t.Fatalf("Persons yielded %+v as person %d, Person(%d) is %+v", streamed[i], i, i, b.Person(i))
		}
	}
	stop := errors.New("enough")
	n := 0
	if err := a.Documents(100, func(lists.Document) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Documents did not stop at the callback's error: err %v after %d", err, n)
	}
	if err := a.Documents(MaxDocuments+1, func(lists.Document) error { return nil }); err == nil {
		t.Error("Documents accepted more than MaxDocuments")
	}
	if p := a.Person(42); p.ID != "syn-p-000042" {
		t.Errorf("person id %q", p.ID)
	}
}

func TestDocuments(t *testing.T) {
	g := New(3)
	const n = 300_000
	keys := make(map[string]bool, 2*n)
	types := map[string]int{}
	reasons := map[string]int{}
	err := g.Documents(n, func(d lists.Document) error {
		if err := d.Validate(); err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
		k := lists.DocumentKey(d.IssuingState, d.Number)
		if keys[k] {
			t.Fatalf("document key %s twice", k)
		}
		keys[k] = true
		types[d.Type]++
		reasons[d.Reason]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := g.TravelDocument(i)
		k := lists.DocumentKey(d.IssuingState, d.Number)
		if keys[k] {
			t.Fatalf("travel document %d (%s) is on the list or repeats", i, k)
		}
		keys[k] = true
	}
	for _, typ := range []string{"P", "ID", "I", "AC"} {
		if types[typ] == 0 {
			t.Errorf("no document of type %s: %v", typ, types)
		}
	}
	if types["P"] < types["ID"] || types["AC"] > n/20 {
		t.Errorf("type shares: %v", types)
	}
	if !(reasons[lists.ReasonLost] > reasons[lists.ReasonStolen] && reasons[lists.ReasonStolen] > reasons[lists.ReasonRevoked] && reasons[lists.ReasonRevoked] > n/20) {
		t.Errorf("reason shares: %v", reasons)
	}
	// The last indices are as distinct as the first.
	seen := map[string]bool{}
	for i := MaxDocuments - 1000; i < MaxDocuments; i++ {
		d := g.Document(i)
		td := g.TravelDocument(i)
		for _, k := range []string{lists.DocumentKey(d.IssuingState, d.Number), lists.DocumentKey(td.IssuingState, td.Number)} {
			if seen[k] {
				t.Fatalf("key %s twice near MaxDocuments", k)
			}
			seen[k] = true
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, bad := range []string{"{AB", "{}", "a?d", "ab-"} {
		if _, err := parsePattern(bad); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	f, err := newNumberFormat("{CF}d", 99)
	if err != nil || f.capacity != 20 {
		t.Fatalf("capacity %v, %v", f, err)
	}
	seen := map[string]bool{}
	for i := range uint64(20) {
		s := f.number(i)
		if len(s) != 2 || !strings.ContainsRune("CF", rune(s[0])) || s[1] < '0' || s[1] > '9' || seen[s] {
			t.Fatalf("number %d = %q (seen %v)", i, s, seen)
		}
		seen[s] = true
	}
	p := newPermutation(1000, 5)
	hit := make([]bool, 1000)
	for i := range uint64(1000) {
		x := p.apply(i)
		if x >= 1000 || hit[x] {
			t.Fatalf("permutation maps %d to %d, out of range or twice", i, x)
		}
		hit[x] = true
	}
	if p.apply(0) == 0 && p.apply(1) == 1 && p.apply(2) == 2 {
		t.Error("the permutation is the identity")
	}
}

func TestRecordsValidate(t *testing.T) {
	g := New(11)
	for i := range 50_000 {
		if p := g.Person(i); p.Validate() != nil {
			t.Fatalf("person %d %+v: %v", i, p, p.Validate())
		}
	}
	expired := 0
	today := g.Today.Format("2006-01-02")
	err := g.Visas(10_000, func(v lists.Visa) error {
		if err := v.Validate(); err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
		if v.ValidUntil < today {
			expired++
		}
		if v.Kind == lists.KindResidencePermit && (v.Entries != 0 || v.StayDays != 0) {
			t.Errorf("residence permit with limits: %+v", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if expired < 700 || expired > 1300 {
		t.Errorf("%d of 10000 visas expired by Today, want about a tenth", expired)
	}
	programmes := map[string]int{}
	err = g.RegisteredTravellers(10_000, func(r lists.Registered) error {
		if err := r.Validate(); err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		programmes[r.Programme]++
		return nil
	})
	if err != nil || programmes["border_pass"] < 3000 || programmes["registered_traveller"] < 5000 {
		t.Errorf("registered: %v %v", programmes, err)
	}
}

// samplePersons returns n persons of seed 1.
func samplePersons(n int) []lists.Person {
	g := New(1)
	out := make([]lists.Person, n)
	for i := range out {
		out[i] = g.Person(i)
	}
	return out
}

func hasScript(s string, table *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(table, r) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestNamesAndDates(t *testing.T) {
	const n = 100_000
	persons := samplePersons(n)
	var nonASCII, cyrillic, greekNames, vnm, nguyen, dayUnknown, monthUnknown, yearUnknown, noNationality int
	categories := map[string]int{}
	surnames := map[string]int{}
	for _, p := range persons {
		name := p.Surname + " " + p.GivenNames
		if !isASCII(name) {
			nonASCII++
		}
		if hasScript(name, unicode.Cyrillic) {
			cyrillic++
		}
		if hasScript(name, unicode.Greek) {
			greekNames++
		}
		if p.Nationality == "VNM" {
			vnm++
			if p.Surname == "Nguyễn" {
				nguyen++
			}
		}
		if p.Nationality == "" {
			noNationality++
		}
		surnames[p.Surname]++
		categories[p.Category]++
		switch year, month, day := p.BirthDate[:4], p.BirthDate[5:7], p.BirthDate[8:]; {
		case year == "0000":
			yearUnknown++
		case month == "00":
			monthUnknown++
		case day == "00":
			dayUnknown++
		}
		if y := p.BirthDate[:4]; y != "0000" && (y < "1940" || y > "2008") {
			t.Errorf("birth year %s outside 1940–2008", y)
		}
	}
	within := func(what string, got int, lo, hi float64) {
		if share := float64(got) / n; share < lo || share > hi {
			t.Errorf("%s: share %.4f, want %.3f–%.3f", what, share, lo, hi)
		}
	}
	within("non-ASCII names", nonASCII, 0.45, 0.8)
	within("Cyrillic names", cyrillic, 0.15, 0.3)
	within("Greek names", greekNames, 0.005, 0.015)
	within("unknown day only", dayUnknown, 0.04, 0.06)
	within("unknown month and day", monthUnknown, 0.015, 0.025)
	within("unknown year", yearUnknown, 0.003, 0.008)
	within("unknown nationality", noNationality, 0.006, 0.014)
	within("watch", categories[lists.CategoryWatch], 0.5, 0.6)
	within("wanted", categories[lists.CategoryWanted], 0.02, 0.04)
	if share := float64(nguyen) / float64(vnm); share < 0.35 || share > 0.41 {
		t.Errorf("Nguyễn among Vietnamese: %.3f, want about 0.38", share)
	}
	// A few names dominate the whole list.
	top := 0
	for _, c := range surnames {
		top = max(top, c)
	}
	if float64(top)/n < 0.03 {
		t.Errorf("the most common surname covers %.4f of persons; want a dominant few", float64(top)/n)
	}
}

func TestAliases(t *testing.T) {
	const n = 100_000
	persons := samplePersons(n)
	withAliases := 0
	var swapped, latinOfCyrillic, otherBirth, arabicRespelled, dropped, folded int
	arabic := map[string]bool{"EGY": true, "SAU": true, "SYR": true, "IRQ": true, "MAR": true, "PAK": true}
	for _, p := range persons {
		if len(p.Aliases) == 0 {
			continue
		}
		withAliases++
		if len(p.Aliases) > 3 {
			t.Fatalf("%d aliases: %+v", len(p.Aliases), p)
		}
		for i, a := range p.Aliases {
			if a.Surname == p.Surname && a.GivenNames == p.GivenNames && a.BirthDate == "" {
				t.Fatalf("alias repeats the name: %+v", p)
			}
			for _, b := range p.Aliases[:i] {
				if a == b {
					t.Fatalf("alias twice: %+v", p)
				}
			}
			switch {
			case a.Surname == p.GivenNames && a.GivenNames == p.Surname:
				swapped++
			case hasScript(p.Surname, unicode.Cyrillic) && isASCII(a.Surname+a.GivenNames):
				latinOfCyrillic++
			case arabic[p.Nationality] && respelledWord(p.Surname+" "+p.GivenNames, a.Surname+" "+a.GivenNames):
				arabicRespelled++
			case len(strings.Fields(a.GivenNames)) < len(strings.Fields(p.GivenNames)) && a.Surname == p.Surname:
				dropped++
			case !isASCII(p.Surname) && !hasScript(p.Surname, unicode.Cyrillic) && foldPlain(p.Surname) == a.Surname:
				folded++
			}
			if a.BirthDate != "" && a.BirthDate != p.BirthDate {
				otherBirth++
			}
		}
	}
	if share := float64(withAliases) / n; share < 0.23 || share > 0.27 {
		t.Errorf("%.3f of persons have aliases, want about 0.25", share)
	}
	for what, c := range map[string]int{"swapped": swapped, "Latin spelling of Cyrillic": latinOfCyrillic, "other birth date": otherBirth,
		"Arabic name respelled": arabicRespelled, "dropped given name": dropped, "diacritics dropped": folded} {
		if c < 200 {
			t.Errorf("only %d aliases of kind %q among %d persons", c, what, n)
		}
	}
}

// respelledWord: alias holds another spelling of one of name's words.
func respelledWord(name, alias string) bool {
	for _, w := range strings.Fields(name) {
		for _, alt := range append(arabicVariants[w], articleVariants(w)...) {
			if strings.Contains(" "+alias+" ", " "+alt+" ") && !strings.Contains(" "+name+" ", " "+alt+" ") {
				return true
			}
		}
	}
	return false
}

func TestVariants(t *testing.T) {
	for _, c := range []struct {
		v        variant
		in, want string
	}{
		{russianICAO, "Шевченко", "Shevchenko"}, {russianICAO, "Юрий Семёнов", "Iurii Semenov"},
		{russianEnglish, "Юрий", "Yuriy"}, {russianEnglish, "Евгений", "Yevgeniy"},
		{russianGerman, "Шевченко", "Schewtschenko"}, {russianGerman, "Александр", "Alexandr"}, {russianGerman, "Евгений", "Jewgeni"},
		{russianFrench, "Шевченко", "Chevtchenko"},
		{ukrainianNational, "Олександр", "Oleksandr"}, {ukrainianNational, "Юрій Їжак", "Yurii Yizhak"}, {ukrainianNational, "Згурський", "Zghurskyi"},
		{belarusianNational, "Лукашэвіч", "Lukashevich"}, {belarusianLacinka, "Лукашэвіч", "Lukaševič"},
		{bulgarianStreamlined, "Христов", "Hristov"}, {bulgarianStreamlined, "Кръстев", "Krastev"},
		{serbianLatin, "Ђорђевић", "Đorđević"}, {serbianASCII, "Ђорђевић", "Djordjevic"}, {serbianEnglish, "Љиљана Ђокић", "Ljiljana Djokich"},
		{greekELOT, "Παπαδόπουλος", "Papadopoulos"}, {greekELOT, "Γεώργιος", "Georgios"}, {greekELOT, "Ευάγγελος", "Evangelos"},
		{greekPopular, "Γεώργιος", "Yeoryios"}, {greekPopular, "Χρήστος Οικονόμου", "Hristos Ikonomou"}, {greekELOT, "Νικολαΐδης", "Nikolaidis"},
		{foldPlain, "Nguyễn Thị Hương", "Nguyen Thi Huong"}, {foldPlain, "Ødegård", "Odegard"}, {foldPlain, "Þórsdóttir", "Thorsdottir"},
		{foldPlain, "Łukasz Wójcik", "Lukasz Wojcik"}, {foldPlain, "Şahin Öztürk", "Sahin Ozturk"}, {foldPlain, "Æbelø", "Aebelo"},
		{foldGerman, "Müller Weiß", "Mueller Weiss"}, {foldGerman, "Åström", "Aastroem"},
		{dutchParticles, "van den Berg", "Vandenberg"}, {dutchParticles, "Bakker", "Bakker"}, {hyphenToSpace, "Jean-Pierre", "Jean Pierre"},
		{feminineCzechSlovak, "Novák", "Nováková"}, {feminineCzechSlovak, "Novotný", "Novotná"}, {feminineCzechSlovak, "Hájek", "Hájková"},
		{feminineCzechSlovak, "Svoboda", "Svobodová"}, {feminineCzechSlovak, "Šimko", "Šimková"}, {femininePolish, "Kowalski", "Kowalska"},
		{femininePolish, "Nowak", "Nowak"}, {feminineRussian, "Иванов", "Иванова"}, {feminineRussian, "Островский", "Островская"},
		{feminineRussian, "Шевченко", "Шевченко"}, {feminineUkrainian, "Вишневський", "Вишневська"}, {feminineBelarusian, "Іваноў", "Іванова"},
		{feminineBulgarian, "Георгиев", "Георгиева"},
	} {
		if got := c.v(c.in); got != c.want {
			t.Errorf("%q → %q, want %q", c.in, got, c.want)
		}
	}
	if got := articleVariants("Al-Qahtani"); !reflect.DeepEqual(got, []string{"Al Qahtani", "El-Qahtani", "Alqahtani", "Qahtani"}) {
		t.Errorf("articleVariants: %q", got)
	}
}

// TestEveryNameTransliterates: every name of every table reaches plain
// ASCII letters through the table's variants and folding, so the fold and
// scheme tables cover every letter the name tables use.
func TestEveryNameTransliterates(t *testing.T) {
	plain := func(s string) bool {
		for _, r := range s {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == ' ' || r == '-' || r == '\'') {
				return false
			}
		}
		return true
	}
	for _, tb := range tables {
		var all []string
		all = append(all, tb.surnames.names...)
		all = append(all, tb.femaleSurnames...)
		for _, w := range []weighted{tb.male, tb.female, tb.middleMale, tb.middleFemale} {
			all = append(all, w.names...)
		}
		for _, name := range all {
			if tb.script == latin {
				if got := foldPlain(name); !plain(got) {
					t.Errorf("%s %q folds to %q", tb.code, name, got)
				}
				continue
			}
			if len(tb.variants) == 0 {
				t.Fatalf("%s: a non-Latin table without transliterations", tb.code)
			}
			for _, v := range tb.variants {
				if got := foldPlain(v(name)); !plain(got) {
					t.Errorf("%s %q transliterates to %q", tb.code, name, got)
				}
			}
		}
	}
}

func BenchmarkPerson(b *testing.B) {
	g := New(1)
	for i := 0; b.Loop(); i++ {
		_ = g.Person(i)
	}
}

func BenchmarkDocument(b *testing.B) {
	g := New(1)
	for i := 0; b.Loop(); i++ {
		_ = g.Document(i % MaxDocuments)
	}
}

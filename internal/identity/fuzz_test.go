package identity

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

var fuzzNames = []string{
	"Nguyễn Văn Đức", "Müller-Lüdenscheidt", "Sørensen", "Иванов Сергей", "Григорій",
	"Παπαδόπουλος Ευάγγελος", "محمد عبدالله", "فاطمة", "Łukasz", "Şahin", "Þór",
	"O'Neill", "SMITH<<JOHN<PAUL", "MUXXLLER", "Mu\u0308ller", "", "123", "李小龍", "\xff\xfe",
}

func FuzzTransliterate(f *testing.F) {
	for _, s := range fuzzNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		forms := Transliterate(s)
		if len(forms) == 0 || len(forms) > maxVariants {
			t.Fatalf("%q: %d forms", s, len(forms))
		}
		seen := map[string]bool{}
		for _, form := range forms {
			if seen[form] {
				t.Fatalf("%q: form %q repeated in %q", s, form, forms)
			}
			seen[form] = true
			if strings.HasPrefix(form, " ") || strings.HasSuffix(form, " ") || strings.Contains(form, "  ") {
				t.Fatalf("%q: form %q has stray spaces", s, form)
			}
			for i := 0; i < len(form); i++ {
				if c := form[i]; c != ' ' && (c < 'A' || c > 'Z') {
					t.Fatalf("%q: form %q holds %q, outside A–Z and space", s, form, c)
				}
			}
		}
		if len(forms) > 1 && forms[0] == "" {
			t.Fatalf("%q: empty primary among %q", s, forms)
		}
		// Already in the MRZ alphabet, the primary form is its own primary.
		if again := Transliterate(forms[0]); again[0] != forms[0] {
			t.Fatalf("%q: primary %q transliterates to %q", s, forms[0], again[0])
		}
	})
}

func FuzzDecodePrepared(f *testing.F) {
	for _, s := range fuzzNames {
		f.Add(Prepare(Person{Name: Name{Surname: s, Given: s}, Birth: Date{1980, 2, 29}, Nationality: "VNM"}).Encode())
	}
	f.Add("1|00000000|||")
	f.Add("1|19800115|VNM|NGUYEN;NGUIEN|VAN DUC")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := DecodePrepared(s)
		if err != nil {
			return
		}
		if enc := p.Encode(); enc != s {
			t.Fatalf("decoded %q, encodes back to %q", s, enc)
		}
		again, err := DecodePrepared(p.Encode())
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("%q: round trip gave %+v, %v; want %+v", s, again, err, p)
		}
		_ = p.Keys()
		_ = Match(p, p)
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("NGUYEN<<VAN<DUC", "", "Nguyễn", "Văn Đức", 1980, 1, 15, 1980, 0, 0)
	f.Add("SMYTH", "JOHN", "Smith", "John Paul", 1980, 1, 15, 1981, 1, 15)
	f.Add("MOHAMMED", "ALI", "محمد", "علي", 0, 0, 0, 1975, 6, 12)
	f.Add("A", "B", "B", "A", 1, 2, 3, 3, 2, 1)
	f.Fuzz(func(t *testing.T, qs, qg, rs, rg string, qy, qm, qd, ry, rm, rd int) {
		qDate, rDate := Date{qy, qm, qd}, Date{ry, rm, rd}
		if qDate.check() != nil || rDate.check() != nil {
			return
		}
		q := Prepare(Person{Name: Name{qs, qg}, Birth: qDate})
		r := Prepare(Person{Name: Name{rs, rg}, Birth: rDate})
		res := Match(q, r)
		for _, v := range []float64{res.Score, res.Name, res.Date} {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("Match(%+v, %+v) = %+v: a figure outside [0, 1]", q, r, res)
			}
		}
		if len(res.Why) == 0 {
			t.Fatalf("Match(%+v, %+v): no reason", q, r)
		}
		if s := MatchScore(q, r); s != res.Score {
			t.Fatalf("MatchScore %v, Match %v", s, res.Score)
		}
		// Anyone with a name and a full birth date matches themselves fully.
		q.Birth = Date{1980, 1, 15}
		if self := Match(q, q); (q.Surname != nil || q.Given != nil) && self.Score != 1 {
			t.Fatalf("Match(p, p) = %+v for %+v, want 1", self, q)
		}
	})
}

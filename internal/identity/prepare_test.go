package identity

import (
	"reflect"
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	p := Prepare(Person{Name: Name{Surname: "Müller", Given: "Hans-Jürgen"}, Birth: Date{Year: 1975, Month: 6}, Nationality: "deu"})
	want := Prepared{
		Surname:     [][]string{{"MUELLER"}, {"MULLER"}, {"MUXXLLER"}},
		Given:       [][]string{{"HANS", "JUERGEN"}, {"HANS", "JURGEN"}, {"HANS", "JUXXRGEN"}},
		Birth:       Date{Year: 1975, Month: 6},
		Nationality: "DEU",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Prepare = %+v, want %+v", p, want)
	}
	if got, enc := p.Encode(), "1|19750600|DEU|MUELLER;MULLER;MUXXLLER|HANS JUERGEN;HANS JURGEN;HANS JUXXRGEN"; got != enc {
		t.Errorf("Encode = %q, want %q", got, enc)
	}

	// A whole MRZ name field, and an MRZ nationality with fillers.
	mrz := Prepare(Person{Name: Name{Surname: "DO<<THI<HUONG<<<<<<"}, Nationality: "D<<"})
	if !reflect.DeepEqual(mrz.Surname, [][]string{{"DO"}}) || !reflect.DeepEqual(mrz.Given, [][]string{{"THI", "HUONG"}}) || mrz.Nationality != "DEU" {
		t.Errorf("MRZ field: %+v", mrz)
	}
	// A part without letters is nil.
	if empty := Prepare(Person{Name: Name{Surname: "李", Given: " - "}}); empty.Surname != nil || empty.Given != nil {
		t.Errorf("no letters: %+v", empty)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	people := []Person{
		{Name: Name{"Nguyễn", "Văn Đức"}, Birth: Date{1980, 1, 15}, Nationality: "VNM"},
		{Name: Name{"Иванов", "Сергей"}, Birth: Date{Year: 1975}},
		{Name: Name{"", "Madonna"}},
		{Name: Name{"Jörg Müller-Lüdenscheidt", "Ångström"}, Birth: Date{Day: 3}},
		{},
	}
	for _, person := range people {
		p := Prepare(person)
		got, err := DecodePrepared(p.Encode())
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("%v: decoded %+v, %v; want %+v", person.Name, got, err, p)
		}
	}
}

func TestDecodePreparedErrors(t *testing.T) {
	cases := map[string]string{
		"":                               "want 5 fields",
		"1|19800115|VNM|NGUYEN":          "want 5 fields",
		"1|19800115|VNM|NGUYEN|VAN|X":    "want 5 fields",
		"2|19800115|VNM|NGUYEN|VAN":      `version "2"`,
		"1|1980011|VNM|NGUYEN|VAN":       "not 8 digits",
		"1|19801315|VNM|NGUYEN|VAN":      "month 13 does not exist",
		"1|19800230|VNM|NGUYEN|VAN":      "day 30 does not exist in month 02",
		"1|19800115|VNMX|NGUYEN|VAN":     "not up to 3 letters",
		"1|19800115|vnm|NGUYEN|VAN":      "not up to 3 letters",
		"1|19800115|VNM|Nguyen|VAN":      "surname: variant",
		"1|19800115|VNM|NGUYEN|":         "", // an empty part is fine
		"1||VNM||":                       "not 8 digits",
		"1|19800115|VNM|NGUYEN;;NG|VAN":  "surname: variant",
		"1|19800115|VNM|NGUYEN|VAN  DUC": "given names: variant",
		"1|19800115|VNM|NGUYEN|VAN DUC ": "given names: variant",
		"1|19800115|VNM|NGUYEN|VAN;":     "given names: variant",
	}
	for s, msg := range cases {
		_, err := DecodePrepared(s)
		if msg == "" {
			if err != nil {
				t.Errorf("DecodePrepared(%q): %v", s, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("DecodePrepared(%q): error %v, want one saying %q", s, err, msg)
		}
	}
}

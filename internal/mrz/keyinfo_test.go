package mrz

import (
	"testing"
	"time"
)

func TestKeyInfoFromTheICAOExamples(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		lines []string
		want  string
	}{
		// ICAO 9303-11 Appendix D: the document number keeps its filler.
		{"BAC example", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C<3UTO6908061F9406236ZE184226B<<<<<14"}, "L898902C<369080619406236"},
		{"TD1 specimen", []string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}, "D23145890774081221204159"},
		{"TD2 specimen", []string{"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"}, "D23145890774081221204159"},
	}
	for _, c := range cases {
		d := Parse(c.lines, now)
		got, err := d.KeyInfo()
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
}

func TestKeyInfoLongDocumentNumber(t *testing.T) {
	birth := time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC)
	lines, err := Build(TD1, Fields{DocumentCode: "I", IssuingState: "UTO", Nationality: "UTO", Surname: "STEVENSON",
		GivenNames: "PETER", DocumentNumber: "D23145890734", BirthDate: birth,
		ExpiryDate: time.Date(2030, 4, 15, 0, 0, 0, 0, time.UTC), Sex: "M"})
	if err != nil {
		t.Fatal(err)
	}
	d := Parse(lines, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	got, err := d.KeyInfo()
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := CheckDigit("D23145890734")
	if want := "D23145890734" + string(cd) + lines[1][0:7] + lines[1][8:15]; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestKeyInfoRefusesInvalidMRZ(t *testing.T) {
	d := Parse([]string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<11"}, time.Now())
	if _, err := d.KeyInfo(); err == nil {
		t.Fatal("key information of an invalid MRZ")
	}
}

package lists

import (
	"strings"
	"testing"
	"time"
)

func validPerson() Person {
	return Person{ID: "p-1", Surname: "Nguyễn", GivenNames: "Thị Hương", BirthDate: "1984-03-00",
		Nationality: "VNM", Category: CategoryWatch,
		Aliases: []Alias{{Surname: "Nguyen", GivenNames: "Thi Huong"}, {Surname: "Hương", GivenNames: "Nguyễn Thị", BirthDate: "1984-03-12"}},
		Note:    "seen at\tpost A\nsecond line"}
}

func validDocument() Document {
	return Document{Number: "C01X00T47", IssuingState: "D", Type: "P", Reason: ReasonStolen}
}

func validVisa() Visa {
	return Visa{ID: "v-1", DocumentNumber: "123456789", IssuingState: "IND", Kind: KindVisa,
		ValidFrom: "2026-01-01", ValidUntil: "2026-03-31", Entries: 1, StayDays: 30}
}

func validRegistered() Registered {
	return Registered{DocumentNumber: "L01X00T47", IssuingState: "D", Programme: "border_pass", ValidUntil: "2028-12-31"}
}

func validMovement() Movement {
	return Movement{ID: "01JDQ0000000000000000000AA", DocumentNumber: "AB1234567", IssuingState: "FRA",
		Direction: DirectionEntry, At: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), Gate: "post-a-01"}
}

// expectInvalid asserts the record is refused with a message naming field.
func expectInvalid(t *testing.T, name string, err error, field string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted, want an error naming %q", name, field)
		return
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("%s: error %q does not name %q", name, err, field)
	}
}

func TestValidRecordsPass(t *testing.T) {
	for name, err := range map[string]error{
		"person": validPerson().Validate(), "document": validDocument().Validate(), "visa": validVisa().Validate(),
		"registered": validRegistered().Validate(), "movement": validMovement().Validate(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// ruleCase breaks one rule of a valid record.
type ruleCase[T any] struct {
	name, field string
	edit        func(*T)
}

// checkRules asserts each case's record is refused naming its field.
func checkRules[T interface{ Validate() error }](t *testing.T, valid func() T, cases []ruleCase[T]) {
	t.Helper()
	for _, tc := range cases {
		rec := valid()
		tc.edit(&rec)
		expectInvalid(t, tc.name, rec.Validate(), tc.field)
	}
}

func TestPersonRules(t *testing.T) {
	checkRules(t, validPerson, []ruleCase[Person]{
		{"no id", "id", func(p *Person) { p.ID = "" }},
		{"id with space", "id", func(p *Person) { p.ID = "p 1" }},
		{"id not ASCII", "id", func(p *Person) { p.ID = "p-é" }},
		{"id too long", "id", func(p *Person) { p.ID = strings.Repeat("x", MaxIDBytes+1) }},
		{"no surname", "surname", func(p *Person) { p.Surname = "" }},
		{"surname spaces only", "surname", func(p *Person) { p.Surname = "   " }},
		{"surname untrimmed", "surname", func(p *Person) { p.Surname = " Lê" }},
		{"surname too long", "surname", func(p *Person) { p.Surname = strings.Repeat("ễ", 67) }},
		{"surname bad UTF-8", "surname", func(p *Person) { p.Surname = "M\xfcller" }},
		{"surname control", "surname", func(p *Person) { p.Surname = "Mül\x07ler" }},
		{"given control", "given_names", func(p *Person) { p.GivenNames = "Anna\nMaria" }},
		{"birth date format", "birth_date", func(p *Person) { p.BirthDate = "12.03.1984" }},
		{"birth date empty", "birth_date", func(p *Person) { p.BirthDate = "" }},
		{"birth month 13", "birth_date", func(p *Person) { p.BirthDate = "1984-13-01" }},
		{"birth day 32", "birth_date", func(p *Person) { p.BirthDate = "1984-01-32" }},
		{"30 February", "birth_date", func(p *Person) { p.BirthDate = "0000-02-30" }},
		{"29 February not leap", "birth_date", func(p *Person) { p.BirthDate = "1983-02-29" }},
		{"year 1700", "birth_date", func(p *Person) { p.BirthDate = "1700-01-01" }},
		{"nationality long", "nationality", func(p *Person) { p.Nationality = "VNMX" }},
		{"nationality lower", "nationality", func(p *Person) { p.Nationality = "vnm" }},
		{"nationality DEU", "nationality", func(p *Person) { p.Nationality = "DEU" }},
		{"category", "category", func(p *Person) { p.Category = "suspect" }},
		{"alias no surname", "aliases[1]", func(p *Person) { p.Aliases = []Alias{p.Aliases[0], {GivenNames: "X"}} }},
		{"alias birth date", "aliases[0]: birth_date", func(p *Person) { p.Aliases = []Alias{{Surname: "X", BirthDate: "1984-02-30"}} }},
		{"too many aliases", "aliases", func(p *Person) { p.Aliases = make([]Alias, MaxAliases+1) }},
		{"note control", "note", func(p *Person) { p.Note = "a\rb" }},
		{"note too long", "note", func(p *Person) { p.Note = strings.Repeat("n", MaxNoteBytes+1) }},
	})
	for _, date := range []string{"0000-00-00", "1984-00-00", "1984-05-00", "1984-00-17", "0000-02-29", "1984-02-29", "2008-12-31"} {
		p := validPerson()
		p.BirthDate = date
		if err := p.Validate(); err != nil {
			t.Errorf("birth date %s refused: %v", date, err)
		}
	}
	p := validPerson()
	p.Nationality, p.GivenNames, p.Aliases, p.Note = "", "", nil, ""
	if err := p.Validate(); err != nil {
		t.Errorf("unknown nationality, no given names: %v", err)
	}
	p.Nationality = "D"
	if err := p.Validate(); err != nil {
		t.Errorf("nationality D: %v", err)
	}
}

func TestDocumentRules(t *testing.T) {
	checkRules(t, validDocument, []ruleCase[Document]{
		{"no number", "document_number", func(d *Document) { d.Number = "" }},
		{"number lower case", "canonical", func(d *Document) { d.Number = "c01x00t47" }},
		{"number with filler", "canonical", func(d *Document) { d.Number = "C01X00T4<" }},
		{"number with symbol", "document_number", func(d *Document) { d.Number = "C01X00T4*" }},
		{"number too long", "document_number", func(d *Document) { d.Number = strings.Repeat("1", 21) }},
		{"no state", "issuing_state", func(d *Document) { d.IssuingState = "" }},
		{"state digits", "issuing_state", func(d *Document) { d.IssuingState = "F1A" }},
		{"state two letters", "issuing_state", func(d *Document) { d.IssuingState = "FR" }},
		{"type", "document_type", func(d *Document) { d.Type = "X" }},
		{"type long", "document_type", func(d *Document) { d.Type = "PPP" }},
		{"type empty", "document_type", func(d *Document) { d.Type = "" }},
		{"reason", "reason", func(d *Document) { d.Reason = "destroyed" }},
	})
	for _, typ := range []string{"P", "PP", "I", "ID", "AC", "C", "V"} {
		d := validDocument()
		d.Type = typ
		if err := d.Validate(); err != nil {
			t.Errorf("type %s refused: %v", typ, err)
		}
	}
	d := validDocument()
	d.Number = strings.Repeat("9", MaxDocumentNumberLen)
	if err := d.Validate(); err != nil {
		t.Errorf("20-character number refused: %v", err)
	}
}

func TestVisaRegisteredMovementRules(t *testing.T) {
	checkRules(t, validVisa, []ruleCase[Visa]{
		{"no id", "id", func(v *Visa) { v.ID = "" }},
		{"number", "document_number", func(v *Visa) { v.DocumentNumber = "12 34" }},
		{"state", "issuing_state", func(v *Visa) { v.IssuingState = "in" }},
		{"kind", "kind", func(v *Visa) { v.Kind = "permit" }},
		{"from", "valid_from", func(v *Visa) { v.ValidFrom = "2026-1-1" }},
		{"until", "valid_until", func(v *Visa) { v.ValidUntil = "2026-02-30" }},
		{"until unknown day", "valid_until", func(v *Visa) { v.ValidUntil = "2026-02-00" }},
		{"until before from", "before valid_from", func(v *Visa) { v.ValidUntil = "2025-12-31" }},
		{"entries", "entries", func(v *Visa) { v.Entries = -1 }},
		{"stay", "stay_days", func(v *Visa) { v.StayDays = -5 }},
	})
	v := validVisa()
	v.ValidUntil = v.ValidFrom
	if err := v.Validate(); err != nil {
		t.Errorf("one-day visa refused: %v", err)
	}
	checkRules(t, validRegistered, []ruleCase[Registered]{
		{"number", "document_number", func(r *Registered) { r.DocumentNumber = "" }},
		{"state", "issuing_state", func(r *Registered) { r.IssuingState = "DE" }},
		{"programme", "programme", func(r *Registered) { r.Programme = "Border Pass" }},
		{"no programme", "programme", func(r *Registered) { r.Programme = "" }},
		{"until", "valid_until", func(r *Registered) { r.ValidUntil = "" }},
	})
	checkRules(t, validMovement, []ruleCase[Movement]{
		{"id", "id", func(m *Movement) { m.ID = "" }},
		{"number", "document_number", func(m *Movement) { m.DocumentNumber = "AB-1" }},
		{"state", "issuing_state", func(m *Movement) { m.IssuingState = "" }},
		{"direction", "direction", func(m *Movement) { m.Direction = "in" }},
		{"time", "at", func(m *Movement) { m.At = time.Time{} }},
		{"gate", "gate", func(m *Movement) { m.Gate = "gate 1" }},
	})
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{"ab-123 45": "AB12345", "C01X00T47<<": "C01X00T47", " l01x-00t47 ": "L01X00T47", "": ""} {
		if got := NormaliseDocumentNumber(in); got != want {
			t.Errorf("NormaliseDocumentNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"D<<": "D", "d": "D", "DEU": "D", " deu ": "D", "fra": "FRA", "UTO": "UTO", "": ""} {
		if got := NormaliseState(in); got != want {
			t.Errorf("NormaliseState(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"I<": "I", "id": "ID", " p ": "P", "A C": "AC"} {
		if got := NormaliseDocumentType(in); got != want {
			t.Errorf("NormaliseDocumentType(%q) = %q, want %q", in, got, want)
		}
	}
}

package lists

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const personsHeader = "surname,given_names,birth_date,nationality,category"

// wantRows checks the bad rows' line numbers and that each message holds
// its expected fragment.
func wantRows(t *testing.T, bad []RowError, want map[int]string) {
	t.Helper()
	got := map[int]string{}
	for _, b := range bad {
		got[b.Line] = b.Err
	}
	for line, frag := range want {
		msg, ok := got[line]
		if !ok {
			t.Errorf("no error on line %d (want %q); got %v", line, frag, bad)
		} else if !strings.Contains(msg, frag) {
			t.Errorf("line %d: %q does not say %q", line, msg, frag)
		}
	}
	if len(bad) != len(want) {
		t.Errorf("%d bad rows, want %d: %v", len(bad), len(want), bad)
	}
}

func TestReadPersonsCSV(t *testing.T) {
	in := "\uFEFF" + personsHeader + ",note,id,aliases\n" + // 1
		"Nguyễn,Thị Hương,1984-03-00,vnm,Watch,,,\"Nguyen, Thi Huong; Hương, Nguyễn Thị [1984-03-12]\"\n" + // 2
		"\n" + // 3: blank
		" Müller , Jürgen ,1961-07-14,DEU,entry_ban,\"two\nline note\",m-1,\n" + // 4-5
		"Šimek,Jan,1970-01-01,CZE,wanted,,,\n" + // 6
		"Иванов,Сергей,1975-13-01,RUS,watch,,,\n" + // 7: bad month
		",Anna,1975-01-01,POL,watch,,,\n" + // 8: no surname
		"Kowalska,Anna,1975-01-01,POL\n" + // 9: short row
		"Nguyễn,Thị  Hương,1984-03-00,VNM,wanted,,,\n" + // 10: same person as line 2 (spacing, case)
		"Lee,Ann,1990-01-01,GBR,watch,,m-1,\n" + // 11: id of line 4
		"Lee,Ann,1990-01-01,GB,watch,,,\n" + // 12: bad nationality
		"Lee,Ann,1990-01-01,GBR,suspect,,,\n" + // 13: bad category
		"Lee,Ann,1990-01-01,GBR,watch,,,\"[1990-01-01]\"\n" + // 14: alias without a surname
		"Lee,Ann,1990-01-01,GBR,watch,,,\"Li, An [1990-02-30]\"\n" + // 15: alias date
		",,,,,,,\n" + // 16: blank row
		"Ødegård,,0000-00-00,,exit_ban,,,\n" // 17
	persons, bad, err := ReadPersonsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, bad, map[int]string{
		7:  "birth_date",
		8:  "surname",
		9:  "4 fields; the header has 8",
		10: "the same person as line 2",
		11: "the same person as line 4",
		12: "nationality",
		13: "category",
		14: "aliases: entry 1",
		15: "aliases[0]: birth_date",
	})
	if len(persons) != 4 {
		t.Fatalf("%d persons, want 4: %+v", len(persons), persons)
	}
	p := persons[0]
	if p.Surname != "Nguyễn" || p.GivenNames != "Thị Hương" || p.Nationality != "VNM" || p.Category != CategoryWatch || p.ID != PersonID(p) || !strings.HasPrefix(p.ID, "csv-") || len(p.ID) != 20 {
		t.Errorf("first person: %+v", p)
	}
	wantAliases := []Alias{{Surname: "Nguyen", GivenNames: "Thi Huong"}, {Surname: "Hương", GivenNames: "Nguyễn Thị", BirthDate: "1984-03-12"}}
	if !reflect.DeepEqual(p.Aliases, wantAliases) {
		t.Errorf("aliases: %+v", p.Aliases)
	}
	m := persons[1]
	if m.ID != "m-1" || m.Surname != "Müller" || m.GivenNames != "Jürgen" || m.Nationality != "D" || m.Note != "two\nline note" {
		t.Errorf("second person: %+v", m)
	}
	if o := persons[3]; o.Surname != "Ødegård" || o.Nationality != "" || o.GivenNames != "" || o.Aliases != nil {
		t.Errorf("last person: %+v", o)
	}
}

func TestReadDocumentsCSV(t *testing.T) {
	in := "document_number,issuing_state,document_type,reason\r\n" + // 1
		"c01x-00t47,D<<,p,Stolen\r\n" + // 2
		"C01X00T47,DEU,P,lost\r\n" + // 3: the same document
		"AB 123 456,FRA,ID,lost\r\n" + // 4
		"12*45,FRA,P,lost\r\n" + // 5
		"123456789,GBR,P,found\r\n" + // 6
		"123456789,GBR,X,lost\r\n" + // 7
		"\"12\"3,GBR,P,lost\r\n" + // 8: text after a closing quote
		"9a\"b,GBR,P,lost\r\n" + // 9: bare quote
		"123456789,GBR,P,lost,extra\r\n" + // 10
		"123456789,,P,lost\r\n" + // 11
		"123456789,GBR,I<,revoked\r\n" // 12
	docs, bad, err := ReadDocumentsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, bad, map[int]string{
		3: "the same document as line 2", 5: "document_number", 6: "reason", 7: "document_type",
		8: "quoted field", 9: "quote", 10: "5 fields", 11: "issuing_state",
	})
	want := []Document{
		{Number: "C01X00T47", IssuingState: "D", Type: "P", Reason: ReasonStolen},
		{Number: "AB123456", IssuingState: "FRA", Type: "ID", Reason: ReasonLost},
		{Number: "123456789", IssuingState: "GBR", Type: "I", Reason: ReasonRevoked},
	}
	if !reflect.DeepEqual(docs, want) {
		t.Errorf("documents:\n%+v\nwant\n%+v", docs, want)
	}
}

func TestMultiLineFieldsCountLines(t *testing.T) {
	in := personsHeader + ",note\n" + // 1
		"A,B,1980-01-01,FRA,watch,\"one\ntwo\nthree\"\n" + // 2-4
		"\"C\nD\",E,1980-01-01,FRA,watch,\n" + // 5-6: control character in the surname
		"F,G,1980-13-01,FRA,watch,\"x\n\ny\"\n" + // 7-9
		"H,I,1980-01-01,FRA,watch,\n" + // 10
		"J,K,1980-01-01,FRA,watch,\"unclosed\n" // 11-12
	persons, bad, err := ReadPersonsCSV(strings.NewReader(in + "L,M,1980-01-01,FRA,watch,\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, bad, map[int]string{5: "surname", 7: "birth_date", 11: "quoted field"})
	if len(persons) != 2 || persons[1].Surname != "H" {
		t.Errorf("persons: %+v", persons)
	}
}

func TestCSVHeaders(t *testing.T) {
	for _, in := range []string{
		"", "\uFEFF",
		"surname,given_names,birth_date,nationality\n",
		"given_names,surname,birth_date,nationality,category\n",
		"Surname,given_names,birth_date,nationality,category\n",
		personsHeader + ",nickname\n",
		personsHeader + ",id,id\n",
		"\"unclosed\n",
	} {
		_, _, err := ReadPersonsCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), personsHeader) {
			t.Errorf("header %q: err = %v, want one naming the expected header", in, err)
		}
	}
	_, _, err := ReadDocumentsCSV(strings.NewReader("document_number,issuing_state,document_type,reason,note\n"))
	if err == nil || !strings.Contains(err.Error(), "document_number,issuing_state,document_type,reason") {
		t.Errorf("documents with an extra column: %v", err)
	}
	persons, bad, err := ReadPersonsCSV(strings.NewReader(personsHeader + "\n"))
	if err != nil || len(persons) != 0 || len(bad) != 0 {
		t.Errorf("header only: %v %v %v", persons, bad, err)
	}
	wantErr := errors.New("disk on fire")
	if _, _, err := ReadDocumentsCSV(iotest.ErrReader(wantErr)); !errors.Is(err, wantErr) {
		t.Errorf("read error: %v", err)
	}
	tail := io.MultiReader(strings.NewReader(personsHeader+"\nA,B,1980-01-01,FRA,watch\n"), iotest.ErrReader(wantErr))
	if _, _, err := ReadPersonsCSV(tail); !errors.Is(err, wantErr) {
		t.Errorf("read error after rows: %v", err)
	}
}

func TestPersonIDStable(t *testing.T) {
	p := Person{Surname: "Müller", GivenNames: "Hans  Peter", BirthDate: "1961-07-14", Nationality: "DEU", Category: CategoryWatch}
	q := Person{Surname: " MÜLLER", GivenNames: "hans peter", BirthDate: "1961-07-14", Nationality: "d", Category: CategoryWanted, Note: "x"}
	if PersonID(p) != PersonID(q) {
		t.Errorf("same person, different ids: %s %s", PersonID(p), PersonID(q))
	}
	for _, r := range []Person{
		{Surname: "Müller", GivenNames: "Hans Peter", BirthDate: "1961-07-15", Nationality: "D"},
		{Surname: "Muller", GivenNames: "Hans Peter", BirthDate: "1961-07-14", Nationality: "D"},
		{Surname: "Müller", GivenNames: "Hans", BirthDate: "1961-07-14", Nationality: "D"},
		{Surname: "Müller", GivenNames: "Hans Peter", BirthDate: "1961-07-14", Nationality: "AUT"},
		{Surname: "Müller Hans", GivenNames: "Peter", BirthDate: "1961-07-14", Nationality: "D"},
	} {
		if PersonID(r) == PersonID(p) {
			t.Errorf("%+v has the id of %+v", r, p)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	persons := []Person{validPerson(), {ID: "x/2", Surname: "O'Brien, Jr", GivenNames: `Seán "Jack"`, BirthDate: "0000-00-00", Category: CategoryWanted,
		Aliases: []Alias{{Surname: "OBrien", GivenNames: "Sean, Jack"}, {Surname: "Ó Briain"}}}}
	var buf bytes.Buffer
	if err := WritePersonsCSV(&buf, persons); err != nil {
		t.Fatal(err)
	}
	got, bad, err := ReadPersonsCSV(&buf)
	if err != nil || len(bad) != 0 || !reflect.DeepEqual(got, persons) {
		t.Errorf("persons round trip: err %v, bad %v\n%+v\nwant\n%+v", err, bad, got, persons)
	}
	docs := []Document{validDocument(), {Number: "AB123456", IssuingState: "FRA", Type: "ID", Reason: ReasonLost}}
	buf.Reset()
	if err := WriteDocumentsCSV(&buf, docs); err != nil {
		t.Fatal(err)
	}
	gotDocs, bad, err := ReadDocumentsCSV(&buf)
	if err != nil || len(bad) != 0 || !reflect.DeepEqual(gotDocs, docs) {
		t.Errorf("documents round trip: err %v, bad %v, %+v", err, bad, gotDocs)
	}
	buf.Reset()
	if err := WriteDocumentsCSV(&buf, nil); err != nil || buf.String() != "document_number,issuing_state,document_type,reason\n" {
		t.Errorf("empty documents file: %q %v", buf.String(), err)
	}
}

func TestCSVWritersRefuse(t *testing.T) {
	bad := validPerson()
	bad.Category = "suspect"
	if err := WritePersonsCSV(&bytes.Buffer{}, []Person{validPerson(), bad}); err == nil || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), "category") {
		t.Errorf("invalid person: %v", err)
	}
	for _, a := range []Alias{{Surname: "A, B"}, {Surname: "A", GivenNames: "B; C"}, {Surname: "A [x]"}} {
		p := validPerson()
		p.Aliases = []Alias{a}
		if err := WritePersonsCSV(&bytes.Buffer{}, []Person{p}); err == nil || !strings.Contains(err.Error(), "aliases[0]") {
			t.Errorf("alias %+v: %v", a, err)
		}
	}
	d := validDocument()
	d.Number = "ab-1"
	if err := WriteDocumentsCSV(&bytes.Buffer{}, []Document{d}); err == nil || !strings.Contains(err.Error(), "document_number") {
		t.Errorf("non-canonical document: %v", err)
	}
}

// checkReadInvariants: line numbers lie within the input, every row read
// validates, and what was read writes and reads back unchanged.
func checkReadInvariants[T Person | Document](t *testing.T, data []byte, recs []T, bad []RowError,
	write func(*bytes.Buffer, []T) error, read func(*bytes.Buffer) ([]T, []RowError, error)) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, b := range bad {
		if b.Line < 2 || b.Line > lines || b.Err == "" {
			t.Fatalf("row error %+v outside lines 2–%d or without a message", b, lines)
		}
	}
	for _, rec := range recs {
		var err error
		switch r := any(rec).(type) {
		case Person:
			err = r.Validate()
		case Document:
			err = r.Validate()
		}
		if err != nil {
			t.Fatalf("row read but invalid: %+v: %v", rec, err)
		}
	}
	var buf bytes.Buffer
	if err := write(&buf, recs); err != nil {
		t.Fatalf("rows read do not write: %v", err)
	}
	again, bad2, err := read(&buf)
	if err != nil || len(bad2) != 0 || len(again) != len(recs) || (len(recs) > 0 && !reflect.DeepEqual(again, recs)) {
		t.Fatalf("round trip: err %v, bad %v\n%+v\nwant\n%+v", err, bad2, again, recs)
	}
}

func FuzzReadPersonsCSV(f *testing.F) {
	f.Add([]byte(personsHeader + ",id,aliases,note\nNguyễn,Văn Minh,1980-00-00,VNM,watch,,\"Nguyen, Van Minh [1980-01-02]; Minh\",\"a\nb\"\n"))
	f.Add([]byte("\uFEFF" + personsHeader + "\nA,B,1980-01-01,D<<,Wanted\n\"x\ny\",,0000-00-00,,exit_ban\nA,B,1980-01-01,DEU,watch\n"))
	f.Add([]byte(personsHeader + ",note\nA,\"B\"x,1980-01-01,FRA,watch,\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		persons, bad, err := ReadPersonsCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkReadInvariants(t, data, persons, bad,
			func(b *bytes.Buffer, ps []Person) error { return WritePersonsCSV(b, ps) },
			func(b *bytes.Buffer) ([]Person, []RowError, error) { return ReadPersonsCSV(b) })
	})
}

func FuzzReadDocumentsCSV(f *testing.F) {
	f.Add([]byte("document_number,issuing_state,document_type,reason\nc01x-00t47,D<<,p,Stolen\nC01X00T47,DEU,P,lost\n12\"3,FRA,ID,lost\n"))
	f.Add([]byte("\uFEFFdocument_number,issuing_state,document_type,reason\r\n\"AB\r\n12\",fra,I<,revoked\r\n,,,\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, bad, err := ReadDocumentsCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkReadInvariants(t, data, docs, bad,
			func(b *bytes.Buffer, ds []Document) error { return WriteDocumentsCSV(b, ds) },
			func(b *bytes.Buffer) ([]Document, []RowError, error) { return ReadDocumentsCSV(b) })
	})
}

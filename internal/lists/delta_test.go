package lists

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var issued = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func personsDelta() Delta {
	p := validPerson()
	q := validPerson()
	q.ID, q.Surname = "p-2", "Trần"
	return Delta{V: DeltaVersion, List: ListPersons, From: 6, To: 7, IssuedAt: issued, Ops: []Op{
		{Op: OpAdd, Key: p.ID, Person: &p},
		{Op: OpChange, Key: q.ID, Person: &q},
		{Op: OpRemove, Key: "p-3"},
	}}
}

// oneOpDeltas is a valid delta of every list.
func oneOpDeltas() []Delta {
	d, v, r, m := validDocument(), validVisa(), validRegistered(), validMovement()
	mk := func(list string, op Op) Delta {
		return Delta{V: DeltaVersion, List: list, From: 0, To: 1, IssuedAt: issued, Ops: []Op{op}}
	}
	return []Delta{
		personsDelta(),
		mk(ListDocuments, Op{Op: OpAdd, Key: "D/C01X00T47", Document: &d}),
		mk(ListVisas, Op{Op: OpChange, Key: "v-1", Visa: &v}),
		mk(ListRegistered, Op{Op: OpAdd, Key: "D/L01X00T47", Registered: &r}),
		mk(ListMovements, Op{Op: OpAdd, Key: m.ID, Movement: &m}),
		mk(ListDocuments, Op{Op: OpRemove, Key: "UTO/AB123"}),
	}
}

func encode(t *testing.T, d Delta) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeDelta(&buf, d); err != nil {
		t.Fatalf("EncodeDelta: %v", err)
	}
	return buf.Bytes()
}

func TestDeltaRoundTrip(t *testing.T) {
	for _, d := range oneOpDeltas() {
		data := encode(t, d)
		got, err := DecodeDelta(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s delta: %v\n%s", d.List, err, data)
		}
		if again := encode(t, got); !bytes.Equal(again, data) {
			t.Errorf("%s delta changed in a round trip:\n%s\n%s", d.List, data, again)
		}
		if got.List != d.List || got.To != d.To || len(got.Ops) != len(d.Ops) || got.Ops[0].RecordKey() != d.Ops[0].RecordKey() {
			t.Errorf("%s delta decoded as %+v", d.List, got)
		}
	}
	d := personsDelta()
	d.V = 0
	if _, err := DecodeDelta(bytes.NewReader(encode(t, d))); err != nil {
		t.Errorf("EncodeDelta with v 0 should write v %d: %v", DeltaVersion, err)
	}
}

func TestDeltaValidate(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(*Delta)
	}{
		{"unknown list", "list", func(d *Delta) { d.List = "people" }},
		{"skips a version", "from 6 to 8", func(d *Delta) { d.To = 8 }},
		{"negative from", "from -1", func(d *Delta) { d.From, d.To = -1, 0 }},
		{"no issued_at", "issued_at", func(d *Delta) { d.IssuedAt = time.Time{} }},
		{"full from 6", "full delta", func(d *Delta) { d.Full = true }},
		{"full to 0", "full delta", func(d *Delta) { d.Full, d.From, d.To = true, 0, 0 }},
		{"full with change", `op 1 (key "p-2"): a full delta holds only "add"`, func(d *Delta) { d.Full, d.From, d.To = true, 0, 3; d.Ops = d.Ops[:2] }},
		{"full with remove", `op 2 (key "p-3"): a full delta`, func(d *Delta) { d.Full, d.From, d.To = true, 0, 3; d.Ops[1].Op = OpAdd }},
		{"unknown op", `op 0 (key "p-1"): op "upsert"`, func(d *Delta) { d.Ops[0].Op = "upsert" }},
		{"key mismatch", `op 1 (key "p-9"): the key differs`, func(d *Delta) { d.Ops[1].Key = "p-9" }},
		{"no record", `op 0 (key "p-1"): add must carry exactly one "person"`, func(d *Delta) { d.Ops[0].Person = nil }},
		{"wrong record", `carries [document]`, func(d *Delta) {
			doc := validDocument()
			d.Ops[0].Person, d.Ops[0].Document = nil, &doc
		}},
		{"two records", `carries [person document]`, func(d *Delta) { doc := validDocument(); d.Ops[0].Document = &doc }},
		{"bad record", `op 0 (key "p-1"): person: birth_date`, func(d *Delta) { d.Ops[0].Person.BirthDate = "1984-13-01" }},
		{"remove with record", `op 2 (key "p-3"): remove carries only the key`, func(d *Delta) { d.Ops[2].Person = d.Ops[0].Person }},
		{"remove bad key", `op 2 (key "p 3"): key`, func(d *Delta) { d.Ops[2].Key = "p 3" }},
		{"remove empty key", `op 2 (key ""): key is empty`, func(d *Delta) { d.Ops[2].Key = "" }},
		{"key twice", `op 2 (key "p-1"): the key is already changed by op 0`, func(d *Delta) { d.Ops[2].Key = "p-1" }},
	}
	for _, tc := range cases {
		d := personsDelta()
		tc.edit(&d)
		err := d.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	doc := Delta{V: 1, List: ListDocuments, From: 1, To: 2, IssuedAt: issued}
	for _, key := range []string{"D", "D/", "DEU/C01X00T47", "D/c01x00t47", "XX/C01"} {
		doc.Ops = []Op{{Op: OpRemove, Key: key}}
		if err := doc.Validate(); err == nil {
			t.Errorf("documents remove with key %q accepted", key)
		}
	}
	doc.Ops = []Op{{Op: OpRemove, Key: "D/C01X00T47"}}
	if err := doc.Validate(); err != nil {
		t.Errorf("documents remove: %v", err)
	}
	empty := Delta{List: ListVisas, From: 0, To: 1, Full: true, IssuedAt: issued}
	if err := empty.Validate(); err != nil {
		t.Errorf("an empty full delta empties the list: %v", err)
	}
}

func TestDecodeDeltaRefuses(t *testing.T) {
	good := string(encode(t, personsDelta()))
	cases := []struct {
		name, data string
		want       error
	}{
		{"not JSON", "{nope", ErrDeltaMalformed},
		{"empty", "", ErrDeltaMalformed},
		{"unknown field", strings.Replace(good, `"list"`, `"colour":"red","list"`, 1), ErrDeltaMalformed},
		{"unknown record field", strings.Replace(good, `"surname"`, `"middle_name":"x","surname"`, 1), ErrDeltaMalformed},
		{"trailing data", good + "{}", ErrDeltaMalformed},
		{"wrong type", strings.Replace(good, `"from":6`, `"from":"six"`, 1), ErrDeltaMalformed},
		{"version 2", strings.Replace(good, `"v":1`, `"v":2`, 1), ErrDeltaVersion},
		{"no version", strings.Replace(good, `"v":1,`, ``, 1), ErrDeltaVersion},
		{"invalid", strings.Replace(good, `"to":7`, `"to":9`, 1), ErrDeltaInvalid},
		{"too large", good[:len(good)-2] + `,"pad":"` + strings.Repeat("x", MaxDeltaBytes) + `"}`, ErrDeltaTooLarge},
	}
	for _, tc := range cases {
		if _, err := DecodeDelta(strings.NewReader(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := DecodeDelta(strings.NewReader(good + "\n\n")); err != nil {
		t.Errorf("trailing white space refused: %v", err)
	}
}

func TestEncodeDeltaRefuses(t *testing.T) {
	d := personsDelta()
	d.V = 2
	if err := EncodeDelta(&bytes.Buffer{}, d); !errors.Is(err, ErrDeltaVersion) {
		t.Errorf("v 2: %v", err)
	}
	d = personsDelta()
	d.To = 9
	var buf bytes.Buffer
	if err := EncodeDelta(&buf, d); !errors.Is(err, ErrDeltaInvalid) || buf.Len() != 0 {
		t.Errorf("invalid delta: err %v, wrote %d bytes", err, buf.Len())
	}
}

// FuzzDecodeDelta: DecodeDelta never panics; whatever it accepts validates,
// re-encodes, and decodes to the same bytes again.
func FuzzDecodeDelta(f *testing.F) {
	for _, d := range oneOpDeltas() {
		var buf bytes.Buffer
		if err := EncodeDelta(&buf, d); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"v":1,"list":"documents","from":0,"to":1,"full":true,"issued_at":"2026-01-01T00:00:00+02:00","ops":[]}`))
	f.Add([]byte(`{"v":1,"list":"persons","from":1,"to":2,"issued_at":"2026-01-01T00:00:00Z","ops":[{"op":"remove","key":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDelta(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("decoded delta does not validate: %v", err)
		}
		var first bytes.Buffer
		if err := EncodeDelta(&first, d); err != nil {
			t.Fatalf("decoded delta does not encode: %v", err)
		}
		again, err := DecodeDelta(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("re-encoded delta does not decode: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := EncodeDelta(&second, again); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip differs (%v):\n%s\n%s", err, first.Bytes(), second.Bytes())
		}
	})
}

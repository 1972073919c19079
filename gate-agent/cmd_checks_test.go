package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const personsCSV = `surname,given_names,birth_date,nationality,category
Nguyễn,Văn Đức,1980-05-12,VNM,wanted
Müller,Hans Peter,1971-00-00,D,watch
Иванов,Сергей,1990-03-04,RUS,entry_ban
Smith,John,1975-13-01,USA,wanted
Doe,,1970-01-01,UTO,king
`

const documentsCSV = `document_number,issuing_state,document_type,reason
X1234567,UTO,P,stolen
L 765-4321,UTO,P,lost
,UTO,P,lost
`

// importFixture imports the hand-made CSVs into a fresh replica.
func importFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p, d := filepath.Join(dir, "p.csv"), filepath.Join(dir, "d.csv")
	os.WriteFile(p, []byte(personsCSV), 0o644)
	os.WriteFile(d, []byte(documentsCSV), 0o644)
	db := filepath.Join(dir, "lists.db")
	code, out, errOut := runCLI("checks", "import", "--db", db, "--persons", p, "--documents", d)
	// Three bad rows: skipped, reported by line, the rest applied: exit 1.
	if code != 1 {
		t.Fatalf("import: exit %d, want 1 (rows skipped)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{p + ":5:", p + ":6:", d + ":4:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("bad row %s not reported:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "persons=3 (version 1)") || !strings.Contains(out, "documents=2 (version 1)") || !strings.Contains(out, "skipped=3") {
		t.Fatalf("summary line: %q", out)
	}
	return db
}

type hitsJSON struct {
	Hits []struct {
		Record struct {
			Surname  string `json:"surname"`
			Category string `json:"category"`
		} `json:"record"`
		Score float64  `json:"score"`
		Why   []string `json:"why"`
	} `json:"hits"`
}

func TestChecksPersonFindsTheHardCases(t *testing.T) {
	db := importFixture(t)
	for _, c := range []struct {
		name, surname, given, dob, nationality string
		want                                   string // surname of the record hit, "" none
	}{
		{"MRZ form of a Vietnamese name", "NGUYEN", "VAN DUC", "1980-05-12", "VNM", "Nguyễn"},
		{"typed with diacritics", "Nguyễn", "Văn Đức", "1980-05-12", "VNM", "Nguyễn"},
		{"names swapped", "VAN DUC", "NGUYEN", "1980-05-12", "VNM", "Nguyễn"},
		{"one letter wrong", "NGUYEM", "VAN DUC", "1980-05-12", "VNM", "Nguyễn"},
		{"umlaut as UE, record's birth date partial", "MUELLER", "HANS PETER", "1971-08-30", "D", "Müller"},
		{"truncated MRZ given names", "MUELLER", "HANS PET", "1971-08-30", "D", "Müller"},
		{"Cyrillic record", "IVANOV", "SERGEI", "1990-03-04", "RUS", "Иванов"},
		{"near miss: another birth date", "NGUYEN", "VAN DUC", "1980-11-02", "VNM", ""},
		{"near miss: another given name", "NGUYEN", "THI LAN", "1980-05-12", "VNM", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI("checks", "person", "--db", db, "--surname", c.surname, "--given", c.given,
				"--dob", c.dob, "--nationality", c.nationality)
			var got hitsJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("exit %d, output not JSON: %v\n%s%s", code, err, out, errOut)
			}
			if c.want == "" {
				if code != 0 || len(got.Hits) != 0 {
					t.Fatalf("exit %d, hits %+v; want none", code, got.Hits)
				}
				return
			}
			if code != 1 || len(got.Hits) == 0 || got.Hits[0].Record.Surname != c.want {
				t.Fatalf("exit %d, hits %+v; want %s", code, got.Hits, c.want)
			}
			if len(got.Hits[0].Why) == 0 || got.Hits[0].Score < 0.85 || got.Hits[0].Score > 1 {
				t.Fatalf("a hit must carry its score and why: %+v", got.Hits[0])
			}
		})
	}
	if code, _, _ := runCLI("checks", "person", "--db", db, "--surname", "X", "--dob", "1980-13-01"); code != 2 {
		t.Fatalf("a bad --dob: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("checks", "person", "--db", filepath.Join(t.TempDir(), "none.db"), "--surname", "X"); code != 2 {
		t.Fatalf("a missing replica: exit %d, want 2", code)
	}
}

func TestChecksDocument(t *testing.T) {
	db := importFixture(t)
	code, out, _ := runCLI("checks", "document", "--db", db, "--number", "X1234567", "--issuing-state", "UTO")
	if code != 1 || !strings.Contains(out, `"stolen"`) {
		t.Fatalf("stolen document: exit %d\n%s", code, out)
	}
	// Stored normalised from "L 765-4321"; asked as printed in an MRZ.
	if code, out, _ = runCLI("checks", "document", "--db", db, "--number", "L7654321<", "--issuing-state", "UTO"); code != 1 {
		t.Fatalf("normalised number: exit %d\n%s", code, out)
	}
	if code, _, _ = runCLI("checks", "document", "--db", db, "--number", "X1234567", "--issuing-state", "ATL"); code != 0 {
		t.Fatalf("another state's document: exit %d, want 0", code)
	}
	if code, _, _ = runCLI("checks", "document", "--db", db, "--number", "X1"); code != 2 {
		t.Fatalf("missing --issuing-state: exit %d, want 2", code)
	}
}

func TestChecksImportRefusesWithoutLosingWhatIsInForce(t *testing.T) {
	db := importFixture(t)
	dir := filepath.Dir(db)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,dob\nX,1\n"), 0o644)
	code, _, errOut := runCLI("checks", "import", "--db", db, "--persons", bad)
	if code != 2 || !strings.Contains(errOut, "surname,given_names,birth_date,nationality,category") {
		t.Fatalf("wrong header: exit %d, want 2 naming the expected header\n%s", code, errOut)
	}
	// A delta with a gap is refused and changes nothing.
	delta := filepath.Join(dir, "gap.json")
	os.WriteFile(delta, []byte(`{"v":1,"list":"documents","from":5,"to":6,"issued_at":"2026-11-24T00:00:00Z","ops":[{"op":"remove","key":"UTO/X1234567"}]}`), 0o644)
	code, _, errOut = runCLI("checks", "apply", "--db", db, delta)
	if code != 2 || !strings.Contains(errOut, "unchanged") {
		t.Fatalf("gap: exit %d, want 2\n%s", code, errOut)
	}
	if code, _, _ := runCLI("checks", "document", "--db", db, "--number", "X1234567", "--issuing-state", "UTO"); code != 1 {
		t.Fatal("the refused delta removed a document in force")
	}
	// The next delta in order applies.
	os.WriteFile(delta, []byte(`{"v":1,"list":"documents","from":1,"to":2,"issued_at":"2026-11-24T00:00:00Z","ops":[{"op":"remove","key":"UTO/X1234567"}]}`), 0o644)
	if code, out, errOut := runCLI("checks", "apply", "--db", db, delta); code != 0 || !strings.Contains(out, "version=1->2") {
		t.Fatalf("in-order delta: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCLI("checks", "document", "--db", db, "--number", "X1234567", "--issuing-state", "UTO"); code != 0 {
		t.Fatal("the applied delta did not remove the document")
	}
	// Replaying it is refused.
	if code, _, _ := runCLI("checks", "apply", "--db", db, delta); code != 2 {
		t.Fatalf("replay: exit %d, want 2", code)
	}
}

func TestChecksVerifyFindsAHalfWrittenFile(t *testing.T) {
	db := importFixture(t)
	if code, out, errOut := runCLI("checks", "verify", "--db", db); code != 0 || !strings.HasPrefix(out, "intact") {
		t.Fatalf("intact replica: exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(t.TempDir(), "half.db")
	os.WriteFile(half, b[:len(b)/2], 0o644)
	code, out, errOut := runCLI("checks", "verify", "--db", half)
	if code != 1 || !strings.HasPrefix(out, "damaged") {
		t.Fatalf("half-written replica: exit %d, want it reported damaged\n%s%s", code, out, errOut)
	}
	// Importing into it is refused, not half-applied.
	p := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(p, []byte(personsCSV), 0o644)
	if code, _, _ := runCLI("checks", "import", "--db", half, "--persons", p); code != 2 {
		t.Fatalf("import into a damaged replica: exit %d, want 2", code)
	}
}

func TestChecksGenerateThenImport(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI("checks", "generate", "--out", dir, "--persons", "500", "--documents", "2000"); code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", code, out, errOut)
	}
	db := filepath.Join(dir, "lists.db")
	code, out, errOut := runCLI("checks", "import", "--db", db, "--persons", filepath.Join(dir, "persons.csv"), "--documents", filepath.Join(dir, "documents.csv"))
	if code != 0 || !strings.Contains(out, "persons=500") || !strings.Contains(out, "documents=2000") {
		t.Fatalf("import of generated lists: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI("checks", "status", "--db", db)
	if code != 0 || !strings.Contains(out, `"size_bytes"`) {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
}

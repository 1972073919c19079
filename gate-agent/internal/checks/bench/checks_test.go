package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"autogate/internal/lists"
)

// tinyArgs run the whole program at a scale a test affords.
func tinyArgs(dir string, persons string) []string {
	return []string{"--persons", persons, "--documents", "20000", "--queries", "200", "--warmup", "10",
		"--delta-documents", "2000", "--delta-persons", "500", "--seed", "7",
		"--db", filepath.Join(dir, "replica.db"), "--out", filepath.Join(dir, "results")}
}

func runTiny(t *testing.T, args []string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestTinyScale runs the benchmark's core on small lists and checks what
// it writes: every figure, a well-formed JSON and SVG, and a second run
// that finds the database as the first left it.
func TestTinyScale(t *testing.T) {
	dir := t.TempDir()
	out := runTiny(t, tinyArgs(dir, "5000"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "build: 5000 persons") {
		t.Errorf("the first run must build the replica; first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "summary: persons=5000 documents=20000 ") || !strings.Contains(last, "recall=") {
		t.Errorf("the last line must be the summary; got %q", last)
	}

	var rep report
	data, err := os.ReadFile(filepath.Join(dir, "results", "checks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("checks.json: %v", err)
	}
	for _, kind := range kinds {
		l, ok := rep.Latency[kind]
		if !ok || l.N == 0 || !(0 < l.P50MS && l.P50MS <= l.P95MS && l.P95MS <= l.P99MS && l.P99MS <= l.MaxMS) {
			t.Errorf("latency %s: %+v (present %v), want n > 0 and 0 < p50 ≤ p95 ≤ p99 ≤ max", kind, l, ok)
		}
	}
	if rep.Documents.Listed != 100 || rep.Documents.ListedFound != 100 || rep.Documents.UnlistedFound != 0 {
		t.Errorf("document lookups: %+v", rep.Documents)
	}
	q := rep.Quality
	if q.Threshold <= 0 || q.Recall <= 0 || q.Recall > 1 || q.FalseHitRate < 0 || q.FalseHitRate > 1 {
		t.Errorf("quality figures out of range: %+v", q)
	}
	falseHits := 0
	for _, n := range q.FalseHits {
		falseHits += n
	}
	if notListed := rep.Latency[kindPersonNotListed].N; len(q.FalseHits) != 3 || falseHits != int(q.FalseHitRate*float64(notListed)+0.5) {
		t.Errorf("false hits by kind %v do not add up to the false hit rate %.4f of %d searches", q.FalseHits, q.FalseHitRate, notListed)
	}
	queries := 0
	for _, v := range listedVariants {
		vq, ok := q.ByVariant[v]
		if !ok || vq.Queries+vq.Missing != 25 || vq.Found > vq.Queries {
			t.Errorf("recall of %s: %+v (present %v), want queries + missing = 25", v, vq, ok)
		}
		queries += vq.Queries
	}
	if queries != rep.Latency[kindPersonListed].N {
		t.Errorf("%d listed queries by variant, %d timed", queries, rep.Latency[kindPersonListed].N)
	}
	if len(rep.Deltas) != 6 || rep.Deltas[0].Added != 2000 || rep.Deltas[1].Added != 500 || rep.Deltas[3].Removed != 200 {
		t.Errorf("deltas: %+v", rep.Deltas)
	}
	for _, d := range rep.Deltas {
		if d.RowsPerS <= 0 || int64(d.Rows) != d.Added+d.Changed+d.Removed {
			t.Errorf("delta %s: %+v", d.Name, d)
		}
	}
	if rep.Database.Counts[lists.ListPersons] != 5000 || rep.Database.Counts[lists.ListDocuments] != 20000 || rep.Database.SizeBytes <= 0 {
		t.Errorf("database after the undo deltas: %+v", rep.Database)
	}
	if len(rep.Targets) != 8 {
		t.Errorf("%d targets, want 4 latencies and 4 delta rates", len(rep.Targets))
	}
	for _, tg := range rep.Targets {
		verdict := "MISS " + tg.Name
		if tg.Pass {
			verdict = "PASS " + tg.Name
		}
		if !strings.Contains(out, "\n"+verdict+": ") {
			t.Errorf("stdout lacks the line %q", verdict)
		}
	}
	checkSVG(t, filepath.Join(dir, "results", "checks-latency.svg"))

	again := runTiny(t, tinyArgs(dir, "5000"))
	if !strings.HasPrefix(again, "build: reused ") {
		t.Errorf("the second run must reuse the database the first left; it printed %q", strings.SplitN(again, "\n", 2)[0])
	}
	other := runTiny(t, tinyArgs(dir, "4000"))
	if !strings.HasPrefix(other, "build: 4000 persons") {
		t.Errorf("a database of other counts must be rebuilt; got %q", strings.SplitN(other, "\n", 2)[0])
	}
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	lines, polylines := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the plot is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "line":
				lines++
			}
		}
	}
	if polylines != len(kinds) || lines < 3 {
		t.Errorf("the plot has %d series and %d lines; want one series per kind (%d) and the target lines", polylines, lines, len(kinds))
	}
}

func TestSummarisePercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarise(ds)
	if l.N != 100 || l.P50MS != 50 || l.P95MS != 95 || l.P99MS != 99 || l.MaxMS != 100 || l.MeanMS != 50.5 {
		t.Fatalf("summarise(1..100 ms) = %+v", l)
	}
	if l := summarise([]time.Duration{3 * time.Millisecond}); l.P50MS != 3 || l.P99MS != 3 {
		t.Fatalf("one sample: %+v", l)
	}
}

// TestListedVariants checks each way of presenting a listed person on a
// hand-made record.
func TestListedVariants(t *testing.T) {
	p := &presenter{rng: rand.New(rand.NewPCG(1, 2)), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nats: []string{"UTO"}}
	person := lists.Person{ID: "x1", Surname: "Müller", GivenNames: "Hans Peter Karl", BirthDate: "1971-05-00", Nationality: "D",
		Category: lists.CategoryWatch, Aliases: []lists.Alias{{Surname: "Miller", GivenNames: "John", BirthDate: "1970-01-02"}}}
	long := person
	long.Surname, long.GivenNames = "Wolfeschlegelsteinhausenberger", "Hubert Blaine Maximilian"
	card := person // 31 characters: too long for an ID card's field only
	card.Surname, card.GivenNames = "González Gutiérrez", "María Pilar"
	for _, tc := range []struct {
		variant, surname, given, birth string
		record                         lists.Person
	}{
		{variantExact, "MUELLER", "HANS PETER KARL", "1971-05-", person},
		{variantSwapped, "HANS PETER KARL", "MUELLER", "1971-05-", person},
		{variantAlternate, "MULLER", "HANS PETER KARL", "1971-05-", person},
		{variantAlias, "MILLER", "JOHN", "1970-01-02", person},
		{variantPartialDate, "MUELLER", "HANS PETER KARL", "1971-", person},
		{variantTruncated, "WOLFESCHLEGELSTEINHAUSENBERGER", "HUBERT", "1971-05-", long},
		{variantTruncated, "GONZALEZ GUTIERREZ", "MARIA PILA", "1971-05-", card},
	} {
		tr, err := p.listed(tc.record, tc.variant)
		if err != nil {
			t.Fatalf("%s: %v", tc.variant, err)
		}
		d := tr.doc
		if d.Surname != tc.surname || d.GivenNames != tc.given || !strings.HasPrefix(d.BirthDate, tc.birth) || tr.personID != "x1" {
			t.Errorf("%s: MRZ %q, %q born %s; want %q, %q born %s…", tc.variant, d.Surname, d.GivenNames, d.BirthDate, tc.surname, tc.given, tc.birth)
		}
	}
	tr, err := p.listed(person, variantMiddle)
	if err != nil || tr.doc.Surname != "MUELLER" || (tr.doc.GivenNames != "HANS KARL" && tr.doc.GivenNames != "HANS PETER") {
		t.Errorf("middle name dropped: %q, %q (%v)", tr.doc.Surname, tr.doc.GivenNames, err)
	}
	tr, err = p.listed(person, variantTypo)
	if err != nil || letterDifferences("MUELLER HANS PETER KARL", tr.doc.Surname+" "+tr.doc.GivenNames) != 1 {
		t.Errorf("typo: %q, %q (%v), want exactly one letter changed", tr.doc.Surname, tr.doc.GivenNames, err)
	}
	short := person
	short.Aliases, short.GivenNames = nil, "Hans"
	for _, v := range []string{variantAlias, variantMiddle, variantTruncated} {
		if _, err := p.listed(short, v); err != errNotApplicable {
			t.Errorf("%s on a record it does not fit: %v, want errNotApplicable", v, err)
		}
	}
}

func letterDifferences(a, b string) int {
	if len(a) != len(b) {
		return -1
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestPresentNumberNormalises(t *testing.T) {
	want := []string{"AB1234567", "ab1234567", "AB1234567<<", "AB-1234567"}
	for how, w := range want {
		if got := presentNumber("AB1234567", how); got != w {
			t.Errorf("presentNumber(%d) = %q, want %q", how, got, w)
		}
		if got := lists.NormaliseDocumentNumber(presentNumber("AB1234567", how)); got != "AB1234567" {
			t.Errorf("presentation %d does not normalise back: %q", how, got)
		}
	}
}

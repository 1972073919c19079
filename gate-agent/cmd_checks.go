package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"autogate/gate-agent/internal/checks"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
	"autogate/internal/wire"
)

const checksUsage = `usage: gate-agent checks COMMAND --db FILE [flags]

The gate's replica of the lists (lost, stolen and revoked documents,
persons of interest, visas, registered travellers, movements): a SQLite
file, normally lists.db in the agent's data folder.

  import   --db FILE [--persons P.csv] [--documents D.csv]
           load CSV files in one transaction (a first load, or lists that
           central does not distribute). Persons CSV header:
             surname,given_names,birth_date,nationality,category
           (names as typed, diacritics included; birth_date YYYY-MM-DD with
           00 for an unknown day or month; category wanted, entry_ban,
           exit_ban or watch; optional trailing columns id, aliases, note).
           Documents CSV header:
             document_number,issuing_state,document_type,reason
           (reason lost, stolen or revoked). Bad rows are reported by line
           and skipped. Exit 0 all rows loaded, 1 loaded but rows skipped,
           2 nothing loaded (unreadable file, wrong header, damaged replica).
  person   --db FILE --surname S --given G --dob YYYY-MM-DD --nationality NNN
           [--threshold T]
           search the persons of interest as the gate does; prints JSON
           hits, each with the record, score and why. Exit 0 no hit, 1 hit,
           2 error.
  document --db FILE --number N --issuing-state NNN
           look a document up; JSON as above. Exit 0 no hit, 1 hit, 2 error.
  apply    --db FILE DELTA.json...
           apply versioned deltas in order (each in one transaction); a gap
           or a replay is refused and leaves the replica unchanged. Exit 0
           all applied, 2 at the first refused.
  status   --db FILE     the version, issue date and size of each list (JSON)
  verify   --db FILE     the integrity check the gate runs at start; exit 0
                         intact, 1 damaged, 2 error
  generate --out DIR [--persons N] [--documents N] [--seed S]
           write realistic synthetic persons.csv and documents.csv
`

func cmdChecks(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, checksUsage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) int{
		"import": checksImport, "person": checksPerson, "document": checksDocument,
		"apply": checksApply, "status": checksStatus, "verify": checksVerify, "generate": checksGenerate,
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, checksUsage)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gate-agent checks: unknown command %q\n\n%s", args[0], checksUsage)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

// checksFlags is a sub-command's flag set with the --db flag every one takes.
func checksFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("checks "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gate-agent checks %s --db FILE [flags]\n", name)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nRun 'gate-agent checks --help' for every command.")
	}
	return fs, fs.String("db", "", "the list replica (lists.db in the agent's data folder)")
}

// parseChecks parses args; done is set (with the exit code) when the
// command must stop: --help, a bad flag or a missing --db.
func parseChecks(fs *flag.FlagSet, db *string, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if *db == "" {
		fmt.Fprintln(fs.Output(), "gate-agent checks: --db FILE is required")
		fs.Usage()
		return 2, true
	}
	return 0, false
}

// openReplica opens the replica at path; mustExist refuses to create one
// (a search in a missing file is a typo, not an empty list). A damaged file
// gives a *replica.CorruptError.
func openReplica(path string, mustExist bool) (*replica.Replica, error) {
	if mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%v (import lists first: gate-agent checks import --db %s ...)", err, path)
		}
	}
	return replica.Open(context.Background(), path)
}

// replicaCommand parses a sub-command's flags and opens its replica; a nil
// replica comes with the exit code the command must stop with.
func replicaCommand(fs *flag.FlagSet, db *string, args []string, mustExist bool) (*replica.Replica, int) {
	if code, done := parseChecks(fs, db, args); done {
		return nil, code
	}
	r, err := openReplica(*db, mustExist)
	if err != nil {
		fmt.Fprintf(fs.Output(), "gate-agent %s: %v\n", fs.Name(), err)
		return nil, 2
	}
	return r, 0
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func checksImport(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("import", stderr)
	personsCSV := fs.String("persons", "", "persons of interest CSV")
	documentsCSV := fs.String("documents", "", "lost, stolen and revoked documents CSV")
	if code, done := parseChecks(fs, db, args); done {
		return code
	}
	if *personsCSV == "" && *documentsCSV == "" {
		fmt.Fprintln(stderr, "gate-agent checks import: give --persons P.csv, --documents D.csv or both")
		return 2
	}
	var persons []lists.Person
	var docs []lists.Document
	skipped := 0
	read := func(path string, parse func(io.Reader) ([]lists.RowError, error)) bool {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks import: %v\n", err)
			return false
		}
		defer f.Close()
		bad, err := parse(progressReader(f, path, stderr))
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks import: %s: %v (nothing imported)\n", path, err)
			return false
		}
		for _, b := range bad {
			fmt.Fprintf(stderr, "%s:%d: %s: row skipped\n", path, b.Line, b.Err)
		}
		skipped += len(bad)
		return true
	}
	if *personsCSV != "" && !read(*personsCSV, func(r io.Reader) (bad []lists.RowError, err error) {
		persons, bad, err = lists.ReadPersonsCSV(r)
		return bad, err
	}) {
		return 2
	}
	if *documentsCSV != "" && !read(*documentsCSV, func(r io.Reader) (bad []lists.RowError, err error) {
		docs, bad, err = lists.ReadDocumentsCSV(r)
		return bad, err
	}) {
		return 2
	}
	// A file given, even without rows, is that list as of now.
	if *personsCSV != "" && persons == nil {
		persons = []lists.Person{}
	}
	if *documentsCSV != "" && docs == nil {
		docs = []lists.Document{}
	}
	r, err := openReplica(*db, false)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks import: %v (nothing imported)\n", err)
		return 2
	}
	defer r.Close()
	start := time.Now()
	applied, err := r.Import(context.Background(), persons, docs, time.Now().UTC())
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks import: %v (nothing imported; the lists in force are unchanged)\n", err)
		return 2
	}
	parts := []string{}
	for _, a := range applied {
		parts = append(parts, fmt.Sprintf("%s=%d (version %d)", a.List, a.Added+a.Changed, a.To))
	}
	fmt.Fprintf(stdout, "imported: %s skipped=%d seconds=%.1f\n", strings.Join(parts, " "), skipped, time.Since(start).Seconds())
	if skipped > 0 {
		return 1
	}
	return 0
}

// personHit is one hit as the CLI prints it.
type personHit struct {
	Record      lists.Person `json:"record"`
	MatchedName string       `json:"matched_name"`
	Alias       *lists.Alias `json:"alias,omitempty"`
	Score       float64      `json:"score"`
	NameScore   float64      `json:"name_score"`
	DateScore   float64      `json:"date_score"`
	Why         []string     `json:"why"`
}

func checksPerson(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("person", stderr)
	surname := fs.String("surname", "", "surname, as typed (any script) or as in the MRZ")
	given := fs.String("given", "", "given names")
	dob := fs.String("dob", "", "birth date YYYY-MM-DD (00 for an unknown day or month)")
	nationality := fs.String("nationality", "", "ICAO nationality code, e.g. VNM")
	threshold := fs.Float64("threshold", identity.DefaultThreshold, "score from which a record is a hit (0–1)")
	r, code := replicaCommand(fs, db, args, true)
	if r == nil {
		return code
	}
	defer r.Close()
	if strings.TrimSpace(*surname) == "" && strings.TrimSpace(*given) == "" {
		fmt.Fprintln(stderr, "gate-agent checks person: give --surname and/or --given")
		return 2
	}
	if *dob != "" {
		if _, err := identity.ParseDate(*dob); err != nil {
			fmt.Fprintf(stderr, "gate-agent checks person: --dob: %v\n", err)
			return 2
		}
	}
	start := time.Now()
	q := checks.Query(wire.Document{Surname: *surname, GivenNames: *given, BirthDate: *dob, Nationality: *nationality})
	hits, err := r.FindPersons(context.Background(), q, *threshold)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks person: %v\n", err)
		return 2
	}
	out := struct {
		Query      map[string]string `json:"query"`
		Hits       []personHit       `json:"hits"`
		DurationMS float64           `json:"duration_ms"`
	}{
		Query: map[string]string{"surname": *surname, "given_names": *given, "birth_date": *dob, "nationality": *nationality,
			"mrz_alphabet": strings.Join(identity.Transliterate(*surname), "|") + " / " + strings.Join(identity.Transliterate(*given), "|")},
		Hits:       []personHit{},
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
	}
	for _, h := range hits {
		ph := personHit{Record: h.Person, MatchedName: h.Person.Surname + ", " + h.Person.GivenNames,
			Score: h.Result.Score, NameScore: h.Result.Name, DateScore: h.Result.Date, Why: h.Result.Why}
		if h.Alias >= 0 && h.Alias < len(h.Person.Aliases) {
			a := h.Person.Aliases[h.Alias]
			ph.Alias, ph.MatchedName = &a, a.Surname+", "+a.GivenNames
		}
		out.Hits = append(out.Hits, ph)
	}
	writeJSON(stdout, out)
	if len(hits) > 0 {
		return 1
	}
	return 0
}

func checksDocument(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("document", stderr)
	number := fs.String("number", "", "document number")
	state := fs.String("issuing-state", "", "ICAO code of the issuing state, e.g. UTO")
	r, code := replicaCommand(fs, db, args, true)
	if r == nil {
		return code
	}
	defer r.Close()
	if *number == "" || *state == "" {
		fmt.Fprintln(stderr, "gate-agent checks document: --number and --issuing-state are required")
		return 2
	}
	start := time.Now()
	d, err := r.FindDocument(context.Background(), *state, *number)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks document: %v\n", err)
		return 2
	}
	type docHit struct {
		Record lists.Document `json:"record"`
		Score  float64        `json:"score"`
		Why    []string       `json:"why"`
	}
	out := struct {
		Query      map[string]string `json:"query"`
		Hits       []docHit          `json:"hits"`
		DurationMS float64           `json:"duration_ms"`
	}{
		Query:      map[string]string{"document_number": *number, "issuing_state": *state, "normalised": lists.NormaliseDocumentNumber(*number)},
		Hits:       []docHit{},
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
	}
	if d != nil {
		out.Hits = append(out.Hits, docHit{Record: *d, Score: 1, Why: []string{
			fmt.Sprintf("document number %s and issuing state %s equal a %s document's", d.Number, d.IssuingState, d.Reason)}})
	}
	writeJSON(stdout, out)
	if d != nil {
		return 1
	}
	return 0
}

func checksApply(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("apply", stderr)
	r, code := replicaCommand(fs, db, args, false)
	if r == nil {
		return code
	}
	defer r.Close()
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "gate-agent checks apply: name one or more DELTA.json files")
		return 2
	}
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks apply: %v\n", err)
			return 2
		}
		d, err := lists.DecodeDelta(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks apply: %s: %v (not applied)\n", path, err)
			return 2
		}
		a, err := r.Apply(context.Background(), d)
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks apply: %s: %v (not applied; the list in force is unchanged)\n", path, err)
			return 2
		}
		fmt.Fprintf(stdout, "applied: %s list=%s version=%d->%d added=%d changed=%d removed=%d ms=%.1f\n",
			path, a.List, a.From, a.To, a.Added, a.Changed, a.Removed, float64(a.Duration.Microseconds())/1000)
	}
	return 0
}

func checksStatus(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("status", stderr)
	r, code := replicaCommand(fs, db, args, true)
	if r == nil {
		return code
	}
	defer r.Close()
	ctx := context.Background()
	st, err := r.Versions(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks status: %v\n", err)
		return 2
	}
	size, err := r.Size(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent checks status: %v\n", err)
		return 2
	}
	writeJSON(stdout, map[string]any{"lists": st, "size_bytes": size})
	return 0
}

func checksVerify(args []string, stdout, stderr io.Writer) int {
	fs, db := checksFlags("verify", stderr)
	if code, done := parseChecks(fs, db, args); done {
		return code
	}
	start := time.Now()
	r, err := openReplica(*db, true)
	if err == nil {
		defer r.Close()
		err = r.Verify(context.Background())
	}
	var corrupt *replica.CorruptError
	switch {
	case errors.As(err, &corrupt):
		fmt.Fprintf(stdout, "damaged: %v\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "gate-agent checks verify: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "intact: %s seconds=%.1f\n", *db, time.Since(start).Seconds())
	return 0
}

func checksGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checks generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder for persons.csv and documents.csv")
	nPersons := fs.Int("persons", 10000, "persons of interest")
	nDocs := fs.Int("documents", 50000, "lost, stolen and revoked documents")
	seed := fs.Uint64("seed", 1, "generator seed (same seed, same lists)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *out == "" || *nPersons < 0 || *nDocs < 0 || *nDocs > synth.MaxDocuments {
		fmt.Fprintf(stderr, "gate-agent checks generate: --out DIR is required; --persons ≥ 0; --documents 0 to %d\n", synth.MaxDocuments)
		return 2
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "gate-agent checks generate: %v\n", err)
		return 2
	}
	g := synth.New(*seed)
	write := func(name string, n int, emit func(f io.Writer, bar func()) error) bool {
		path := filepath.Join(*out, name)
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks generate: %v\n", err)
			return false
		}
		bar := newBar(stderr, int64(n), name, false)
		err = emit(f, func() {
			if bar != nil {
				bar.Add(1)
			}
		})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent checks generate: %s: %v\n", path, err)
			return false
		}
		fmt.Fprintf(stdout, "wrote %s (%d rows)\n", path, n)
		return true
	}
	if !write("persons.csv", *nPersons, func(f io.Writer, tick func()) error {
		w := lists.NewPersonsCSVWriter(f)
		if err := g.Persons(*nPersons, func(p lists.Person) error { tick(); return w.Write(p) }); err != nil {
			return err
		}
		return w.Flush()
	}) {
		return 2
	}
	if !write("documents.csv", *nDocs, func(f io.Writer, tick func()) error {
		w := lists.NewDocumentsCSVWriter(f)
		if err := g.Documents(*nDocs, func(d lists.Document) error { tick(); return w.Write(d) }); err != nil {
			return err
		}
		return w.Flush()
	}) {
		return 2
	}
	return 0
}

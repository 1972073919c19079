package replica

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

// query prepares a search the way the gate does from an MRZ (or typed names).
func query(t *testing.T, surname, given, birth string) identity.Prepared {
	t.Helper()
	d, err := identity.ParseDate(birth)
	if err != nil {
		t.Fatal(err)
	}
	return identity.Prepare(identity.Person{Name: identity.Name{Surname: surname, Given: given}, Birth: d})
}

var handMade = []lists.Person{
	{ID: "p-mueller", Surname: "Müller", GivenNames: "Jürgen", BirthDate: "1975-03-14", Nationality: "D", Category: lists.CategoryWanted},
	{ID: "p-nguyen", Surname: "Nguyễn", GivenNames: "Văn Anh", BirthDate: "1988-11-02", Nationality: "VNM", Category: lists.CategoryEntryBan},
	{ID: "p-long", Surname: "Wolfeschlegelsteinhausenbergerdorff", GivenNames: "Hubert Blaine Maximilian", BirthDate: "1964-07-05", Category: lists.CategoryWatch},
	{ID: "p-partial", Surname: "Okonkwo", GivenNames: "Chidi", BirthDate: "1979-00-00", Nationality: "NGA", Category: lists.CategoryWatch},
	{ID: "p-unknown", Surname: "Castellanos", GivenNames: "Ramon", BirthDate: "0000-00-00", Category: lists.CategoryWanted},
	{ID: "p-smith", Surname: "Smith", GivenNames: "John", BirthDate: "1980-01-01", Nationality: "GBR", Category: lists.CategoryWanted},
	{ID: "p-alias", Surname: "Petrov", GivenNames: "Ivan", BirthDate: "1970-06-30", Category: lists.CategoryWanted,
		Aliases: []lists.Alias{{Surname: "Petrovsky", GivenNames: "Jan"}, {Surname: "Ivanov", GivenNames: "Pyotr", BirthDate: "1971-06-30"}}},
}

func handMadeReplica(t *testing.T) *Replica {
	t.Helper()
	r, _ := openTemp(t)
	mustApply(t, r, delta(lists.ListPersons, 0, addOps(handMade, personOp)...))
	// Noise: persons with generated names around them.
	mustApply(t, r, delta(lists.ListPersons, 1, addOps(synthPersons(synth.New(8), 0, 500), personOp)...))
	return r
}

func TestFindPersons(t *testing.T) {
	ctx := context.Background()
	r := handMadeReplica(t)
	for _, tc := range []struct {
		name                  string
		surname, given, birth string
		want                  string // "" when nothing may hit
		alias                 int
	}{
		{"as typed", "Müller", "Jürgen", "1975-03-14", "p-mueller", -1},
		{"MRZ transliteration", "MUELLER", "JUERGEN", "1975-03-14", "p-mueller", -1},
		{"diacritics dropped", "MULLER", "JURGEN", "1975-03-14", "p-mueller", -1},
		{"Vietnamese without diacritics", "NGUYEN", "VAN ANH", "1988-11-02", "p-nguyen", -1},
		{"swapped names", "JURGEN", "MULLER", "1975-03-14", "p-mueller", -1},
		{"one letter wrong", "MULLAR", "JURGEN", "1975-03-14", "p-mueller", -1},
		{"MRZ-truncated", "WOLFESCHLEGELSTEINHAUSENBERGERDO", "HUBERT", "1964-07-05", "p-long", -1},
		{"record birth month and day unknown", "OKONKWO", "CHIDI", "1979-08-21", "p-partial", -1},
		{"record birth date unknown", "CASTELLANOS", "RAMON", "1990-02-03", "p-unknown", -1},
		{"query birth day unknown", "SMITH", "JOHN", "1980-01-00", "p-smith", -1},
		{"alias with the person's birth date", "PETROVSKY", "JAN", "1970-06-30", "p-alias", 0},
		{"alias with its own birth date", "IVANOV", "PYOTR", "1971-06-30", "p-alias", 1},
		{"common surname, other birth date", "SMITH", "JOHN", "1962-07-19", "", 0},
		{"other person entirely", "LINDQVIST", "ASTRID", "1975-03-14", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := r.FindPersons(ctx, query(t, tc.surname, tc.given, tc.birth), identity.DefaultThreshold)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Result.Score > hits[i-1].Result.Score {
					t.Fatalf("hits not sorted by score: %v", hits)
				}
			}
			seen := map[string]bool{}
			for _, h := range hits {
				if seen[h.Person.ID] {
					t.Fatalf("person %s returned twice", h.Person.ID)
				}
				seen[h.Person.ID] = true
				if h.Result.Score < identity.DefaultThreshold {
					t.Fatalf("hit %s below the threshold: %v", h.Person.ID, h.Result)
				}
			}
			if tc.want == "" {
				for _, h := range hits {
					if h.Person.ID[:2] == "p-" {
						t.Fatalf("%s %s %s hit %s (%v)", tc.surname, tc.given, tc.birth, h.Person.ID, h.Result)
					}
				}
				return
			}
			if len(hits) == 0 || hits[0].Person.ID != tc.want {
				t.Fatalf("%s %s %s: hits %v, want %s first", tc.surname, tc.given, tc.birth, ids(hits), tc.want)
			}
			if hits[0].Alias != tc.alias {
				t.Fatalf("hit on alias %d, want %d (%v)", hits[0].Alias, tc.alias, hits[0].Result.Why)
			}
			if want := byID(tc.want); hits[0].Person.Surname != want.Surname || len(hits[0].Person.Aliases) != len(want.Aliases) {
				t.Fatalf("hit carries %+v, want the stored record %+v", hits[0].Person, want)
			}
			if len(hits[0].Result.Why) == 0 {
				t.Fatal("a hit without reasons")
			}
		})
	}
}

func ids(hits []PersonHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Person.ID
	}
	return out
}

func byID(id string) lists.Person {
	for _, p := range handMade {
		if p.ID == id {
			return p
		}
	}
	return lists.Person{}
}

// Changing or removing a person leaves no name or index row of its old
// names behind, and search follows.
func TestPersonChangeAndRemoveKeepTheIndexExact(t *testing.T) {
	ctx := context.Background()
	r := handMadeReplica(t)
	names, keys := rowCount(t, r, "person_names"), rowCount(t, r, "name_keys")
	if keys == 0 {
		t.Fatal("no index rows: identity gives no keys")
	}
	changed := handMade[0]
	changed.Surname, changed.GivenNames = "Lindqvist", "Astrid"
	changed.Aliases = []lists.Alias{{Surname: "Lindgren", GivenNames: "Astrid"}}
	a := mustApply(t, r, delta(lists.ListPersons, 2, personOp(lists.OpChange, changed)))
	if a.Changed != 1 {
		t.Fatalf("Applied %+v, want 1 changed", a)
	}
	if hits, _ := r.FindPersons(ctx, query(t, "MUELLER", "JUERGEN", "1975-03-14"), identity.DefaultThreshold); len(hits) != 0 {
		t.Fatalf("old name still found after change: %v", ids(hits))
	}
	if hits, _ := r.FindPersons(ctx, query(t, "LINDGREN", "ASTRID", "1975-03-14"), identity.DefaultThreshold); len(hits) == 0 || hits[0].Person.ID != changed.ID || hits[0].Alias != 0 {
		t.Fatalf("new alias not found after change: %v", hits)
	}
	if rowCount(t, r, "person_names") != names+1 {
		t.Fatalf("%d names after adding an alias, want %d", rowCount(t, r, "person_names"), names+1)
	}

	for _, p := range handMade {
		mustApply(t, r, delta(lists.ListPersons, status(t, r, lists.ListPersons).Version, lists.Op{Op: lists.OpRemove, Key: p.ID}))
	}
	// Only the generated persons are left: their rows, and no others.
	only, _ := openTemp(t)
	mustApply(t, only, delta(lists.ListPersons, 0, addOps(synthPersons(synth.New(8), 0, 500), personOp)...))
	for _, table := range []string{"persons", "person_names", "name_keys"} {
		if got, want := rowCount(t, r, table), rowCount(t, only, table); got != want {
			t.Errorf("%s: %d rows after removing the hand-made persons, want %d", table, got, want)
		}
	}
	if hits, _ := r.FindPersons(ctx, query(t, "LINDGREN", "ASTRID", "1975-03-14"), identity.DefaultThreshold); len(hits) != 0 {
		t.Fatalf("removed person still found: %v", ids(hits))
	}
	mustVerify(t, r)
}

// A replica indexed by another identity scheme is re-indexed when opened.
func TestReindexWhenTheIdentitySchemeChanged(t *testing.T) {
	ctx := context.Background()
	r, path := openTemp(t)
	mustApply(t, r, delta(lists.ListPersons, 0, addOps(handMade, personOp)...))
	keys := rowCount(t, r, "name_keys")
	// What an older scheme may have left: other keys, and a marker that differs.
	if _, err := r.db.Exec("DELETE FROM name_keys; INSERT INTO name_keys VALUES ('STALE', 1975, 1025); UPDATE meta SET value = 'old' WHERE key = ?", metaIndexScheme); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := rowCount(t, r, "name_keys"); got != keys {
		t.Fatalf("%d index rows after re-indexing, want %d", got, keys)
	}
	if hits, _ := r.FindPersons(ctx, query(t, "MUELLER", "JUERGEN", "1975-03-14"), identity.DefaultThreshold); len(hits) == 0 || hits[0].Person.ID != "p-mueller" {
		t.Fatalf("search after re-indexing: %v", ids(hits))
	}
}

// Keys filed under more names than candidateBudget are searched through
// the query's other keys, or where all are common, through names sharing two.
func TestFindPersonsWithCommonKeys(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	// Other names from the generator, around two common tokens.
	g := synth.New(15)
	var noise []lists.Person
	for i := range candidateBudget + 50 {
		a, b := g.Person(2*i), g.Person(2*i+1)
		noise = append(noise,
			lists.Person{ID: fmt.Sprintf("n%d", i), Surname: "Nguyen", GivenNames: a.GivenNames, BirthDate: "1980-05-05", Category: lists.CategoryWatch},
			lists.Person{ID: fmt.Sprintf("t%d", i), Surname: b.Surname, GivenNames: "Thi " + b.GivenNames, BirthDate: "1980-05-05", Category: lists.CategoryWatch})
	}
	targets := []lists.Person{
		{ID: "both-common", Surname: "Nguyễn", GivenNames: "Thị", BirthDate: "1980-05-05", Category: lists.CategoryWanted},
		{ID: "one-rare", Surname: "Nguyen", GivenNames: "Van Anh", BirthDate: "1980-05-05", Category: lists.CategoryWanted},
	}
	mustApply(t, r, delta(lists.ListPersons, 0, addOps(append(noise, targets...), personOp)...))
	for _, tc := range []struct{ surname, given, want string }{
		{"NGUYEN", "THI", "both-common"},
		{"NGUYEN", "VAN ANH", "one-rare"},
	} {
		q := query(t, tc.surname, tc.given, "1980-05-05")
		whole, common, err := r.search(ctx, identity.CandidateYears(q.Birth)).plan(q.Keys())
		if err != nil || len(common) == 0 {
			t.Fatalf("%s %s: keys %v whole, %v common (%v): the test needs a common key", tc.surname, tc.given, whole, common, err)
		}
		hits, err := r.FindPersons(ctx, q, identity.DefaultThreshold)
		if err != nil || !slices.Contains(ids(hits), tc.want) {
			t.Errorf("%s %s: hits %v (%v), want %s among them", tc.surname, tc.given, ids(hits), err, tc.want)
		}
	}
	// A one-key query takes its whole list, however long.
	hits, err := r.FindPersons(ctx, query(t, "NGUYEN", "", "1980-05-05"), 0)
	if err != nil || len(hits) < candidateBudget {
		t.Fatalf("one-key query: %d hits at threshold 0 (%v), want its whole list", len(hits), err)
	}
}

// The aliases the generator makes (other transliterations, swapped or
// dropped names, typos, other birth dates) searched among the persons
// filed without them: what identity.Match scores as a hit, the search
// must find.
func TestAliasesFindTheirPerson(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	persons := synthPersons(synth.New(16), 0, 4000)
	bare := make([]lists.Person, len(persons))
	for i, p := range persons {
		p.Aliases = nil
		bare[i] = p
	}
	mustApply(t, r, delta(lists.ListPersons, 0, addOps(bare, personOp)...))
	var hits, found int
	for _, p := range persons {
		birth, err := identity.ParseDate(p.BirthDate)
		if err != nil {
			t.Fatal(err)
		}
		record := identity.Prepare(identity.Person{Name: identity.Name{Surname: p.Surname, Given: p.GivenNames}, Birth: birth, Nationality: p.Nationality})
		for _, a := range p.Aliases {
			if a.BirthDate == "" {
				a.BirthDate = p.BirthDate
			}
			q := query(t, a.Surname, a.GivenNames, a.BirthDate)
			if identity.Match(q, record).Score < identity.DefaultThreshold {
				continue
			}
			hits++
			got, err := r.FindPersons(ctx, q, identity.DefaultThreshold)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(ids(got), p.ID) {
				found++
			} else if hits-found <= 5 {
				t.Logf("missed: %s %s %s for %s %s %s", a.Surname, a.GivenNames, a.BirthDate, p.Surname, p.GivenNames, p.BirthDate)
			}
		}
	}
	if hits < 500 {
		t.Fatalf("only %d aliases score as hits: the test needs more", hits)
	}
	if found < hits*995/1000 {
		t.Fatalf("found %d of %d aliases that score as hits, want 99.5 %%", found, hits)
	}
	t.Logf("found %d of %d aliases that score as hits", found, hits)
}

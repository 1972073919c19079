package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"autogate/benchmarks/population"
	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

// ListOptions size the lists the post's gates hold.
type ListOptions struct {
	Persons, Documents int     // synthetic national lists
	HitShare           float64 // share of travellers planted on them
	Seed               int64
}

// ListPlan is what went into the post's lists.
type ListPlan struct {
	Persons, Documents int
	Planted            population.ListHits
	// Dropped counts synthetic records left out because they could match a
	// traveller by chance: every list hit of the run is a planted one, so
	// the plan stays the judge of every decision.
	Dropped int
}

// BuildLists plants list hits among the travellers, writes the national
// lists (synthetic records plus the planted ones) as the CSV files an
// operator imports, and imports them with `gate-agent checks import` into
// Work/lists.db, which every gate then starts with.
func (s *Post) BuildLists(ctx context.Context, pop []population.Traveller, o ListOptions, log io.Writer) (ListPlan, error) {
	var plan ListPlan
	var err error
	if plan.Planted, err = plantHits(pop, o.HitShare, o.Seed); err != nil {
		return plan, err
	}
	dir := filepath.Join(s.Work, "lists")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return plan, err
	}
	near := travellerKeys(pop)
	g := synth.New(uint64(o.Seed))
	personsCSV, docsCSV := filepath.Join(dir, "persons.csv"), filepath.Join(dir, "documents.csv")
	err = writeCSV(personsCSV, lists.NewPersonsCSVWriter, func(emit func(lists.Person) error) error {
		for _, p := range plan.Planted.Persons {
			if err := emit(p); err != nil {
				return err
			}
		}
		plan.Persons = len(plan.Planted.Persons)
		return g.Persons(o.Persons, func(p lists.Person) error {
			if near.person(p) {
				plan.Dropped++
				return nil
			}
			plan.Persons++
			return emit(p)
		})
	})
	if err != nil {
		return plan, err
	}
	err = writeCSV(docsCSV, lists.NewDocumentsCSVWriter, func(emit func(lists.Document) error) error {
		for _, d := range plan.Planted.Documents {
			if err := emit(d); err != nil {
				return err
			}
		}
		plan.Documents = len(plan.Planted.Documents)
		return g.Documents(o.Documents, func(d lists.Document) error {
			if near.documents[lists.DocumentKey(d.IssuingState, d.Number)] {
				plan.Dropped++
				return nil
			}
			plan.Documents++
			return emit(d)
		})
	})
	if err != nil {
		return plan, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.Bin, "gate-agent"), "checks", "import",
		"--db", s.ListsDB(), "--persons", personsCSV, "--documents", docsCSV)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return plan, fmt.Errorf("importing the post's lists: %w", err)
	}
	return plan, nil
}

// ListsDB is the replica every gate of the post starts with.
func (s *Post) ListsDB() string { return filepath.Join(s.Work, "lists", "lists.db") }

// writeCSV streams records into a CSV file through a lists writer.
func writeCSV[T lists.Person | lists.Document](path string, newWriter func(io.Writer) *lists.CSVWriter[T], fill func(emit func(T) error) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := newWriter(f)
	err = fill(w.Write)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// namesakeScore is the match score from which another traveller counts as
// a record's namesake: the gates' default policy.name_threshold (0.85, in
// the agent's config package, which this tree cannot import) less a margin,
// so a near namesake is left out too.
const namesakeScore = 0.80

// plantHits plants list hits (population.PlantListHits) among the
// travellers, but none whose record another traveller's MRZ matches as the
// gates would (identity.MatchScore at the default name threshold, less a
// margin): that record would hit the namesake too, against the plan. The
// soaks met two NGUYEN QUOC BAO born in 1984, and YANG LEI for WANG LEI.
// Such travellers are left out and the hits planted again.
func plantHits(pop []population.Traveller, share float64, seed int64) (population.ListHits, error) {
	if len(pop) == 0 {
		return population.PlantListHits(nil, share, seed), nil
	}
	queries := make([]identity.Prepared, len(pop))
	for i, t := range pop {
		queries[i] = identity.Prepare(identity.Person{
			Name:        identity.Name{Surname: t.Fields.Surname, Given: t.Fields.GivenNames},
			Birth:       identity.Date{Year: t.Fields.BirthDate.Year(), Month: int(t.Fields.BirthDate.Month()), Day: t.Fields.BirthDate.Day()},
			Nationality: t.Fields.Nationality,
		})
	}
	left := namesakes(pop, queries)
	// Each further round leaves out at least one more traveller.
	for range len(pop) + 1 {
		var idx []int
		for i := range pop {
			if !left[i] {
				idx = append(idx, i)
			}
		}
		sub := make([]population.Traveller, len(idx))
		for k, i := range idx {
			sub[k] = pop[i]
		}
		hits := population.PlantListHits(sub, min(1, share*float64(len(pop))/float64(max(1, len(sub)))), seed)
		clash := false
		for _, p := range hits.Persons {
			var k int
			if _, err := fmt.Sscanf(p.ID, "plant-%d", &k); err != nil || k < 0 || k >= len(idx) {
				return hits, fmt.Errorf("planted list record id %q: want plant-N (N the traveller's index); population changed, update plantHits", p.ID)
			}
			birth, _ := identity.ParseDate(p.BirthDate)
			rec := identity.Prepare(identity.Person{Name: identity.Name{Surname: p.Surname, Given: p.GivenNames}, Birth: birth, Nationality: p.Nationality})
			for j := range pop {
				if j != idx[k] && identity.MatchScore(queries[j], rec) >= namesakeScore {
					left[idx[k]], clash = true, true
					break
				}
			}
		}
		if !clash {
			for k, i := range idx {
				pop[i] = sub[k]
			}
			return hits, nil
		}
	}
	return population.ListHits{}, errors.New("planting list hits: every round met a namesake; lower --list-hit-share")
}

// namesakes finds the travellers whose widest record — only the first
// given name, only the birth year, as PlantListHits may write it — another
// traveller's MRZ matches. Comparing only travellers who share a name key
// (the replica's own blocking) keeps it fast; plantHits checks every
// record it planted against everyone anyway.
func namesakes(pop []population.Traveller, queries []identity.Prepared) map[int]bool {
	byKey := map[string][]int{}
	for j, q := range queries {
		for _, k := range q.Keys() {
			byKey[k] = append(byKey[k], j)
		}
	}
	out := map[int]bool{}
	for i, t := range pop {
		f := t.Fields
		given := strings.Fields(f.GivenNames)
		forms := []string{f.GivenNames}
		if len(given) > 1 {
			forms = append(forms, given[0])
		}
		for _, g := range forms {
			rec := identity.Prepare(identity.Person{Name: identity.Name{Surname: f.Surname, Given: g},
				Birth: identity.Date{Year: f.BirthDate.Year()}, Nationality: f.Nationality})
			for _, k := range rec.Keys() {
				for _, j := range byKey[k] {
					if j != i && !out[i] && identity.MatchScore(queries[j], rec) >= namesakeScore {
						out[i] = true
					}
				}
			}
		}
	}
	return out
}

// nearTravellers indexes the travellers' name tokens by birth year, and
// their document keys, to keep chance matches out of the synthetic lists.
type nearTravellers struct {
	tokens    map[string]bool // "YEAR TOKEN"
	documents map[string]bool
}

func travellerKeys(pop []population.Traveller) nearTravellers {
	n := nearTravellers{tokens: map[string]bool{}, documents: map[string]bool{}}
	for _, t := range pop {
		f := t.Fields
		n.documents[lists.DocumentKey(f.IssuingState, f.DocumentNumber)] = true
		for _, tok := range strings.Fields(f.Surname + " " + f.GivenNames) {
			for dy := -1; dy <= 1; dy++ {
				n.tokens[fmt.Sprintf("%d %s", f.BirthDate.Year()+dy, tok)] = true
			}
		}
	}
	return n
}

// person reports whether p (or an alias) shares a surname token and a
// birth year (±1, or unknown) with any traveller.
func (n nearTravellers) person(p lists.Person) bool {
	names := []lists.Alias{{Surname: p.Surname, GivenNames: p.GivenNames, BirthDate: p.BirthDate}}
	names = append(names, p.Aliases...)
	for _, a := range names {
		birth := a.BirthDate
		if birth == "" {
			birth = p.BirthDate
		}
		d, err := identity.ParseDate(birth)
		if err != nil || d.Year == 0 {
			return true // a year-less record could match anyone: keep it out
		}
		for _, v := range identity.Transliterate(a.Surname + " " + a.GivenNames) {
			for _, tok := range strings.Fields(v) {
				if n.tokens[fmt.Sprintf("%d %s", d.Year, tok)] {
					return true
				}
			}
		}
	}
	return false
}

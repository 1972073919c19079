package main

import (
	"context"
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
	plan := ListPlan{Planted: population.PlantListHits(pop, o.HitShare, o.Seed)}
	dir := filepath.Join(s.Work, "lists")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return plan, err
	}
	near := travellerKeys(pop)
	g := synth.New(uint64(o.Seed))
	personsCSV, docsCSV := filepath.Join(dir, "persons.csv"), filepath.Join(dir, "documents.csv")
	err := writeCSV(personsCSV, lists.NewPersonsCSVWriter, func(emit func(lists.Person) error) error {
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

package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/mrz"
)

// How a listed person's MRZ may differ from the record an officer typed.
// Every variant is transliterated first (ICAO 9303-3, primary form unless
// said otherwise) and laid out in a TD3 MRZ, whose 39-character name field
// truncates long names on its own.
const (
	variantExact       = "exact"                     // the record's names and birth date
	variantSwapped     = "swapped"                   // surname and given names exchanged
	variantTypo        = "typo"                      // one letter of one token wrong
	variantMiddle      = "middle_name_dropped"       // a given name after the first left out
	variantTruncated   = "truncated"                 // a name too long for the field, cut by it (TD3, else TD1)
	variantPartialDate = "partial_date"              // the MRZ gives no birth day (or month)
	variantAlias       = "alias"                     // one of the record's aliases
	variantAlternate   = "transliteration_alternate" // Ä as A rather than AE, and the like
)

var listedVariants = []string{variantExact, variantSwapped, variantTypo, variantMiddle,
	variantTruncated, variantPartialDate, variantAlias, variantAlternate}

// errNotApplicable says a variant does not fit a record (no alias, one
// given name, a name that fits the field...): draw another record.
var errNotApplicable = errors.New("the variant does not apply to this record")

// The name fields of a passport's MRZ (TD3) and an ID card's (TD1).
const (
	td3NameWidth = 39
	td1NameWidth = 30
)

// traveller is an MRZ as the document stage hands it to the checks, with
// what the benchmark knows about its holder.
type traveller struct {
	doc      mrz.Document
	personID string // the listed person it presents; "" for someone not listed
	variant  string
}

// presenter lays out generated records as the MRZs travellers present.
type presenter struct {
	rng  *rand.Rand
	now  time.Time
	nats []string
	// Unpresentable counts the records no valid MRZ could be built for
	// (a name that transliterates to nothing, say); they are skipped, and
	// FirstProblem says why the first was.
	Unpresentable int
	FirstProblem  string
}

// mrzName is a name in the MRZ alphabet, one token a slot.
type mrzName struct{ surname, given []string }

func (n mrzName) fieldLength() int {
	l := len(strings.Join(n.surname, "<"))
	if len(n.given) > 0 {
		l += 2 + len(strings.Join(n.given, "<"))
	}
	return l
}

// transliterate gives the tokens of s in the MRZ alphabet: the primary
// form, or with alternate the first alternate form (ok false when s has
// none).
func transliterate(s string, alternate bool) (tokens []string, ok bool) {
	forms := identity.Transliterate(s)
	switch {
	case len(forms) == 0:
		return nil, !alternate
	case alternate && len(forms) < 2:
		return strings.Fields(forms[0]), false
	case alternate:
		return strings.Fields(forms[1]), true
	}
	return strings.Fields(forms[0]), true
}

// birth is a traveller's full birth date consistent with what a record
// knows of it: unknown parts drawn at random.
func (p *presenter) birth(recorded string) (identity.Date, error) {
	d, err := identity.ParseDate(recorded)
	if err != nil {
		return d, fmt.Errorf("birth date %q: %w", recorded, err)
	}
	if d.Year == 0 {
		d.Year = 1940 + p.rng.IntN(69)
	}
	if d.Month == 0 {
		d.Month = 1 + p.rng.IntN(12)
	}
	if d.Day == 0 {
		d.Day = 1 + p.rng.IntN(daysIn(d.Year, d.Month))
	}
	return d, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// freshNumber is a random 9-character document number for a person's
// MRZ: fewer than one in 10⁵ such numbers falls on one of 5 M listed
// documents, too few to move the person-search figures.
func (p *presenter) freshNumber() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := []byte{byte('1' + p.rng.IntN(9))}
	for range 7 {
		b = append(b, alnum[p.rng.IntN(len(alnum))])
	}
	return string(append(b, 'Z'))
}

// listed presents person p in variant v.
func (p *presenter) listed(person lists.Person, v string) (traveller, error) {
	surname, given, recorded := person.Surname, person.GivenNames, person.BirthDate
	if v == variantAlias {
		if len(person.Aliases) == 0 {
			return traveller{}, errNotApplicable
		}
		a := person.Aliases[p.rng.IntN(len(person.Aliases))]
		surname, given = a.Surname, a.GivenNames
		if a.BirthDate != "" {
			recorded = a.BirthDate
		}
	}
	s, sOK := transliterate(surname, v == variantAlternate)
	g, gOK := transliterate(given, v == variantAlternate)
	if v == variantAlternate && !sOK && !gOK {
		return traveller{}, errNotApplicable
	}
	n := mrzName{surname: s, given: g}
	birth, err := p.birth(recorded)
	if err != nil {
		return traveller{}, err
	}
	var monthUnknown, dayUnknown bool
	format, code := mrz.TD3, "P"
	switch v {
	case variantSwapped:
		if len(n.given) == 0 {
			return traveller{}, errNotApplicable
		}
		n.surname, n.given = n.given, n.surname
	case variantTypo:
		if !p.typo(n) {
			return traveller{}, errNotApplicable
		}
	case variantMiddle:
		if len(n.given) < 2 {
			return traveller{}, errNotApplicable
		}
		drop := 1 + p.rng.IntN(len(n.given)-1)
		n.given = append(n.given[:drop:drop], n.given[drop+1:]...)
	case variantTruncated:
		// Names too long for a passport's field are rare (the generator
		// makes none): an ID card's shorter field cuts more of them.
		switch {
		case n.fieldLength() > td3NameWidth:
		case n.fieldLength() > td1NameWidth:
			format, code = mrz.TD1, "ID"
		default:
			return traveller{}, errNotApplicable
		}
	case variantPartialDate:
		dayUnknown = true
		monthUnknown = p.rng.IntN(10) < 3
	}
	nat := person.Nationality
	if nat == "" {
		nat = p.nats[p.rng.IntN(len(p.nats))]
	}
	doc, err := p.mrz(format, code, nat, p.freshNumber(), nat, n, birth, monthUnknown, dayUnknown)
	if err != nil {
		return traveller{}, p.unpresentable(fmt.Errorf("person %s as %s: %w", person.ID, v, err))
	}
	return traveller{doc: doc, personID: person.ID, variant: v}, nil
}

// unpresentable notes a record no MRZ could be built for, and says to
// draw another.
func (p *presenter) unpresentable(err error) error {
	if p.Unpresentable == 0 {
		p.FirstProblem = err.Error()
	}
	p.Unpresentable++
	return errNotApplicable
}

// typo changes one letter of a token of five letters or more (of three
// or more when the name has none that long) in place.
func (p *presenter) typo(n mrzName) bool {
	for _, minLen := range []int{5, 3} {
		var at []*string
		for _, part := range [][]string{n.surname, n.given} {
			for i := range part {
				if len(part[i]) >= minLen {
					at = append(at, &part[i])
				}
			}
		}
		if len(at) == 0 {
			continue
		}
		tok := at[p.rng.IntN(len(at))]
		b := []byte(*tok)
		i := p.rng.IntN(len(b))
		b[i] = byte('A' + (int(b[i]-'A')+1+p.rng.IntN(25))%26)
		*tok = string(b)
		return true
	}
	return false
}

// unlisted presents a person who is not on the list, as their passport
// shows them.
func (p *presenter) unlisted(person lists.Person) (traveller, error) {
	s, _ := transliterate(person.Surname, false)
	g, _ := transliterate(person.GivenNames, false)
	birth, err := p.birth(person.BirthDate)
	if err != nil {
		return traveller{}, err
	}
	nat := person.Nationality
	if nat == "" {
		nat = p.nats[p.rng.IntN(len(p.nats))]
	}
	doc, err := p.mrz(mrz.TD3, "P", nat, p.freshNumber(), nat, mrzName{surname: s, given: g}, birth, false, false)
	if err != nil {
		return traveller{}, p.unpresentable(fmt.Errorf("person %s: %w", person.ID, err))
	}
	return traveller{doc: doc, variant: variantExact}, nil
}

// carrying presents t with document d instead of its own: passports in a
// TD3 MRZ, other documents in a TD1 one (30-character name field).
func (p *presenter) carrying(t traveller, d lists.Document) (traveller, error) {
	format, code := mrz.TD3, "P"
	if !strings.HasPrefix(d.Type, "P") {
		format, code = mrz.TD1, d.Type
	}
	birth, err := identity.ParseDate(t.doc.BirthDate)
	if err != nil {
		return t, err
	}
	n := mrzName{surname: strings.Fields(t.doc.Surname), given: strings.Fields(t.doc.GivenNames)}
	doc, err := p.mrz(format, code, d.IssuingState, lists.NormaliseDocumentNumber(d.Number), t.doc.Nationality, n,
		birth, birth.Month == 0, birth.Day == 0)
	if err != nil {
		return t, fmt.Errorf("document %s: %w", lists.DocumentKey(d.IssuingState, d.Number), err)
	}
	t.doc = doc
	return t, nil
}

// carryingOrSkip is carrying, a document no MRZ can hold counted as
// unpresentable.
func (p *presenter) carryingOrSkip(t traveller, d lists.Document) (traveller, error) {
	t, err := p.carrying(t, d)
	if err != nil {
		return t, p.unpresentable(err)
	}
	return t, nil
}

// mrz builds the MRZ lines and reads them back as the gate's reader does.
func (p *presenter) mrz(format mrz.Format, code, state, number, nationality string, n mrzName, birth identity.Date, monthUnknown, dayUnknown bool) (mrz.Document, error) {
	month, day := max(birth.Month, 1), max(birth.Day, 1)
	lines, err := mrz.Build(format, mrz.Fields{
		DocumentCode: code, IssuingState: state, DocumentNumber: number, Nationality: nationality,
		Surname: strings.Join(n.surname, " "), GivenNames: strings.Join(n.given, " "),
		BirthDate:         time.Date(birth.Year, time.Month(month), day, 0, 0, 0, 0, time.UTC),
		BirthMonthUnknown: monthUnknown || birth.Month == 0, BirthDayUnknown: dayUnknown || birth.Day == 0,
		ExpiryDate: p.now.AddDate(5, 0, 0), Sex: "X",
	})
	if err != nil {
		return mrz.Document{}, err
	}
	doc := mrz.Parse(lines, p.now)
	if !doc.Valid {
		return doc, fmt.Errorf("the MRZ built does not read back: %s", strings.Join(doc.Errors, "; "))
	}
	return doc, nil
}

// maxDraws bounds the records drawn to find one a variant applies to.
const maxDraws = 5000

// listedTravellers presents n listed persons, the variants in turn. A
// variant that fits none of maxDraws records drawn is left out and
// counted in missing.
func (p *presenter) listedTravellers(gen generator, persons, n int) (ts []traveller, missing map[string]int, err error) {
	missing = map[string]int{}
	for i := range n {
		v := listedVariants[i%len(listedVariants)]
		t, err := p.draw(func() (traveller, error) { return p.listed(gen.Person(p.rng.IntN(persons)), v) })
		if err == errNotApplicable {
			missing[v]++
			continue
		}
		if err != nil {
			return ts, missing, err
		}
		ts = append(ts, t)
	}
	return ts, missing, nil
}

// draw calls present until a record fits, up to maxDraws times.
func (p *presenter) draw(present func() (traveller, error)) (traveller, error) {
	for range maxDraws {
		t, err := present()
		if err != errNotApplicable {
			return t, err
		}
	}
	return traveller{}, errNotApplicable
}

// unlistedTravellers presents n persons the generator makes after the
// listed ones (and after those the deltas add): not on the list, drawn
// from the same names.
func (p *presenter) unlistedTravellers(gen generator, first, n int) ([]traveller, error) {
	ts := make([]traveller, 0, n)
	for i := first; len(ts) < n && i < first+maxDraws+n; i++ {
		t, err := p.unlisted(gen.Person(i))
		if err == errNotApplicable {
			continue
		}
		if err != nil {
			return ts, err
		}
		ts = append(ts, t)
	}
	if len(ts) < n {
		return ts, fmt.Errorf("only %d of %d travellers could be presented in an MRZ: %s", len(ts), n, p.FirstProblem)
	}
	return ts, nil
}

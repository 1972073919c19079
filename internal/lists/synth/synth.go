package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"autogate/internal/lists"
)

// MaxDocuments bounds the index of Document and of TravelDocument: every
// state's number pattern holds at least 2·MaxDocuments numbers, so lost
// documents and travellers' documents never share a key.
const MaxDocuments = 1 << 25

// DefaultToday is the reference date of a new Generator: visas and
// registrations are valid around it.
var DefaultToday = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Generator makes synthetic list records. Record i of each kind depends only
// on the seed and i (a PCG stream per record), so records can be made in
// any order, in parallel, or streamed, and the same seed always gives the
// same lists. A Generator is safe for concurrent use once Today is set.
type Generator struct {
	seed uint64
	// Today anchors visa and registration validity (DefaultToday unless
	// set); birth dates do not depend on it.
	Today   time.Time
	formats map[string]docFormats
}

type docFormats struct {
	passport, id *numberFormat
	idType       string
}

// New returns a generator for seed.
func New(seed uint64) *Generator {
	g := &Generator{seed: seed, Today: DefaultToday, formats: map[string]docFormats{}}
	for _, t := range tables {
		spec, ok := documentFormats[t.code]
		if !ok {
			spec = defaultFormats
		}
		f := docFormats{passport: g.numberFormat(t.code, spec.passport), idType: spec.idType}
		if spec.id != "" {
			f.id = g.numberFormat(t.code, spec.id)
		}
		g.formats[t.code] = f
	}
	return g
}

func (g *Generator) numberFormat(state, pattern string) *numberFormat {
	key := mix64(g.seed ^ mix64(uint64(len(state))))
	for _, c := range []byte(state + "/" + pattern) {
		key = mix64(key ^ uint64(c))
	}
	f, err := newNumberFormat(pattern, key)
	if err != nil {
		panic("synth: document format of " + state + ": " + err.Error())
	}
	if f.capacity < 2*MaxDocuments {
		panic(fmt.Sprintf("synth: document format %q of %s holds %d numbers, fewer than 2·MaxDocuments", pattern, state, f.capacity))
	}
	return f
}

// rng is a PCG stream used by value: no allocation per record.
type rng struct{ src rand.PCG }

// Streams keep the kinds of record apart.
const (
	streamPerson uint64 = iota + 1
	streamDocument
	streamTravelDocument
	streamVisa
	streamRegistered
)

func (g *Generator) rng(stream uint64, i int) rng {
	var r rng
	r.src.Seed(mix64(g.seed^0x5851F42D4C957F2D), mix64(stream<<56^uint64(i)))
	return r
}

func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// intN returns 0 ≤ k < n (multiply-shift; the bias is far below 2⁻³²).
func (r *rng) intN(n int) int { return int((r.src.Uint64() >> 32) * uint64(n) >> 32) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// pickShare returns the index of the share u falls into (shares add to 1).
func (r *rng) pickShare(shares ...float64) int {
	u := r.float()
	for i, s := range shares {
		if u < s {
			return i
		}
		u -= s
	}
	return len(shares) - 1
}

// syntheticID is prefix and i, zero-padded to six digits.
func syntheticID(prefix string, i int) string {
	n := strconv.Itoa(i)
	if len(n) < 6 {
		n = strings.Repeat("0", 6-len(n)) + n
	}
	return prefix + n
}

// Person returns person i ("syn-p-000042"): a name drawn for a nationality
// (1 % unknown), a birth date between 1940 and 2008 (5 % unknown day, 2 %
// unknown month and day, 0.5 % unknown altogether), a category (watch 55 %,
// entry ban 28 %, exit ban 14 %, wanted 3 %) and, for a quarter of them,
// one to three aliases.
func (g *Generator) Person(i int) lists.Person {
	r := g.rng(streamPerson, i)
	t := tables[nationality.draw(&r)]
	female := r.chance(0.5)
	p := lists.Person{
		ID:          syntheticID("syn-p-", i),
		Surname:     t.surname(&r, female),
		GivenNames:  t.givenNames(&r, female),
		BirthDate:   birthDate(&r),
		Nationality: t.code,
		Category:    []string{lists.CategoryWatch, lists.CategoryEntryBan, lists.CategoryExitBan, lists.CategoryWanted}[r.pickShare(0.55, 0.28, 0.14, 0.03)],
	}
	if r.chance(0.01) {
		p.Nationality = ""
	}
	if r.chance(0.25) {
		p.Aliases = aliases(&r, t, p, 1+r.pickShare(0.6, 0.28, 0.12))
	}
	return p
}

// Persons yields persons 0 … n-1 in order; an error from yield stops it.
func (g *Generator) Persons(n int, yield func(lists.Person) error) error {
	return each(n, g.Person, yield)
}

// each yields make(0) … make(n-1); an error from yield stops it.
func each[T any](n int, make func(int) T, yield func(T) error) error {
	for i := range n {
		if err := yield(make(i)); err != nil {
			return err
		}
	}
	return nil
}

func (t *table) surname(r *rng, female bool) string {
	pick := func() string {
		i := t.surnames.draw(r)
		if female {
			return t.femaleSurnames[i]
		}
		return t.surnames.names[i]
	}
	s := pick()
	if t.hasSecondSurnames && r.chance(t.doubleSurname) {
		if second := pick(); second != s {
			s += " " + second
		}
	}
	return s
}

func (t *table) givenNames(r *rng, female bool) string {
	own, middle := &t.male, &t.middleMale
	if female {
		own, middle = &t.female, &t.middleFemale
	}
	given := own.names[own.draw(r)]
	if t.hasMiddle {
		return middle.names[middle.draw(r)] + " " + given
	}
	if r.chance(t.secondGiven) {
		from := own
		if t.secondFromMale {
			from = &t.male
		}
		if second := from.names[from.draw(r)]; second != given {
			given += " " + second
		}
	}
	return given
}

func birthDate(r *rng) string {
	u := r.float()
	if u < 0.005 {
		return "0000-00-00"
	}
	// Triangular over 1940–2008: most persons of interest are middle-aged.
	year := 1940 + int((r.float()+r.float())/2*69)
	month := 1 + r.intN(12)
	day := 1 + r.intN(daysIn(year, month))
	switch {
	case u < 0.025:
		month, day = 0, 0
	case u < 0.075:
		day = 0
	}
	return formatDate(year, month, day)
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func formatDate(year, month, day int) string {
	b := make([]byte, 0, 10)
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append(b, byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10))
	return string(b)
}

// Document returns lost, stolen or revoked document i (0 ≤ i <
// MaxDocuments): a state drawn with the persons' nationality shares, its
// passport (AC crew certificates 2 %) or ID card pattern, a number no
// other i shares, and a reason (lost 62 %, stolen 28 %, revoked 10 %).
func (g *Generator) Document(i int) lists.Document {
	if i < 0 || i >= MaxDocuments {
		panic(fmt.Sprintf("synth: document index %d outside 0–%d", i, MaxDocuments-1))
	}
	r := g.rng(streamDocument, i)
	number, state, typ := g.documentNumber(&r, uint64(i))
	return lists.Document{Number: number, IssuingState: state, Type: typ,
		Reason: []string{lists.ReasonLost, lists.ReasonStolen, lists.ReasonRevoked}[r.pickShare(0.62, 0.28, 0.10)]}
}

// Documents yields documents 0 … n-1 in order (n ≤ MaxDocuments).
func (g *Generator) Documents(n int, yield func(lists.Document) error) error {
	if n > MaxDocuments {
		return fmt.Errorf("synth: %d documents asked, at most %d can be distinct", n, MaxDocuments)
	}
	return each(n, g.Document, yield)
}

func (g *Generator) documentNumber(r *rng, index uint64) (number, state, typ string) {
	state = tables[nationality.draw(r)].code
	f := g.formats[state]
	u := r.float()
	switch {
	case u < 0.02:
		return f.passport.number(index), state, "AC"
	case f.id != nil && u < 0.45:
		return f.id.number(index), state, f.idType
	}
	return f.passport.number(index), state, "P"
}

// TravelDocument is a genuine traveller's document: never on the list
// Document makes (same seed), so a lookup of it must miss.
type TravelDocument struct {
	Number, IssuingState, Type string
}

// TravelDocument returns traveller document i (0 ≤ i < MaxDocuments).
func (g *Generator) TravelDocument(i int) TravelDocument {
	if i < 0 || i >= MaxDocuments {
		panic(fmt.Sprintf("synth: travel document index %d outside 0–%d", i, MaxDocuments-1))
	}
	r := g.rng(streamTravelDocument, i)
	number, state, typ := g.documentNumber(&r, uint64(MaxDocuments+i))
	return TravelDocument{Number: number, IssuingState: state, Type: typ}
}

// Visa returns visa or residence permit i ("syn-v-000042") for the given
// travel document: visas (70 %) valid 30 days to 5 years, single, double
// or multiple entry with a stay of 15–90 days; residence permits valid 1–5
// years. Nine in ten are valid on Today, the rest expired up to a year
// before.
func (g *Generator) Visa(i int, documentNumber, issuingState string) lists.Visa {
	r := g.rng(streamVisa, i)
	v := lists.Visa{ID: syntheticID("syn-v-", i), DocumentNumber: documentNumber, IssuingState: issuingState}
	var days int
	if r.chance(0.7) {
		v.Kind = lists.KindVisa
		days = []int{30, 90, 180, 365, 730, 1825}[r.pickShare(0.2, 0.35, 0.15, 0.15, 0.1, 0.05)]
		v.Entries = []int{1, 2, 0}[r.pickShare(0.35, 0.1, 0.55)]
		v.StayDays = min(days, []int{90, 30, 15, 60}[r.pickShare(0.6, 0.2, 0.1, 0.1)])
	} else {
		v.Kind = lists.KindResidencePermit
		days = 365 * []int{1, 2, 3, 5}[r.pickShare(0.4, 0.25, 0.2, 0.15)]
	}
	elapsed := r.intN(days) // days since it became valid: valid on Today
	if r.chance(0.1) {
		elapsed = days + r.intN(365) // expired
	}
	from := g.Today.AddDate(0, 0, -elapsed)
	v.ValidFrom = from.Format(time.DateOnly)
	v.ValidUntil = from.AddDate(0, 0, days-1).Format(time.DateOnly)
	return v
}

// Visas yields Visa(i) for TravelDocument(i), i = 0 … n-1.
func (g *Generator) Visas(n int, yield func(lists.Visa) error) error {
	return each(n, func(i int) lists.Visa {
		d := g.TravelDocument(i)
		return g.Visa(i, d.Number, d.IssuingState)
	}, yield)
}

// Registered returns registered traveller i for the given travel
// document: registered_traveller (60 %) or border_pass, valid until up to
// five years after Today (a few expired up to 90 days before).
func (g *Generator) Registered(i int, documentNumber, issuingState string) lists.Registered {
	r := g.rng(streamRegistered, i)
	programme := "registered_traveller"
	if r.chance(0.4) {
		programme = "border_pass"
	}
	return lists.Registered{DocumentNumber: documentNumber, IssuingState: issuingState, Programme: programme,
		ValidUntil: g.Today.AddDate(0, 0, r.intN(5*365+90)-90).Format(time.DateOnly)}
}

// RegisteredTravellers yields Registered(i) for TravelDocument(i), i = 0 … n-1.
func (g *Generator) RegisteredTravellers(n int, yield func(lists.Registered) error) error {
	return each(n, func(i int) lists.Registered {
		d := g.TravelDocument(i)
		return g.Registered(i, d.Number, d.IssuingState)
	}, yield)
}

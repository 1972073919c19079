package population

import (
	"fmt"
	"math/rand/v2"
	"time"

	"autogate/drivers/emrtd/vdoc"
	"autogate/internal/mrz"
)

// Traveller is one generated traveller and what the gate should do with them.
type Traveller struct {
	MRZ    []string
	Fields mrz.Fields
	Format mrz.Format
	// Expect is the decision a correct gate takes: "pass" or "refer".
	Expect string
	// Why names the planted fault for an expected referral ("" when none).
	Why string
	// Document is the traveller's chip (nil until IssueDocuments).
	Document *vdoc.Document

	// Person is whose face the traveller has ("" without faces; see
	// Faces), Portrait the photo IssueDocuments puts in DG2 (nil: one of
	// Chips.Faces).
	Person   string
	Portrait []byte
	// Presentation is what the gate's camera sees, Face its frames (JPEG,
	// one burst, played in a loop); none without faces.
	Presentation Presentation
	Face         [][]byte

	// PortraitPhoto and ShownPhoto name the photos (in Faces.Dir, as
	// "person/file.jpg") DG2's portrait and the burst were made from.
	PortraitPhoto, ShownPhoto string

	face faceTraveller
}

// Options shape a population.
type Options struct {
	Seed int64
	// Now anchors birth and expiry dates.
	Now time.Time
	// ExpiredShare is the share of travellers whose document has expired.
	ExpiredShare float64
}

// DefaultOptions: 8 % expired documents.
func DefaultOptions(now time.Time) Options {
	return Options{Seed: 1, Now: now, ExpiredShare: 0.08}
}

// nation is a nationality with names in the MRZ alphabet (already
// transliterated as ICAO 9303 part 3 prescribes) and its usual documents.
type nation struct {
	code     string
	weight   int
	surnames []string
	given    []string
	// idCard: citizens also cross on a TD1 identity card.
	idCard bool
}

var nations = []nation{
	{code: "VNM", weight: 40, idCard: true,
		surnames: []string{"NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "HUYNH", "PHAN", "VU", "VO", "DANG", "BUI", "DO", "HO", "NGO", "DUONG", "LY"},
		given:    []string{"VAN AN", "THI HOA", "DUC MINH", "THI LAN", "QUOC BAO", "NGOC ANH", "THANH TUNG", "THI MAI", "HUU PHUOC", "MINH CHAU", "DINH KHOA", "THU TRANG"}},
	{code: "CHN", weight: 20,
		surnames: []string{"WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU"},
		given:    []string{"WEI", "FANG", "XIUYING", "JING", "LEI", "MIN", "JUN", "YAN", "TAO", "XIAOMING"}},
	{code: "LAO", weight: 8,
		surnames: []string{"SOUVANNAVONG", "PHOMMACHANH", "KEOVONGSA", "VONGSAVATH", "SAYASENG"},
		given:    []string{"BOUNMY", "KHAMPHOU", "SOMPHONE", "VILAYVANH", "NOY"}},
	{code: "KHM", weight: 8,
		surnames: []string{"SOK", "CHAN", "KIM", "PICH", "LIM", "HENG"},
		given:    []string{"DARA", "SOPHEA", "VANNAK", "CHANTHOU", "BOPHA", "RITHY"}},
	{code: "D", weight: 5,
		surnames: []string{"MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "MEYER", "WAGNER", "BECKER"},
		given:    []string{"ANNA", "LUKAS", "MARIA SOPHIE", "JONAS", "LEA", "FELIX", "HANNAH"}},
	{code: "USA", weight: 5,
		surnames: []string{"SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS"},
		given:    []string{"JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL"}},
	{code: "FRA", weight: 4,
		surnames: []string{"MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DUBOIS"},
		given:    []string{"JEAN PIERRE", "MARIE", "LOUIS", "CAMILLE", "CHLOE", "HUGO"}},
	{code: "RUS", weight: 4,
		surnames: []string{"IVANOV", "SMIRNOV", "KUZNETSOVA", "POPOV", "VASILEVA", "PETROV"},
		given:    []string{"ALEKSANDR", "ELENA", "DMITRII", "OLGA", "SERGEI", "TATIANA"}},
	{code: "KOR", weight: 3,
		surnames: []string{"KIM", "LEE", "PARK", "CHOI", "JUNG"},
		given:    []string{"MINJUN", "SEOYEON", "JIHO", "HAEUN", "DOYOON"}},
	{code: "GBR", weight: 3,
		surnames: []string{"TAYLOR", "WILSON", "EVANS", "THOMPSON", "ROBERTS", "WALKER"},
		given:    []string{"OLIVER", "AMELIA", "GEORGE", "ISLA", "HARRY", "EMILY"}},
}

// Generate makes n travellers.
func Generate(n int, o Options) []Traveller {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6175746f67617465))
	total := 0
	for _, nt := range nations {
		total += nt.weight
	}
	out := make([]Traveller, 0, n)
	for i := 0; i < n; i++ {
		nt := pick(rng, total)
		t, err := traveller(rng, nt, i, o)
		if err != nil {
			// The generator's own data are in the MRZ alphabet; a failure is
			// a bug in this package, not in its input.
			panic(fmt.Sprintf("population: traveller %d: %v", i, err))
		}
		out = append(out, t)
	}
	return out
}

func pick(rng *rand.Rand, total int) nation {
	r := rng.IntN(total)
	for _, nt := range nations {
		if r < nt.weight {
			return nt
		}
		r -= nt.weight
	}
	return nations[0]
}

func traveller(rng *rand.Rand, nt nation, i int, o Options) (Traveller, error) {
	now := o.Now.UTC()
	age := 18 + rng.IntN(60)
	birth := now.AddDate(-age, 0, -rng.IntN(365))
	f := mrz.Fields{
		IssuingState: nt.code,
		Nationality:  nt.code,
		Surname:      nt.surnames[rng.IntN(len(nt.surnames))],
		GivenNames:   nt.given[rng.IntN(len(nt.given))],
		BirthDate:    time.Date(birth.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC),
		Sex:          []string{"M", "F"}[rng.IntN(2)],
	}
	format := mrz.TD3
	f.DocumentCode = "P"
	if nt.idCard && rng.IntN(3) == 0 {
		format, f.DocumentCode = mrz.TD1, "ID"
	} else if rng.IntN(20) == 0 {
		format, f.DocumentCode = mrz.TD2, "I"
	}
	// Document numbers: two letters then the traveller's index, so they are
	// unique within a population (up to ten million travellers).
	f.DocumentNumber = fmt.Sprintf("%c%c%07d", 'A'+rng.IntN(26), 'A'+rng.IntN(26), i%10000000)
	// Issued up to 9 years ago, valid 10 years: expiring 1 to 10 years out.
	expiry := now.AddDate(1+rng.IntN(9), rng.IntN(12), rng.IntN(28))
	t := Traveller{Format: format, Expect: "pass"}
	if rng.Float64() < o.ExpiredShare {
		expiry = now.AddDate(0, -1-rng.IntN(36), -1-rng.IntN(27))
		t.Expect, t.Why = "refer", "document_expired"
	}
	f.ExpiryDate = time.Date(expiry.Year(), expiry.Month(), expiry.Day(), 0, 0, 0, 0, time.UTC)
	lines, err := mrz.Build(format, f)
	if err != nil {
		return Traveller{}, err
	}
	t.MRZ, t.Fields = lines, f
	return t, nil
}

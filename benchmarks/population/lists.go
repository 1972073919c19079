package population

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"autogate/internal/lists"
)

// Planted list hits: the reason the gate must give (Why), or a kind that
// must pass.
const (
	WhyWanted  = "watchlist_wanted"
	WhyStolen  = "document_stolen"
	WhyLost    = "document_lost"
	KindWatch  = "watch"     // a watch-only person: admitted, the hit recorded
	KindNearly = "near_miss" // a wanted person's name, another birth date: admitted
)

// ListHits are the list records planted for a population, and which
// travellers they were planted for.
type ListHits struct {
	Persons   []lists.Person
	Documents []lists.Document
	// Kinds counts the planted travellers per kind (a Why or Kind*).
	Kinds map[string]int
}

// typed is how an officer of the traveller's country types the names the
// population's MRZs carry in ICAO transliteration: the list holds these,
// the passport the MRZ form; the gate must match them.
var typed = map[string]string{
	"NGUYEN": "Nguyễn", "TRAN": "Trần", "LE": "Lê", "PHAM": "Phạm", "HOANG": "Hoàng", "HUYNH": "Huỳnh",
	"PHAN": "Phan", "VU": "Vũ", "VO": "Võ", "DANG": "Đặng", "BUI": "Bùi", "DO": "Đỗ", "HO": "Hồ", "NGO": "Ngô",
	"DUONG": "Dương", "LY": "Lý", "VAN AN": "Văn An", "THI HOA": "Thị Hoa", "DUC MINH": "Đức Minh",
	"THI LAN": "Thị Lan", "QUOC BAO": "Quốc Bảo", "NGOC ANH": "Ngọc Anh", "THANH TUNG": "Thanh Tùng",
	"THI MAI": "Thị Mai", "HUU PHUOC": "Hữu Phước", "MINH CHAU": "Minh Châu", "DINH KHOA": "Đình Khoa",
	"THU TRANG": "Thu Trang", "MUELLER": "Müller", "IVANOV": "Иванов", "SMIRNOV": "Смирнов",
	"KUZNETSOVA": "Кузнецова", "POPOV": "Попов", "VASILEVA": "Васильева", "PETROV": "Петров",
	"ALEKSANDR": "Александр", "ELENA": "Елена", "DMITRII": "Дмитрий", "OLGA": "Ольга", "SERGEI": "Сергей",
	"TATIANA": "Татьяна", "CHLOE": "Chloé", "JEAN PIERRE": "Jean-Pierre",
}

// Typed returns name as an officer would type it: the population's own
// spelling in its script, or the MRZ form in title case.
func Typed(name string) string {
	if s, ok := typed[name]; ok {
		return s
	}
	words := strings.Fields(strings.ToLower(name))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// PlantListHits puts a share of the travellers on the lists: wanted
// persons, stolen and lost documents (the gate must refer them), watch-only
// persons and near misses (it must admit them). Only travellers expected to
// pass are chosen; their expectations are updated.
func PlantListHits(ts []Traveller, share float64, seed int64) ListHits {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6c69737473))
	var clean []int
	for i, t := range ts {
		if t.Expect == "pass" {
			clean = append(clean, i)
		}
	}
	rng.Shuffle(len(clean), func(i, j int) { clean[i], clean[j] = clean[j], clean[i] })
	n := min(int(share*float64(len(ts))+0.5), len(clean))
	kinds := []string{WhyWanted, WhyWanted, WhyStolen, WhyLost, KindWatch, KindNearly}
	h := ListHits{Kinds: map[string]int{}}
	for k, i := range clean[:n] {
		t := &ts[i]
		kind := kinds[k%len(kinds)]
		h.Kinds[kind]++
		f := t.Fields
		switch kind {
		case WhyStolen, WhyLost:
			h.Documents = append(h.Documents, lists.Document{Number: f.DocumentNumber, IssuingState: f.IssuingState,
				Type: f.DocumentCode, Reason: strings.TrimPrefix(kind, "document_")})
			t.plant(kind)
		case WhyWanted:
			h.Persons = append(h.Persons, listedPerson(rng, fmt.Sprintf("plant-%d", i), f.Surname, f.GivenNames, f.BirthDate, f.Nationality, lists.CategoryWanted))
			t.plant(kind)
		case KindWatch:
			h.Persons = append(h.Persons, listedPerson(rng, fmt.Sprintf("plant-%d", i), f.Surname, f.GivenNames, f.BirthDate, f.Nationality, lists.CategoryWatch))
		case KindNearly:
			// Same names, born in the same year but another month and day.
			other := time.Date(f.BirthDate.Year(), (f.BirthDate.Month()+5)%12+1, (f.BirthDate.Day()+13)%28+1, 0, 0, 0, 0, time.UTC)
			p := listedPerson(rng, fmt.Sprintf("plant-%d", i), f.Surname, f.GivenNames, other, f.Nationality, lists.CategoryWanted)
			p.BirthDate = other.Format(time.DateOnly) // exact: a partial date would (rightly) match
			h.Persons = append(h.Persons, p)
		}
	}
	return h
}

// listedPerson is a list record of the person an MRZ names, written as an
// officer would: in their script, sometimes with the names in each other's
// fields, a middle name left out or only the birth year known.
func listedPerson(rng *rand.Rand, id, surname, given string, birth time.Time, nationality, category string) lists.Person {
	p := lists.Person{ID: id, Surname: Typed(surname), GivenNames: Typed(given), Nationality: nationality,
		Category: category, BirthDate: birth.Format(time.DateOnly), Note: "planted by the border-post simulator"}
	switch rng.IntN(4) {
	case 0:
		p.Surname, p.GivenNames = p.GivenNames, p.Surname
	case 1:
		if words := strings.Fields(p.GivenNames); len(words) > 1 {
			p.GivenNames = words[0]
		}
	case 2:
		p.BirthDate = fmt.Sprintf("%04d-00-00", birth.Year())
	}
	return p
}

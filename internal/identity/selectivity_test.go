package identity

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A synthetic watchlist for measuring the index keys: cultures in the
// shares a border post in Vietnam might see, each with its commonest
// surnames and given names drawn with Zipf weights, and a tail of rare names
// made of the culture's syllables. It is a model, not data: it shows how
// posting lists grow for common names, not what a real list holds.
type culture struct {
	share            float64
	surnames, givens []string
	tailSurname      float64 // share of surnames drawn from syllables
	givenCount       [2]int  // given names per person: min, max
	middles          []string
	syllables        []string
	script           func(surname, given string) (string, string) // how an officer types it
}

var vietnameseMarks = strings.NewReplacer("NGUYEN", "Nguyễn", "TRAN", "Trần", "DUC", "Đức", "HUONG", "Hương", "THI", "Thị", "VAN", "Văn", "DO", "Đỗ")

var cultures = []culture{
	{share: 0.40,
		surnames:    strings.Fields("NGUYEN TRAN LE PHAM HOANG HUYNH PHAN VU VO DANG BUI DO HO NGO DUONG LY"),
		tailSurname: 0.08,
		middles:     strings.Fields("VAN THI HUU DUC MINH NGOC THANH QUANG XUAN CONG"),
		givens: strings.Fields(`ANH HUNG DUNG LINH LAN HUONG HOA HA THAO TRANG NAM HAI TUAN LONG MINH PHUONG HANG NGA THU
			HIEU KHANH QUAN SON THANG TAM VIET CUONG DAT DUY HOANG HUY KIEN LOC PHONG THAI THINH TIEN TRUNG TU VINH YEN VY
			MAI NHUNG OANH QUYEN THUY TRAM UYEN BAO CHAU DIEP GIANG HAN HIEN HONG KHOA LAM LIEN LUAN MY NHI PHUC QUY SANG TAI`),
		givenCount: [2]int{1, 1},
		syllables:  strings.Fields("AN BA CA DA GIA HA KHA LA MA NHA PHA QUA SA TA THA TRA XA"),
		script: func(s, g string) (string, string) {
			return vietnameseMarks.Replace(s), vietnameseMarks.Replace(g)
		}},
	{share: 0.15,
		surnames:    strings.Fields("WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE LIN GAO LUO"),
		tailSurname: 0.15,
		givens: strings.Fields(`WEI FANG NA XIU MIN JING LI QIANG LEI JUN YANG YONG YAN JIE TAO MING CHAO XIA PING HUI
			GANG LING HONG XIN BIN HAO YU FENG YING JIAN`),
		givenCount: [2]int{1, 2},
		syllables:  strings.Fields("ZHANG QIAN SHEN JIANG XIAO YUAN DENG FAN SONG TANG"),
	},
	{share: 0.10,
		surnames: strings.Fields(`IVANOV SMIRNOV KUZNETSOV POPOV VASILEV PETROV SOKOLOV MIKHAILOV NOVIKOV FEDOROV
			MOROZOV VOLKOV ALEKSEEV LEBEDEV SEMENOV EGOROV PAVLOV KOZLOV STEPANOV NIKOLAEV`),
		tailSurname: 0.5,
		givens:      strings.Fields("ALEKSANDR SERGEI DMITRII ANDREI ALEKSEI MAKSIM EVGENII IVAN MIKHAIL ARTEM ELENA OLGA NATALIA TATIANA IRINA SVETLANA ANNA MARIIA IULIIA EKATERINA"),
		givenCount:  [2]int{1, 2},
		syllables:   strings.Fields("BOR KOV GRAD MIR SLAV ZHUK TSEV CHEN SHIN LOV"),
		script: func(s, g string) (string, string) {
			return toCyrillic(s), toCyrillic(g)
		}},
	{share: 0.10,
		surnames:    strings.Fields("MOHAMMED AHMED ALI HASSAN HUSSEIN IBRAHIM ABDULLAH MAHMOUD OMAR KHALIL SALEH YOUSEF SAID"),
		tailSurname: 0.5,
		givens:      strings.Fields("MOHAMMED AHMED ALI OMAR YOUSSEF KHALED HASSAN MAHMOUD MUSTAFA IBRAHIM FATIMA AISHA MARYAM ZAINAB NOUR LAYLA SARA HANA"),
		givenCount:  [2]int{1, 3},
		syllables:   strings.Fields("AL BAR DAR FAR HAM JAB KAR MAS NAS RAH SAL TAR ZAH"),
	},
	{share: 0.10,
		surnames:    strings.Fields("SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS WILSON TAYLOR ANDERSON THOMAS MOORE MARTIN JACKSON THOMPSON WHITE HARRIS CLARK LEWIS"),
		tailSurname: 0.6,
		givens:      strings.Fields("JAMES JOHN ROBERT MICHAEL WILLIAM DAVID RICHARD JOSEPH THOMAS MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN EMMA"),
		givenCount:  [2]int{1, 2},
		syllables:   strings.Fields("ASH BUR CROFT DALE FORD HAM KING LEY MOR NEL TON WOOD"),
	},
	{share: 0.05,
		surnames:    strings.Fields("MUELLER SCHMIDT SCHNEIDER FISCHER WEBER MEYER WAGNER BECKER SCHULZ HOFFMANN"),
		tailSurname: 0.6,
		givens:      strings.Fields("PETER MICHAEL THOMAS ANDREAS STEFAN JUERGEN KLAUS SABINE MONIKA PETRA URSULA ANNA"),
		givenCount:  [2]int{1, 2},
		syllables:   strings.Fields("BERG BACH HOF MANN STEIN WALD FELD HAUS BRUNN"),
		script: func(s, g string) (string, string) {
			r := strings.NewReplacer("UE", "ü", "OE", "ö", "AE", "ä")
			return r.Replace(s), r.Replace(g)
		}},
	{share: 0.05,
		surnames:    strings.Fields("KIM LEE PARK CHOI JUNG KANG CHO YOON JANG LIM"),
		tailSurname: 0.05,
		givens:      strings.Fields("MINJUN SEOYEON JIHO SEOJUN HAYOON JIWOO DOYOON SUBIN JIMIN YEJIN HYUN SOO"),
		givenCount:  [2]int{1, 1},
		syllables:   strings.Fields("SEO NAM HAN OH SHIN KWON"),
	},
	{share: 0.05,
		surnames:    strings.Fields("SOUVANNAVONG PHOMMACHANH KEOVONGSA VONGSAVATH SAYASENG SOK CHAN PICH HENG CHEA"),
		tailSurname: 0.5,
		givens:      strings.Fields("SOMSACK BOUNMY KHAMPHOUI VILAYVANH DARA SOPHEA BOPHA VANNAK SREY CHANTHA"),
		givenCount:  [2]int{1, 1},
		syllables:   strings.Fields("SOUK PHON VONG SENG KHAM CHAN THA NOY"),
	},
}

// toCyrillic writes a transliterated Russian name back in Cyrillic, for
// names that round-trip through the ICAO column.
func toCyrillic(s string) string {
	r := strings.NewReplacer("SHCH", "Щ", "ZH", "Ж", "KH", "Х", "TS", "Ц", "CH", "Ч", "SH", "Ш", "IU", "Ю", "IA", "Я",
		"A", "А", "B", "Б", "V", "В", "G", "Г", "D", "Д", "E", "Е", "Z", "З", "I", "И", "K", "К", "L", "Л", "M", "М",
		"N", "Н", "O", "О", "P", "П", "R", "Р", "S", "С", "T", "Т", "U", "У", "F", "Ф", "Y", "Ы")
	return r.Replace(s)
}

// zipf draws an index of n with weight 1/(rank+1).
func zipf(rng *rand.Rand, n int) int {
	total := 0.0
	for i := 1; i <= n; i++ {
		total += 1 / float64(i)
	}
	x := rng.Float64() * total
	for i := 1; i <= n; i++ {
		x -= 1 / float64(i)
		if x <= 0 {
			return i - 1
		}
	}
	return n - 1
}

func (c *culture) tailName(rng *rand.Rand) string {
	n := 2 + rng.IntN(2)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(c.syllables[rng.IntN(len(c.syllables))])
	}
	return b.String()
}

// person draws one person of the culture: the MRZ-alphabet name and the
// name as an officer types it.
func (c *culture) person(rng *rand.Rand) (surname, given string) {
	if rng.Float64() < c.tailSurname {
		surname = c.tailName(rng)
	} else {
		surname = c.surnames[zipf(rng, len(c.surnames))]
	}
	var gs []string
	if c.middles != nil {
		gs = append(gs, c.middles[zipf(rng, len(c.middles))])
	}
	for i := c.givenCount[0] + rng.IntN(c.givenCount[1]-c.givenCount[0]+1); i > 0; i-- {
		if rng.Float64() < 0.3 {
			gs = append(gs, c.tailName(rng))
		} else {
			gs = append(gs, c.givens[zipf(rng, len(c.givens))])
		}
	}
	return surname, strings.Join(gs, " ")
}

func drawCulture(rng *rand.Rand) *culture {
	x := rng.Float64()
	for i := range cultures {
		if x -= cultures[i].share; x <= 0 {
			return &cultures[i]
		}
	}
	return &cultures[len(cultures)-1]
}

// perturb makes the query a gate would read for a listed person: the MRZ
// name (primary transliteration), sometimes with one letter wrong in a long
// token, the parts swapped, or the field cut to a TD1's 30 characters.
func perturb(rng *rand.Rand, surname, given string) (string, string, string) {
	switch rng.IntN(4) {
	case 1:
		tokens := strings.Fields(surname + " " + given)
		for _, i := range rng.Perm(len(tokens)) {
			if len(tokens[i]) >= 5 {
				b := []byte(tokens[i])
				b[1+rng.IntN(len(b)-1)] = byte('A' + rng.IntN(26))
				ns := len(strings.Fields(surname))
				tokens[i] = string(b)
				return strings.Join(tokens[:ns], " "), strings.Join(tokens[ns:], " "), "typo"
			}
		}
	case 2:
		return given, surname, "swapped"
	case 3:
		field := mrzNameField(surname, given, 30)
		s, g, _ := strings.Cut(field, "<<")
		return strings.ReplaceAll(s, "<", " "), strings.ReplaceAll(g, "<", " "), "td1"
	}
	return surname, given, "exact"
}

// BenchmarkBlockingSelectivity builds a synthetic list of 300,000 persons
// born over 20 years (15,000 a year: the density of 1,000,000 persons over
// 66 years), files them by Keys × birth year, and looks up queries made
// from listed persons. It reports posting-list sizes, and logs per lookup
// policy the candidates per query, recall (the person among the
// candidates), hits and other persons' hits; the time per op is one query
// looked up and scored (MatchScore over its candidates) under both policies.
func BenchmarkBlockingSelectivity(b *testing.B) {
	const persons, firstYear, years = 300_000, 1970, 20
	rng := rand.New(rand.NewPCG(1, 2))
	type listed struct {
		surname, given string // MRZ alphabet
		prepared       Prepared
	}
	list := make([]listed, persons)
	postings := map[string][]int32{}
	for i := range list {
		c := drawCulture(rng)
		s, g := c.person(rng)
		typedS, typedG := s, g
		if c.script != nil && rng.IntN(2) == 0 {
			typedS, typedG = c.script(s, g)
		}
		birth := Date{firstYear + rng.IntN(years), 1 + rng.IntN(12), 1 + rng.IntN(28)}
		if rng.IntN(20) == 0 {
			birth.Month, birth.Day = 0, 0 // a partial date
		}
		p := Prepare(Person{Name: Name{typedS, typedG}, Birth: birth})
		list[i] = listed{s, g, p}
		for _, k := range p.Keys() {
			key := k + "|" + strconv.Itoa(birth.Year)
			postings[key] = append(postings[key], int32(i))
		}
	}
	var sizes []int
	sumSq, sum := 0.0, 0.0
	biggest := ""
	for k, ids := range postings {
		sizes = append(sizes, len(ids))
		sum += float64(len(ids))
		sumSq += float64(len(ids)) * float64(len(ids))
		if len(ids) > len(postings[biggest]) {
			biggest = k
		}
	}
	slices.Sort(sizes)

	// Two lookup policies: every key of the query; and skipping the keys
	// whose list for the year is longer than stopAt when the query has a
	// shorter one (a common token — VAN, NGUYEN — then adds nothing the
	// rarer tokens do not).
	const stopAt = 500
	lookup := func(query Prepared, skipCommon bool, visit func(id int32)) {
		keys := query.Keys()
		years := CandidateYears(query.Birth)
		if skipCommon {
			var rare []string
			for _, k := range keys {
				if len(postings[k+"|"+strconv.Itoa(query.Birth.Year)]) <= stopAt {
					rare = append(rare, k)
				}
			}
			if rare != nil {
				keys = rare
			}
		}
		for _, k := range keys {
			for _, y := range years {
				for _, id := range postings[k+"|"+strconv.Itoa(y)] {
					visit(id)
				}
			}
		}
	}
	type tally struct {
		candidates, found, hits, others int
		counts                          []int
		missedBy                        map[string]int
	}
	tallies := [2]tally{{missedBy: map[string]int{}}, {missedBy: map[string]int{}}}
	seen := make([]uint32, persons)
	epoch := uint32(0)
	queries := 0
	b.ResetTimer()
	for b.Loop() {
		i := rng.IntN(persons)
		s, g, how := perturb(rng, list[i].surname, list[i].given)
		query := Prepare(Person{Name: Name{s, g}, Birth: list[i].prepared.Birth})
		queries++
		for policy := range tallies {
			t := &tallies[policy]
			epoch++
			n := 0
			lookup(query, policy == 1, func(id int32) {
				if seen[id] == epoch {
					return
				}
				seen[id] = epoch
				n++
				if MatchScore(query, list[id].prepared) >= DefaultThreshold && int(id) != i {
					t.others++
				}
			})
			t.candidates += n
			t.counts = append(t.counts, n)
			switch {
			case seen[i] != epoch:
				t.missedBy[how+" (no shared key)"]++
			case MatchScore(query, list[i].prepared) < DefaultThreshold:
				t.found++
				t.missedBy[how+" (found, below threshold)"]++
			default:
				t.found++
				t.hits++
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(postings)), "lists")
	b.ReportMetric(float64(sizes[len(sizes)/2]), "list-p50")
	b.ReportMetric(float64(sizes[len(sizes)*99/100]), "list-p99")
	b.ReportMetric(float64(sizes[len(sizes)-1]), "list-max")
	b.ReportMetric(sumSq/sum, "list-seen-by-a-lookup")
	longest := map[string]int{} // per key, its longest list over the years
	for k, ids := range postings {
		key, _, _ := strings.Cut(k, "|")
		if len(ids) > 1000 {
			longest[key] = max(longest[key], len(ids))
		}
	}
	b.Logf("largest posting list: %s (%d persons); keys with a list over 1000: %v", biggest, len(postings[biggest]), longest)
	for policy, t := range tallies {
		slices.Sort(t.counts)
		name := [2]string{"every key", "keys over " + strconv.Itoa(stopAt) + " skipped"}[policy]
		b.Logf("%s: candidates/query mean %.0f p50 %d p99 %d max %d; found %.1f %%, hit %.1f %%, other hits/query %.2f; misses %v",
			name, float64(t.candidates)/float64(queries), t.counts[len(t.counts)/2], t.counts[len(t.counts)*99/100], t.counts[len(t.counts)-1],
			100*float64(t.found)/float64(queries), 100*float64(t.hits)/float64(queries), float64(t.others)/float64(queries), t.missedBy)
	}
	if tallies[0].found == 0 {
		b.Fatal("no query found its own record")
	}
}

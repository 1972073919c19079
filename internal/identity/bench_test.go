package identity

import (
	"testing"
)

func benchPair(b *testing.B) (Prepared, Prepared, Prepared) {
	query := person(b, "NGUYEN<<VAN<DUC", "", "1980-01-15", "VNM")
	same := person(b, "Nguyễn", "Văn Đức", "1980-01-15", "VNM")
	other := person(b, "Nguyễn", "Văn Đạt", "1980-07-02", "VNM")
	return query, same, other
}

// BenchmarkMatch scores two prepared 3-token names — a hit and a near-miss
// candidate, as the replica scores its candidates — with the reasons
// (Match) and without them (MatchScore, allocation-free).
func BenchmarkMatch(b *testing.B) {
	query, same, other := benchPair(b)
	for name, score := range map[string]func(q, r Prepared){
		"reasons":    func(q, r Prepared) { Match(q, r) },
		"score-only": func(q, r Prepared) { MatchScore(q, r) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				score(query, same)
				score(query, other)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/match")
		})
	}
}

// BenchmarkMatchVariants scores names with transliteration variants on
// the record (Müller: three forms per token).
func BenchmarkMatchVariants(b *testing.B) {
	query := person(b, "MULLER<<HANS<JURGEN", "", "1975-06-12", "")
	record := person(b, "Müller", "Hans Jürgen", "1975-06-00", "DEU")
	b.ReportAllocs()
	for b.Loop() {
		Match(query, record)
	}
}

func BenchmarkPrepare(b *testing.B) {
	people := []Person{
		{Name: Name{"Nguyễn", "Văn Đức"}, Birth: Date{1980, 1, 15}},
		{Name: Name{"Müller", "Hans Jürgen"}, Birth: Date{1975, 6, 0}},
		{Name: Name{"Иванов", "Сергей Петрович"}},
		{Name: Name{"SMITH<<JOHN<PAUL", ""}},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range people {
			Prepare(p)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(people)), "ns/name")
}

func BenchmarkDecodePrepared(b *testing.B) {
	enc := person(b, "Müller", "Hans Jürgen", "1975-06-00", "DEU").Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePrepared(enc); err != nil {
			b.Fatal(err)
		}
	}
}

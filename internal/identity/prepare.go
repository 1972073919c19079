package identity

import (
	"fmt"
	"strings"
)

// Name is a person's name as held or read: in any script (UTF-8, as typed)
// or already in the MRZ alphabet ("NGUYEN", "VAN ANH", or MRZ fillers "<").
// A whole MRZ name field may be given as Surname ("DO<<THI<HUONG"): it is
// split at its first "<<" when Given is empty.
type Name struct{ Surname, Given string }

// Person is who is searched for, or a record searched in.
type Person struct {
	Name        Name
	Birth       Date
	Nationality string // ICAO code, "" unknown
}

// Prepared is a Person ready for matching: transliterated variants, tokens.
// Surname and Given each hold one token list per transliteration variant,
// the primary first; a part without a letter is nil.
type Prepared struct {
	Surname, Given [][]string
	Birth          Date
	Nationality    string // A–Z only, fillers dropped; Germany's MRZ "D" is DEU
}

// Prepare transliterates and tokenises p. It is the costly step (some µs):
// lists prepare each name once and store Encode's result.
func Prepare(p Person) Prepared {
	surname, given := p.Name.Surname, p.Name.Given
	if i := strings.Index(surname, "<<"); i >= 0 && strings.TrimSpace(given) == "" {
		surname, given = surname[:i], surname[i+2:]
	}
	return Prepared{
		Surname:     tokenVariants(surname),
		Given:       tokenVariants(given),
		Birth:       p.Birth,
		Nationality: normalizeNationality(p.Nationality),
	}
}

func tokenVariants(s string) [][]string {
	var out [][]string
	for _, v := range Transliterate(s) {
		if v != "" {
			out = append(out, strings.Split(v, " "))
		}
	}
	return out
}

// normalizeNationality keeps a nationality's letters (an MRZ's "D<<" is
// "D") and writes Germany's MRZ code D as its ISO code DEU, which lists use.
func normalizeNationality(s string) string {
	b := make([]byte, 0, 3)
	for i := 0; i < len(s) && len(b) < 3; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c >= 'A' && c <= 'Z' {
			b = append(b, c)
		}
	}
	if string(b) == "D" {
		return "DEU"
	}
	return string(b)
}

// encodingVersion opens every encoded Prepared, so a later layout can be
// told apart.
const encodingVersion = "1"

// Encode serialises p compactly for storage; DecodePrepared reverses it.
// The layout is version|YYYYMMDD|nationality|surname|given, a part's
// variants separated by ';' and tokens by ' ':
//
//	1|19750600|DEU|MUELLER;MULLER;MUXXLLER|HANS
func (p Prepared) Encode() string {
	var b strings.Builder
	b.Grow(32 + 8*(len(p.Surname)+len(p.Given)))
	b.WriteString(encodingVersion)
	b.WriteByte('|')
	d := p.Birth
	b.Write(appendDigits(appendDigits(appendDigits(make([]byte, 0, 8), d.Year, 4), d.Month, 2), d.Day, 2))
	b.WriteByte('|')
	b.WriteString(p.Nationality)
	for _, part := range [2][][]string{p.Surname, p.Given} {
		b.WriteByte('|')
		for i, variant := range part {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(strings.Join(variant, " "))
		}
	}
	return b.String()
}

// DecodePrepared reads what Encode wrote. It refuses anything Encode could
// not have written from a Prepare result, so a decoded Prepared encodes
// back to the same string.
func DecodePrepared(s string) (Prepared, error) {
	fields := strings.Split(s, "|")
	if len(fields) != 5 {
		return Prepared{}, fmt.Errorf("prepared identity %.40q: want 5 fields separated by '|' (version|date|nationality|surname|given), got %d; re-prepare the record", s, len(fields))
	}
	if fields[0] != encodingVersion {
		return Prepared{}, fmt.Errorf("prepared identity %.40q: version %q, this build reads %q; re-prepare the record", s, fields[0], encodingVersion)
	}
	birth, err := decodeDate(fields[1])
	if err != nil {
		return Prepared{}, fmt.Errorf("prepared identity %.40q: %w", s, err)
	}
	if len(fields[2]) > 3 || !upperLetters(fields[2]) {
		return Prepared{}, fmt.Errorf("prepared identity %.40q: nationality %q is not up to 3 letters A–Z", s, fields[2])
	}
	p := Prepared{Birth: birth, Nationality: fields[2]}
	for i, dst := range [2]*[][]string{&p.Surname, &p.Given} {
		if *dst, err = decodePart(fields[3+i]); err != nil {
			return Prepared{}, fmt.Errorf("prepared identity %.40q: %s: %w", s, [2]string{"surname", "given names"}[i], err)
		}
	}
	return p, nil
}

func decodeDate(s string) (Date, error) {
	if len(s) != 8 {
		return Date{}, fmt.Errorf("birth date %q is not 8 digits YYYYMMDD", s)
	}
	var v [8]int
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return Date{}, fmt.Errorf("birth date %q is not 8 digits YYYYMMDD", s)
		}
		v[i] = int(s[i] - '0')
	}
	d := Date{Year: v[0]*1000 + v[1]*100 + v[2]*10 + v[3], Month: v[4]*10 + v[5], Day: v[6]*10 + v[7]}
	if err := d.check(); err != nil {
		return Date{}, fmt.Errorf("birth date %q: %w", s, err)
	}
	return d, nil
}

func decodePart(s string) ([][]string, error) {
	if s == "" {
		return nil, nil
	}
	variants := strings.Split(s, ";")
	out := make([][]string, len(variants))
	for i, v := range variants {
		tokens := strings.Split(v, " ")
		for _, t := range tokens {
			if t == "" || !upperLetters(t) {
				return nil, fmt.Errorf("variant %q: tokens must be letters A–Z separated by single spaces", v)
			}
		}
		out[i] = tokens
	}
	return out, nil
}

func upperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

package synth

import (
	"strings"
	"unicode"

	"autogate/internal/lists"
)

// Kinds of alias, with their shares: how the same person comes to be
// recorded under another name.
const (
	aliasRespelled   = iota // another transliteration, no diacritics, another spelling of a word
	aliasSwapped            // surname and given names swapped
	aliasDroppedName        // a middle name or second surname left out
	aliasTypo               // one letter deleted, doubled, swapped or replaced
	aliasOtherBirth         // the same name with another birth date
	aliasKinds
)

var aliasShares = [aliasKinds]float64{0.35, 0.2, 0.15, 0.2, 0.1}

// aliases makes up to n aliases of p, distinct from its own name and from
// each other.
func aliases(r *rng, t *table, p lists.Person, n int) []lists.Alias {
	var out []lists.Alias
	for attempt := 0; len(out) < n && attempt < 4*n; attempt++ {
		a, ok := makeAlias(r, t, p)
		if !ok || !distinct(a, p, out) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func distinct(a lists.Alias, p lists.Person, others []lists.Alias) bool {
	if a.Surname == p.Surname && a.GivenNames == p.GivenNames && (a.BirthDate == "" || a.BirthDate == p.BirthDate) {
		return false
	}
	for _, o := range others {
		if o == a {
			return false
		}
	}
	return true
}

func makeAlias(r *rng, t *table, p lists.Person) (lists.Alias, bool) {
	a := lists.Alias{Surname: p.Surname, GivenNames: p.GivenNames}
	ok := false
	kind := r.pickShare(aliasShares[:]...)
	switch kind {
	case aliasRespelled:
		ok = respell(r, t, &a)
	case aliasSwapped:
		if ok = a.GivenNames != ""; ok {
			a.Surname, a.GivenNames = a.GivenNames, a.Surname
		}
	case aliasDroppedName:
		ok = dropName(r, t, &a)
	case aliasTypo:
		if a.GivenNames != "" && r.chance(0.4) {
			a.GivenNames, ok = typo(r, a.GivenNames)
		} else {
			a.Surname, ok = typo(r, a.Surname)
		}
	case aliasOtherBirth:
		a.BirthDate = otherBirthDate(r, p.BirthDate)
		ok = a.BirthDate != ""
	}
	if ok && kind != aliasOtherBirth && r.chance(0.1) {
		a.BirthDate = otherBirthDate(r, p.BirthDate)
	}
	return a, ok
}

// respell writes the name as another office would: through one of the
// table's variants, or with one word spelled another way.
func respell(r *rng, t *table, a *lists.Alias) bool {
	type spelling struct{ surname, given string }
	var options []spelling
	for _, v := range t.variants {
		if s, g := v(a.Surname), v(a.GivenNames); s != a.Surname || g != a.GivenNames {
			options = append(options, spelling{s, g})
		}
	}
	if s, g, ok := respellWord(r, t, a.Surname, a.GivenNames); ok {
		options = append(options, spelling{s, g})
	}
	if len(options) == 0 {
		return false
	}
	o := options[r.intN(len(options))]
	a.Surname, a.GivenNames = o.surname, o.given
	return true
}

// respellWord replaces one word of either name by another spelling of it.
func respellWord(r *rng, t *table, surname, given string) (string, string, bool) {
	names := [2][]string{strings.Fields(surname), strings.Fields(given)}
	type spot struct {
		name, word   int
		alternatives []string
	}
	var spots []spot
	for n, words := range names {
		for w, word := range words {
			alts := t.tokenVariants[word]
			if alts == nil {
				alts = articleVariants(word)
			}
			if alts != nil {
				spots = append(spots, spot{n, w, alts})
			}
		}
	}
	if len(spots) == 0 {
		return surname, given, false
	}
	s := spots[r.intN(len(spots))]
	names[s.name][s.word] = s.alternatives[r.intN(len(s.alternatives))]
	return strings.Join(names[0], " "), strings.Join(names[1], " "), true
}

// dropName leaves out one of several given names, or one of two surnames
// where the nationality carries two.
func dropName(r *rng, t *table, a *lists.Alias) bool {
	if words := strings.Fields(a.GivenNames); len(words) > 1 {
		a.GivenNames = strings.Join(without(words, r.intN(len(words))), " ")
		return true
	}
	if words := strings.Fields(a.Surname); t.hasSecondSurnames && len(words) == 2 {
		a.Surname = words[1-r.intN(2)]
		return true
	}
	return false
}

func without(words []string, i int) []string {
	return append(append([]string(nil), words[:i]...), words[i+1:]...)
}

// typo changes one letter after the first: deleted, swapped with the
// next, doubled, or replaced by another letter of the same name (so the
// script stays).
func typo(r *rng, s string) (string, bool) {
	rs := []rune(s)
	if len(rs) < 3 {
		return s, false
	}
	for range 4 {
		p := 1 + r.intN(len(rs)-1)
		if !unicode.IsLetter(rs[p]) {
			continue
		}
		var out []rune
		switch r.intN(4) {
		case 0:
			out = append(append(out, rs[:p]...), rs[p+1:]...)
		case 1:
			if p+1 >= len(rs) || !unicode.IsLetter(rs[p+1]) || rs[p] == rs[p+1] {
				continue
			}
			out = append(out, rs...)
			out[p], out[p+1] = out[p+1], out[p]
		case 2:
			out = append(append(append(out, rs[:p+1]...), rs[p]), rs[p+1:]...)
		case 3:
			q := unicode.ToLower(rs[r.intN(len(rs))])
			if !unicode.IsLetter(q) || q == unicode.ToLower(rs[p]) {
				continue
			}
			if unicode.IsUpper(rs[p]) {
				q = unicode.ToUpper(q)
			}
			out = append(out, rs...)
			out[p] = q
		}
		t := string(out)
		if t != s && strings.TrimSpace(t) == t && !strings.Contains(t, "  ") {
			return t, true
		}
	}
	return s, false
}

// otherBirthDate is a plausible wrong record of date: day and month
// swapped, a year or two off, or another day of the month; "" when the
// year is unknown.
func otherBirthDate(r *rng, date string) string {
	year, month, day := atoi(date[0:4]), atoi(date[5:7]), atoi(date[8:10])
	if year == 0 {
		return ""
	}
	switch r.intN(3) {
	case 0:
		if month != 0 && day != 0 && day <= 12 && day != month {
			return formatDate(year, day, month)
		}
		fallthrough
	case 1:
		year += []int{-2, -1, 1, 2}[r.intN(4)]
		if month != 0 && day > daysIn(year, month) {
			day = daysIn(year, month)
		}
		return formatDate(year, month, day)
	}
	if month == 0 {
		return formatDate(year+1, month, day)
	}
	other := 1 + r.intN(daysIn(year, month))
	if other == day {
		other = other%daysIn(year, month) + 1
	}
	return formatDate(year, month, other)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

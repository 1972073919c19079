package identity

import (
	"unicode"
)

// maxVariants caps the forms Transliterate returns: a name with many
// letters that each allow two forms would otherwise multiply them.
const maxVariants = 8

// maxMixedTries bounds the search for forms that mix conventions.
const maxMixedTries = 256

// unit is what one letter (or a letter group) of the input becomes: its
// forms by kind (first recommendation, bare letter, XX escape; a unit with
// fewer kinds repeats its last), or a token break.
type unit struct {
	opts []string
	sep  bool
}

// asciiUnits are the units of the letters A–Z, built once.
var asciiUnits = func() (u [26]unit) {
	for i := range u {
		u[i] = unit{opts: []string{string(rune('A' + i))}}
	}
	return u
}()

// Transliterate converts s to the MRZ alphabet (A–Z, single spaces between
// tokens) as ICAO Doc 9303 Part 3 section 6 prescribes (see the tables in
// translit_*.go). It returns the primary form first, then distinct
// alternates where the tables allow more than one (Ä: AE or A; Сергей:
// SERGEI or, in Ukrainian, SERHEI), at most 8. Apostrophes are omitted
// (O'NEILL → ONEILL); spaces, hyphens, commas, full stops and the MRZ filler
// '<' separate tokens; digits and other symbols are dropped; letters of
// scripts the tables do not cover are dropped. An input without a letter
// gives one empty form.
func Transliterate(s string) []string {
	rs := normalizeRunes(s)
	langs := cyrillicLanguagesOf(rs)
	if langs == nil {
		langs = []*cyrillicLanguage{nil}
	}
	perLang := make([][]unit, len(langs))
	var out []string
	for i, lang := range langs {
		perLang[i] = buildUnits(rs, lang)
		out = appendUniform(out, perLang[i])
	}
	for _, units := range perLang {
		out = appendMixed(out, units)
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// normalizeRunes upper-cases s and folds decomposed letters (a base letter
// followed by a combining mark) into the precomposed letters whose
// transliteration differs from the bare letter's; other marks are dropped.
func normalizeRunes(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) && !arabicSilent(r) {
			if n := len(out); n > 0 {
				if c, ok := composed[[2]rune{out[n-1], r}]; ok {
					out[n-1] = c
				}
			}
			continue
		}
		out = append(out, unicode.ToUpper(r))
	}
	return out
}

// composed lists the decomposed pairs that matter: those whose precomposed
// letter is transliterated otherwise than its base letter.
var composed = map[[2]rune]rune{
	{'A', 0x0308}: 'Ä', {'O', 0x0308}: 'Ö', {'U', 0x0308}: 'Ü',
	{'A', 0x030A}: 'Å', {'N', 0x0303}: 'Ñ', {'O', 0x0338}: 'Ø',
	{'И', 0x0306}: 'Й', {'У', 0x0306}: 'Ў', {'Е', 0x0308}: 'Ё',
	{'І', 0x0308}: 'Ї', {'Ι', 0x0308}: 'Ϊ', {'Υ', 0x0308}: 'Ϋ',
	{'Г', 0x0301}: 'Ѓ', {'К', 0x0301}: 'Ќ',
}

func isSeparator(r rune) bool {
	switch r {
	case ',', '<', '.', ';', ':', '/', '(', ')', '[', ']', '_', '&', '+':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', 'ʻ', '`', '´', '′', 'ʹ':
		return true
	}
	return false
}

// buildUnits turns normalised runes into units, Cyrillic letters in lang's
// column.
func buildUnits(rs []rune, lang *cyrillicLanguage) []unit {
	units := make([]unit, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= 'A' && r <= 'Z':
			units = append(units, asciiUnits[r-'A'])
			// An MRZ writes Ñ and Ü as NXX and UXX where the issuer keeps
			// the name reversible: read the escape back as the letter.
			if (r == 'N' || r == 'U') && i+2 < len(rs) && rs[i+1] == 'X' && rs[i+2] == 'X' {
				units = append(units, unit{opts: []string{"XX", ""}})
				i += 2
			}
		case isSeparator(r):
			units = append(units, unit{sep: true})
		case isApostrophe(r):
		case isCyrillic(r):
			if opts := cyrillicForms[lang.index][r]; opts != nil {
				units = append(units, unit{opts: opts})
			}
		case isGreek(r):
			var word []greekLetter
			for ; i < len(rs) && isGreek(rs[i]); i++ {
				word = append(word, greekOf(rs[i]))
			}
			i--
			units = append(units, greekWord(word)...)
		case isArabicLetter(r):
			units = append(units, unit{opts: arabicForms(rs, i)})
		default:
			if opts, ok := latinTable[r]; ok {
				units = append(units, unit{opts: opts})
			}
		}
	}
	return units
}

// render writes the form of units that choose picks per unit: tokens
// joined by single spaces.
func render(units []unit, choose func(i int, u unit) string) string {
	b := make([]byte, 0, 2*len(units))
	space := false
	for i, u := range units {
		if u.sep {
			space = len(b) > 0
			continue
		}
		s := choose(i, u)
		if s == "" {
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, s...)
	}
	return string(b)
}

// appendUniform adds the forms that apply one kind to the whole name: the
// first recommendation everywhere, then the bare letters, then the XX
// escapes.
func appendUniform(out []string, units []unit) []string {
	kinds := 1
	for _, u := range units {
		kinds = max(kinds, len(u.opts))
	}
	for k := 0; k < kinds && len(out) < maxVariants; k++ {
		out = addDistinct(out, render(units, func(_ int, u unit) string {
			return u.opts[min(k, len(u.opts)-1)]
		}))
	}
	return out
}

// appendMixed adds forms that mix kinds letter by letter (an issuer that
// wrote Ä as AE but Ö as O), in counting order, until the cap.
func appendMixed(out []string, units []unit) []string {
	var points []int
	for i, u := range units {
		if len(u.opts) > 1 {
			points = append(points, i)
		}
	}
	if len(points) < 2 {
		return out // every form is uniform
	}
	choice := make(map[int]int, len(points))
	for try := 0; try < maxMixedTries && len(out) < maxVariants; try++ {
		// Count: the last choice point turns fastest.
		j := len(points) - 1
		for ; j >= 0; j-- {
			p := points[j]
			choice[p]++
			if choice[p] < len(units[p].opts) {
				break
			}
			choice[p] = 0
		}
		if j < 0 {
			break // every combination tried
		}
		out = addDistinct(out, render(units, func(i int, u unit) string {
			return u.opts[choice[i]]
		}))
	}
	return out
}

func addDistinct(out []string, s string) []string {
	if s == "" {
		return out
	}
	for _, o := range out {
		if o == s {
			return out
		}
	}
	return append(out, s)
}

package synth

import (
	"strings"
	"unicode"
)

// A variant rewrites a name as another office would have written it: in
// another transliteration scheme, without diacritics, with joined
// particles. Aliases are made from them. These are deliberately the
// spellings officers produce, not ICAO 9303's own transliteration (which
// the matcher applies); some agree with it, some do not.
type variant func(string) string

// scheme transliterates one script: pairs of letters first (at a word's
// start, initialPairs before them), then single letters (at a word's
// start, initial before them). Keys are lower case; the result is
// title-cased word by word.
type scheme struct {
	pre          map[rune]rune // normalisation first (Greek accents)
	initialPairs map[string]string
	pairs        map[string]string
	initial      map[rune]string
	single       map[rune]string
}

func isWordBreak(r rune) bool { return r == ' ' || r == '-' || r == '\'' }

func (s *scheme) apply(name string) string {
	runes := []rune(strings.ToLower(name))
	for i, r := range runes {
		if p, ok := s.pre[r]; ok {
			runes[i] = p
		}
	}
	var b strings.Builder
	atStart := true
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if i+1 < len(runes) {
			pair := string(runes[i : i+2])
			if out, ok := s.initialPairs[pair]; ok && atStart {
				b.WriteString(out)
				i++
				atStart = false
				continue
			}
			if out, ok := s.pairs[pair]; ok {
				b.WriteString(out)
				i++
				atStart = false
				continue
			}
		}
		if out, ok := s.initial[r]; ok && atStart {
			b.WriteString(out)
		} else if out, ok := s.single[r]; ok {
			b.WriteString(out)
		} else {
			b.WriteRune(r)
		}
		atStart = isWordBreak(r)
	}
	return titleWords(b.String())
}

// titleWords upper-cases the first letter of every word.
func titleWords(s string) string {
	runes := []rune(s)
	start := true
	for i, r := range runes {
		if start {
			runes[i] = unicode.ToUpper(r)
		}
		start = isWordBreak(r)
	}
	return string(runes)
}

// letters builds a single-letter map from "а a, б b, ..." (an empty
// value drops the letter).
func letters(spec string) map[rune]string {
	m := map[rune]string{}
	for entry := range strings.SplitSeq(spec, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(entry), " ")
		m[[]rune(k)[0]] = v
	}
	return m
}

// pairsOf builds a pair map from "ий i, ый y".
func pairsOf(spec string) map[string]string {
	m := map[string]string{}
	for entry := range strings.SplitSeq(spec, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(entry), " ")
		m[k] = v
	}
	return m
}

// with returns base with the entries of override replaced or added.
func with(base map[rune]string, override string) map[rune]string {
	m := make(map[rune]string, len(base))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range letters(override) {
		m[k] = v
	}
	return m
}

// The Cyrillic base is ICAO 9303 (2013), as Russian passports write it.
var cyrillicICAO = letters("а a, б b, в v, г g, д d, е e, ё e, ж zh, з z, и i, й i, к k, л l, м m, н n, о o, п p, р r, с s, т t, у u, ф f, х kh, ц ts, ч ch, ш sh, щ shch, ъ ie, ы y, ь , э e, ю iu, я ia, і i, ї i, є ie, ґ g, ў u")

var (
	russianICAO    = (&scheme{single: cyrillicICAO}).apply
	russianEnglish = (&scheme{single: with(cyrillicICAO, "й y, ё yo, ю yu, я ya, ъ "), pairs: pairsOf("ий iy, ый y"),
		initial: letters("е ye")}).apply
	russianGerman = (&scheme{single: with(cyrillicICAO, "в w, ж sch, з s, й j, х ch, ц z, ч tsch, ш sch, щ schtsch, ю ju, я ja, ё jo, ъ "),
		pairs: pairsOf("ий i, ый y, кс x"), initial: letters("е je")}).apply
	russianFrench = (&scheme{single: with(cyrillicICAO, "ж j, ч tch, ш ch, щ chtch, у ou, ю iou, ё io, ъ "),
		pairs: pairsOf("ий i, ый y, кс x")}).apply

	ukrainianBase     = with(cyrillicICAO, "г h, и y, є ie, ї i, й i, ю iu, я ia, ' ")
	ukrainianNational = (&scheme{single: ukrainianBase, pairs: pairsOf("зг zgh"),
		initial: letters("є ye, ї yi, й y, ю yu, я ya")}).apply
	ukrainianEnglish = (&scheme{single: with(ukrainianBase, "г g, й y, є ye, ї yi, ю yu, я ya"), pairs: pairsOf("ий iy")}).apply
	ukrainianGerman  = (&scheme{single: with(ukrainianBase, "в w, ж sch, з s, ї ji, й j, х ch, ц z, ч tsch, ш sch, щ schtsch, ю ju, я ja, є je")}).apply

	belarusianNational = (&scheme{single: with(cyrillicICAO, "г h, е ie, ё io, ў u, ' ")}).apply
	belarusianLacinka  = (&scheme{single: with(cyrillicICAO, "г h, е je, ё jo, ж ž, й j, х ch, ц c, ч č, ш š, ў ŭ, ю ju, я ja, ' ")}).apply

	bulgarianStreamlined = (&scheme{single: with(cyrillicICAO, "й y, х h, щ sht, ъ a, ь y, ю yu, я ya")}).apply
	bulgarianICAO        = (&scheme{single: with(cyrillicICAO, "щ sht, ъ u")}).apply

	serbianLatinLetters = with(cyrillicICAO, "ђ đ, ж ž, ј j, љ lj, њ nj, ћ ć, х h, ц c, ч č, џ dž, ш š")
	serbianLatin        = (&scheme{single: serbianLatinLetters}).apply
	serbianASCII        = (&scheme{single: with(serbianLatinLetters, "ђ dj, ж z, ћ c, ч c, џ dz, ш s")}).apply
	serbianEnglish      = (&scheme{single: with(serbianLatinLetters, "ђ dj, ж zh, ћ ch, ч ch, џ dzh, ш sh, ц ts")}).apply
)

// Greek: accents dropped first; a diaeresis keeps its letter apart from the
// one before (ϊ, ϋ are never half of a pair).
var (
	greekAccents = map[rune]rune{'ά': 'α', 'έ': 'ε', 'ή': 'η', 'ί': 'ι', 'ό': 'ο', 'ύ': 'υ', 'ώ': 'ω', 'ΐ': 'ϊ', 'ΰ': 'ϋ'}
	greekLetters = letters("α a, β v, γ g, δ d, ε e, ζ z, η i, θ th, ι i, κ k, λ l, μ m, ν n, ξ x, ο o, π p, ρ r, σ s, ς s, τ t, υ y, φ f, χ ch, ψ ps, ω o, ϊ i, ϋ y")
	// greekELOT is ELOT 743, the Greek passport standard.
	greekELOT = (&scheme{pre: greekAccents, single: greekLetters,
		initialPairs: pairsOf("μπ b, ντ d"), pairs: pairsOf("ου ou, αυ av, ευ ev, ηυ iv, γγ ng, γξ nx, γχ nch")}).apply
	// greekPopular is how Greeks abroad are often written (Yiorgos, Hristos).
	greekPopular = (&scheme{pre: greekAccents, single: with(greekLetters, "υ i, χ h"),
		initialPairs: pairsOf("μπ b, ντ d"),
		pairs:        pairsOf("ου ou, αι e, ει i, οι i, αυ av, ευ ev, γγ ng, γε ye, γι yi, γη yi, γυ yi")}).apply
)

// latinFold maps a lower-case letter with diacritics to plain letters.
var latinFold = func() map[rune]string {
	// 'İ' (Turkish dotted capital) lower-cases to a plain 'i', so it is
	// looked up as itself.
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ĳ': "ij", 'İ': "I"}
	for base, marked := range map[string]string{
		"a": "àáâãäåāăąǎạảấầẩẫậắằẳẵặ", "c": "çćĉċč", "d": "ďđð", "e": "èéêëēĕėęěẹẻẽếềểễệ",
		"g": "ĝğġģ", "h": "ĥħ", "i": "ìíîïĩīĭįıǐỉị", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ",
		"o": "òóôõöøōŏőǒọỏốồổỗộơớờởỡợ", "r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț",
		"u": "ùúûüũūŭůűųưǔụủứừửữự", "y": "ýÿŷỳỵỷỹ", "z": "źżž",
	} {
		for _, r := range marked {
			m[r] = base
		}
	}
	return m
}()

// germanFold writes umlauts and Nordic vowels the German way (ü → ue).
var germanFold = with(latinFold, "ä ae, ö oe, ü ue, ø oe, å aa")

func fold(table map[rune]string, s string) string {
	var b strings.Builder
	for _, r := range s {
		lower := unicode.ToLower(r)
		out, ok := table[lower]
		if !ok {
			out, ok = table[r]
		}
		switch {
		case !ok:
			b.WriteRune(r)
		case lower != r && out != "": // keep an upper-case letter upper-case: Ø → O, Æ → Ae
			first := []rune(out)
			b.WriteRune(unicode.ToUpper(first[0]))
			b.WriteString(string(first[1:]))
		default:
			b.WriteString(out)
		}
	}
	return b.String()
}

func foldPlain(s string) string  { return fold(latinFold, s) }
func foldGerman(s string) string { return fold(germanFold, s) }

func hyphenToSpace(s string) string { return strings.ReplaceAll(s, "-", " ") }

// dutchParticles joins a surname's particles as emigrants' records do:
// "van den Berg" → "Vandenberg".
func dutchParticles(s string) string {
	if s == "" || !unicode.IsLower([]rune(s)[0]) {
		return s
	}
	return titleWords(strings.ToLower(strings.ReplaceAll(s, " ", "")))
}

// variantGroups maps every spelling in a group "A, B, C" to the others.
func variantGroups(groups ...string) map[string][]string {
	m := map[string][]string{}
	for _, g := range groups {
		var names []string
		for n := range strings.SplitSeq(g, ",") {
			names = append(names, strings.TrimSpace(n))
		}
		for i, n := range names {
			for j, other := range names {
				if i != j {
					m[n] = append(m[n], other)
				}
			}
		}
	}
	return m
}

// articleVariants spells an Arabic article prefix another way:
// "Al-Qahtani" → "Al Qahtani", "El-Qahtani", "Alqahtani", "Qahtani".
func articleVariants(word string) []string {
	for _, prefix := range []string{"Al-", "El-"} {
		if rest, ok := strings.CutPrefix(word, prefix); ok && rest != "" {
			other := "El-"
			if prefix == "El-" {
				other = "Al-"
			}
			return []string{"Al " + rest, other + rest, prefix[:2] + strings.ToLower(rest), rest}
		}
	}
	return nil
}

// feminine forms of surnames, by language.

func replaceSuffix(s, suffix, with string) (string, bool) {
	if rest, ok := strings.CutSuffix(s, suffix); ok {
		return rest + with, true
	}
	return s, false
}

// firstSuffix applies the first rule (suffix, replacement) that matches.
func firstSuffix(s string, rules ...string) string {
	for i := 0; i+1 < len(rules); i += 2 {
		if out, ok := replaceSuffix(s, rules[i], rules[i+1]); ok {
			return out
		}
	}
	return s
}

func feminineRussian(s string) string {
	return firstSuffix(s, "ов", "ова", "ев", "ева", "ёв", "ёва", "ин", "ина", "ын", "ына", "ий", "ая", "ый", "ая", "ой", "ая")
}

func feminineUkrainian(s string) string {
	return firstSuffix(s, "ов", "ова", "ев", "ева", "єв", "єва", "ін", "іна", "ий", "а")
}

func feminineBelarusian(s string) string {
	return firstSuffix(s, "оў", "ова", "аў", "ава", "еў", "ева", "ёў", "ёва", "ін", "іна", "скі", "ская", "цкі", "цкая")
}

func feminineBulgarian(s string) string {
	return firstSuffix(s, "ов", "ова", "ев", "ева", "ски", "ска")
}

func femininePolish(s string) string {
	return firstSuffix(s, "ski", "ska", "cki", "cka", "dzki", "dzka")
}

// feminineCzechSlovak: Novotný → Novotná, Hájek → Hájková, Svoboda →
// Svobodová, Šimko → Šimková, Novák → Nováková. Irregular ones (Němec)
// are written out in the table.
func feminineCzechSlovak(s string) string {
	for _, rule := range [][2]string{{"ý", "á"}, {"ek", "ková"}, {"a", "ová"}, {"o", "ová"}} {
		if out, ok := replaceSuffix(s, rule[0], rule[1]); ok {
			return out
		}
	}
	return s + "ová"
}

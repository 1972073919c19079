package identity

// Greek, after ELOT 743:2001 (ISO 843 transcription), which Greece applies
// to the Latin names of its passports and Doc 9303 defers to: Β V, Η I,
// Θ TH, Ξ X, Υ Y, Χ CH, Ψ PS, Ω O; ΟΥ OU; ΓΓ NG, ΓΞ NX, ΓΧ NCH; ΑΥ ΕΥ ΗΥ
// are AV EV IV before a vowel or a voiced consonant (Β Γ Δ Ζ Λ Μ Ν Ρ) and
// AF EF IF before a voiceless one or at the end of the word; a diaeresis
// (Ϋ) breaks the pair. ΜΠ is B at the start and end of a word and MP inside
// it. Accents are dropped.
//
// Alternates for spellings Greek documents and lists also carry: MP/B and
// NT/D at the start of a word (ΜΠΑΚΟΣ: BAKOS or MPAKOS; ΝΤΙΝΑ: NTINA or
// DINA), GK/G at the start, and I for Υ (KYRIAKOS, KIRIAKOS). Polytonic
// letters (Greek Extended) are not covered and are dropped.

// greekLetter is a Greek letter without its accent, and whether it carried
// a diaeresis.
type greekLetter struct {
	r         rune
	diaeresis bool
}

// greekPlain maps accented letters to the bare upper-case letter; the bool
// says the accent was (or included) a diaeresis.
var greekPlain = map[rune]greekLetter{
	'Ά': {'Α', false}, 'Έ': {'Ε', false}, 'Ή': {'Η', false}, 'Ί': {'Ι', false},
	'Ό': {'Ο', false}, 'Ύ': {'Υ', false}, 'Ώ': {'Ω', false},
	'Ϊ': {'Ι', true}, 'Ϋ': {'Υ', true}, 'ΐ': {'Ι', true}, 'ΰ': {'Υ', true},
}

var greekSingle = map[rune][]string{
	'Α': {"A"}, 'Β': {"V"}, 'Γ': {"G"}, 'Δ': {"D"}, 'Ε': {"E"}, 'Ζ': {"Z"},
	'Η': {"I"}, 'Θ': {"TH"}, 'Ι': {"I"}, 'Κ': {"K"}, 'Λ': {"L"}, 'Μ': {"M"},
	'Ν': {"N"}, 'Ξ': {"X"}, 'Ο': {"O"}, 'Π': {"P"}, 'Ρ': {"R"}, 'Σ': {"S"},
	'Τ': {"T"}, 'Υ': {"Y", "I"}, 'Φ': {"F"}, 'Χ': {"CH"}, 'Ψ': {"PS"},
	'Ω': {"O"},
}

// isGreek reports a Greek letter the table covers, accented or not.
func isGreek(r rune) bool {
	if _, ok := greekSingle[r]; ok {
		return true
	}
	_, ok := greekPlain[r]
	return ok
}

func greekOf(r rune) greekLetter {
	if g, ok := greekPlain[r]; ok {
		return g
	}
	return greekLetter{r: r}
}

func greekVowel(r rune) bool { return containsRune("ΑΕΗΙΟΥΩ", r) }

func greekVoiced(r rune) bool { return containsRune("ΒΓΔΖΛΜΝΡ", r) }

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

// greekWord transliterates one Greek word (a run of Greek letters) into
// units.
func greekWord(word []greekLetter) []unit {
	var out []unit
	at := func(i int) rune {
		if i < len(word) {
			return word[i].r
		}
		return 0
	}
	for i := 0; i < len(word); {
		c, next := word[i].r, at(i+1)
		pairNext := i+1 < len(word) && !word[i+1].diaeresis
		start, end := i == 0, i+2 == len(word)
		switch {
		case pairNext && next == 'Υ' && (c == 'Α' || c == 'Ε' || c == 'Η'):
			vowel := greekSingle[c][0]
			after := at(i + 2)
			if after != 0 && (greekVowel(after) || greekVoiced(after)) {
				out = append(out, unit{opts: []string{vowel + "V"}})
			} else {
				out = append(out, unit{opts: []string{vowel + "F"}})
			}
		case pairNext && c == 'Ο' && next == 'Υ':
			out = append(out, unit{opts: []string{"OU"}})
		case c == 'Μ' && next == 'Π':
			if start || end {
				out = append(out, unit{opts: []string{"B", "MP"}})
			} else {
				out = append(out, unit{opts: []string{"MP", "B"}})
			}
		case c == 'Ν' && next == 'Τ' && start:
			out = append(out, unit{opts: []string{"NT", "D"}})
		case c == 'Γ' && next == 'Κ' && start:
			out = append(out, unit{opts: []string{"GK", "G"}})
		case c == 'Γ' && next == 'Γ':
			out = append(out, unit{opts: []string{"NG"}})
		case c == 'Γ' && next == 'Ξ':
			out = append(out, unit{opts: []string{"NX"}})
		case c == 'Γ' && next == 'Χ':
			out = append(out, unit{opts: []string{"NCH"}})
		default:
			out = append(out, unit{opts: greekSingle[c]})
			i++
			continue
		}
		i += 2
	}
	return out
}

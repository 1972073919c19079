package identity

// Index keys (blocking). The replica files every record under the keys of
// its tokens with its birth year, and looks a query up with the query's
// keys and CandidateYears: a record is a candidate when ANY query token
// shares a key with ANY record token. A key must therefore absorb the ways
// one name is spelt — transliteration (Ю IU/YU/JU, Х KH/H, Ж ZH/Z, Ü UE/U),
// doubled letters, vowel slips, common typing slips — yet stay selective.
//
// A key is the class of the first letter followed by the classes of the
// next consonants, keyLength classes at most:
//
//   - vowels are dropped after the first letter, and so are H, J and Y
//     (the iotation of Я/Ю/Й is written IA, YA or JA); a vowel, J or Y
//     opening a name is one class 'A' (ELENA, YELENA, JELENA; IURII, YURI),
//     an opening H is class H
//   - one class per sound group: K = C(hard) K Q CK CH KH CZ TCH TSCH;
//     S = S Z C(soft, before E I Y) SH SCH SZ ZH TS TZ SHCH; T = T D TH;
//     P = P B; F = F V W PH; G = G GH; DZH (Cyrillic Дж) counts as J;
//     X is KS, or S opening a name (Pinyin XU)
//   - a class repeated without a vowel between is written once (MUELLER,
//     MULLER: MLR); the NXX and UXX escapes of an MRZ are skipped, and so
//     are the X escapes of a vowel-less Arabic-script token (MXHMD: MMT)
//   - a token of one class keeps its first vowel after the first letter,
//     Y as I (DO: TO, THI: TI, LY and LI: LI).
//
// Recall limits, by design of any blocking key: a record is missed when
// every token pair differs within its first keyLength classes — a single
// token name with a consonant slip there (SMITH vs SNITH), or a name
// truncated inside its key (an MRZ cut leaving KATH of KATHARINA with no
// other token shared). Selectivity limits: a very common token (NGUYEN,
// MOHAMMED, THI) has a long posting list whatever its key; the replica
// should rely on a query's other keys when one key's list is long.
const keyLength = 4

// Keys are the index keys of p: one phonetic key per distinct token over
// all variants of both name parts, distinct, in order of first appearance.
// Tokens shorter than 2 letters (initials) have none. A record and a query
// that should match share at least one key (see the recall limits above).
func (p Prepared) Keys() []string {
	var keys []string
	for _, part := range [2][][]string{p.Surname, p.Given} {
		for _, variant := range part {
			for _, t := range variant {
				if len(t) < 2 {
					continue
				}
				keys = addDistinct(keys, TokenKey(t))
			}
		}
	}
	return keys
}

// TokenKey is the phonetic key of one token in the MRZ alphabet (A–Z).
func TokenKey(t string) string {
	var key [keyLength + 1]byte
	n := 0
	var last byte // the class written last, 0 after a vowel
	// A vowel-less token is Arabic script written without its vowels: its
	// X's are escapes, and a repeated consonant is two sounds (MHMD).
	abjad := !hasVowel(t)
	emit := func(c byte) {
		if (c != last || abjad) && n < keyLength {
			key[n] = c
			n++
		}
		last = c
	}
	var firstVowel byte
	for i := 0; i < len(t) && n < keyLength; {
		c, width := soundClass(t, i)
		switch {
		case i == 0 && t[0] == 'H':
			emit('H')
		case i == 0 && c == 0:
			emit('A') // a name opening with a vowel, J or Y
		case c == 'X' && (abjad || isXXEscape(t, i)):
			width = max(width, 1+boolInt(!abjad)) // NXX, UXX: the Ñ and Ü of an MRZ
		case i == 0 && c == 'X':
			emit('S')
		case c == 'X':
			emit('K')
			emit('S')
		case c == 0:
			if isVowelLetter(t[i]) || t[i] == 'Y' {
				last = 0 // a vowel separates repeated classes; H and J do not
				if firstVowel == 0 {
					firstVowel = vowelClass(t[i])
				}
			}
		default:
			emit(c)
		}
		i += width
	}
	// A token of one consonant class (DO, THI, LE, LI, WU) keeps its first
	// vowel: one class alone would file every short name together.
	if n == 1 && firstVowel != 0 {
		key[n] = firstVowel
		n++
	}
	return string(key[:n])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isXXEscape reports the XX of an MRZ's NXX or UXX at t[i].
func isXXEscape(t string, i int) bool {
	return i > 0 && (t[i-1] == 'N' || t[i-1] == 'U') && i+1 < len(t) && t[i+1] == 'X'
}

// vowelClass folds Y into I: LY and LI are one Vietnamese and Chinese
// surname.
func vowelClass(c byte) byte {
	if c == 'Y' {
		return 'I'
	}
	return c
}

func isVowelLetter(c byte) bool {
	switch c {
	case 'A', 'E', 'I', 'O', 'U':
		return true
	}
	return false
}

// soundClass reads the letter group at t[i]: its class (0 for a vowel, H,
// J, Y; 'X' for X) and how many letters it spans.
func soundClass(t string, i int) (byte, int) {
	has := func(s string) bool {
		return len(t)-i >= len(s) && t[i:i+len(s)] == s
	}
	next := byte(0)
	if i+1 < len(t) {
		next = t[i+1]
	}
	switch t[i] {
	case 'A', 'E', 'I', 'O', 'U', 'Y', 'H', 'J':
		return 0, 1
	case 'B', 'P':
		if has("PH") {
			return 'F', 2
		}
		return 'P', 1
	case 'F', 'V', 'W':
		return 'F', 1
	case 'K', 'Q':
		if has("KH") {
			return 'K', 2
		}
		return 'K', 1
	case 'C':
		switch next {
		case 'H', 'K', 'Z':
			return 'K', 2
		case 'E', 'I', 'Y':
			return 'S', 1
		}
		return 'K', 1
	case 'G':
		if has("GH") {
			return 'G', 2
		}
		return 'G', 1
	case 'S':
		switch {
		case has("SHCH"):
			return 'S', 4
		case has("SCH"):
			return 'S', 3
		case next == 'H' || next == 'Z':
			return 'S', 2
		}
		return 'S', 1
	case 'Z':
		if next == 'H' {
			return 'S', 2
		}
		return 'S', 1
	case 'T':
		switch {
		case has("TSCH"):
			return 'K', 4
		case has("TCH"):
			return 'K', 3
		case next == 'S' || next == 'Z':
			return 'S', 2
		case next == 'H':
			return 'T', 2
		}
		return 'T', 1
	case 'D':
		if has("DZH") {
			return 0, 3 // Дж: the J of JAMAL, JOHN
		}
		return 'T', 1
	case 'X':
		return 'X', 1
	}
	return t[i], 1 // L, M, N, R
}

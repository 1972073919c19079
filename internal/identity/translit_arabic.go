package identity

// Arabic script, after ICAO Doc 9303 Part 3 (8th ed., 2021), section 6,
// table C "Transliteration of Arabic script" (Arabic, with the Persian, Urdu
// and Pashto letters), and its appendix on the scheme: a letter with no
// close Latin match is written with an "X" escape before it (ح XH, ش XSH,
// ص XSS), so the MRZ can be read back into the Arabic name; teh marbuta is
// XTA, or XAH when it ends a name component; short vowels (harakat), shadda
// and tatweel are not encoded.
//
// Most Arab states print a phonetic transcription in the MRZ instead
// (MOHAMMED, not MXHMD), and the appendix tells operators to ignore the X
// characters, so each escaped letter also gets the form without its X's as
// the alternate. The written vowels are not there to match a transcription
// letter for letter: Match compares such vowel-less tokens by consonants.
// Not encoded, as in the table: ڜ ڢ ڧ ڨ and the presentation forms.

// arabicTable holds the table's MRZ form per letter; teh marbuta is handled
// apart (its form depends on where it stands).
var arabicTable = map[rune]string{
	'ء': "XE", 'آ': "XAA", 'أ': "XAE", 'ؤ': "U", 'إ': "I", 'ئ': "XI",
	'ا': "A", 'ب': "B", 'ت': "T", 'ث': "XTH", 'ج': "J", 'ح': "XH",
	'خ': "XKH", 'د': "D", 'ذ': "XDH", 'ر': "R", 'ز': "Z", 'س': "S",
	'ش': "XSH", 'ص': "XSS", 'ض': "XDZ", 'ط': "XTT", 'ظ': "XZZ", 'ع': "E",
	'غ': "G", 'ف': "F", 'ق': "Q", 'ك': "K", 'ل': "L", 'م': "M", 'ن': "N",
	'ه': "H", 'و': "W", 'ى': "XAY", 'ي': "Y",
	// Persian, Urdu and Pashto letters.
	'ٱ': "XXA", 'ٹ': "XXT", 'ټ': "XRT", 'پ': "P", 'ځ': "XKE", 'څ': "XXH",
	'چ': "XC", 'ڈ': "XXD", 'ډ': "XDR", 'ڑ': "XXR", 'ړ': "XRR", 'ږ': "XRX",
	'ژ': "XJ", 'ښ': "XXS", 'ک': "XKK", 'ګ': "XXK", 'ڭ': "XNG", 'گ': "XGG",
	'ں': "XNN", 'ڼ': "XXN", 'ھ': "XDO", 'ۀ': "XYH", 'ہ': "XXG", 'ۂ': "XGE",
	'ۃ': "XTG", 'ی': "XYA", 'ۍ': "XXY", 'ې': "Y", 'ے': "XYB", 'ۓ': "XBE",
}

const tehMarbuta = 'ة'

// arabicSilent reports the marks the table does not encode: harakat,
// shadda, sukun, superscript alef, tatweel.
func arabicSilent(r rune) bool {
	return (r >= 0x064B && r <= 0x0652) || r == 0x0670 || r == 0x0640
}

// isArabicLetter reports a letter of the table (teh marbuta included).
func isArabicLetter(r rune) bool {
	if r == tehMarbuta {
		return true
	}
	_, ok := arabicTable[r]
	return ok
}

// arabicPlain overrides the unescaped alternate where dropping the X's
// does not give the letter's usual transcription: teh marbuta is A at the
// end of a name (FATIMA), alef maksura A (MUSTAFA), Farsi yeh Y (the
// appendix allows Y), the hamza seats their vowel (AHMAD, not AEHMAD), a
// lone hamza nothing.
var arabicPlain = map[string]string{
	"XAH": "A", "XTA": "T", "XAY": "A", "XYA": "Y",
	"XAE": "A", "XAA": "A", "XI": "I", "XE": "",
}

// arabicForms returns the table's form of rs[i] and, for an escaped
// letter, the alternate without the escape.
func arabicForms(rs []rune, i int) []string {
	if rs[i] != tehMarbuta {
		return arabicUnits[rs[i]]
	}
	if endsComponent(rs, i) {
		return tehMarbutaEnd
	}
	return tehMarbutaInside
}

var (
	arabicUnits = func() map[rune][]string {
		m := make(map[rune][]string, len(arabicTable))
		for r, form := range arabicTable {
			m[r] = arabicAlternates(form)
		}
		return m
	}()
	tehMarbutaEnd    = arabicAlternates("XAH")
	tehMarbutaInside = arabicAlternates("XTA")
)

// arabicAlternates is a form and, when escaped, the form without its
// escape: the X's dropped and a doubled letter made single (XSS → S,
// XXA → A), unless arabicPlain says otherwise.
func arabicAlternates(form string) []string {
	if form[0] != 'X' {
		return []string{form}
	}
	if plain, ok := arabicPlain[form]; ok {
		return []string{form, plain}
	}
	plain := make([]byte, 0, len(form))
	for j := 0; j < len(form); j++ {
		if c := form[j]; c != 'X' && (len(plain) == 0 || plain[len(plain)-1] != c) {
			plain = append(plain, c)
		}
	}
	return []string{form, string(plain)}
}

// endsComponent reports whether no Arabic letter follows rs[i] in its name
// component (silent marks do not count).
func endsComponent(rs []rune, i int) bool {
	for _, r := range rs[i+1:] {
		switch {
		case arabicSilent(r):
		case isArabicLetter(r):
			return false
		default:
			return true
		}
	}
	return true
}

package identity

// Latin letters with diacritics, after ICAO Doc 9303 Part 3 (8th ed.,
// 2021), section 6 "Transliterations recommended for use by States", table A
// "Transliteration of multinational Latin-based characters". The table lists
// upper-case letters; lower case is upper-cased first.
//
// Where the table gives a choice — Ä "AE or A", Å "AA or A", Ö "OE or O",
// Ø "OE or O", Ü "UE or UXX or U", Ñ "N or NXX" — every form is an
// alternate, ordered by kind: the first recommendation, the bare letter,
// then the "XX" escape that keeps the MRZ reversible. Issuers apply one
// convention to a whole name, so Transliterate tries each kind on the whole
// name before it mixes them.
//
// Letters the table does not list but names carry — the Vietnamese stacked
// diacritics of Latin Extended Additional (ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ
// ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự ỳ ỵ ỷ ỹ), ơ and ư, the comma-below letters of Romanian
// (Ș Ț), the hooked letters of West African orthographies (Ɓ Ɗ Ƙ Ƴ) — lose
// their marks, as the table does for every mark it lists. Ə, which the table
// does not list, follows Azerbaijan's passports (Əliyev → ALIYEV) with E as
// the alternate.

// latinBase maps each letter to the letter it keeps once its marks are gone.
// Lower-case letters that Unicode gives no upper case (ẖ ẗ ẘ ẙ ẚ ǰ ĸ ŉ) are
// listed as they are.
var latinBase = map[string]string{
	"A": "ÀÁÂÃĀĂĄǍǠȀȂȦȺḀẚẠẢẤẦẨẪẬẮẰẲẴẶ",
	"B": "ƁƂɃḂḄḆ",
	"C": "ÇĆĈĊČƇȻḈ",
	"D": "ÐĎĐƉƊƋḊḌḎḐḒ",
	"E": "ÈÉÊËĒĔĖĘĚȄȆȨɆƎƐḔḖḘḚḜẸẺẼẾỀỂỄỆ",
	"F": "ƑḞ",
	"G": "ĜĞĠĢƓǤǦǴƔḠ",
	"H": "ĤĦȞḢḤḦḨḪẖ",
	"I": "ÌÍÎÏĨĪĬĮİƗƖǏȈȊḬḮỈỊ",
	"J": "ĴɈǰ",
	"K": "ĶƘǨḰḲḴĸ",
	"L": "ĹĻĽĿŁȽḶḸḺḼ",
	"M": "ḾṀṂ",
	"N": "ŃŅŇŊƝǸȠṄṆṈṊŉ",
	"O": "ÒÓÔÕŌŎŐƟƠǑǪǬȌȎȬȮȰƆṌṎṐṒỌỎỐỒỔỖỘỚỜỞỠỢ",
	"P": "ƤṔṖ",
	"Q": "Ɋ",
	"R": "ŔŖŘȐȒɌṘṚṜṞ",
	"S": "ŚŜŞŠȘṠṢṤṦṨ",
	"T": "ŢŤŦƬƮȚȾṪṬṮṰẗ",
	"U": "ÙÚÛŨŪŬŮŰŲƯǓȔȖɄƱṲṴṶṸṺỤỦỨỪỬỮỰ",
	"V": "ƲṼṾ",
	"W": "ŴǷẀẂẄẆẈẘ",
	"X": "ẊẌ",
	"Y": "ÝŶŸƳȲɎẎỲỴỶỸẙ",
	"Z": "ŹŻŽƵȤƷǮẐẒẔ",
}

// latinMulti maps letters written with more than one MRZ letter, or with a
// choice: the alternates by kind (first recommendation, bare letter, XX
// escape); a kind a letter lacks repeats the one before.
var latinMulti = map[rune][]string{
	'Ä': {"AE", "A"},
	'Ǟ': {"AE", "A"}, // Ä with macron
	'Å': {"AA", "A"},
	'Ǻ': {"AA", "A"}, // Å with acute
	'Æ': {"AE"},
	'Ǣ': {"AE"},
	'Ǽ': {"AE"},
	'Ö': {"OE", "O"},
	'Ȫ': {"OE", "O"}, // Ö with macron
	'Ø': {"OE", "O"},
	'Ǿ': {"OE", "O"}, // Ø with acute
	'Ü': {"UE", "U", "UXX"},
	'Ǖ': {"UE", "U", "UXX"}, // Ü with macron, acute, caron, grave (Pinyin)
	'Ǘ': {"UE", "U", "UXX"},
	'Ǚ': {"UE", "U", "UXX"},
	'Ǜ': {"UE", "U", "UXX"},
	'Ñ': {"N", "N", "NXX"},
	'Œ': {"OE"},
	'Ĳ': {"IJ"},
	'Þ': {"TH"},
	'ß': {"SS"},
	'ẞ': {"SS"},
	'Ǳ': {"DZ"},
	'ǲ': {"DZ"},
	'Ǆ': {"DZ"},
	'ǅ': {"DZ"},
	'Ǉ': {"LJ"},
	'ǈ': {"LJ"},
	'Ǌ': {"NJ"},
	'ǋ': {"NJ"},
	'Ȣ': {"OU"},
	'Ə': {"A", "E"},
}

// latinTable is latinBase and latinMulti merged, built once.
var latinTable = func() map[rune][]string {
	t := make(map[rune][]string, 512)
	for base, letters := range latinBase {
		for _, r := range letters {
			t[r] = []string{base}
		}
	}
	for r, forms := range latinMulti {
		t[r] = forms
	}
	return t
}()

package identity

// Cyrillic, after ICAO Doc 9303 Part 3 (8th ed., 2021), section 6, table B
// "Transliteration of Cyrillic characters", with its language notes: the
// table's first column is the Russian use, and Belarusian, Bulgarian,
// Macedonian, Serbian and Ukrainian differ for a few letters (Г is H in
// Belarusian, Serbian and Ukrainian; И is Y in Ukrainian; Щ is SHT and Ъ is
// A in Bulgarian; Х is H and Ц is C in Serbian and Macedonian; ...).
//
// A name does not say its language, so every language whose alphabet holds
// all the Cyrillic letters of the name gives a form, Russian first: "Сергей"
// is SERGEI (Russian, Bulgarian) or SERHEI (Ukrainian); "Ђорђе" only has a
// Serbian form. A name no alphabet holds whole (mixed letters) takes the
// first column. The Cyrillic letters of the Central Asian languages (Қ Ң Ү Ө
// Һ ...) are not in the table and are dropped.

// cyrillicLanguage is one column of the table: the letters its alphabet
// holds and where it departs from the first column.
type cyrillicLanguage struct {
	index     int // in cyrillicLanguages
	name      string
	alphabet  string
	overrides map[rune]string
}

// cyrillicBase is the table's first column: Russian, and the letters of the
// other languages where they have no note.
var cyrillicBase = map[rune]string{
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E",
	'Ж': "ZH", 'З': "Z", 'И': "I", 'Й': "I", 'К': "K", 'Л': "L", 'М': "M",
	'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U",
	'Ф': "F", 'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH", 'Щ': "SHCH",
	'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU", 'Я': "IA",
	'Ґ': "G", 'Є': "IE", 'І': "I", 'Ї': "I", 'Ў': "U",
	'Ђ': "D", 'Ј': "J", 'Љ': "LJ", 'Њ': "NJ", 'Ћ': "C", 'Џ': "DZ",
	'Ѓ': "G", 'Ќ': "K", 'Ѕ': "DZ", 'Ѐ': "E", 'Ѝ': "I", 'Ѫ': "U",
}

// cyrillicLanguages in the order their forms are listed.
var cyrillicLanguages = []cyrillicLanguage{
	{
		index:    0,
		name:     "Russian",
		alphabet: "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
	},
	{
		index:     1,
		name:      "Ukrainian",
		alphabet:  "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ",
		overrides: map[rune]string{'Г': "H", 'И': "Y"},
	},
	{
		index:     2,
		name:      "Belarusian",
		alphabet:  "АБВГДЕЁЖЗІЙКЛМНОПРСТУЎФХЦЧШЫЬЭЮЯ",
		overrides: map[rune]string{'Г': "H", 'Ё': "IO"},
	},
	{
		index:     3,
		name:      "Bulgarian",
		alphabet:  "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯЍЀѪ",
		overrides: map[rune]string{'Щ': "SHT", 'Ъ': "A"},
	},
	{
		index:    4,
		name:     "Serbian",
		alphabet: "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ",
		overrides: map[rune]string{
			'Г': "H", 'Ж': "Z", 'Х': "H", 'Ц': "C", 'Ч': "C", 'Ш': "S",
		},
	},
	{
		index:    5,
		name:     "Macedonian",
		alphabet: "АБВГДЃЕЖЗЅИЈКЛЉМНЊОПРСТЌУФХЦЧЏШЀЍ",
		overrides: map[rune]string{
			'Ѓ': "GJ", 'Ќ': "KJ", 'Х': "H", 'Ц': "C", 'Џ': "DJ",
		},
	},
}

// translit is one language's form of a Cyrillic letter.
func (l *cyrillicLanguage) translit(r rune) (string, bool) {
	if s, ok := l.overrides[r]; ok {
		return s, true
	}
	s, ok := cyrillicBase[r]
	return s, ok
}

// cyrillicForms holds each language's forms as the one-form lists units
// carry, built once (by language, then letter).
var cyrillicForms = func() []map[rune][]string {
	forms := make([]map[rune][]string, len(cyrillicLanguages))
	for i := range cyrillicLanguages {
		forms[i] = make(map[rune][]string, len(cyrillicBase))
		for r := range cyrillicBase {
			if s, _ := cyrillicLanguages[i].translit(r); s != "" {
				forms[i][r] = []string{s}
			}
		}
	}
	return forms
}()

// isCyrillic reports a letter of the table.
func isCyrillic(r rune) bool {
	_, ok := cyrillicBase[r]
	return ok
}

// cyrillicLanguagesOf returns the languages whose alphabet holds every
// Cyrillic letter of rs; the first column alone when none does, and nil
// when rs has no Cyrillic letter.
func cyrillicLanguagesOf(rs []rune) []*cyrillicLanguage {
	var present []rune
	for _, r := range rs {
		if isCyrillic(r) {
			present = append(present, r)
		}
	}
	if present == nil {
		return nil
	}
	var fit []*cyrillicLanguage
	for i := range cyrillicLanguages {
		l := &cyrillicLanguages[i]
		if holdsAll(l.alphabet, present) {
			fit = append(fit, l)
		}
	}
	if fit == nil {
		fit = append(fit, &cyrillicLanguages[0])
	}
	return fit
}

func holdsAll(alphabet string, rs []rune) bool {
	for _, r := range rs {
		found := false
		for _, a := range alphabet {
			if a == r {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

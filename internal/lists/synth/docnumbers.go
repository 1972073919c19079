package synth

import (
	"fmt"
	"strings"
)

// Document numbers are shaped like each state's (a German passport
// "C01X00T47", a French one "12AB34567", a Ukrainian "FA123456"). A
// pattern is a list of positions: a lower-case class letter (a: A–Z, d:
// 0–9, x: A–Z and 0–9, l and n: the same without the letter O, as Dutch
// numbers, g: the German document alphabet), a set in braces ({CFGHJK},
// {A-Z}), or a literal upper-case letter or digit.
//
// Numbers are distinct by construction: record i's number is a
// pseudo-random permutation (keyed by the seed, the state and the pattern)
// of i, written in the pattern. Within one state, patterns of different
// document types either are the same pattern (one permutation: distinct
// numbers) or cannot produce the same string (they differ in length or
// in the class of some position).

type stateFormats struct {
	passport string
	id       string // "" when the state issues no ID card with an MRZ
	idType   string // the ID card's MRZ document code
}

var defaultFormats = stateFormats{passport: "aaddddddd"}

var documentFormats = map[string]stateFormats{
	"RUS": {passport: "ddddddddd"},
	"VNM": {passport: "{BCNP}dddddddd", id: "ddddddddd", idType: "ID"},
	"TUR": {passport: "{UZS}dddddddd", id: "addaddddd", idType: "ID"},
	"UKR": {passport: "{EFG}{A-Z}dddddd", id: "ddddddddd", idType: "ID"},
	"CHN": {passport: "Edddddddd"},
	"IND": {passport: "addddddd"},
	"D":   {passport: "{CFGHJK}gggggggg", id: "{LMNPRTVWXY}gggggggg", idType: "ID"},
	"POL": {passport: "aaddddddd", id: "aaadddddd", idType: "ID"},
	"MAR": {passport: "aaddddddd", id: "aadddddd", idType: "ID"},
	"EGY": {passport: "Adddddddd"},
	"SYR": {passport: "Ndddddddd"},
	"IRQ": {passport: "{AB}dddddddd"},
	"NGA": {passport: "{AB}dddddddd"},
	"GBR": {passport: "ddddddddd"},
	"USA": {passport: "ddddddddd"},
	"FRA": {passport: "ddaaddddd", id: "dddddddddddd", idType: "ID"},
	"ESP": {passport: "Paadddddd", id: "{BCDE}aadddddd", idType: "ID"},
	"ROU": {passport: "dddddddd", id: "aadddddd", idType: "ID"},
	"ITA": {passport: "aaddddddd", id: "aadddddaa", idType: "CA"},
	"BRA": {passport: "aadddddd"},
	"PAK": {passport: "aaddddddd"},
	"SAU": {passport: "addddddd"},
	"SRB": {passport: "ddddddddd", id: "ddddddddd", idType: "ID"},
	"BGR": {passport: "ddddddddd", id: "ddddddddd", idType: "ID"},
	"BLR": {passport: "{MK}{PBHC}ddddddd"},
	"GRC": {passport: "aaddddddd"},
	"PRT": {passport: "aadddddd", id: "dddddddddxxd", idType: "ID"},
	"NLD": {passport: "llnnnnnnd", id: "llnnnnnnd", idType: "I"},
	"CZE": {passport: "dddddddd", id: "ddddddddd", idType: "ID"},
	"HUN": {passport: "aaddddddd", id: "ddddddaa", idType: "ID"},
	"AUT": {passport: "{A-Z}ddddddd", id: "dddddddd", idType: "ID"},
	"SVK": {passport: "aaddddddd", id: "aadddddd", idType: "ID"},
	"CHE": {passport: "{A-Z}ddddddd", id: "{A-Z}ddddddd", idType: "ID"},
	"SWE": {passport: "dddddddd", id: "dddddddd", idType: "I"},
	"DNK": {passport: "ddddddddd"},
	"NOR": {passport: "{FP}addddddd"},
	"FIN": {passport: "aaddddddd", id: "ddddddddd", idType: "ID"},
	"ISL": {passport: "{A-Z}ddddddd"},
}

const (
	upper         = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitsAlpha   = "0123456789"
	germanLetters = "CFGHJKLMNPRTVWXYZ0123456789" // letters that cannot be misread, and digits
	upperNoO      = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
)

// numberFormat writes a number in [0, capacity) in a pattern, after a
// keyed permutation.
type numberFormat struct {
	positions []string // the alphabet of each position
	capacity  uint64
	perm      permutation
}

func parsePattern(pattern string) ([]string, error) {
	var out []string
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == 'a':
			out = append(out, upper)
		case c == 'd':
			out = append(out, digitsAlpha)
		case c == 'x':
			out = append(out, upper+digitsAlpha)
		case c == 'l':
			out = append(out, upperNoO)
		case c == 'n':
			out = append(out, upperNoO+digitsAlpha)
		case c == 'g':
			out = append(out, germanLetters)
		case c == '{':
			end := strings.IndexByte(pattern[i:], '}')
			if end < 2 {
				return nil, fmt.Errorf("pattern %q: unclosed or empty set at %d", pattern, i)
			}
			set := pattern[i+1 : i+end]
			if set == "A-Z" {
				set = upper
			}
			out = append(out, set)
			i += end
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			out = append(out, string(c))
		default:
			return nil, fmt.Errorf("pattern %q: unknown class %q at %d", pattern, c, i)
		}
	}
	return out, nil
}

func newNumberFormat(pattern string, key uint64) (*numberFormat, error) {
	positions, err := parsePattern(pattern)
	if err != nil {
		return nil, err
	}
	capacity := uint64(1)
	for _, p := range positions {
		if capacity > 1<<50/uint64(len(p)) {
			capacity = 1 << 50 // plenty; keeps the permutation's domain small
			break
		}
		capacity *= uint64(len(p))
	}
	return &numberFormat{positions: positions, capacity: capacity, perm: newPermutation(capacity, key)}, nil
}

// number writes index (< capacity) as a document number.
func (f *numberFormat) number(index uint64) string {
	x := f.perm.apply(index)
	buf := make([]byte, len(f.positions))
	for i := len(f.positions) - 1; i >= 0; i-- {
		alphabet := f.positions[i]
		buf[i] = alphabet[x%uint64(len(alphabet))]
		x /= uint64(len(alphabet))
	}
	return string(buf)
}

// permutation is a keyed bijection of [0, size): a 4-round Feistel network
// over the smallest even number of bits that holds size, cycle-walking
// until the value falls inside (fewer than 4 steps on average).
type permutation struct {
	size uint64
	half uint
	key  uint64
}

func newPermutation(size, key uint64) permutation {
	bits := uint(1)
	for uint64(1)<<bits < size {
		bits++
	}
	bits += bits % 2
	return permutation{size: size, half: bits / 2, key: key}
}

func (p permutation) apply(x uint64) uint64 {
	mask := uint64(1)<<p.half - 1
	for {
		left, right := x>>p.half, x&mask
		for round := uint64(0); round < 4; round++ {
			left, right = right, left^(mix64(right^p.key^round*0x9E3779B97F4A7C15)&mask)
		}
		x = left<<p.half | right
		if x < p.size {
			return x
		}
	}
}

// mix64 is SplitMix64's finaliser: a fast, well-spread 64-bit hash.
func mix64(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

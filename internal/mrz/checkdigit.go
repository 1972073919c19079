package mrz

import "fmt"

// Filler is the MRZ filler character.
const Filler = '<'

// checkWeights repeat over the input (ICAO 9303-3, 4.9).
var checkWeights = [3]int{7, 3, 1}

// charValue is a character's value in the check digit computation:
// digits count as themselves, A–Z as 10–35 and the filler as 0.
func charValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	case c == Filler:
		return 0, true
	}
	return 0, false
}

// validChar reports whether c belongs to the MRZ character set.
func validChar(c byte) bool {
	_, ok := charValue(c)
	return ok
}

// CheckDigit computes the ICAO 9303 check digit of s ('0'..'9'). s must hold
// only A–Z, 0–9 and '<'.
func CheckDigit(s string) (byte, error) {
	for i := 0; i < len(s); i++ {
		if !validChar(s[i]) {
			return 0, fmt.Errorf("mrz: check digit input %q: character %d is %q, outside the MRZ set A–Z 0–9 '<'", s, i+1, s[i])
		}
	}
	return digitOf(s), nil
}

// digitOf is CheckDigit for text already checked to be in the MRZ set:
// Parse validates every line before cutting fields from it and Build
// validates its inputs, so the error case cannot arise here.
func digitOf(s string) byte {
	sum := 0
	for i := 0; i < len(s); i++ {
		v, _ := charValue(s[i])
		sum += v * checkWeights[i%3]
	}
	return byte('0' + sum%10)
}

// Package mrz parses, validates and builds the machine-readable zones of
// travel documents as specified by ICAO Doc 9303:
//
//   - part 3: common rules — the character set (A–Z, 0–9 and the filler '<'),
//     check digits (weights 7, 3, 1; '<' = 0, A = 10 … Z = 35), dates (YYMMDD,
//     unknown birth day/month written "<<"), names (primary and secondary
//     identifier separated by "<<") and their truncation;
//   - part 4: TD3 passports, 2 lines × 44, with a personal-number check digit
//     (which may be '<' when the personal number is all fillers) and a
//     composite check digit;
//   - part 5: TD1 cards, 3 lines × 30, and part 6: TD2, 2 lines × 36, both
//     with a composite check digit and the long-document-number rule: when the
//     number has more than 9 characters, the check-digit position holds '<' and
//     the rest of the number plus its check digit (followed by a '<') open the
//     optional data;
//   - part 7: machine-readable visas MRV-A (2 × 44) and MRV-B (2 × 36), whose
//     document code starts with 'V' and which carry no composite check digit.
//
// Parse never panics and never returns an error: an MRZ that breaks any rule
// comes back with Valid=false and one message per problem in Errors, each
// prefixed with the field it concerns ("document_number: check digit is 5,
// computed 6"). Parse reports what it reads and fixes nothing.
//
// Correct, run before Parse on what a reader's OCR produced, fixes OCR
// confusions (O/Q/D↔0, I↔1, Z↔2, Z↔7, S↔5, G↔6, B↔8) only where the MRZ
// proves them: the field's type says the character is wrong (a letter in a
// date or check digit, a digit in a code or name), the check digits covering
// the field — and the composite — verify with the correction, and no other
// correction does. It reports every change (field, position, from, to, why)
// and leaves anything unproven for Parse to report. Document numbers and
// optional data, which mix letters and digits, are never corrected.
//
// Two-digit years are placed in a century relative to a caller-supplied
// "now": a birth date is put in the latest century that does not place it in
// the future; an expiry date in the century that places it within
// [now − 80 years, now + 20 years].
//
// Build is the inverse for the document-reader simulator and the traveller
// generator: it lays the fields out, computes every check digit and truncates
// names as Doc 9303 part 3 prescribes, refusing input that cannot be encoded.
package mrz

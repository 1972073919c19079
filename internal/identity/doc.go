// Package identity matches a traveller's identity — names and birth date —
// against the records of the lists (persons of interest and their aliases).
//
// Names arrive from two sides: list records typed by officers in UTF-8 in
// any script, and a traveller's MRZ, already in the MRZ alphabet and maybe
// truncated. Transliterate brings both to the MRZ alphabet with the tables
// of ICAO Doc 9303 Part 3 section 6 (multinational Latin, Cyrillic per
// language, Arabic) and ELOT 743 for Greek, keeping the alternates a table
// allows (Ä: AE or A) as variants. Prepare does it once per name; Encode and
// DecodePrepared store the result compactly.
//
// Keys are phonetic blocking keys, one per token, for the replica's index:
// a query finds the records sharing a key and a CandidateYears birth year.
// Match then scores each candidate: name tokens pooled across surname and
// given names, paired best first with tolerance for letter slips, MRZ
// truncation, initials and transliteration variants; tokens left unmatched
// on one side cost a little, on both sides a lot; the birth date compares
// part by part and allows unknown parts and common slips; a different
// nationality costs a little. Every score comes with the reasons an officer
// reads (Result.Why). DefaultThreshold separates hits from near-misses.
package identity

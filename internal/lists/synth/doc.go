// Package synth generates realistic synthetic lists for tests and
// benchmarks: persons of interest with names drawn per nationality as an
// officer of that country types them (Vietnamese diacritics, Cyrillic,
// Greek, Arabic names in each country's Latin spelling, ...) with Zipf-like
// frequencies, birth dates with unknown parts and aliases made the way
// real ones arise (another transliteration, swapped or dropped names,
// typos, another birth date); lost, stolen and revoked documents with
// numbers shaped like each state's; visas, residence permits and
// registered travellers for travellers' documents.
//
// Every record is a pure function of the seed and its index (one PCG stream
// per record): New(seed).Person(i) is the same on every run and machine,
// records can be made in any order or in parallel, and the callback forms
// (Persons, Documents, Visas, RegisteredTravellers) stream millions without
// holding them. The name tables are in names.go.
package synth

// Package inspect is the inspection procedure of ICAO 9303-11/12 that a gate
// runs on a document's chip, end to end: PACE first (BAC when the chip offers
// no PACE or PACE fails), secure messaging for everything after, Chip
// Authentication when DG14 offers it — else Active Authentication when DG15
// does — Terminal Authentication v1 right after CA when the options carry
// the inspection system's certificates and key, DG3 or DG4 is wanted and
// DG14 announces TA (after BAC; after PACE it is skipped for now), Passive
// Authentication against the CSCA trust store (mandatory), and
// DG1 compared with the printed MRZ.
//
// Every step is timed and reports pass/fail with a stable reason code; the
// document is "ok" only when every step that ran passed and Passive
// Authentication ran. Any doubt is a fail: the gate refers.
package inspect

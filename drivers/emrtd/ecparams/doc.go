// Package ecparams is the one table of elliptic-curve domain parameters the
// eMRTD stack uses: the prime curves of ICAO Doc 9303-11 table 12
// (standardized domain parameters for PACE) and of Doc 9303-12 for CSCA,
// document signer, Chip and Active Authentication keys: NIST P-192 to P-521
// (FIPS 186-4 D.1.2, SEC 2) and brainpoolP192r1 to brainpoolP512r1
// (RFC 5639 section 3).
//
// Each Curve carries name, namedCurve OID, p, a, b, G, n and h, so callers
// can look a curve up by OID, by name or by explicit ECParameters, and
// convert it to an elliptic.Curve: the standard library's NIST curves and
// ProtonMail/go-crypto/brainpool where they exist, otherwise Weierstrass, a
// generic short-Weierstrass implementation over math/big (variable time:
// for public keys, signature verification and test chips).
package ecparams

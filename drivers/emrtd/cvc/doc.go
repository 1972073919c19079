// Package cvc reads, writes and verifies card verifiable certificates (CV
// certificates) of Extended Access Control: BSI TR-03110 part 3 appendix C
// and ICAO Doc 9303-11 section 7.1 (Terminal Authentication v1).
//
// A certificate is 7F21 { 7F4E body, 5F37 signature } with the body
// 5F29 profile identifier, 42 certification authority reference (CAR),
// 7F49 public key, 5F20 certificate holder reference (CHR), 7F4C
// certificate holder authorization template (CHAT), 5F25 effective date,
// 5F24 expiration date (YYMMDD, one digit a byte) and optional 65
// extensions. Keys and signatures: ECDSA with plain r‖s signatures (BSI
// TR-03111) on the NIST and brainpool r1 curves, SHA-1 to SHA-512, and RSA
// PKCS #1 v1.5 and PSS with SHA-1, SHA-256 and SHA-512 (the id-TA-… object
// identifiers). Only the CVCA certificate carries the domain parameters;
// the DV and IS certificates below it inherit them.
//
// VerifyChain checks a chain CVCA → DV → IS against a trust point the way
// the chip does (signatures, roles, validity at the chip's date, rights as
// the intersection along the chain); Verifier does the same one
// certificate at a time, as PSO:Verify Certificate hands them in. NewCVCA,
// IssueDV and IssueIS build a test PKI.
package cvc

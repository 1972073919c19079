// Package cms reads the CMS SignedData (RFC 5652) and X.509 certificates
// (RFC 5280) of the eMRTD public key infrastructure (ICAO Doc 9303 part 12)
// and verifies their signatures: EF.SOD, CSCA master lists, CSCA, link,
// document signer and master list signer certificates.
//
// It is written for the data real documents and real master lists carry,
// which crypto/x509 often refuses:
//   - BER indefinite lengths (New Zealand's SODs), read with a small BER
//     reader with depth and size limits rather than encoding/asn1;
//   - EC keys with explicit domain parameters (specifiedCurve), matched to
//     a known curve by comparing p, a, b, G and n, and brainpool curves
//     (github.com/ProtonMail/go-crypto/brainpool). Explicit parameters that
//     match no named curve (brainpoolP224r1 on older German documents) are
//     checked (prime field and order, non-singular, n·G = O) and used as
//     given through a generic math/big curve, for verification only.
//     Go 1.26's crypto/ecdsa still verifies on any elliptic.Curve through
//     its math/big path, so ecdsa.Verify is used for every curve;
//   - negative serial numbers, odd string types in names and other
//     encodings crypto/x509 rejects: ParseCertificate tries crypto/x509
//     first and falls back to the lenient parser here;
//   - signature algorithms given as a bare key OID (rsaEncryption,
//     id-ecPublicKey) with the hash taken from the digest algorithm, RSA-PSS
//     with its parameters, and BSI TR-03111 plain ECDSA signatures;
//   - signer identifiers that do not byte-match their certificate (names are
//     compared semantically; a single embedded certificate is the fallback).
//
// Signature verification supports RSA PKCS#1 v1.5, RSA-PSS and ECDSA on
// P-224, P-256, P-384, P-521, brainpoolP256r1, P384r1 and P512r1 (and
// valid explicit prime curves), with SHA-1 and SHA-2 hashes.
package cms

// Package sod parses EF.SOD, the Document Security Object of an eMRTD
// (ICAO Doc 9303 part 10, 4.6.2, and part 12, 4.6): the 0x77 application
// wrapper around a CMS SignedData (RFC 5652) whose encapsulated content,
// of type id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1), is the
// LDSSecurityObject { version, hashAlgorithm, dataGroupHashValues,
// ldsVersionInfo OPTIONAL }, signed by a document signer whose certificate
// is embedded.
//
// Parse checks structure and limits only; VerifySignature checks the
// signature with the embedded document signer certificate. Whether that
// signer is trustworthy (chain to a CSCA, validity, revocation) is for
// drivers/emrtd/trust, and the whole Passive Authentication, data group
// hashes included, is drivers/emrtd/passive.
//
// The CMS, certificate and signature-algorithm layer is in the cms
// subpackage, shared with the CSCA master lists of drivers/emrtd/trust.
package sod

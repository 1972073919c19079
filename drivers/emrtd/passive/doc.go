// Package passive runs Passive Authentication of an eMRTD (ICAO Doc 9303
// part 11 section 5.1, part 12): it proves that the data groups read from
// the chip are those the issuing state signed.
//
// The steps, each reported with a pass/fail status and a stable reason
// code:
//   - sod_parse: EF.SOD is a well-formed SignedData over an
//     LDSSecurityObject (package sod);
//   - signature: the SignerInfo's contentType and messageDigest attributes
//     match the content and its signature verifies with the embedded
//     document signer (DS) certificate;
//   - chain: the DS certificate chains to a CSCA of the trust store, valid
//     at signing time, not revoked, under a CSCA valid now (package trust);
//   - dg_hash: every data group read hashes to the value in the SOD, every
//     required data group is there, and none is read that the SOD does not
//     cover.
//
// A result passes only when every step ran and passed: an error, an
// unsupported algorithm or a missing input is a failure, never a pass.
package passive

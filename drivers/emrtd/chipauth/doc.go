// Package chipauth implements the two protocols by which an eMRTD chip
// proves it is genuine, terminal side, with the chip's half for the
// virtual chip (ICAO Doc 9303-11 chapter 6; BSI TR-03110 and TR-03111):
//
//   - Chip Authentication version 1: ephemeral-static Diffie-Hellman (DH or
//     ECDH) with the static key of DG14. MSE:Set KAT carries the terminal's
//     ephemeral key for 3DES; MSE:Set AT and GENERAL AUTHENTICATE for AES.
//     Both sides then restart secure messaging with keys derived from the
//     shared secret, so a chip without the private key (a clone) cannot go
//     on talking.
//   - Active Authentication: INTERNAL AUTHENTICATE signs the terminal's
//     challenge with the key of DG15: RSA with ISO/IEC 9796-2 signature
//     scheme 1 (partial message recovery), or ECDSA with a plain r‖s
//     signature.
//
// It reads the small parts of DG14 and DG15 it needs (SecurityInfos for
// Chip and Active Authentication, SubjectPublicKeyInfo with named curves,
// explicit prime curves, and PKCS #3 or X9.42 Diffie-Hellman parameters)
// and can write them for test documents. Curves: NIST P-224 to P-521
// (crypto/ecdh where it has them), brainpool P256r1/P384r1/P512r1
// (github.com/ProtonMail/go-crypto/brainpool), and any other prime curve
// given by explicit parameters through Weierstrass. Keys from a chip are
// checked (points on the curve, DH values in the subgroup, sizes within
// limits) before use.
package chipauth

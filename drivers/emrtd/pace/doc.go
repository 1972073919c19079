// Package pace implements PACE, Password Authenticated Connection
// Establishment (ICAO Doc 9303-11 section 4.4, BSI TR-03110), on both sides
// of the link: Establish runs it as the terminal, Chip answers it as the
// card side of a virtual chip.
//
// PACE turns a weak shared password π (the MRZ information, or the Card
// Access Number) into strong session keys. The exchange is MSE:Set AT
// (00 22 C1 A4: tag 80 the protocol OID, 83 the password, 84 the domain
// parameter ID when ambiguous) and a chain of four GENERAL AUTHENTICATE
// commands whose data sit in the template 7C:
//
//  1. the chip sends the nonce s encrypted under Kπ = KDF(f(π), 3) (tag 80;
//     CBC, IV 0, AES or 3DES);
//  2. both map s to an ephemeral generator (tags 81/82): Generic Mapping
//     Ĝ = s·G + H with H from an anonymous (EC)DH, Integrated Mapping
//     Ĝ = f_G(R_p(s, t)) with the terminal's clear nonce t, the block-cipher
//     pseudo-random function R_p and the Brier et al. point encoding f_G
//     (9303-11 Appendix B), or r^((p-1)/q) for DH;
//  3. both run (EC)DH on Ĝ (tags 83/84) and derive KSEnc and KSMAC;
//  4. both send a MAC over the other's ephemeral public key in a 7F49
//     public key object (tags 85/86): CMAC for AES, retail MAC for 3DES.
//     With Chip Authentication Mapping (PACE-CAM) the chip adds
//     A_IC = E(KSEnc, SK_IC⁻¹·SK_Map,IC) (tag 8A), which proves the static key
//     of EF.CardSecurity: the terminal checks PK_Map,IC = CA_IC·PK_IC
//     (Result.VerifyChip).
//
// The result is a secure messaging session with the send sequence counter
// at zero. Failures are *Error values naming the step and the status word;
// errors.Is separates a wrong password (ErrAccessDenied: the chip answered
// 6300) from an impostor chip (ErrChipToken: its token does not verify) and
// from malformed answers (ErrMalformed).
//
// Supported: every OID of 9303-11 Tables 2 and 3 (DH and ECDH; GM, IM,
// CAM; 3DES and AES-128/192/256) over every standardized domain parameter
// set of Table 12: the RFC 5114 MODP groups (IDs 0–2), NIST P-192 … P-521
// and brainpoolP192r1 … P512r1 (IDs 8–18; P-224 cannot run the Integrated
// Mapping). Explicit domain parameters in PACEDomainParameterInfo are used
// only when they equal a standardized set (9303-11 section 9.2.2 forbids
// unknown ones: weak parameters leak the password). The curves and their
// implementations come from package ecparams.
//
// ParseSecurityInfos decodes EF.CardAccess, and the SecurityInfos inside
// EF.CardSecurity and EF.DG14 (PACEInfo, PACEDomainParameterInfo,
// ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, and the
// Terminal and Active Authentication infos).
//
// Tests replay the worked examples of 9303-11 Appendices G.1, G.2, H.1,
// H.2 and I.1 byte for byte, on both sides.
package pace

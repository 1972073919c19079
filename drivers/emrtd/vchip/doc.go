// Package vchip is a virtual eMRTD chip: the card side of ICAO Doc 9303
// parts 10 and 11 in software, one command APDU in and one response APDU
// out (Process), so a PC/SC bridge (vpcd), the simulated reader and
// in-process tests can all drive it.
//
// It holds a master file with EF.CardAccess, EF.ATR/INFO and
// EF.CardSecurity, and the LDS1 application (AID A0000002471001) with
// EF.COM, EF.SOD and DG1 to DG16. It answers SELECT by file identifier and
// by AID, READ BINARY with even INS (offset in P1-P2, or a short file
// identifier in P1) and odd INS B1 (offset in DO'54', data in DO'53'), in
// short and extended length; BAC (GET CHALLENGE, EXTERNAL AUTHENTICATE);
// secure messaging with 3DES and AES (package sm); Chip Authentication v1
// with the static key of DG14 (MSE:Set KAT, or MSE:Set AT with GENERAL
// AUTHENTICATE); Active Authentication with the key of DG15 (INTERNAL
// AUTHENTICATE); Terminal Authentication v1 against its CVCA trust points
// (MSE:Set DST, PSO:Verify Certificate, MSE:Set AT, GET CHALLENGE, EXTERNAL
// AUTHENTICATE; package ta), after which DG3 and DG4 open as far as the
// certificate chain grants (before, SELECT and READ of them answer 6982).
// TA after PACE is refused (6985): ID_PICC would be the chip's ephemeral
// PACE key, which the PACE plug-in does not hand over. PACE plugs in
// through the PACE interface.
//
// Like a real chip it forgets its session on Reset, ends secure messaging
// on an unprotected command or a bad MAC (answering 6987/6988), and keeps
// the LDS files behind secure messaging once it has an access key. Faults
// make it misbehave for the attack suite: BAC keys that do not match the
// MRZ, a corrupted MAC after N protected responses, Chip and Active
// Authentication keys that do not match DG14 and DG15 (a clone), and a
// chip that stops answering after N APDUs.
package vchip

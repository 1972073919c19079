// Package bac implements Basic Access Control, ICAO Doc 9303-11 section 4.3:
// the terminal proves it read the MRZ, chip and terminal agree on session
// keys, and secure messaging with 3DES starts.
//
// Keys KEnc and KMAC derive from the MRZ information (package kdf). The
// terminal asks GET CHALLENGE for RND.IC, sends EXTERNAL AUTHENTICATE with
// E_IFD = 3DES-CBC(KEnc, RND.IFD ‖ RND.IC ‖ K.IFD) and its retail MAC
// M_IFD; the chip checks both and answers E_IC, M_IC over
// RND.IC ‖ RND.IFD ‖ K.IC. The session keys derive from K.IFD ⊕ K.IC, and
// the send sequence counter starts as the last four bytes of RND.IC then of
// RND.IFD. Authenticate is the terminal's side; ChipAnswer is the chip's,
// which the virtual chip uses. The tests replay the worked example of
// Appendix D byte for byte on both sides.
package bac

// Package iso7816 speaks ISO/IEC 7816-4 to a smart card: command and
// response APDUs in the short and extended length forms (cases 1 to 4 of
// ISO/IEC 7816-3 section 12.1), status words with readable meanings, and the
// inter-industry commands an eMRTD inspection system sends (ICAO Doc 9303-10
// and 9303-11): SELECT by file identifier or application identifier, READ
// BINARY with even INS (15-bit offsets) and odd INS B1 (offset data object
// '54', for files past 32 767 bytes), GET CHALLENGE, EXTERNAL and INTERNAL
// AUTHENTICATE, MANAGE SECURITY ENVIRONMENT and GENERAL AUTHENTICATE with
// command chaining (CLA bit 0x10).
//
// A Card sends commands over a Transport: a PC/SC reader, a virtual chip, or
// a secure messaging channel (package sm) around one of them. It follows
// 61xx with GET RESPONSE and repeats a command with the length a card asks
// for in 6Cxx. Bytes from a card are untrusted: parsers refuse malformed
// APDUs with an error, and ReadFile bounds what a declared file length may
// make it read.
package iso7816

// Package sm implements the secure messaging of ICAO Doc 9303-11 section 9.8
// (ISO/IEC 7816-4 section 10) for both sides of the link: the terminal wraps
// commands and unwraps responses, the chip (package vchip) unwraps commands
// and wraps responses.
//
// A protected command carries its data encrypted in DO'87' (DO'85' for odd
// INS), its Le in DO'97' and a MAC over the send sequence counter, the
// padded header and those data objects in DO'8E'; a protected response
// carries DO'87', the status word in DO'99' and DO'8E'. Two cipher suites:
//
//   - 3DES (BAC, and PACE or Chip Authentication with 3DES): two-key 3DES in
//     CBC mode with a zero IV, retail MAC (ISO/IEC 9797-1 MAC algorithm 3
//     with DES), an 8-byte send sequence counter;
//   - AES-128/192/256 (PACE, Chip Authentication): AES-CBC with
//     IV = E(KSEnc, SSC), AES-CMAC (NIST SP 800-38B) truncated to 8 bytes, a
//     16-byte send sequence counter.
//
// Both pad with ISO/IEC 9797-1 padding method 2. The counter is incremented
// before every command and every response. A MAC that does not verify is
// ErrMAC and ends the session: the keys are forgotten and later calls fail
// with ErrAborted, as a chip drops its keys on a secure messaging error.
package sm

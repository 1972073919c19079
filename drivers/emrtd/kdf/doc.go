// Package kdf derives the session and access keys of ICAO Doc 9303-11
// (section 9.7.1): KDF(K, c) = H(K ‖ c) with a 32-bit big-endian counter c —
// 1 for encryption, 2 for MAC, 3 for the PACE password key — truncated to the
// cipher's key length, SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256.
// 3DES keys get their DES parity bits set. It also derives the MRZ-based
// access key seed shared by BAC and PACE.
package kdf

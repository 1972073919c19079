// Package lds reads and writes the Logical Data Structure of an eMRTD chip
// (ICAO Doc 9303 part 10): EF.COM and the data groups DG1–DG16.
//
// Parsers take the bytes of one elementary file exactly as read from the chip
// and return its content, or a *ParseError naming the file, the element and
// what was wrong. The chip is outside input: every length is checked against
// the bytes present before anything is sliced, so a file that claims a 4 GB
// image is refused, not allocated, and no input makes a parser panic.
//
// What each file holds and the standard that defines it:
//
//	EF.COM  tag 60  LDS and Unicode versions, list of present data groups (9303-10 §4.6.1)
//	DG1     tag 61  the MRZ (5F1F), parsed with internal/mrz
//	DG2     tag 75  encoded face: biometric information templates (ISO/IEC 7816-11)
//	                holding ISO/IEC 19794-5:2005 or ISO/IEC 39794-5 face records
//	DG3     tag 63  encoded fingers: ISO/IEC 19794-4:2005 finger image records
//	DG5/7   65/67   displayed portrait / signature images
//	DG11    tag 6B  additional personal details
//	DG12    tag 6C  additional document details
//	DG13    tag 6D  optional details (issuer-defined: kept raw)
//	DG14    tag 6E  SecurityInfos for Chip Authentication, PACE, TA, AA (9303-11 §9.2)
//	DG15    tag 6F  Active Authentication public key (SubjectPublicKeyInfo)
//	DG16    tag 70  persons to notify
//
// Face and finger records are containers: the package finds the images in
// them, recognises their format from their first bytes (JPEG, JPEG 2000) and
// reads their dimensions from the image headers, but does not decode pixels.
// Decoding lives in drivers/emrtd/faceimage (OpenCV through gocv), so this
// package builds without cgo and its parsers can be fuzzed fast.
//
// Public keys (DG14, DG15) are read without crypto/x509 where x509 falls
// short: Diffie-Hellman keys and elliptic curve keys with explicit domain
// parameters, which eMRTDs commonly carry (brainpool curves). Explicit
// parameters equal to a known curve are recognised by name.
//
// Builders (BuildCOM, BuildDG1, BuildDG2, …) produce the same structures for
// the virtual chip and the test document issuer; every builder's output
// parses back to its input.
//
// The ISO/IEC 39794-5 face record reader follows the ASN.1 module published
// by ICAO and ISO/IEC JTC 1/SC 37 ("This software makes use of the Schema
// from ISO/IEC 39794-5 within modifications permitted in the relevant ISO/IEC
// standard.").
package lds

// Package vdoc issues virtual travel documents: from printed MRZ lines, a
// face image and a test country's PKI (drivers/emrtd/issuer) it builds every
// file of the chip — EF.CardAccess, EF.COM, DG1, DG2, DG3 (optional, one
// finger image), DG14, DG15, EF.SOD signed by a document signer — with the chip's Chip and Active
// Authentication keys, and starts a virtual chip (drivers/emrtd/vchip, with
// PACE from drivers/emrtd/pace) that answers like the real one. With CVCA
// certificates the chip trusts them for Terminal Authentication and keeps
// DG3 and DG4 behind it.
//
// A Document serialises to JSON, so the border-post simulator can hand a
// traveller's document to a gate's simulated reader.
package vdoc

// Package pcsc is the PC/SC transport of the chip stack: cgo bindings to
// libpcsclite (the client library of pcscd, Debian package libpcsclite-dev),
// so any contactless reader that pcscd drives can read a passport's chip.
//
// A Reader implements iso7816's Transport (Transmit one APDU, get one
// response); it waits for a card, reconnects after a reset, and maps PC/SC
// errors (no card, card removed, reader unplugged, no service) onto the
// drivers' device errors. Reference: PC/SC Workgroup specification part 5
// and the pcsc-lite API (winscard.h).
package pcsc

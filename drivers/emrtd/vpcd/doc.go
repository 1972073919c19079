// Package vpcd connects a virtual card to pcscd through vsmartcard's virtual
// reader driver (Debian package vsmartcard-vpcd), so a virtual chip is read
// through the real PC/SC stack exactly like a card on a real reader.
//
// vpcd listens on TCP (port 35963 for its first slot, 35964 for the second);
// the card side connects and exchanges frames of a 2-byte big-endian length
// and a payload. A 1-byte payload is a control frame — 0x00 power off, 0x01
// power on, 0x02 reset, 0x04 send the ATR (answered with the ATR) — any other
// payload is a C-APDU, answered with the R-APDU.
package vpcd

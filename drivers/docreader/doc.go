// Package docreader drives the gate's travel-document reader: the traveller
// places the passport's data page (or an ID card or border pass) on the
// reader's window and the reader emits the machine-readable zone as text
// lines.
//
// The lines are those of ICAO Doc 9303 part 3: a TD1 card has 3 lines of 30
// characters, TD2 and MRV-B documents 2 of 36, TD3 passports and MRV-A visas
// 2 of 44, in the OCR-B character set (A–Z, 0–9 and the filler '<'). This
// package passes them on exactly as the reader emitted them; parsing and
// check digits (Doc 9303 parts 4–7) belong to the agent, which must treat
// them as untrusted outside bytes.
//
// Reader is what the agent uses. Sim is a simulator behind it, timed by a
// device profile (firmware-config/devices/sim-docreader.toml: place_ms,
// read_ms). Real drivers (a serial OCR reader speaking line-oriented ASCII
// over RS-232/USB-CDC, via github.com/tarm/serial) come later behind the
// same interface.
package docreader

// Package docreader drives the gate's travel-document reader: the traveller
// places the passport's data page (or an ID card or border pass) on the
// reader's window and the reader emits the machine-readable zone as text
// lines.
//
// The lines are those of ICAO Doc 9303 part 3: a TD1 card has 3 lines of 30
// characters, TD2 and MRV-B documents 2 of 36, TD3 passports and MRV-A visas
// 2 of 44, in the OCR-B character set (A–Z, 0–9 and the filler '<'). This
// package passes them on exactly as the reader read them, without the
// framing's padding; parsing, check digits and OCR corrections (Doc 9303
// parts 4–7, internal/mrz) belong to the agent, which must treat them as
// untrusted outside bytes.
//
// Reader is what the agent uses. Behind it:
//
//   - Sim, an in-process simulator timed by a device profile
//     (firmware-config/devices/sim-docreader.toml: place_ms, read_ms);
//   - Serial, the real driver for OCR MRZ readers that send each read
//     unsolicited as ASCII over RS-232 or USB-CDC, opened with
//     github.com/tarm/serial at the profile's line parameters (device
//     driver "serial"; firmware-config/devices/rte6701.toml,
//     access-is-ocr.toml);
//   - PTYSim, a simulated serial reader on a pseudo-terminal
//     (github.com/creack/pty) that emits the same bytes as the reader its
//     profile names, read by the real Serial driver (device driver
//     "serial-sim"; sim-rte6701.toml, sim-access-is-ocr.toml), with fault
//     injection: Garbage, PartialFrame, Stall, Unplug and Replug.
//
// # Framings
//
// 3M RTE6701 "RTE Native" (framing "rte-native"). Source: 3M RTE6701-OEM
// Integration Manual (VC27U, V1.03), section 9.1 "RTE Native Protocol"; the
// full protocol is 3M document 74-0200-31. The reader sends one unsolicited
// block per document and accepts no commands:
//
//	SOH len_lo len_hi 'O' 'U' STX flag line1 CR line2 CR line3 CR ETX BCC
//
// In it:
//
//   - SOH 0x01, STX 0x02, ETX 0x03, CR 0x0D. 'O' is the device byte
//     (optical reader), 'U' the type byte (unsolicited data).
//   - The length word is little-endian with 14 significant bits (the top two
//     are masked off). The manual gives it as the number of bytes "including
//     check" character; this package reads that as the whole block, SOH
//     through BCC (a passport: 100 bytes). That reading is ours: the sentence
//     is cut in the copy of the manual we could consult.
//   - BCC is the XOR of every byte from the length word through ETX: SOH
//     excluded, ETX included, the usual convention of SOH/STX/ETX block
//     protocols. The manual copy we could consult does not state it either;
//     if a reader's blocks are all dropped with reason "bcc", this is the
//     assumption to check.
//   - flag is one application-defined byte, kept in Frame.Flag and not
//     interpreted.
//   - Always three CR-terminated lines, the bottom MRZ line last: a
//     two-line document arrives as CR line1 CR line2 CR (an empty first
//     line), a one-line read as CR CR line CR. Three lines are card lines,
//     padded with '_' to 30 characters; fewer are passport and visa lines,
//     padded with '_' to 44; longer lines are cut from the right by the
//     reader. The decoder strips the padding and the empty top lines.
//
// Access-IS OCR readers (framing "access-is"). Source: the Access-IS OCR
// reader product manual, serial data format section (OCR-only MRZ readers).
// No copy of it could be consulted while this driver was written: the bytes
// below are the framing as specified for this project, to be checked against
// the manual of the model deployed (a mismatch shows as garbage and dropped
// frames, never as a wrong document). OCR data is framed as
//
//	FS STX line1 CR line2 CR [line3 CR] ETX GS      (0x1C 0x02 … 0x03 0x1D)
//
// with lines separated by CR (a CR LF, if the reader is so configured, is
// accepted too); barcode reads as
//
//	RS STX id data ETX US                            (0x1E 0x02 … 0x03 0x1F)
//
// where id is the symbology identifier byte. There is no length and no check
// character: a frame is bounded by its markers, and a new start marker before
// the end cuts the frame short. Barcode frames are decoded and ignored (the
// agent reads MRZs), counted and logged.
//
// # Robustness
//
// Decoder turns the byte stream into frames whatever it holds: bytes outside
// frames are skipped and counted; a block whose length word, BCC or content
// is wrong is dropped and reported, and decoding resumes at the next frame
// start, which may lie inside the bad block. A frame still incomplete when
// the line has been silent for the profile's inter_byte_timeout_ms is dropped
// (the reader stopped mid-frame, or was reset).
//
// Serial reads the port in a goroutine with a 100 ms read timeout (termios
// VTIME). A read error, or a port that returns end-of-file without waiting —
// what a tty does once hung up, its USB device unplugged — marks the reader
// disconnected: Read fails at once with device.ErrDisconnected (documents
// already read are still returned first), and the port is reopened with
// exponential backoff (100 ms doubling to 5 s by default) until it is back.
// A frame cut off by silence marks the reader failed ("stopped answering")
// until the next good frame, and a Read that then times out fails with
// device.ErrTimeout; a bad frame marks it degraded until the next good one.
// Health reports all of it. An unsolicited protocol cannot tell a silent
// reader from an idle one: a reader that stops between documents is only
// noticed at its next, cut-off frame.
package docreader

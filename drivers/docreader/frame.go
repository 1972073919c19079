package docreader

import (
	"bytes"
	"fmt"
	"strings"

	"autogate/drivers/device"
)

// Framing is the byte protocol a serial reader emits; doc.go describes each.
type Framing string

// The framings this package speaks.
const (
	FramingRTENative Framing = device.FramingRTENative
	FramingAccessIS  Framing = device.FramingAccessIS
)

// Control bytes of both framings.
const (
	soh = 0x01
	stx = 0x02
	etx = 0x03
	cr  = 0x0d
	fs  = 0x1c // Access-IS: opens an OCR frame (with STX)
	gs  = 0x1d // Access-IS: closes an OCR frame (after ETX)
	rs  = 0x1e // Access-IS: opens a barcode frame (with STX)
	us  = 0x1f // Access-IS: closes a barcode frame (after ETX)
)

// RTE Native block geometry.
const (
	rteHeader = 6  // SOH, length word, 'O', 'U', STX
	rteMin    = 12 // header, flag, three empty lines (3 CR), ETX, BCC
	// rteMax bounds the length word. Three 44-character lines make a 144-byte
	// block; the margin admits firmware reading wider non-ICAO documents,
	// while a corrupted length word cannot make the decoder wait for kilobytes.
	rteMax = 512
	// rtePad fills MRZ lines to their width (3M RTE6701-OEM manual, 9.1.1.2).
	rtePad = '_'
)

// accessMax bounds an Access-IS frame: an MRZ is under 100 bytes; barcodes
// (PDF417, QR on visas and boarding passes) stay within a few kilobytes.
const accessMax = 4096

// FrameKind tells what a decoded frame carries.
type FrameKind int

// Frame kinds.
const (
	FrameMRZ     FrameKind = iota + 1 // the OCR lines of a document's MRZ
	FrameBarcode                      // an Access-IS barcode read
)

func (k FrameKind) String() string {
	switch k {
	case FrameMRZ:
		return "mrz"
	case FrameBarcode:
		return "barcode"
	}
	return fmt.Sprintf("FrameKind(%d)", int(k))
}

// Frame is one complete, checked frame.
type Frame struct {
	Kind FrameKind
	// Lines are the MRZ lines top to bottom, without the framing's padding
	// and without the empty lines RTE Native sends for absent top lines.
	Lines []string
	// Flag is the RTE Native flag byte, whose meaning the firmware
	// application defines; kept for logs.
	Flag byte
	// Symbology and Data are an Access-IS barcode frame's identifier byte
	// and payload.
	Symbology byte
	Data      []byte
}

// DropReason says why bytes were discarded.
type DropReason string

// Drop reasons (stable: metrics are labelled with them).
const (
	DropGarbage    DropReason = "garbage"    // bytes outside any frame
	DropChecksum   DropReason = "bcc"        // RTE Native block check character wrong
	DropLength     DropReason = "length"     // RTE Native length word inconsistent
	DropMalformed  DropReason = "malformed"  // framing right, content not as specified
	DropIncomplete DropReason = "incomplete" // cut short: line went quiet, or a new frame began
	DropOversize   DropReason = "oversize"   // no end within the size bound
)

// DropReasons lists every reason, for metrics.
func DropReasons() []DropReason {
	return []DropReason{DropGarbage, DropChecksum, DropLength, DropMalformed, DropIncomplete, DropOversize}
}

// FrameError describes bytes a Decoder discarded.
type FrameError struct {
	Framing Framing
	Reason  DropReason
	Bytes   int    // how many bytes were discarded
	Detail  string // what exactly was wrong
}

func (e *FrameError) Error() string {
	if e.Reason == DropGarbage {
		return fmt.Sprintf("%s: skipped %d bytes outside any frame: %s", e.Framing, e.Bytes, e.Detail)
	}
	return fmt.Sprintf("%s: frame dropped (%s, %d bytes): %s", e.Framing, e.Reason, e.Bytes, e.Detail)
}

// Result is one thing a Decoder found: a Frame, or, when Err is set, bytes
// it dropped.
type Result struct {
	Frame Frame
	Err   *FrameError
}

// Decoder turns a byte stream from a reader into frames. It survives any
// input: bytes outside frames are skipped, bad frames dropped and reported,
// and it resynchronises on the next frame start. It is not safe for
// concurrent use.
type Decoder struct {
	framing Framing
	buf     []byte
	// quiet counts the bytes after the start of a frame just dropped: they
	// belong to that frame, so they are not reported again as garbage when
	// the decoder searches them for the next frame start.
	quiet int
}

// NewDecoder returns a decoder for framing f.
func NewDecoder(f Framing) (*Decoder, error) {
	if f != FramingRTENative && f != FramingAccessIS {
		return nil, fmt.Errorf("docreader: unknown framing %q; known framings: %s, %s", f, FramingRTENative, FramingAccessIS)
	}
	return &Decoder{framing: f}, nil
}

// Feed adds bytes read from the port and returns what they completed.
func (d *Decoder) Feed(p []byte) []Result {
	d.buf = append(d.buf, p...)
	return d.drain(false)
}

// Flush ends the current input: the line has been quiet for the inter-byte
// timeout (or the port closed), so a frame still incomplete will not be
// finished. It is dropped, and the bytes after its start are searched again
// for complete frames.
func (d *Decoder) Flush() []Result {
	out := d.drain(true)
	d.buf, d.quiet = nil, 0
	return out
}

// Buffered is the number of bytes held, waiting for the rest of a frame.
func (d *Decoder) Buffered() int { return len(d.buf) }

// step is what a framing found at the start of the buffer.
type step int

const (
	stepFrame    step = iota // a complete frame of n bytes
	stepBad                  // a frame start whose frame is bad: drop, rescan after its first byte
	stepCut                  // a frame cut short after n bytes by the next frame's start
	stepNotStart             // the first byte only looked like a start
	stepMore                 // need more bytes
)

func (d *Decoder) drain(atEnd bool) []Result {
	var out []Result
	fail := func(reason DropReason, n int, format string, args ...any) {
		out = append(out, Result{Err: &FrameError{Framing: d.framing, Reason: reason, Bytes: n, Detail: fmt.Sprintf(format, args...)}})
	}
	garbage := 0
	skip := func(n int) {
		q := min(n, d.quiet)
		d.quiet -= q
		garbage += n - q
	}
	flushGarbage := func() {
		if garbage > 0 {
			fail(DropGarbage, garbage, "no frame start (%s)", d.startHint())
			garbage = 0
		}
	}
	for len(d.buf) > 0 {
		start := d.findStart(d.buf, atEnd)
		if start > 0 {
			skip(start)
			d.buf = d.buf[start:]
			if len(d.buf) == 0 {
				break
			}
		}
		var (
			n   int
			fr  Frame
			st  step
			why string
			rsn DropReason
		)
		if d.framing == FramingRTENative {
			n, fr, st, rsn, why = rteNext(d.buf)
		} else {
			n, fr, st, rsn, why = accessNext(d.buf)
		}
		if st == stepMore && atEnd {
			st, n, rsn, why = stepBad, len(d.buf), DropIncomplete, fmt.Sprintf("the line went quiet after %d bytes of the frame", len(d.buf))
		}
		switch st {
		case stepMore:
			flushGarbage()
			return out
		case stepNotStart:
			skip(1)
			d.buf = d.buf[1:]
			continue
		}
		flushGarbage()
		d.quiet = 0
		switch st {
		case stepFrame:
			out = append(out, Result{Frame: fr})
			d.buf = d.buf[n:]
		case stepCut:
			fail(DropIncomplete, n, "%s", why)
			d.buf = d.buf[n:]
		case stepBad:
			fail(rsn, n, "%s", why)
			d.buf = d.buf[1:]
			d.quiet = n - 1
		}
	}
	flushGarbage()
	if len(d.buf) == 0 {
		d.buf = nil // let a large garbage burst's array go
	}
	return out
}

func (d *Decoder) startHint() string {
	if d.framing == FramingRTENative {
		return "an RTE Native block starts with SOH 0x01"
	}
	return "an Access-IS frame starts with 0x1C 0x02 (OCR) or 0x1E 0x02 (barcode)"
}

// findStart returns the index of the first byte that may open a frame, or
// len(b) when none may. A possible two-byte Access-IS start marker cut at
// the end of b is kept, unless the input has ended.
func (d *Decoder) findStart(b []byte, atEnd bool) int {
	if d.framing == FramingRTENative {
		if i := bytes.IndexByte(b, soh); i >= 0 {
			return i
		}
		return len(b)
	}
	for i := 0; i < len(b); i++ {
		if b[i] != fs && b[i] != rs {
			continue
		}
		if i+1 == len(b) {
			if atEnd {
				return len(b)
			}
			return i
		}
		if b[i+1] == stx {
			return i
		}
	}
	return len(b)
}

// bcc is the RTE Native block check character: the XOR of every byte from
// the length word through ETX (see doc.go).
func bcc(block []byte) byte {
	var x byte
	for _, c := range block {
		x ^= c
	}
	return x
}

// rteNext examines an RTE Native block starting with SOH at b[0].
func rteNext(b []byte) (n int, fr Frame, st step, reason DropReason, why string) {
	// The header must be complete before anything can be decided.
	for i := 1; i < rteHeader; i++ {
		if i >= len(b) {
			return 0, fr, stepMore, "", ""
		}
		if (i == 3 && b[i] != 'O') || (i == 4 && b[i] != 'U') || (i == 5 && b[i] != stx) {
			return 0, fr, stepNotStart, "", ""
		}
	}
	// 14 significant bits, low byte first (manual 9.1.1.1).
	length := (int(b[1]) | int(b[2])<<8) & 0x3fff
	if length < rteMin || length > rteMax {
		return rteHeader, fr, stepBad, DropLength, fmt.Sprintf("length word says %d bytes; an RTE Native block is %d to %d", length, rteMin, rteMax)
	}
	if len(b) < length {
		return 0, fr, stepMore, "", ""
	}
	block := b[:length]
	if block[length-2] != etx {
		return length, fr, stepBad, DropLength, fmt.Sprintf("length word says %d bytes but byte %d is 0x%02x, not ETX", length, length-1, block[length-2])
	}
	if got, want := block[length-1], bcc(block[1:length-1]); got != want {
		return length, fr, stepBad, DropChecksum, fmt.Sprintf("BCC is 0x%02x, computed 0x%02x; check the cable and the baud rate", got, want)
	}
	text := block[rteHeader : length-2]
	fr = Frame{Kind: FrameMRZ, Flag: text[0]}
	data := text[1:]
	if n := bytes.Count(data, []byte{cr}); n != 3 || data[len(data)-1] != cr {
		return length, Frame{}, stepBad, DropMalformed, fmt.Sprintf("optical data holds %d CR-terminated lines; RTE Native sends exactly 3", n)
	}
	if i := bytes.IndexFunc(data, func(r rune) bool { return r != cr && (r < 0x20 || r > 0x7e) }); i >= 0 {
		return length, Frame{}, stepBad, DropMalformed, fmt.Sprintf("optical data byte %d is 0x%02x, not printable ASCII", i+1, data[i])
	}
	lines := strings.Split(string(data[:len(data)-1]), "\r")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], string(rune(rtePad)))
	}
	// Absent lines are the top ones: the bottom MRZ line is always line 3.
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	fr.Lines = lines
	return length, fr, stepFrame, "", ""
}

// accessNext examines an Access-IS frame starting with FS STX or RS STX.
func accessNext(b []byte) (n int, fr Frame, st step, reason DropReason, why string) {
	if len(b) < 2 {
		return 0, fr, stepMore, "", ""
	}
	open := b[0]
	close := byte(gs)
	if open == rs {
		close = us
	}
	for i := 2; i < len(b); i++ {
		if i >= accessMax {
			return i, fr, stepBad, DropOversize, fmt.Sprintf("no end of frame within %d bytes", accessMax)
		}
		switch b[i] {
		case fs, rs:
			if i+1 < len(b) && b[i+1] == stx {
				return i, fr, stepCut, "", fmt.Sprintf("a new frame began after %d bytes, before this one ended", i)
			}
		case etx:
			if i+1 == len(b) {
				return 0, fr, stepMore, "", ""
			}
			if b[i+1] != close {
				return i + 2, fr, stepBad, DropMalformed, fmt.Sprintf("ETX followed by 0x%02x, not 0x%02x", b[i+1], close)
			}
			payload := b[2:i]
			if open == rs {
				if len(payload) == 0 {
					return i + 2, fr, stepBad, DropMalformed, "barcode frame without a symbology identifier"
				}
				return i + 2, Frame{Kind: FrameBarcode, Symbology: payload[0], Data: bytes.Clone(payload[1:])}, stepFrame, "", ""
			}
			lines, err := accessLines(payload)
			if err != "" {
				return i + 2, fr, stepBad, DropMalformed, err
			}
			return i + 2, Frame{Kind: FrameMRZ, Lines: lines}, stepFrame, "", ""
		}
	}
	if len(b) >= accessMax {
		return len(b), fr, stepBad, DropOversize, fmt.Sprintf("no end of frame within %d bytes", accessMax)
	}
	return 0, fr, stepMore, "", ""
}

// accessLines splits OCR data into lines at CR (a LF, if the reader is set to
// send CR LF, separates too), dropping empty ones.
func accessLines(payload []byte) ([]string, string) {
	if i := bytes.IndexFunc(payload, func(r rune) bool { return r != cr && r != '\n' && (r < 0x20 || r > 0x7e) }); i >= 0 {
		return nil, fmt.Sprintf("OCR data byte %d is 0x%02x, not printable ASCII", i+1, payload[i])
	}
	lines := strings.FieldsFunc(string(payload), func(r rune) bool { return r == cr || r == '\n' })
	return lines, ""
}

// Encode lays out a frame as the reader sends it. For RTE Native the frame
// holds 1 to 3 MRZ lines (3 lines are padded to 30 characters, fewer to 44,
// and missing top lines are sent empty); for Access-IS, MRZ lines or a
// barcode. Lines must be printable ASCII; what could not be read back the
// same (an RTE line over its width or ending in the padding '_', a barcode
// payload holding ETX) is refused.
func Encode(f Framing, fr Frame) ([]byte, error) {
	switch f {
	case FramingRTENative:
		return encodeRTE(fr)
	case FramingAccessIS:
		return encodeAccess(fr)
	}
	return nil, fmt.Errorf("docreader: unknown framing %q", f)
}

func printableLines(lines []string) error {
	for i, l := range lines {
		if j := strings.IndexFunc(l, func(r rune) bool { return r < 0x20 || r > 0x7e }); j >= 0 {
			return fmt.Errorf("docreader: line %d character %d is %q, not printable ASCII", i+1, j+1, l[j])
		}
	}
	return nil
}

func encodeRTE(fr Frame) ([]byte, error) {
	if fr.Kind != FrameMRZ {
		return nil, fmt.Errorf("docreader: RTE Native carries MRZ frames only, not %v", fr.Kind)
	}
	if len(fr.Lines) < 1 || len(fr.Lines) > 3 {
		return nil, fmt.Errorf("docreader: RTE Native sends 1 to 3 lines, not %d", len(fr.Lines))
	}
	if err := printableLines(fr.Lines); err != nil {
		return nil, err
	}
	width := 44
	if len(fr.Lines) == 3 {
		width = 30
	}
	var text bytes.Buffer
	text.WriteByte(fr.Flag)
	for range 3 - len(fr.Lines) {
		text.WriteByte(cr)
	}
	for i, l := range fr.Lines {
		switch {
		case l == "":
			return nil, fmt.Errorf("docreader: line %d is empty; RTE Native cannot send an empty line below a read one", i+1)
		case len(l) > width:
			return nil, fmt.Errorf("docreader: line %d has %d characters; RTE Native sends at most %d with %d lines", i+1, len(l), width, len(fr.Lines))
		case l[len(l)-1] == rtePad:
			return nil, fmt.Errorf("docreader: line %d ends in %q, the RTE Native padding", i+1, rtePad)
		}
		text.WriteString(l)
		text.Write(bytes.Repeat([]byte{rtePad}, width-len(l)))
		text.WriteByte(cr)
	}
	length := rteHeader + text.Len() + 2
	block := make([]byte, 0, length)
	block = append(block, soh, byte(length), byte(length>>8), 'O', 'U', stx)
	block = append(block, text.Bytes()...)
	block = append(block, etx)
	return append(block, bcc(block[1:])), nil
}

func encodeAccess(fr Frame) ([]byte, error) {
	var out []byte
	switch fr.Kind {
	case FrameMRZ:
		if len(fr.Lines) == 0 {
			return nil, fmt.Errorf("docreader: an Access-IS OCR frame needs at least one line")
		}
		if err := printableLines(fr.Lines); err != nil {
			return nil, err
		}
		out = append(out, fs, stx)
		for i, l := range fr.Lines {
			if l == "" {
				return nil, fmt.Errorf("docreader: line %d is empty; Access-IS does not send empty lines", i+1)
			}
			out = append(out, l...)
			out = append(out, cr)
		}
		out = append(out, etx, gs)
	case FrameBarcode:
		interior := append([]byte{fr.Symbology}, fr.Data...)
		if bytes.IndexByte(interior, etx) >= 0 || bytes.Contains(interior, []byte{fs, stx}) || bytes.Contains(interior, []byte{rs, stx}) {
			return nil, fmt.Errorf("docreader: barcode payload holds Access-IS control bytes and cannot be framed")
		}
		out = append(out, rs, stx, fr.Symbology)
		out = append(out, fr.Data...)
		out = append(out, etx, us)
	default:
		return nil, fmt.Errorf("docreader: unknown frame kind %v", fr.Kind)
	}
	if len(out) > accessMax {
		return nil, fmt.Errorf("docreader: frame of %d bytes exceeds the %d-byte bound", len(out), accessMax)
	}
	return out, nil
}

package docreader

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// rteSpecimen is the ICAO TD3 specimen as an RTE Native block, laid out by
// hand from the 3M RTE6701-OEM manual (9.1.1): SOH, length 100 (0x64 0x00:
// the whole block, SOH through BCC), "OU", STX, flag '0', an empty first line
// (a two-line document), the two 44-character lines, each CR-terminated,
// ETX, and the BCC 0x49 — the XOR of the length word through ETX, computed
// independently of this package.
var rteSpecimen = slices.Concat(
	[]byte{0x01, 0x64, 0x00, 'O', 'U', 0x02, '0', 0x0d},
	[]byte(specimenTD3[0]), []byte{0x0d},
	[]byte(specimenTD3[1]), []byte{0x0d},
	[]byte{0x03, 0x49},
)

// accessSpecimen is the TD1 specimen as an Access-IS OCR frame.
var accessSpecimen = slices.Concat(
	[]byte{0x1c, 0x02},
	[]byte(specimenTD1[0]), []byte{0x0d},
	[]byte(specimenTD1[1]), []byte{0x0d},
	[]byte(specimenTD1[2]), []byte{0x0d},
	[]byte{0x03, 0x1d},
)

func mustDecoder(t testing.TB, f Framing) *Decoder {
	t.Helper()
	d, err := NewDecoder(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// split sorts results into frames and drop reasons.
func split(rs []Result) (frames []Frame, drops []DropReason) {
	for _, r := range rs {
		if r.Err != nil {
			drops = append(drops, r.Err.Reason)
		} else {
			frames = append(frames, r.Frame)
		}
	}
	return frames, drops
}

func TestEncodeRTEMatchesTheManual(t *testing.T) {
	got, err := Encode(FramingRTENative, Frame{Kind: FrameMRZ, Lines: specimenTD3, Flag: '0'})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, rteSpecimen) {
		t.Errorf("Encode(TD3 specimen) =\n% x\nwant\n% x", got, rteSpecimen)
	}
	// A short line is padded with '_' to 44; a single line comes with two
	// empty lines above it. Length 56, BCC 0x1d computed independently.
	got, err = Encode(FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{"AB"}, Flag: '0'})
	want := slices.Concat([]byte{0x01, 56, 0, 'O', 'U', 0x02, '0', 0x0d, 0x0d, 'A', 'B'}, bytes.Repeat([]byte{'_'}, 42), []byte{0x0d, 0x03, 0x1d})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("Encode(one short line) = % x, %v\nwant % x", got, err, want)
	}
	// Three lines are card lines, padded to 30.
	got, err = Encode(FramingRTENative, Frame{Kind: FrameMRZ, Lines: specimenTD1})
	if err != nil || len(got) != 6+1+3*31+2 || got[1] != byte(len(got)) {
		t.Errorf("Encode(TD1) = %d bytes (length word %d), %v", len(got), got[1], err)
	}
}

func TestDecodeRTESpecimen(t *testing.T) {
	d := mustDecoder(t, FramingRTENative)
	rs := d.Feed(rteSpecimen)
	if len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("Feed(specimen) = %+v", rs)
	}
	fr := rs[0].Frame
	if fr.Kind != FrameMRZ || fr.Flag != '0' || !slices.Equal(fr.Lines, specimenTD3) {
		t.Errorf("decoded %+v, want the TD3 specimen's two lines", fr)
	}
	if d.Buffered() != 0 {
		t.Errorf("%d bytes left buffered", d.Buffered())
	}
	// Padding is framing, not data: a short OCR line comes back short.
	block, _ := Encode(FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{"P<UTO", specimenTD3[1]}})
	rs = d.Feed(block)
	if len(rs) != 1 || !slices.Equal(rs[0].Frame.Lines, []string{"P<UTO", specimenTD3[1]}) {
		t.Errorf("short line: %+v", rs)
	}
}

func TestDecodeSplitAtEveryByte(t *testing.T) {
	for _, c := range []struct {
		framing Framing
		stream  []byte
		lines   []string
	}{
		{FramingRTENative, rteSpecimen, specimenTD3},
		{FramingAccessIS, accessSpecimen, specimenTD1},
	} {
		for cut := 1; cut < len(c.stream); cut++ {
			d := mustDecoder(t, c.framing)
			first := d.Feed(c.stream[:cut])
			if len(first) != 0 {
				t.Fatalf("%s cut at %d: first part gave %+v", c.framing, cut, first)
			}
			frames, drops := split(d.Feed(c.stream[cut:]))
			if len(frames) != 1 || len(drops) != 0 || !slices.Equal(frames[0].Lines, c.lines) {
				t.Fatalf("%s cut at %d: frames %+v drops %v", c.framing, cut, frames, drops)
			}
		}
	}
}

func TestDecodeSurvivesGarbage(t *testing.T) {
	for _, c := range []struct {
		framing Framing
		frame   []byte
	}{{FramingRTENative, rteSpecimen}, {FramingAccessIS, accessSpecimen}} {
		d := mustDecoder(t, c.framing)
		// Noise before, between and after, including bytes that open
		// frames without being frames: a lone SOH, SOH with a wrong header,
		// a lone FS.
		noise := []byte("\x00\xff line noise \x01\x01\x05\x00XX\x1c\x1e\r\n")
		stream := slices.Concat(noise, c.frame, noise, c.frame, noise)
		rs := d.Feed(stream)
		rs = append(rs, d.Flush()...)
		frames, drops := split(rs)
		if len(frames) != 2 {
			t.Errorf("%s: %d frames through the noise, want 2: %+v", c.framing, len(frames), rs)
		}
		skipped := 0
		for _, r := range rs {
			if r.Err != nil {
				if r.Err.Reason != DropGarbage && r.Err.Reason != DropIncomplete {
					t.Errorf("%s: unexpected drop %v", c.framing, r.Err)
				}
				skipped += r.Err.Bytes
			}
		}
		if skipped < len(noise)*2 || len(drops) == 0 {
			t.Errorf("%s: reported %d skipped bytes, want at least %d", c.framing, skipped, 2*len(noise))
		}
	}
}

func TestDecodeRTEBadFramesAreDropped(t *testing.T) {
	badBCC := bytes.Clone(rteSpecimen)
	badBCC[len(badBCC)-1] ^= 0x40
	flipped := bytes.Clone(rteSpecimen)
	flipped[20] ^= 0x01 // one bit of the MRZ: the BCC catches it
	longer := bytes.Clone(rteSpecimen)
	longer[1]++ // length word one too many: ETX is not where it says
	tiny := []byte{0x01, 0x05, 0x00, 'O', 'U', 0x02}
	twoLines := bytes.Clone(rteSpecimen)
	twoLines[7] = 'X' // the empty first line's CR: now only two CRs
	twoLines[len(twoLines)-1] = bcc(twoLines[1 : len(twoLines)-1])
	control := bytes.Clone(rteSpecimen)
	control[10] = 0x07
	control[len(control)-1] = bcc(control[1 : len(control)-1])
	for _, c := range []struct {
		name   string
		block  []byte
		reason DropReason
		detail string
	}{
		{"bad BCC", badBCC, DropChecksum, "BCC is 0x09, computed 0x49"},
		{"flipped bit", flipped, DropChecksum, "computed"},
		{"length word", longer, DropLength, "length word says 101 bytes but byte 100 is 0x49, not ETX"},
		{"length word too small", tiny, DropLength, "length word says 5 bytes"},
		{"two lines", twoLines, DropMalformed, "2 CR-terminated lines; RTE Native sends exactly 3"},
		{"control character", control, DropMalformed, "0x07, not printable ASCII"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDecoder(t, FramingRTENative)
			// The bad block, then a good one: the decoder resynchronises.
			rs := append(d.Feed(slices.Concat(c.block, rteSpecimen)), d.Flush()...)
			frames, drops := split(rs)
			if len(drops) == 0 || drops[0] != c.reason || !strings.Contains(rs[0].Err.Error(), c.detail) {
				t.Errorf("results %+v, want first a %s drop saying %q", rs, c.reason, c.detail)
			}
			if len(frames) != 1 || !slices.Equal(frames[0].Lines, specimenTD3) {
				t.Errorf("good block after the bad one: frames %+v", frames)
			}
		})
	}
}

func TestDecodeIncompleteFrameFlushed(t *testing.T) {
	for _, c := range []struct {
		framing Framing
		frame   []byte
	}{{FramingRTENative, rteSpecimen}, {FramingAccessIS, accessSpecimen}} {
		d := mustDecoder(t, c.framing)
		half := c.frame[:len(c.frame)/2]
		if rs := d.Feed(half); len(rs) != 0 {
			t.Fatalf("%s: half a frame gave %+v", c.framing, rs)
		}
		if d.Buffered() != len(half) {
			t.Errorf("%s: buffered %d, want %d", c.framing, d.Buffered(), len(half))
		}
		rs := d.Flush()
		if len(rs) != 1 || rs[0].Err == nil || rs[0].Err.Reason != DropIncomplete || rs[0].Err.Bytes != len(half) {
			t.Fatalf("%s: Flush of half a frame = %+v", c.framing, rs)
		}
		if d.Buffered() != 0 {
			t.Errorf("%s: %d bytes still buffered after Flush", c.framing, d.Buffered())
		}
		// The reader then sends the document again, whole.
		frames, drops := split(d.Feed(c.frame))
		if len(frames) != 1 || len(drops) != 0 {
			t.Errorf("%s: frame after the flush: %+v %v", c.framing, frames, drops)
		}
	}
}

func TestDecodeRTEHalfFrameThenFrame(t *testing.T) {
	// A reader that stopped mid-block and restarted: the half block's
	// length word swallows the start of the next, so the next is found only
	// once the half block is dropped.
	d := mustDecoder(t, FramingRTENative)
	stream := slices.Concat(rteSpecimen[:40], rteSpecimen)
	rs := append(d.Feed(stream), d.Flush()...)
	frames, drops := split(rs)
	if len(frames) != 1 || !slices.Equal(frames[0].Lines, specimenTD3) {
		t.Errorf("frames %+v, want the whole specimen once", frames)
	}
	if len(drops) != 1 || drops[0] != DropLength {
		t.Errorf("drops %v, want the half block dropped for its length", drops)
	}
}

func TestDecodeAccessIS(t *testing.T) {
	d := mustDecoder(t, FramingAccessIS)
	barcode := slices.Concat([]byte{0x1e, 0x02, 'Q'}, []byte("M1ERIKSSON/ANNA"), []byte{0x03, 0x1f})
	crlf := slices.Concat([]byte{0x1c, 0x02}, []byte(specimenTD3[0]+"\r\n"+specimenTD3[1]+"\r\n"), []byte{0x03, 0x1d})
	rs := d.Feed(slices.Concat(accessSpecimen, barcode, crlf))
	frames, drops := split(rs)
	if len(drops) != 0 || len(frames) != 3 {
		t.Fatalf("results %+v", rs)
	}
	if frames[0].Kind != FrameMRZ || !slices.Equal(frames[0].Lines, specimenTD1) {
		t.Errorf("OCR frame: %+v", frames[0])
	}
	if frames[1].Kind != FrameBarcode || frames[1].Symbology != 'Q' || string(frames[1].Data) != "M1ERIKSSON/ANNA" {
		t.Errorf("barcode frame: %+v", frames[1])
	}
	if !slices.Equal(frames[2].Lines, specimenTD3) {
		t.Errorf("CR LF lines: %q", frames[2].Lines)
	}
}

func TestDecodeAccessISBadFrames(t *testing.T) {
	wrongEnd := slices.Concat([]byte{0x1c, 0x02}, []byte(specimenTD3[0]), []byte{0x03, 0x1f})
	cut := slices.Concat([]byte{0x1c, 0x02}, []byte("P<UTOERIK"))
	control := slices.Concat([]byte{0x1c, 0x02, 'A', 0x00, 'B', 0x03, 0x1d})
	emptyBarcode := []byte{0x1e, 0x02, 0x03, 0x1f}
	huge := slices.Concat([]byte{0x1c, 0x02}, bytes.Repeat([]byte{'<'}, accessMax))
	for _, c := range []struct {
		name   string
		bytes  []byte
		reason DropReason
		detail string
	}{
		{"wrong trailer", wrongEnd, DropMalformed, "ETX followed by 0x1f, not 0x1d"},
		{"cut by the next frame", cut, DropIncomplete, "a new frame began after 11 bytes"},
		{"control byte", control, DropMalformed, "OCR data byte 2 is 0x00"},
		{"barcode without symbology", emptyBarcode, DropMalformed, "without a symbology identifier"},
		{"oversize", huge, DropOversize, "no end of frame within 4096 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDecoder(t, FramingAccessIS)
			rs := append(d.Feed(slices.Concat(c.bytes, accessSpecimen)), d.Flush()...)
			frames, drops := split(rs)
			if len(drops) == 0 || drops[0] != c.reason || !strings.Contains(rs[0].Err.Error(), c.detail) {
				t.Errorf("results %+v, want first a %s drop saying %q", rs, c.reason, c.detail)
			}
			if len(frames) != 1 || !slices.Equal(frames[0].Lines, specimenTD1) {
				t.Errorf("good frame after the bad one: %+v", frames)
			}
		})
	}
}

func TestEncodeRefusesWhatCannotRoundTrip(t *testing.T) {
	for _, c := range []struct {
		framing Framing
		frame   Frame
		want    string
	}{
		{FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{"a", "b", "c", "d"}}, "1 to 3 lines, not 4"},
		{FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{strings.Repeat("<", 45)}}, "at most 44"},
		{FramingRTENative, Frame{Kind: FrameMRZ, Lines: specimenTD3[:1:1]}, ""},
		{FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{"AB_"}}, "padding"},
		{FramingRTENative, Frame{Kind: FrameMRZ, Lines: []string{"A\rB"}}, "not printable"},
		{FramingRTENative, Frame{Kind: FrameBarcode}, "MRZ frames only"},
		{FramingAccessIS, Frame{Kind: FrameMRZ, Lines: []string{"A", ""}}, "line 2 is empty"},
		{FramingAccessIS, Frame{Kind: FrameBarcode, Symbology: 'Q', Data: []byte{'a', 0x03}}, "control bytes"},
		{FramingAccessIS, Frame{Kind: FrameBarcode, Symbology: 0x1c, Data: []byte{0x02}}, "control bytes"},
		{"usb", Frame{Kind: FrameMRZ, Lines: []string{"A"}}, "unknown framing"},
	} {
		_, err := Encode(c.framing, c.frame)
		if c.want == "" {
			if err != nil {
				t.Errorf("Encode(%s, %+v) = %v", c.framing, c.frame, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Encode(%s, %+v) = %v, want %q", c.framing, c.frame, err, c.want)
		}
	}
	if _, err := NewDecoder("usb"); err == nil {
		t.Error("NewDecoder accepted an unknown framing")
	}
}

// FuzzFrameDecoder feeds arbitrary bytes, in two writes, to the decoder of
// either framing: it must never panic, must account for its input, and every
// frame it decodes must encode back to bytes that decode to the same frame.
func FuzzFrameDecoder(f *testing.F) {
	barcode := slices.Concat([]byte{0x1e, 0x02, 'Q'}, []byte("M1ERIKSSON"), []byte{0x03, 0x1f})
	f.Add(false, rteSpecimen, 10)
	f.Add(false, slices.Concat([]byte("junk\x01"), rteSpecimen[:50], rteSpecimen), 3)
	f.Add(false, []byte{0x01, 0xff, 0xff, 'O', 'U', 0x02}, 0)
	f.Add(true, accessSpecimen, 5)
	f.Add(true, slices.Concat(accessSpecimen[:20], barcode, []byte{0x1c}, accessSpecimen), 21)
	f.Add(true, []byte{0x1c, 0x02, 0x03, 0x1d, 0x1e, 0x02, 0x03}, 1)
	f.Fuzz(func(t *testing.T, accessIS bool, data []byte, cut int) {
		framing := FramingRTENative
		if accessIS {
			framing = FramingAccessIS
		}
		d := mustDecoder(t, framing)
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		rs := d.Feed(data[:cut])
		rs = append(rs, d.Feed(data[cut:])...)
		rs = append(rs, d.Flush()...)
		if d.Buffered() != 0 {
			t.Fatalf("%d bytes buffered after Flush", d.Buffered())
		}
		for _, r := range rs {
			if r.Err != nil {
				if r.Err.Bytes <= 0 || r.Err.Bytes > len(data) || r.Err.Error() == "" {
					t.Fatalf("drop accounts for %d bytes of %d: %v", r.Err.Bytes, len(data), r.Err)
				}
				continue
			}
			enc, err := Encode(framing, r.Frame)
			if err != nil {
				continue // e.g. an RTE line wider than the reader sends
			}
			again := mustDecoder(t, framing).Feed(enc)
			if len(again) != 1 || again[0].Err != nil {
				t.Fatalf("re-encoded frame %+v decodes to %+v", r.Frame, again)
			}
			g := again[0].Frame
			if g.Kind != r.Frame.Kind || g.Flag != r.Frame.Flag || g.Symbology != r.Frame.Symbology ||
				!slices.Equal(g.Lines, r.Frame.Lines) || !bytes.Equal(g.Data, r.Frame.Data) {
				t.Fatalf("round trip changed the frame: %+v → %+v", r.Frame, g)
			}
		}
	})
}

package iso7816

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// The four cases of ISO/IEC 7816-3 section 12.1 in both forms.
var commandCases = []struct {
	name string
	cmd  Command
	enc  string
}{
	{"case 1", Command{CLA: 0x00, INS: 0x22, P1: 0x41, P2: 0xA6}, "002241A6"},
	{"case 2S", Command{INS: 0x84, Ne: 8}, "0084000008"},
	{"case 2S Ne 256", Command{INS: 0xB0, Ne: 256}, "00B0000000"},
	{"case 3S", Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: h("011E")}, "00A4020C02011E"},
	{"case 4S", Command{INS: 0x82, Data: h("0102"), Ne: 0x28}, "00820000020102 28"},
	{"case 4S Ne 256", Command{INS: 0x88, Data: h("01"), Ne: 256}, "008800000101 00"},
	{"case 2E", Command{INS: 0xB0, Ne: 257}, "00B00000 000101"},
	{"case 2E Ne 65536", Command{INS: 0xB0, Ne: 65536}, "00B00000 000000"},
	{"case 2E forced", Command{INS: 0xB0, Ne: 4, Extended: true}, "00B00000 000004"},
	{"case 3E", Command{INS: 0xDA, Data: bytes.Repeat([]byte{0xAB}, 256)}, "00DA0000 000100" + strings.Repeat("AB", 256)},
	{"case 4E", Command{INS: 0x86, Data: h("7C00"), Ne: 1000}, "00860000 0000027C00 03E8"},
	{"case 4E forced by data", Command{INS: 0x86, Data: bytes.Repeat([]byte{1}, 300), Ne: 10}, "00860000 00012C" + strings.Repeat("01", 300) + "000A"},
	{"case 4E Ne 65536", Command{INS: 0xB1, Data: h("5401FF"), Ne: 65536, Extended: true}, "00B10000 0000035401FF 0000"},
}

func TestCommandEncoding(t *testing.T) {
	for _, c := range commandCases {
		b, err := c.cmd.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(b, h(c.enc)) {
			t.Fatalf("%s: %X, want %s", c.name, b, c.enc)
		}
		back, err := ParseCommand(b)
		if err != nil {
			t.Fatalf("%s: parse: %v", c.name, err)
		}
		if back.CLA != c.cmd.CLA || back.INS != c.cmd.INS || back.P1 != c.cmd.P1 || back.P2 != c.cmd.P2 ||
			!bytes.Equal(back.Data, c.cmd.Data) || back.Ne != c.cmd.Ne || back.IsExtended() != c.cmd.IsExtended() {
			t.Fatalf("%s: parsed %v, want %v", c.name, back, c.cmd)
		}
	}
}

func TestCommandEncodingLimits(t *testing.T) {
	for _, c := range []Command{
		{INS: 0xB0, Ne: -1},
		{INS: 0xB0, Ne: 65537},
		{INS: 0xD6, Data: make([]byte, 65536)},
	} {
		if _, err := c.Bytes(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: %v, want ErrMalformed", c, err)
		}
	}
}

func TestParseCommandRefusesMalformed(t *testing.T) {
	for _, b := range []string{
		"",
		"00A402",                  // short header
		"00A4020C03011E",          // Lc 3, two bytes follow
		"00A4020C02011E0000",      // two bytes after the data
		"00A4020C00",              // actually case 2S: valid, checked below
		"00B000000000FF01",        // extended Lc 255, one byte follows
		"00B00000000000AA",        // extended Lc 0000 followed by data
		"00B00000 000003 0102",    // extended Lc 3, two bytes follow
		"00B00000 000002 0102 00", // extended case 4 with a one-byte Le
	} {
		_, err := ParseCommand(h(b))
		if b == "00A4020C00" {
			if err != nil {
				t.Errorf("%s: %v (a valid case 2S)", b, err)
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", b, err)
		}
	}
}

func TestResponse(t *testing.T) {
	r, err := ParseResponse(h("60145F019000"))
	if err != nil || !bytes.Equal(r.Data, h("60145F01")) || r.SW != 0x9000 || !r.OK() {
		t.Fatalf("%X %04X %v", r.Data, r.SW, err)
	}
	if !bytes.Equal(r.Bytes(), h("60145F019000")) {
		t.Fatalf("Bytes %X", r.Bytes())
	}
	r, _ = ParseResponse(h("6A82"))
	if r.OK() || len(r.Data) != 0 || r.SW1() != 0x6A || r.SW2() != 0x82 {
		t.Fatalf("%+v", r)
	}
	for _, b := range []string{"", "90"} {
		if _, err := ParseResponse(h(b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestStatusError(t *testing.T) {
	err := error(&StatusError{SW: 0x6A82, Op: "SELECT EF 010E"})
	if !strings.Contains(err.Error(), "6A82") || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "SELECT EF 010E") {
		t.Fatalf("%v", err)
	}
	if !IsStatus(err, 0x6A82) || IsStatus(err, 0x6982) {
		t.Fatal("IsStatus")
	}
	for sw, want := range map[uint16]string{
		0x6982: "secure messaging", 0x6988: "MAC", 0x6700: "wrong length", 0x6B00: "offset",
		0x6C10: "16 bytes", 0x6100: "256 more", 0x63C2: "2 tries", 0x6987: "missing",
	} {
		if !strings.Contains(StatusText(sw), want) {
			t.Errorf("%04X: %q lacks %q", sw, StatusText(sw), want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, c := range commandCases {
		f.Add(h(c.enc))
	}
	f.Add(h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"))
	f.Add(h("00B000000000FF01"))
	f.Add(h("00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to the same bytes.
		out, err := c.Bytes()
		if err != nil {
			t.Fatalf("%X parsed as %v but does not encode: %v", b, c, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("%X parsed as %v, re-encoded as %X", b, c, out)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add(h("9000"))
	f.Add(h("60145F019000"))
	f.Add(h("990290008E08FA855A5D4C50A8ED9000"))
	f.Add(h("61"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			if len(b) >= 2 && len(b) <= MaxExtendedNe+2 {
				t.Fatalf("%X refused: %v", b, err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Fatalf("%X re-encoded as %X", b, r.Bytes())
		}
	})
}

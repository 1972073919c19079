package iso7816

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"autogate/drivers/emrtd/tlv"
)

// fileCard is a small card for these tests: a flat set of EFs answered
// with the ISO/IEC 7816-4 rules, and switches for the behaviours of real
// cards the Card helpers must cope with. It records what it received.
type fileCard struct {
	files    map[uint16][]byte
	current  []byte
	t0Chunk  int  // answer with 61xx, handing out data in pieces of this size
	maxPiece int  // return at most this many bytes per READ BINARY
	exactLe  bool // answer 6Cxx when Ne exceeds the bytes left
	forever  bool // answer 61FF forever

	cmds    []Command
	pending []byte
}

func (c *fileCard) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	cmd, err := ParseCommand(apdu)
	if err != nil {
		return Response{SW: SWWrongLength}.Bytes(), nil
	}
	c.cmds = append(c.cmds, cmd)
	r := c.process(cmd)
	if c.forever {
		return Response{SW: 0x61FF}.Bytes(), nil
	}
	if c.t0Chunk > 0 && cmd.INS != InsGetResponse && len(r.Data) > 0 {
		c.pending, r.Data = append(r.Data[:0:0], r.Data...), nil
	}
	if c.t0Chunk > 0 && len(c.pending) > 0 {
		n := min(c.t0Chunk, len(c.pending))
		out := Response{Data: c.pending[:n], SW: r.SW}
		c.pending = c.pending[n:]
		if len(c.pending) > 0 {
			out.SW = 0x6100 | uint16(min(len(c.pending), 255))
		}
		return out.Bytes(), nil
	}
	return r.Bytes(), nil
}

func (c *fileCard) process(cmd Command) Response {
	switch cmd.INS {
	case InsGetResponse:
		return Response{SW: SWOK}
	case InsSelect:
		if len(cmd.Data) != 2 {
			return Response{SW: SWWrongData}
		}
		f, ok := c.files[uint16(cmd.Data[0])<<8|uint16(cmd.Data[1])]
		if !ok {
			return Response{SW: SWFileNotFound}
		}
		c.current = f
		return Response{SW: SWOK}
	case InsReadBinary, InsReadBinaryOdd:
		off := int(cmd.P1)<<8 | int(cmd.P2)
		ne := cmd.Ne
		if cmd.INS == InsReadBinaryOdd {
			do, _, err := tlv.Next(cmd.Data)
			if err != nil || do.Tag != 0x54 {
				return Response{SW: SWWrongData}
			}
			off = 0
			for _, b := range do.Value {
				off = off<<8 | int(b)
			}
			for ne > 0 && ne+1+len(tlv.EncodeLength(ne)) > cmd.Ne {
				ne-- // room for the DO'53' header
			}
		}
		if off > len(c.current) {
			return Response{SW: SWWrongParameters}
		}
		n := min(ne, len(c.current)-off)
		if c.exactLe && ne > len(c.current)-off {
			return Response{SW: 0x6C00 | uint16(len(c.current)-off)}
		}
		if c.maxPiece > 0 {
			n = min(n, c.maxPiece)
		}
		data := c.current[off : off+n]
		sw := SWOK
		if n < ne && off+n == len(c.current) {
			sw = SWEndOfFile
		}
		if cmd.INS == InsReadBinaryOdd {
			data = tlv.Encode(0x53, data)
		}
		return Response{Data: data, SW: sw}
	case InsGetChallenge:
		if cmd.Ne != 8 {
			return Response{SW: 0x6C08}
		}
		return Response{Data: []byte("12345678"), SW: SWOK}
	case InsGeneralAuthenticate, 0xDA:
		return Response{Data: h("7C028101"), SW: SWOK}
	}
	return Response{SW: SWINSNotSupported}
}

func newCard(files map[uint16][]byte) (*Card, *fileCard) {
	fc := &fileCard{files: files}
	return &Card{T: fc}, fc
}

func TestReadFileSmall(t *testing.T) {
	com := h("60145F0104303130365F36063034303030305C026175")
	card, fc := newCard(map[uint16][]byte{FIDCOM: com})
	got, err := card.ReadFile(context.Background(), FIDCOM)
	if err != nil || !bytes.Equal(got, com) {
		t.Fatalf("%X %v", got, err)
	}
	// SELECT, the 4-byte header, the other 18 bytes: as in 9303-11 Appendix D.
	if len(fc.cmds) != 3 || fc.cmds[1].Ne != 4 || fc.cmds[2].Ne != 18 || fc.cmds[2].P2 != 4 {
		t.Fatalf("commands %v", fc.cmds)
	}
}

// A file past 32 767 bytes: READ BINARY B0 up to there, then the odd INS
// with the offset in DO'54'.
func TestReadFileLargeUsesOddINS(t *testing.T) {
	f := tlv.Encode(0x75, bytes.Repeat([]byte("0123456789abcdef"), 2600)) // 41 604 bytes
	card, fc := newCard(map[uint16][]byte{0x0102: f})
	got, err := card.ReadFile(context.Background(), 0x0102)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("read %d of %d bytes: %v", len(got), len(f), err)
	}
	var odd, even int
	for _, c := range fc.cmds {
		switch c.INS {
		case InsReadBinary:
			even++
			if c.Ne > DefaultMaxRead || int(c.P1)<<8|int(c.P2) > 0x7FFF {
				t.Fatalf("B0 read %v", c)
			}
		case InsReadBinaryOdd:
			odd++
			if c.P1 != 0 || c.P2 != 0 || c.Data[0] != 0x54 {
				t.Fatalf("B1 read %v %X", c, c.Data)
			}
		}
	}
	if odd == 0 || even == 0 {
		t.Fatalf("%d B0 and %d B1 reads", even, odd)
	}
}

func TestReadFileExtendedLength(t *testing.T) {
	f := tlv.Encode(0x75, bytes.Repeat([]byte{0x42}, 20000))
	card, fc := newCard(map[uint16][]byte{0x0102: f})
	card.MaxRead = 8192
	got, err := card.ReadFile(context.Background(), 0x0102)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if len(fc.cmds) != 5 || !fc.cmds[2].Extended || fc.cmds[2].Ne != 8192 {
		t.Fatalf("%d commands, second read %v", len(fc.cmds), fc.cmds[2])
	}
}

func TestReadFileShortPiecesAndLongHeader(t *testing.T) {
	// Tag 7F61 with a two-byte length: a five-byte header.
	f := tlv.Encode(0x7F61, bytes.Repeat([]byte{7}, 700))
	card, fc := newCard(map[uint16][]byte{0x0103: f})
	fc.maxPiece = 50
	got, err := card.ReadFile(context.Background(), 0x0103)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

func TestReadFileTiny(t *testing.T) {
	card, _ := newCard(map[uint16][]byte{0x0101: h("6100")})
	got, err := card.ReadFile(context.Background(), 0x0101)
	if err != nil || !bytes.Equal(got, h("6100")) {
		t.Fatalf("%X %v", got, err)
	}
	card, _ = newCard(map[uint16][]byte{0x0101: h("61")})
	if _, err := card.ReadFile(context.Background(), 0x0101); err == nil {
		t.Fatal("one-byte file with a cut header accepted")
	}
}

func TestReadFileHostileLength(t *testing.T) {
	card, _ := newCard(map[uint16][]byte{0x0102: h("75 84 10000000 00")})
	_, err := card.ReadFile(context.Background(), 0x0102)
	if err == nil || !strings.Contains(err.Error(), "declares") {
		t.Fatalf("%v", err)
	}
	// Declares more than the file holds: the card runs dry.
	card, _ = newCard(map[uint16][]byte{0x0102: h("75 82 0100 0102")})
	if _, err = card.ReadFile(context.Background(), 0x0102); err == nil {
		t.Fatal("short file accepted")
	}
}

func TestReadFileNotFound(t *testing.T) {
	card, _ := newCard(map[uint16][]byte{})
	_, err := card.ReadFile(context.Background(), 0x010E)
	if !IsStatus(err, SWFileNotFound) || !strings.Contains(err.Error(), "010E") {
		t.Fatalf("%v", err)
	}
}

// A T=0 card hands out data with 61xx; Exchange collects it with GET
// RESPONSE.
func TestGetResponse(t *testing.T) {
	f := tlv.Encode(0x75, bytes.Repeat([]byte{9}, 600))
	card, fc := newCard(map[uint16][]byte{0x0102: f})
	fc.t0Chunk = 64
	got, err := card.ReadFile(context.Background(), 0x0102)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	n := 0
	for _, c := range fc.cmds {
		if c.INS == InsGetResponse {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no GET RESPONSE sent")
	}
}

func TestGetResponseBounded(t *testing.T) {
	card, fc := newCard(nil)
	fc.forever = true
	if _, err := card.GetChallenge(context.Background(), 8); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%v", err)
	}
	if len(fc.cmds) > maxGetResponse+2 {
		t.Fatalf("%d commands", len(fc.cmds))
	}
}

// 6Cxx: the card tells the right Le and the command is repeated with it.
func TestWrongLeRetried(t *testing.T) {
	card, fc := newCard(nil)
	got, err := card.Exec(context.Background(), "GET CHALLENGE", Command{INS: InsGetChallenge, Ne: 16})
	if err != nil || string(got) != "12345678" {
		t.Fatalf("%q %v", got, err)
	}
	if len(fc.cmds) != 2 || fc.cmds[1].Ne != 8 {
		t.Fatalf("%v", fc.cmds)
	}
	// A file whose end the card will only give with the exact Le.
	card, fc = newCard(map[uint16][]byte{0x0101: h("6103AABBCC")})
	fc.exactLe = true
	if err := card.Select(context.Background(), 0x0101); err != nil {
		t.Fatal(err)
	}
	got, err = card.ReadBinary(context.Background(), 0, 200)
	if err != nil || !bytes.Equal(got, h("6103AABBCC")) {
		t.Fatalf("%X %v", got, err)
	}
}

func TestReadBinaryArguments(t *testing.T) {
	card, _ := newCard(nil)
	for _, c := range [][2]int{{-1, 4}, {0, 0}, {0, 65537}, {1 << 24, 4}} {
		if _, err := card.ReadBinary(context.Background(), c[0], c[1]); err == nil {
			t.Errorf("ReadBinary(%d, %d) accepted", c[0], c[1])
		}
	}
}

func TestChainingAndGeneralAuthenticate(t *testing.T) {
	card, fc := newCard(nil)
	data := bytes.Repeat([]byte{1}, 600)
	resp, err := card.TransmitChained(context.Background(), Command{INS: 0xDA, Data: data, Ne: 256}, 255)
	if err != nil || !resp.OK() {
		t.Fatalf("%v %v", resp, err)
	}
	if len(fc.cmds) != 3 || fc.cmds[0].CLA != 0x10 || fc.cmds[1].CLA != 0x10 || fc.cmds[2].CLA != 0 ||
		fc.cmds[0].Ne != 0 || fc.cmds[2].Ne != 256 || len(fc.cmds[2].Data) != 90 {
		t.Fatalf("%v", fc.cmds)
	}
	got, err := card.GeneralAuthenticate(context.Background(), h("8000"), false)
	if err != nil || !bytes.Equal(got, h("8101")) {
		t.Fatalf("%X %v", got, err)
	}
	if last := fc.cmds[len(fc.cmds)-1]; last.CLA != 0x10 || !bytes.Equal(last.Data, h("7C028000")) {
		t.Fatalf("%v %X", last, last.Data)
	}
	for _, bad := range []string{"", "7C", "7D00", "7C00 00"} {
		if _, err := ParseDynamicAuthData(h(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCardWithoutTransport(t *testing.T) {
	var c Card
	if _, err := c.Transmit(context.Background(), Command{INS: 0x84, Ne: 8}); err == nil {
		t.Fatal("no error")
	}
}

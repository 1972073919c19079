package tlv

import (
	"bytes"
	"errors"
	"testing"

	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// The DG1 of the ICAO 9303-10 worked example opens with 61 5B 5F1F 58.
func TestParseDG1Shape(t *testing.T) {
	mrz := bytes.Repeat([]byte("<"), 0x58)
	dg1 := Encode(0x61, Encode(0x5F1F, mrz))
	if !bytes.Equal(dg1[:5], h("615B5F1F58")) {
		t.Fatalf("header %X, want 615B5F1F58", dg1[:5])
	}
	root, err := ParseOne(dg1)
	if err != nil {
		t.Fatal(err)
	}
	if root.Tag != 0x61 || !root.Tag.Constructed() {
		t.Fatalf("root %v", root.Tag)
	}
	m, ok := Find([]TLV{root}, 0x61, 0x5F1F)
	if !ok || len(m.Value) != 0x58 || m.Tag.Constructed() {
		t.Fatalf("5F1F: %v %d", ok, len(m.Value))
	}
}

func TestLengthForms(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x123456} {
		enc := EncodeLength(n)
		got, used, err := ReadLength(enc)
		if err != nil || got != n || used != len(enc) {
			t.Fatalf("length %d: encoded %X, decoded %d/%d %v", n, enc, got, used, err)
		}
	}
	if !bytes.Equal(EncodeLength(0x80), h("8180")) || !bytes.Equal(EncodeLength(0x100), h("820100")) {
		t.Fatal("not the shortest long form")
	}
}

func TestMultiByteTags(t *testing.T) {
	for _, c := range []struct {
		in  string
		tag Tag
		n   int
	}{{"5F1F", 0x5F1F, 2}, {"7F61", 0x7F61, 2}, {"7F2E", 0x7F2E, 2}, {"9F8101", 0x9F8101, 3}, {"61", 0x61, 1}} {
		tag, n, err := ReadTag(h(c.in))
		if err != nil || tag != c.tag || n != c.n {
			t.Fatalf("%s: %v %d %v", c.in, tag, n, err)
		}
		if !bytes.Equal(tag.Bytes(), h(c.in)) {
			t.Fatalf("%s re-encodes as %X", c.in, tag.Bytes())
		}
	}
	if !Tag(0x7F61).Constructed() || Tag(0x5F1F).Constructed() {
		t.Fatal("constructed bit read from the wrong byte")
	}
}

func TestHostileInputRefused(t *testing.T) {
	bomb := []byte{}
	for i := 0; i < 100; i++ {
		bomb = Encode(0x30, bomb)
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated tag", h("5F"), ErrTruncated},
		{"truncated length", h("6182"), ErrTruncated},
		{"overlong", h("610A0102"), ErrLength},
		{"indefinite", h("618001020000"), ErrIndefinite},
		{"five length bytes", h("61850000000001"), ErrLength},
		{"huge length", h("6184FFFFFFFF"), ErrLength},
		{"four-byte tag", h("5F818181010000"), ErrTag},
		{"nested bomb", bomb, ErrTooDeep},
		{"child overlong", h("6103010500"), ErrLength},
	}
	for _, c := range cases {
		if _, err := Parse(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: err=%v, want %v", c.name, err, c.want)
		}
	}
}

func TestTooManyNodes(t *testing.T) {
	flat := bytes.Repeat(h("0100"), MaxNodes+1)
	if _, err := Parse(flat); !errors.Is(err, ErrTooMany) {
		t.Fatalf("err=%v", err)
	}
}

func TestPaddingAfterLastElementIgnored(t *testing.T) {
	nodes, err := Parse(append(Encode(0x80, []byte{1}), 0x00, 0x00))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("%v %d", err, len(nodes))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(h("615B5F1F58"))
	f.Add(Encode(0x61, Encode(0x5F1F, []byte("P<UTO")), Encode(0x7F61, Encode(0x02, []byte{1}))))
	f.Add(h("6184FFFFFFFF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		nodes, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses the same way.
		var again []byte
		for _, n := range nodes {
			again = append(again, reencode(n)...)
		}
		back, err := Parse(again)
		if err != nil || len(back) != len(nodes) {
			t.Fatalf("re-encoded form does not parse: %v", err)
		}
		for i := range nodes {
			if back[i].Tag != nodes[i].Tag || !bytes.Equal(back[i].Value, nodes[i].Value) {
				t.Fatalf("element %d differs after re-encoding", i)
			}
		}
	})
}

func reencode(n TLV) []byte {
	if !n.Tag.Constructed() {
		return Encode(n.Tag, n.Value)
	}
	var kids [][]byte
	for _, c := range n.Children {
		kids = append(kids, reencode(c))
	}
	// Children of a constructed value may include padding bytes that Parse
	// skipped; the value itself is what must survive.
	return Encode(n.Tag, n.Value)
}

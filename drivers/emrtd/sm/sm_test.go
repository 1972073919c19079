package sm

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/tlv"
	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// Session keys and counter of ICAO 9303-11 Appendix D after BAC.
var (
	bacKSEnc = h("979EC13B1CBFE9DCD01AB0FED307EAE5")
	bacKSMAC = h("F1CB1F1FB5ADF208806B89DC579DC1F8")
	bacSSC   = h("887022120C06C226")
)

// appendixD is the protected traffic of ICAO 9303-11 Appendix D.4: SELECT
// EF.COM, READ BINARY of its first four bytes, READ BINARY of the other 18.
var appendixD = []struct {
	name               string
	plainCmd           string
	protectedCmd       string
	protectedResp      string
	plainData, plainSW string
}{
	{"SELECT EF.COM", "00A4020C02011E",
		"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
		"990290008E08FA855A5D4C50A8ED9000", "", "9000"},
	{"READ BINARY 4 bytes", "00B0000004",
		"0CB000000D9701048E08ED6705417E96BA5500",
		"8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", "60145F01", "9000"},
	{"READ BINARY 18 bytes at 4", "00B0000412",
		"0CB000040D9701128E082EA28A70F3C7B53500",
		"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
		"04303130365F36063034303030305C026175", "9000"},
}

func mustCommand(t testing.TB, s string) iso7816.Command {
	t.Helper()
	c, err := iso7816.ParseCommand(h(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustResponse(t testing.TB, s string) iso7816.Response {
	t.Helper()
	r, err := iso7816.ParseResponse(h(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The terminal's side of Appendix D, byte for byte.
func TestAppendixDTerminal(t *testing.T) {
	s, err := New(kdf.TDES, bacKSEnc, bacKSMAC, bacSSC)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range appendixD {
		w, err := s.Wrap(mustCommand(t, step.plainCmd))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		b, err := w.Bytes()
		if err != nil || !bytes.Equal(b, h(step.protectedCmd)) {
			t.Fatalf("%s: protected command\n got %X\nwant %s (%v)", step.name, b, step.protectedCmd, err)
		}
		r, err := s.Unwrap(mustResponse(t, step.protectedResp))
		if err != nil {
			t.Fatalf("%s: unwrap: %v", step.name, err)
		}
		if !bytes.Equal(r.Data, h(step.plainData)) || fmt.Sprintf("%04X", r.SW) != step.plainSW {
			t.Fatalf("%s: response %X %04X, want %s %s", step.name, r.Data, r.SW, step.plainData, step.plainSW)
		}
	}
	if got := s.SSC(); !bytes.Equal(got, h("887022120C06C22C")) {
		t.Fatalf("SSC after three exchanges %X, want 887022120C06C22C", got)
	}
}

// The chip's side of Appendix D: it must accept the appendix's commands and
// produce the appendix's responses exactly.
func TestAppendixDChip(t *testing.T) {
	s, err := New(kdf.TDES, bacKSEnc, bacKSMAC, bacSSC)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range appendixD {
		cmd, err := s.UnwrapCommand(mustCommand(t, step.protectedCmd))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		want := mustCommand(t, step.plainCmd)
		if cmd.CLA != want.CLA || cmd.INS != want.INS || cmd.P1 != want.P1 || cmd.P2 != want.P2 ||
			!bytes.Equal(cmd.Data, want.Data) || cmd.Ne != want.Ne {
			t.Fatalf("%s: unwrapped %v, want %v", step.name, cmd, want)
		}
		var sw uint16
		fmt.Sscanf(step.plainSW, "%04X", &sw)
		r, err := s.WrapResponse(iso7816.Response{Data: h(step.plainData), SW: sw})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Bytes(), h(step.protectedResp)) {
			t.Fatalf("%s: protected response\n got %X\nwant %s", step.name, r.Bytes(), step.protectedResp)
		}
	}
}

func TestAppendixDTamperedResponse(t *testing.T) {
	s, _ := New(kdf.TDES, bacKSEnc, bacKSMAC, bacSSC)
	s.Wrap(mustCommand(t, appendixD[1].plainCmd))
	bad := h(appendixD[1].protectedResp)
	bad[4] ^= 0x01 // inside the cryptogram
	r, _ := iso7816.ParseResponse(bad)
	if _, err := s.Unwrap(r); !errors.Is(err, ErrMAC) {
		t.Fatalf("tampered cryptogram: %v, want ErrMAC", err)
	}
	if _, err := s.Wrap(mustCommand(t, "00B0000004")); !errors.Is(err, ErrAborted) {
		t.Fatalf("after a MAC failure: %v, want ErrAborted", err)
	}
}

// A response replayed with the wrong counter (one step late) fails the MAC.
func TestReplayFails(t *testing.T) {
	s, _ := New(kdf.TDES, bacKSEnc, bacKSMAC, bacSSC)
	s.Wrap(mustCommand(t, appendixD[0].plainCmd))
	if _, err := s.Unwrap(mustResponse(t, appendixD[0].protectedResp)); err != nil {
		t.Fatal(err)
	}
	s.Wrap(mustCommand(t, appendixD[1].plainCmd))
	if _, err := s.Unwrap(mustResponse(t, appendixD[0].protectedResp)); !errors.Is(err, ErrMAC) {
		t.Fatalf("replayed response: %v, want ErrMAC", err)
	}
}

// RFC 4493 section 4 and NIST SP 800-38B appendix D (checked with
// `openssl mac -cipher AES-xxx-CBC ... CMAC`).
func TestCMACVectors(t *testing.T) {
	msg := h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	k128 := h("2b7e151628aed2a6abf7158809cf4f3c")
	for _, v := range []struct {
		key  []byte
		n    int
		want string
	}{
		{k128, 0, "bb1d6929e95937287fa37d129b756746"},
		{k128, 16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{k128, 40, "dfa66747de9ae63030ca32611497c827"},
		{k128, 64, "51f0bebf7e3b9d92fc49741779363cfe"},
		{h("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"), 0, "d17ddf46adaacde531cac483de7a9367"},
		{h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"), 0, "028962f61b7bf89efc6b551f4667d983"},
	} {
		got, err := CMAC(v.key, msg[:v.n])
		if err != nil || !bytes.Equal(got, h(v.want)) {
			t.Errorf("CMAC(%d-byte key, %d bytes) = %x, want %s (%v)", len(v.key), v.n, got, v.want, err)
		}
	}
}

// The BAC appendix's M_IFD is the retail MAC over E_IFD, padded.
func TestRetailMACAppendixD(t *testing.T) {
	eIFD := h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
	got, err := MAC(kdf.TDES, h("7962D9ECE03D1ACD4C76089DCE131543"), eIFD)
	if err != nil || !bytes.Equal(got, h("5F1448EEA8AD90A7")) {
		t.Fatalf("M_IFD %X (%v), want 5F1448EEA8AD90A7", got, err)
	}
}

func TestPadUnpad(t *testing.T) {
	for n := 0; n < 40; n++ {
		data := bytes.Repeat([]byte{0x80}, n) // 80s inside the data must survive
		for _, bs := range []int{8, 16} {
			p := Pad(data, bs)
			if len(p)%bs != 0 || len(p) <= n || len(p) > n+bs {
				t.Fatalf("Pad(%d bytes, %d) gave %d bytes", n, bs, len(p))
			}
			u, err := Unpad(p)
			if err != nil || !bytes.Equal(u, data) {
				t.Fatalf("Unpad(Pad(%d bytes)) = %d bytes, %v", n, len(u), err)
			}
		}
	}
	for _, bad := range []string{"", "00", "0000000000000000", "0102030405060708", "8001"} {
		if _, err := Unpad(h(bad)); !errors.Is(err, ErrPadding) {
			t.Errorf("Unpad(%s) = %v, want ErrPadding", bad, err)
		}
	}
}

func pair(t testing.TB, c kdf.Cipher) (terminal, chip *Session) {
	t.Helper()
	kEnc := kdf.Derive(c, []byte("shared secret"), kdf.CounterEnc)
	kMAC := kdf.Derive(c, []byte("shared secret"), kdf.CounterMAC)
	ssc := make([]byte, BlockSize(c))
	ssc[len(ssc)-1] = 0xFE // the first exchange carries into the next byte
	a, err := New(c, kEnc, kMAC, ssc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(c, kEnc, kMAC, ssc)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// Every command shape through both sides, for every cipher.
func TestRoundTripAllCiphers(t *testing.T) {
	big := bytes.Repeat([]byte{0xA5}, 300)
	cmds := []iso7816.Command{
		{INS: 0x84, Ne: 8}, // case 2S
		{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 0x1E}},         // case 3S
		{INS: 0x88, Data: []byte("8 bytes!"), Ne: 256},              // case 4S, Ne 256
		{INS: 0x22, P1: 0x41, P2: 0xA6},                             // case 1
		{INS: 0xB1, Data: []byte{0x54, 0x02, 0x80, 0x00}, Ne: 1000}, // odd INS, extended Ne
		{CLA: 0x10, INS: 0x86, Data: big, Ne: 65536},                // chained, extended data
		{INS: 0xB0, Ne: 200, Extended: true},                        // forced extended
	}
	for _, c := range []kdf.Cipher{kdf.TDES, kdf.AES128, kdf.AES192, kdf.AES256} {
		term, chip := pair(t, c)
		for i, cmd := range cmds {
			w, err := term.Wrap(cmd)
			if err != nil {
				t.Fatalf("%v cmd %d: %v", c, i, err)
			}
			raw, err := w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if w.IsExtended() != (cmd.IsExtended() || len(w.Data) > 255) {
				t.Fatalf("%v cmd %d: protected form extended=%v", c, i, w.IsExtended())
			}
			parsed, _ := iso7816.ParseCommand(raw)
			if len(cmd.Data) > 0 {
				do, _, _ := tlv.Next(parsed.Data)
				want := tlv.Tag(0x87)
				if cmd.INS&1 == 1 {
					want = 0x85
				}
				if do.Tag != want {
					t.Fatalf("%v cmd %d: data in DO'%s', want DO'%s'", c, i, do.Tag, want)
				}
			}
			got, err := chip.UnwrapCommand(parsed)
			if err != nil {
				t.Fatalf("%v cmd %d: chip: %v", c, i, err)
			}
			if got.CLA != cmd.CLA || got.INS != cmd.INS || !bytes.Equal(got.Data, cmd.Data) || got.Ne != cmd.Ne {
				t.Fatalf("%v cmd %d: chip got %v, want %v", c, i, got, cmd)
			}
			answer := iso7816.Response{Data: bytes.Repeat([]byte{byte(i)}, i*37), SW: 0x9000}
			if i == 3 {
				answer.SW = 0x6A82
			}
			pr, err := chip.WrapResponse(answer)
			if err != nil {
				t.Fatal(err)
			}
			if pr.SW != answer.SW {
				t.Fatalf("outer status %04X, want %04X", pr.SW, answer.SW)
			}
			if l := chip.ProtectedResponseLen(len(answer.Data)); l < len(pr.Data) {
				t.Fatalf("%v: ProtectedResponseLen(%d) = %d < actual %d", c, len(answer.Data), l, len(pr.Data))
			}
			back, err := term.Unwrap(pr)
			if err != nil {
				t.Fatalf("%v cmd %d: terminal: %v", c, i, err)
			}
			if back.SW != answer.SW || !bytes.Equal(back.Data, answer.Data) {
				t.Fatalf("%v cmd %d: got %X %04X", c, i, back.Data, back.SW)
			}
		}
		// Two increments per exchange, from ...FE.
		want := make([]byte, BlockSize(c))
		n := 0xFE + 2*len(cmds)
		want[len(want)-1], want[len(want)-2] = byte(n), byte(n>>8)
		if !bytes.Equal(term.SSC(), want) || !bytes.Equal(chip.SSC(), want) {
			t.Fatalf("%v: SSC %X / %X, want %X", c, term.SSC(), chip.SSC(), want)
		}
	}
}

func TestAESIVDependsOnCounter(t *testing.T) {
	term, _ := pair(t, kdf.AES128)
	cmd := iso7816.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 0x1E}}
	a, _ := term.Wrap(cmd)
	b, _ := term.Wrap(cmd)
	if bytes.Equal(a.Data[:19], b.Data[:19]) {
		t.Fatal("same cryptogram under two counters: the IV is not E(KSEnc, SSC)")
	}
}

func TestMACFailureBothSides(t *testing.T) {
	for _, c := range []kdf.Cipher{kdf.TDES, kdf.AES128} {
		term, chip := pair(t, c)
		w, _ := term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
		w.Data[len(w.Data)-1] ^= 0x80
		if _, err := chip.UnwrapCommand(w); !errors.Is(err, ErrMAC) {
			t.Fatalf("%v chip: %v, want ErrMAC", c, err)
		}
		if _, err := chip.WrapResponse(iso7816.Response{SW: 0x9000}); !errors.Is(err, ErrAborted) {
			t.Fatalf("%v chip after MAC failure: %v, want ErrAborted", c, err)
		}

		term, chip = pair(t, c)
		w, _ = term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
		chip.UnwrapCommand(w)
		r, _ := chip.WrapResponse(iso7816.Response{Data: []byte{1, 2, 3, 4}, SW: 0x9000})
		r.Data[5] ^= 1
		if _, err := term.Unwrap(r); !errors.Is(err, ErrMAC) {
			t.Fatalf("%v terminal: %v, want ErrMAC", c, err)
		}
		if !term.Aborted() {
			t.Fatal("terminal session still open after a MAC failure")
		}
	}
}

// A response that is only 9000 carries no proof and is refused; an error
// status passes, and 6988 ends the session.
func TestUnprotectedStatus(t *testing.T) {
	term, _ := pair(t, kdf.AES128)
	term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
	if _, err := term.Unwrap(iso7816.Response{SW: 0x9000}); !errors.Is(err, ErrMAC) {
		t.Fatalf("bare 9000: %v, want ErrMAC", err)
	}
	term, _ = pair(t, kdf.AES128)
	term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
	r, err := term.Unwrap(iso7816.Response{SW: 0x6988})
	if err != nil || r.SW != 0x6988 || !term.Aborted() {
		t.Fatalf("bare 6988: %v %04X aborted=%v", err, r.SW, term.Aborted())
	}
}

// A MAC-valid message whose plaintext padding is broken is ErrPadding.
func TestPaddingError(t *testing.T) {
	for _, c := range []kdf.Cipher{kdf.TDES, kdf.AES256} {
		term, chip := pair(t, c)
		w, _ := term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
		chip.UnwrapCommand(w)
		// Build the response by hand: a cryptogram of a block with no 80.
		chip.increment()
		bs := BlockSize(c)
		ct, _ := cbcBlock(chip.enc, chip.iv(), bytes.Repeat([]byte{0x11}, bs), true)
		dos := tlv.Encode(0x87, []byte{1}, ct)
		dos = append(dos, 0x99, 0x02, 0x90, 0x00)
		dos = append(dos, tlv.Encode(0x8E, chip.mac(dos))...)
		if _, err := term.Unwrap(iso7816.Response{Data: dos, SW: 0x9000}); !errors.Is(err, ErrPadding) {
			t.Fatalf("%v: %v, want ErrPadding", c, err)
		}
	}
}

func TestMalformedDataObjects(t *testing.T) {
	for _, data := range []string{
		"8E08",                                   // truncated
		"99029000",                               // no MAC
		"8E080102030405060708 99029000",          // data after DO'8E'
		"99029000 99029000 8E080102030405060708", // DO'99' twice
		"99029000 8709010000000000000000 8E0800", // DO'87' after DO'99'
		"81020000 8E080102030405060708",          // unknown DO
	} {
		term, _ := pair(t, kdf.TDES)
		term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
		_, err := term.Unwrap(iso7816.Response{Data: h(data), SW: 0x9000})
		if !errors.Is(err, ErrDataObjects) && !errors.Is(err, ErrMissingMAC) {
			t.Errorf("%s: %v, want a data object error", data, err)
		}
	}
}

func TestNewChecksKeys(t *testing.T) {
	if _, err := New(kdf.TDES, make([]byte, 16), make([]byte, 16), make([]byte, 16)); err == nil {
		t.Error("3DES with a 16-byte SSC accepted")
	}
	if _, err := New(kdf.AES192, make([]byte, 16), make([]byte, 24), make([]byte, 16)); err == nil {
		t.Error("AES-192 with a 16-byte KSEnc accepted")
	}
	if _, err := New(kdf.Cipher(9), make([]byte, 16), make([]byte, 16), make([]byte, 16)); err == nil {
		t.Error("unknown cipher accepted")
	}
}

func TestMaxPlainResponse(t *testing.T) {
	for _, c := range []kdf.Cipher{kdf.TDES, kdf.AES128} {
		s, _ := pair(t, c)
		n := s.MaxPlainResponse(256)
		if s.ProtectedResponseLen(n) > 256 || s.ProtectedResponseLen(n+1) <= 256 {
			t.Fatalf("%v: MaxPlainResponse(256) = %d", c, n)
		}
		if n < iso7816.DefaultMaxRead {
			t.Fatalf("%v: a %d-byte read does not fit a short response (max %d)", c, iso7816.DefaultMaxRead, n)
		}
	}
}

// FuzzUnwrap feeds hostile bytes to both unwrapping sides: they must never
// panic, and whatever they accept must have come with a valid MAC, which
// random bytes cannot have.
func FuzzUnwrap(f *testing.F) {
	for _, step := range appendixD {
		f.Add(h(step.protectedResp), false)
		f.Add(h(step.protectedCmd), true)
	}
	f.Add(h("9000"), false)
	f.Add(h("6988"), false)
	f.Add(h("8E00 9000"), false)
	f.Add(h("87830000019000"), false)
	f.Fuzz(func(t *testing.T, b []byte, command bool) {
		for _, c := range []kdf.Cipher{kdf.TDES, kdf.AES128} {
			term, chip := pair(t, c)
			if command {
				cmd, err := iso7816.ParseCommand(b)
				if err != nil {
					continue
				}
				if _, err := chip.UnwrapCommand(cmd); err == nil && len(cmd.Data) > 0 {
					t.Fatalf("%v: accepted a forged command %X", c, b)
				}
				continue
			}
			r, err := iso7816.ParseResponse(b)
			if err != nil {
				continue
			}
			term.Wrap(iso7816.Command{INS: 0xB0, Ne: 4})
			out, err := term.Unwrap(r)
			if err == nil && len(r.Data) > 0 {
				t.Fatalf("%v: accepted a forged response %X → %X", c, b, out.Bytes())
			}
		}
	})
}

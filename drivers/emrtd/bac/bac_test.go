package bac

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// ICAO 9303-11 Appendix D.
var (
	mrzInfo   = kdf.MRZInfo("L898902C", '3', "690806", '1', "940623", '6')
	rndIC     = h("4608F91988702212")
	rndIFD    = h("781723860C06C226")
	kIFD      = h("0B795240CB7049B01C19B33E32804F0B")
	kIC       = h("0B4F80323EB3191CB04970CB4052790B") // K.IFD ⊕ Kseed of the appendix
	extAuth   = "0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28"
	extAnswer = "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449"
	efCOM     = h("60145F0104303130365F36063034303030305C026175")
)

// replay is a card that expects the appendix's exact commands in order.
type replay struct {
	t     *testing.T
	steps [][2]string
}

func (r *replay) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	if len(r.steps) == 0 {
		return nil, fmt.Errorf("unexpected command %X", apdu)
	}
	step := r.steps[0]
	r.steps = r.steps[1:]
	if !bytes.Equal(apdu, h(step[0])) {
		r.t.Errorf("command\n got %X\nwant %s", apdu, strings.ReplaceAll(step[0], " ", ""))
		return nil, errors.New("unexpected command")
	}
	return h(step[1]), nil
}

// The whole of Appendix D through the package API: BAC, then EF.COM read
// with secure messaging, every byte on the wire as printed in the standard.
func TestAppendixDTerminal(t *testing.T) {
	card := &replay{t: t, steps: [][2]string{
		{"0084000008", "4608F919887022129000"},
		{extAuth, extAnswer + "9000"},
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500", "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	}}
	c := &iso7816.Card{T: card}
	s, err := Authenticate(context.Background(), c, mrzInfo, bytes.NewReader(append(append([]byte{}, rndIFD...), kIFD...)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.SSC(), h("887022120C06C226")) {
		t.Fatalf("SSC %X", s.SSC())
	}
	secure := &iso7816.Card{T: s.Transport(card)}
	com, err := secure.ReadFile(context.Background(), iso7816.FIDCOM)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(com, efCOM) {
		t.Fatalf("EF.COM %X", com)
	}
	if len(card.steps) != 0 {
		t.Fatalf("%d steps not replayed", len(card.steps))
	}
}

// The chip's side reproduces the appendix's answer from its nonce and key
// share, and ends with the same session.
func TestAppendixDChip(t *testing.T) {
	cmd, err := iso7816.ParseCommand(h(extAuth))
	if err != nil {
		t.Fatal(err)
	}
	resp, s, err := ChipAnswer(mrzInfo, rndIC, kIC, cmd.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp, h(extAnswer)) {
		t.Fatalf("answer\n got %X\nwant %s", resp, extAnswer)
	}
	// The session works: the appendix's protected SELECT verifies under it.
	sel, _ := iso7816.ParseCommand(h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"))
	plain, err := s.UnwrapCommand(sel)
	if err != nil || !bytes.Equal(plain.Data, h("011E")) {
		t.Fatalf("%v %v", plain, err)
	}
}

func TestChipRefusesWrongMRZ(t *testing.T) {
	cmd, _ := iso7816.ParseCommand(h(extAuth))
	other := kdf.MRZInfo("L898902C", '3', "690806", '1', "940624", '4')
	if _, _, err := ChipAnswer(other, rndIC, kIC, cmd.Data); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("%v", err)
	}
	if _, _, err := ChipAnswer(mrzInfo, h("0000000000000000"), kIC, cmd.Data); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("stale challenge: %v", err)
	}
	if _, _, err := ChipAnswer(mrzInfo, rndIC, kIC, cmd.Data[:39]); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("short data: %v", err)
	}
}

func terminalAgainst(t *testing.T, answer string) error {
	card := &replay{t: t, steps: [][2]string{
		{"0084000008", "4608F919887022129000"},
		{extAuth, answer},
	}}
	_, err := Authenticate(context.Background(), &iso7816.Card{T: card}, mrzInfo, bytes.NewReader(append(append([]byte{}, rndIFD...), kIFD...)))
	return err
}

func TestTerminalErrors(t *testing.T) {
	if err := terminalAgainst(t, "6300"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("6300: %v", err)
	}
	if err := terminalAgainst(t, "6D00"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("6D00: %v", err)
	}
	bad := h(extAnswer + "9000")
	bad[39] ^= 1 // the MAC
	if err := terminalAgainst(t, hex.EncodeToString(bad)); !errors.Is(err, ErrChipProof) {
		t.Errorf("bad MAC: %v", err)
	}
	if err := terminalAgainst(t, extAnswer[:20]+"9000"); !errors.Is(err, ErrChipProof) {
		t.Errorf("short answer: %v", err)
	}
	// A well-MACed answer that does not return the terminal's nonce: a
	// replay of another session's answer.
	kEnc, kMAC := kdf.BACKeys(mrzInfo)
	e, _ := sm.Encrypt(kdf.TDES, kEnc, nil, concat(rndIC, h("0000000000000000"), kIC))
	m, _ := sm.MAC(kdf.TDES, kMAC, e)
	if err := terminalAgainst(t, hex.EncodeToString(concat(e, m))+"9000"); !errors.Is(err, ErrChipProof) {
		t.Errorf("foreign nonce: %v", err)
	}
}

package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"autogate/drivers/emrtd/pcsc"
	"autogate/drivers/emrtd/vpcd"
	"autogate/internal/testenv"
)

// echoCard answers every C-APDU with its own bytes reversed and 90 00, and
// counts resets: enough to prove bytes cross pcscd both ways unaltered.
type echoCard struct{ resets int }

func (c *echoCard) Process(apdu []byte) []byte {
	out := make([]byte, 0, len(apdu)+2)
	for i := len(apdu) - 1; i >= 0; i-- {
		out = append(out, apdu[i])
	}
	return append(out, 0x90, 0x00)
}
func (c *echoCard) Reset() { c.resets++ }

// Through the real pcscd: the virtual card connects to vpcd, the terminal
// side finds the reader, waits for the card, reads its ATR and exchanges
// short and extended APDUs.
func TestThroughRealPCSCD(t *testing.T) {
	testenv.PCSCD(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	card := &echoCard{}
	served := make(chan error, 1)
	go func() { served <- vpcd.Run(ctx, vpcd.DefaultAddr, card, nil, t.Logf) }()

	pc, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	var reader string
	for reader == "" {
		if reader, err = pc.Find("Virtual PCD"); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("vpcd's reader never appeared: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := pc.WaitCard(ctx, reader); err != nil {
		t.Fatalf("waiting for the virtual card in %q: %v", reader, err)
	}
	k, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	atr, err := k.ATR()
	if err != nil || !bytes.Equal(atr, vpcd.ContactlessATR) {
		t.Fatalf("ATR %X err=%v, want %X", atr, err, vpcd.ContactlessATR)
	}
	short := []byte{0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}
	ext := append([]byte{0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x20}, bytes.Repeat([]byte{0x5A}, 0x120)...)
	for _, apdu := range [][]byte{short, ext} {
		resp, err := k.Transmit(ctx, apdu)
		if err != nil {
			t.Fatal(err)
		}
		want := (&echoCard{}).Process(apdu)
		if !bytes.Equal(resp, want) {
			t.Fatalf("response %X, want %X", resp, want)
		}
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("vpcd.Run ended with %v", err)
	}
}

func TestUnknownReader(t *testing.T) {
	testenv.PCSCD(t)
	pc, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	if _, err := pc.Find("no such reader anywhere"); !errors.Is(err, pcsc.ErrNoReader) {
		t.Fatalf("err=%v, want ErrNoReader", err)
	}
}

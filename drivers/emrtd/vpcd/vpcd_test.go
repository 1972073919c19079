package vpcd

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"
)

type card struct{ resets int }

func (c *card) Process(apdu []byte) []byte { return append(append([]byte{}, apdu...), 0x90, 0x00) }
func (c *card) Reset()                     { c.resets++ }

// The test plays vpcd's side of the socket: control frames and an APDU.
func TestFrames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &card{}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln.Addr().String(), c, nil) }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	writeFrame(conn, []byte{ctrlOn})
	writeFrame(conn, []byte{ctrlATR})
	atr, err := readFrame(conn)
	if err != nil || !bytes.Equal(atr, ContactlessATR) {
		t.Fatalf("ATR %X %v", atr, err)
	}
	writeFrame(conn, []byte{0x00, 0x84, 0x00, 0x00, 0x08})
	resp, err := readFrame(conn)
	if err != nil || !bytes.Equal(resp, []byte{0x00, 0x84, 0x00, 0x00, 0x08, 0x90, 0x00}) {
		t.Fatalf("response %X %v", resp, err)
	}
	writeFrame(conn, []byte{ctrlReset})
	writeFrame(conn, []byte{ctrlATR})
	readFrame(conn)
	if c.resets != 2 {
		t.Fatalf("resets=%d, want 2 (power on, reset)", c.resets)
	}
	// A zero-length frame is a protocol error, not a hang.
	conn.Write([]byte{0, 0})
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Serve accepted an empty frame")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve hung on an empty frame")
	}
}

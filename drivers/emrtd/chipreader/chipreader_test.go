package chipreader

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

type echo struct{ stall chan struct{} }

func (e *echo) Process(apdu []byte) []byte {
	if e.stall != nil {
		<-e.stall
	}
	return append(append([]byte{}, apdu...), 0x90, 0x00)
}

func TestAirTime(t *testing.T) {
	a := AirTime{PerExchange: 5 * time.Millisecond, BitsPerSec: 424_000}
	// 265 bytes at 424 kbit/s with 10 bit times per byte: 6.25 ms.
	if got := a.Of(265); got != 5*time.Millisecond+6250*time.Microsecond {
		t.Fatalf("air time %s", got)
	}
}

func TestSimWaitsForAChipThenAnswers(t *testing.T) {
	s := NewSim(AirTime{PerExchange: time.Millisecond, BitsPerSec: 106_000}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Connect(ctx); err == nil {
		t.Fatal("connected with no chip in the field")
	}
	s.Present(&echo{})
	chip, err := s.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chip.Transmit(context.Background(), []byte{0, 0x84, 0, 0, 8})
	if err != nil || !bytes.Equal(resp, []byte{0, 0x84, 0, 0, 8, 0x90, 0}) {
		t.Fatalf("%X %v", resp, err)
	}
	s.Remove()
	if _, err := chip.Transmit(context.Background(), []byte{0, 0x84, 0, 0, 8}); err == nil {
		t.Fatal("a removed chip answered")
	}
}

func TestSimChipThatStopsAnsweringTimesOut(t *testing.T) {
	s := NewSim(AirTime{}, 0)
	e := &echo{stall: make(chan struct{})}
	defer close(e.stall)
	s.Present(e)
	chip, _ := s.Connect(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := chip.Transmit(ctx, []byte{0, 0xB0, 0, 0, 0}); !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("err=%v, want a device timeout", err)
	}
}

func TestVPCDSimThroughRealPCSCD(t *testing.T) {
	testenv.PCSCD(t)
	v := NewVPCDSim("", "Virtual PCD")
	defer v.Close()
	v.Present(&echo{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	chip, err := v.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer chip.Close()
	resp, err := chip.Transmit(ctx, []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E})
	if err != nil || !bytes.Equal(resp[len(resp)-2:], []byte{0x90, 0x00}) {
		t.Fatalf("%X %v", resp, err)
	}
	if h := v.Health(); h.State != device.StateOK {
		t.Fatalf("health %+v", h)
	}
}

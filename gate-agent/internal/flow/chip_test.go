package flow

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/trust"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/emrtd/vdoc"
	"autogate/gate-agent/internal/config"
	"autogate/internal/wire"
)

// chipLane is a lane whose flow also reads the document's chip.
func chipLane(t *testing.T) (*lane, *chipreader.Sim, *issuer.PKI) {
	t.Helper()
	pki, err := issuer.NewPKI(issuer.CSCAOptions{Country: "VN"})
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.AddCertificate(pki.CSCA.Cert, "test", false); err != nil {
		t.Fatal(err)
	}
	l := newLane(t, config.Policy{})
	reader := chipreader.NewSim(chipreader.AirTime{}, 0)
	l.flow.opts.Checks = append(DocumentChecks(config.Policy{DocumentCodes: []string{"P", "I"}}),
		ChipCheck(reader, store, []string{"P"}, 2*time.Second))
	return l, reader, pki
}

func document(t *testing.T, pki *issuer.PKI, lines []string, faults vchip.Faults) *vchip.Chip {
	t.Helper()
	var face bytes.Buffer
	jpeg.Encode(&face, image.NewGray(image.Rect(0, 0, 90, 120)), nil)
	return chipWithPhoto(t, pki, lines, face.Bytes(), faults)
}

// chipWithPhoto issues a document whose chip holds photo as its portrait.
func chipWithPhoto(t *testing.T, pki *issuer.PKI, lines []string, photo []byte, faults vchip.Faults) *vchip.Chip {
	t.Helper()
	d, err := vdoc.Issue(pki, lines, photo, vdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Faults = faults
	chip, err := d.Chip()
	if err != nil {
		t.Fatal(err)
	}
	return chip
}

func checkNamed(c wire.Crossing, name string) (wire.Check, bool) {
	for _, ch := range c.Checks {
		if ch.Name == name {
			return ch, true
		}
	}
	return wire.Check{}, false
}

func TestChipStage(t *testing.T) {
	lines := build(t, time.Now().AddDate(3, 0, 0))
	cases := []struct {
		name     string
		chip     func(pki *issuer.PKI) *vchip.Chip
		decision string
		reason   string
	}{
		{"genuine", func(p *issuer.PKI) *vchip.Chip { return document(t, p, lines, vchip.Faults{}) }, wire.DecisionPass, ""},
		{"cloned", func(p *issuer.PKI) *vchip.Chip { return document(t, p, lines, vchip.Faults{Clone: true}) }, wire.DecisionRefer, "chip_authentication_failed"},
		{"no chip in a passport", func(*issuer.PKI) *vchip.Chip { return nil }, wire.DecisionRefer, ReasonChipNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, reader, pki := chipLane(t)
			if chip := c.chip(pki); chip != nil {
				reader.Present(chip)
			}
			l.traveller(lines, false)
			got := l.once(t)
			if got.Decision != c.decision {
				t.Fatalf("decision %s, checks %+v", got.Decision, got.Checks)
			}
			if c.reason != "" && !reasonsOf(got)[c.reason] {
				t.Fatalf("reasons %v, want %s", reasonsOf(got), c.reason)
			}
			if c.decision == wire.DecisionPass {
				for _, name := range []string{"chip_access", "chip_ca", "chip_pa", "chip_mrz_match", "chip_read"} {
					if ch, ok := checkNamed(got, name); !ok || ch.Result != wire.ResultPass {
						t.Fatalf("check %s: %+v (present %v)", name, ch, ok)
					}
				}
				if l.gate.Stats().Exited != 1 {
					t.Fatal("a verified traveller was not let out")
				}
			} else if l.gate.Stats().Exited != 0 {
				t.Fatal("the exit opened for a refused chip")
			}
		})
	}
}

// The chip's time in the reader counts as device time, not software time.
func TestChipAirTimeIsDeviceTime(t *testing.T) {
	l, _, pki := chipLane(t)
	slow := chipreader.NewSim(chipreader.AirTime{PerExchange: 5 * time.Millisecond}, 1)
	l.flow.opts.Checks[len(l.flow.opts.Checks)-1].(*chipCheck).reader = slow
	lines := build(t, time.Now().AddDate(3, 0, 0))
	slow.Present(document(t, pki, lines, vchip.Faults{}))
	l.traveller(lines, false)
	got := l.once(t)
	if got.Decision != wire.DecisionPass {
		t.Fatalf("%+v", got.Checks)
	}
	// Dozens of exchanges at 5 ms each: device time must hold them.
	if got.DeviceMS < 100 || got.SoftwareMS > got.DeviceMS {
		t.Fatalf("device %.1f ms, software %.1f ms", got.DeviceMS, got.SoftwareMS)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"testing"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/emrtd/vdoc"
	"autogate/internal/testenv"
)

func TestChipReadUsage(t *testing.T) {
	for _, args := range [][]string{{"chip"}, {"chip", "write"}, {"chip", "read"}, {"chip", "read", "--mrz", "ONE"}, {"chip", "read", "--bogus"}} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

var chipMRZ = []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}

// Through the real pcscd: a virtual passport issued by a test country, the
// country's CSCA in the trust folder, the chip plugged into vpcd.
func TestChipReadThroughPCSC(t *testing.T) {
	testenv.PCSCD(t)
	pki, err := issuer.NewPKI(issuer.CSCAOptions{Country: "UT"})
	if err != nil {
		t.Fatal(err)
	}
	trustDir := t.TempDir()
	if err := pki.Save(trustDir); err != nil {
		t.Fatal(err)
	}
	var face bytes.Buffer
	jpeg.Encode(&face, image.NewGray(image.Rect(0, 0, 120, 160)), nil)

	for _, c := range []struct {
		name   string
		faults vchip.Faults
		code   int
		check  func(t *testing.T, out chipOutput)
	}{
		{"genuine", vchip.Faults{}, 0, func(t *testing.T, out chipOutput) {
			if !out.OK || out.PA.Result != "ok" || out.CA.Result != "ok" || out.MRZMatch.Result != "ok" {
				t.Fatalf("%+v", out)
			}
			if out.Face == nil || out.Face.Width != 120 || out.DG1 == nil || out.DG1.Surname != "ERIKSSON" || out.TimingMS["total"] <= 0 {
				t.Fatalf("face %+v dg1 %+v timings %v", out.Face, out.DG1, out.TimingMS)
			}
			if out.Access == "" || out.Access == "BAC" {
				t.Fatalf("access %q, want PACE", out.Access)
			}
		}},
		{"cloned", vchip.Faults{Clone: true}, 1, func(t *testing.T, out chipOutput) {
			if out.OK || out.CA.Result != "failed" || out.CA.Reason == "" {
				t.Fatalf("ca %+v steps %+v err %q", out.CA, out.Steps, out.Error)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := vdoc.Issue(pki, chipMRZ, face.Bytes(), vdoc.Options{})
			if err != nil {
				t.Fatal(err)
			}
			doc.Faults = c.faults
			chip, err := doc.Chip()
			if err != nil {
				t.Fatal(err)
			}
			// Lay the chip on vpcd's reader; take it off (and wait until
			// pcscd has seen it go) at the end.
			slot := chipreader.NewVPCDSim("", "Virtual PCD")
			slot.Present(chip)
			defer slot.Close()

			code, stdout, stderr := runCLI("chip", "read", "--mrz", chipMRZ[0], "--mrz", chipMRZ[1],
				"--reader", "Virtual PCD", "--trust", trustDir, "--timeout", "20s")
			var out chipOutput
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("output is not JSON: %v\n%s\n%s", err, stdout, stderr)
			}
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, stdout)
			}
			c.check(t, out)
		})
	}
}

package population

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/lds"
	"autogate/internal/mrz"
)

func TestGeneratedMRZsVerifyAndMatchTheirLabels(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	o := DefaultOptions(now)
	o.ExpiredShare = 0.2
	ts := Generate(500, o)
	if len(ts) != 500 {
		t.Fatalf("got %d travellers", len(ts))
	}
	formats := map[mrz.Format]int{}
	numbers := map[string]bool{}
	refer := 0
	for i, tr := range ts {
		d := mrz.Parse(tr.MRZ, now)
		if !d.Valid {
			t.Fatalf("traveller %d: generated MRZ does not verify: %v\n%v", i, d.Errors, tr.MRZ)
		}
		if numbers[d.DocumentNumber] {
			t.Fatalf("traveller %d: document number %s repeats", i, d.DocumentNumber)
		}
		numbers[d.DocumentNumber] = true
		formats[d.Format]++
		exp, err := mrz.Expiry(d)
		if err != nil {
			t.Fatal(err)
		}
		expired := exp.Before(now.Truncate(24 * time.Hour))
		if expired != (tr.Expect == "refer") {
			t.Fatalf("traveller %d: expiry %s but expected decision %q", i, d.ExpiryDate, tr.Expect)
		}
		if expired {
			refer++
		}
	}
	if formats[mrz.TD3] == 0 || formats[mrz.TD1] == 0 {
		t.Fatalf("formats %v: want passports and ID cards", formats)
	}
	if refer < 60 || refer > 140 {
		t.Fatalf("%d expired of 500 at share 0.2", refer)
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	o := DefaultOptions(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a, b := Generate(50, o), Generate(50, o)
	for i := range a {
		if a[i].MRZ[1] != b[i].MRZ[1] {
			t.Fatalf("traveller %d differs between two runs with one seed", i)
		}
	}
	o.Seed = 2
	c := Generate(50, o)
	same := 0
	for i := range a {
		if a[i].MRZ[1] == c[i].MRZ[1] {
			same++
		}
	}
	if same == 50 {
		t.Fatal("another seed gave the same population")
	}
}

func TestIssuedDocumentsCarryTheirMRZAndPlantedFaults(t *testing.T) {
	now := time.Now()
	ts := Generate(40, DefaultOptions(now))
	pki, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var face bytes.Buffer
	jpeg.Encode(&face, image.NewGray(image.Rect(0, 0, 60, 80)), nil)
	if err := IssueDocuments(ts, Chips{PKI: pki, Faces: [][]byte{face.Bytes()}, CloneShare: 0.2, TamperShare: 0.2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	faults := map[string]int{}
	for i, tr := range ts {
		if tr.Document == nil {
			t.Fatalf("traveller %d has no document", i)
		}
		dg1, err := lds.ParseDG1(tr.Document.Files[iso7816.FIDDataGroup(1)], now)
		if err != nil || dg1.Lines[0] != tr.MRZ[0] {
			t.Fatalf("traveller %d: DG1 %v %v", i, dg1, err)
		}
		if tr.Document.Faults.Clone {
			faults[WhyClone]++
		}
		if tr.Why == WhyClone || tr.Why == WhyTamper {
			if tr.Expect != "refer" {
				t.Fatalf("traveller %d: planted %s but expected %s", i, tr.Why, tr.Expect)
			}
			faults[tr.Why]++
		}
	}
	if faults[WhyTamper] == 0 || faults[WhyClone] == 0 {
		t.Fatalf("faults %v: want both kinds planted at 20 %%", faults)
	}
}

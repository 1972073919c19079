package population

import (
	"testing"
	"time"

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

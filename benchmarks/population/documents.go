package population

import (
	"fmt"
	"math/rand/v2"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/emrtd/vdoc"
)

// Chips says how travellers' documents get their chips.
type Chips struct {
	// PKI is the issuing test country: its document signer signs every SOD.
	PKI *issuer.PKI
	// Faces are JPEG photos; traveller i's DG2 holds Faces[i mod len],
	// unless the traveller has a Portrait of their own.
	Faces [][]byte
	// CloneShare is the share of cloned chips (copied files, other keys:
	// Chip/Active Authentication must fail); TamperShare the share of
	// chips whose DG2 was changed after signing (Passive Authentication
	// must fail). Both must be referred.
	CloneShare, TamperShare float64
	Seed                    int64
}

// Reasons the gate must give for the planted chip faults.
const (
	WhyClone  = "chip_authentication_failed"
	WhyTamper = "dg_hash_mismatch"
)

// IssueDocuments gives every traveller a complete virtual document — the
// chip's files, signed by the PKI's document signer, and its keys — and
// plants the chip faults the options ask for.
func IssueDocuments(ts []Traveller, c Chips) error {
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0x63686970))
	for i := range ts {
		t := &ts[i]
		// Older passports (one in five) have BAC only; cards PACE.
		o := vdoc.Options{NoPACE: rng.IntN(5) == 0}
		portrait := t.Portrait
		if portrait == nil {
			if len(c.Faces) == 0 {
				return fmt.Errorf("population: no face photos to put in DG2")
			}
			portrait = c.Faces[i%len(c.Faces)]
		}
		d, err := vdoc.Issue(c.PKI, t.MRZ, portrait, o)
		if err != nil {
			return fmt.Errorf("population: traveller %d (%s): %w", i, t.Fields.DocumentNumber, err)
		}
		switch r := rng.Float64(); {
		case r < c.CloneShare:
			d.Faults = vchip.Faults{Clone: true}
			t.plant(WhyClone)
		case r < c.CloneShare+c.TamperShare:
			dg2 := d.Files[iso7816.FIDDataGroup(2)]
			dg2[len(dg2)-1] ^= 0x5A
			t.plant(WhyTamper)
		}
		t.Document = d
	}
	return nil
}

func (t *Traveller) plant(why string) {
	t.Expect = "refer"
	if t.Why == "" {
		t.Why = why
	}
}

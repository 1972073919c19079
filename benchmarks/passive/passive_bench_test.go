package passive_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/passive"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/testenv"
)

func fullDocument() map[int][]byte {
	dg2 := make([]byte, 20000) // a JPEG face image of typical size
	for i := range dg2 {
		dg2[i] = byte(i*31 + 7)
	}
	dg2[0] = 0x75
	dg14 := make([]byte, 330)
	dg14[0] = 0x6e
	dg15 := make([]byte, 165)
	dg15[0] = 0x6f
	return map[int][]byte{
		1:  []byte("\x61\x5b\x5f\x1f\x58P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
		2:  dg2,
		14: dg14,
		15: dg15,
	}
}

// BenchmarkPassiveAuthentication verifies one document per iteration
// against a store holding the shared DE and NL master lists (627 CSCAs)
// plus the test CSCA. "warm" is the usual case at a gate, where the
// document signer's certificate was checked for an earlier traveller
// (its chain check is cached); "cold" is a signer's first document.
func BenchmarkPassiveAuthentication(b *testing.B) {
	var store *trust.Store
	if dir, ok := sharedDir(b); ok {
		s, _, err := trust.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		store = s
	} else {
		b.Log("shared master lists absent: the store holds the test CSCA only")
		store = trust.NewStore()
	}
	dgs := fullDocument()
	for _, kt := range []issuer.KeyType{issuer.P256, issuer.BrainpoolP256r1, issuer.BrainpoolP384r1, issuer.RSA2048, issuer.RSAPSS2048} {
		p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, ExplicitParameters: kt == issuer.BrainpoolP256r1})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.AddCertificate(p.CSCA.Cert, "bench", false); err != nil {
			b.Fatal(err)
		}
		raw, err := issuer.SignSOD(dgs, kt.DefaultHash(), p.DocumentSigners[0])
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		if r := passive.Verify(raw, dgs, store, now); !r.OK {
			b.Fatalf("%s: %v", kt, r)
		}
		b.Run(string(kt)+"/warm", func(b *testing.B) {
			for b.Loop() {
				if r := passive.Verify(raw, dgs, store, now); !r.OK {
					b.Fatal(r)
				}
			}
		})
		b.Run(string(kt)+"/cold", func(b *testing.B) {
			for b.Loop() {
				store.ClearSignatureCache()
				if r := passive.Verify(raw, dgs, store, now); !r.OK {
					b.Fatal(r)
				}
			}
		})
	}
}

// BenchmarkTrustStoreLoad loads the shared master lists and CSCA
// certificates, verifying both lists' signatures.
func BenchmarkTrustStoreLoad(b *testing.B) {
	dir := testenv.SharedTestdata(b, "emrtd/gmrtd")
	for b.Loop() {
		s, rep, err := trust.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if s.Len() != 627 || len(rep.MasterLists) != 2 {
			b.Fatalf("loaded %s", rep.Summary())
		}
	}
}

// sharedDir finds the shared master lists without skipping when absent:
// the benchmark then runs against the test CSCAs alone.
func sharedDir(b *testing.B) (string, bool) {
	base := os.Getenv(testenv.TestdataEnv)
	if base == "" {
		base = filepath.Join(testenv.RepoRoot(b), "..", "shared", "testdata")
	}
	dir := filepath.Join(base, "emrtd", "gmrtd")
	_, err := os.Stat(dir)
	return dir, err == nil
}

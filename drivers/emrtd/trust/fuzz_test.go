package trust_test

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/testenv"
)

// sharedFile reads a shared test data file for a fuzz seed, without
// skipping when the data is absent (the generated seeds still run).
func sharedFile(t testing.TB, rel string) ([]byte, bool) {
	base := os.Getenv(testenv.TestdataEnv)
	if base == "" {
		base = filepath.Join(testenv.RepoRoot(t), "..", "shared", "testdata")
	}
	b, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(rel)))
	return b, err == nil
}

func FuzzParseMasterList(f *testing.F) {
	csca, err := issuer.NewCSCA(issuer.CSCAOptions{Country: "DE", Key: issuer.BrainpoolP256r1, ExplicitParameters: true})
	if err != nil {
		f.Fatal(err)
	}
	signer, err := csca.IssueDocumentSigner(issuer.DSOptions{CommonName: "Master List Signer"})
	if err != nil {
		f.Fatal(err)
	}
	ml, err := issuer.SignMasterList([]*cms.Certificate{csca.Cert}, crypto.SHA256, signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ml)
	f.Add(ml[:len(ml)/2])
	for _, rel := range []string{"emrtd/gmrtd/NL_ML_2026-07-22.ml", "emrtd/gmrtd/DE_ML_2026-05-28-08-28-45.ml"} {
		if b, ok := sharedFile(f, rel); ok {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := trust.ParseMasterList(b)
		if err != nil {
			return
		}
		// Whatever parsed must be usable without panicking.
		_, _ = list.Signer()
		s := trust.NewStore()
		for _, c := range list.Certificates {
			_, _ = s.AddCertificate(c, "fuzz", true)
			_ = c.KeyIdentifier()
		}
		_ = s.CSCAs()
	})
}

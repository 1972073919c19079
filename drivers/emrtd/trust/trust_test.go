package trust_test

import (
	"crypto"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/testenv"
)

// The shared DE and NL master lists hold 627 distinct CSCAs of 129
// countries, Viet Nam's among them; both lists verify against their
// signers' CSCA certificates, which sit beside them.
func TestLoadSharedMasterLists(t *testing.T) {
	dir := testenv.SharedTestdata(t, "emrtd/gmrtd")
	start := time.Now()
	store, rep, err := trust.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v: %s", time.Since(start), rep.Summary())
	if store.Len() != 627 || rep.Added != 627 {
		t.Errorf("%d CSCAs, want 627", store.Len())
	}
	if n := len(store.Countries()); n != 129 {
		t.Errorf("%d countries, want 129", n)
	}
	var vn []*trust.CSCA
	for _, c := range store.CSCAs() {
		if c.Country == "VN" {
			vn = append(vn, c)
		}
	}
	if len(vn) == 0 {
		t.Fatal("the Vietnamese CSCA is missing")
	}
	if got := vn[0].Cert.Subject.String(); got != "CN=CSCA ePassport Vietnam,O=Vietnam Government Information Security Commission,C=VN" {
		t.Errorf("Vietnamese CSCA subject %q", got)
	}
	if len(rep.MasterLists) != 2 {
		t.Fatalf("%d master lists loaded, want 2", len(rep.MasterLists))
	}
	for _, ml := range rep.MasterLists {
		if !ml.Verified() {
			t.Errorf("%s not verified: %s", ml.Source, ml.Problem)
		}
		if len(ml.Unreadable) != 0 || len(ml.NotCSCA) != 0 {
			t.Errorf("%s: unreadable %v, refused %v", ml.Source, ml.Unreadable, ml.NotCSCA)
		}
	}
	wantSigners := map[string]string{
		"DE_ML_2026-05-28-08-28-45.ml": "CN=csca-germany,OU=bsi,O=bund,C=DE",
		"NL_ML_2026-07-22.ml":          "SERIALNUMBER=7,CN=CSCA NL,OU=Kingdom of the Netherlands,O=Kingdom of the Netherlands,C=NL",
	}
	for _, ml := range rep.MasterLists {
		if ml.SignerCSCA != wantSigners[ml.Source] {
			t.Errorf("%s signed under %q, want %q", ml.Source, ml.SignerCSCA, wantSigners[ml.Source])
		}
	}
	// Many real CSCAs (explicit EC parameters, negative serials) are read by
	// the lenient parser; every key is usable.
	if rep.ParsedByFallback < 100 || rep.UnusableKeys != 0 || len(rep.Skipped) != 0 {
		t.Errorf("fallback %d, unusable keys %d, skipped %v", rep.ParsedByFallback, rep.UnusableKeys, rep.Skipped)
	}
	if rep.Duplicates == 0 {
		t.Error("the DE and NL lists overlap; duplicates should have been merged")
	}
	if !slices.Contains(rep.Ignored, "EF.SOD_AT.bin") {
		t.Errorf("non-trust files should be listed as ignored: %v", rep.Ignored)
	}
}

func linkOrSkip(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.Symlink(src, dst); err != nil {
		t.Fatal(err)
	}
}

// A master list whose signer's CSCA is absent still loads; the report says
// why it could not be verified.
func TestMasterListWithoutItsSignersCSCA(t *testing.T) {
	src := testenv.SharedTestdata(t, "emrtd/gmrtd/NL_ML_2026-07-22.ml")
	dir := t.TempDir()
	linkOrSkip(t, src, filepath.Join(dir, "NL.ml"))
	store, rep, err := trust.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.MasterLists) != 1 {
		t.Fatalf("report %+v", rep)
	}
	ml := rep.MasterLists[0]
	if !ml.SignatureValid || ml.SignerTrusted || ml.Verified() {
		t.Errorf("signature valid %v, signer trusted %v", ml.SignatureValid, ml.SignerTrusted)
	}
	if !strings.Contains(ml.Problem, "CSCA NL") || !strings.Contains(ml.Problem, "not among the stand-alone") {
		t.Errorf("problem %q should name the missing CSCA", ml.Problem)
	}
	if store.Len() != ml.Added || store.Len() < 400 {
		t.Errorf("%d CSCAs loaded from the unverified list (added %d)", store.Len(), ml.Added)
	}
}

type testPKI struct {
	csca, mlSigner *issuer.Signer
}

func newCountry(t *testing.T, country string, kt issuer.KeyType) testPKI {
	t.Helper()
	csca, err := issuer.NewCSCA(issuer.CSCAOptions{Country: country, Key: kt})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := csca.IssueDocumentSigner(issuer.DSOptions{CommonName: "Master List Signer " + country})
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{csca: csca, mlSigner: signer}
}

func writePEM(t *testing.T, path string, certs ...*cms.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGeneratedMasterListVerifiesAndTamperingIsReported(t *testing.T) {
	de := newCountry(t, "DE", issuer.BrainpoolP256r1)
	others := []*cms.Certificate{de.csca.Cert}
	for _, c := range []string{"FR", "VN", "NZ"} {
		others = append(others, newCountry(t, c, issuer.P256).csca.Cert)
	}
	ml, err := issuer.SignMasterList(others, crypto.SHA256, de.mlSigner)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "de-csca.pem"), de.csca.Cert)
	if err := os.WriteFile(filepath.Join(dir, "good.ml"), ml, 0o644); err != nil {
		t.Fatal(err)
	}
	// The same list with one byte of a certificate's signature changed:
	// the messageDigest no longer matches.
	bad := append([]byte(nil), ml...)
	pos := strings.Index(string(bad), string(others[2].Signature[4:12]))
	if pos < 0 {
		t.Fatal("certificate not found in the list")
	}
	bad[pos] ^= 0xff
	if err := os.WriteFile(filepath.Join(dir, "bad.ml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	store, rep, err := trust.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]trust.MasterListReport{}
	for _, r := range rep.MasterLists {
		reports[r.Source] = r
	}
	if r := reports["good.ml"]; !r.Verified() || r.Certificates != 4 {
		t.Errorf("good list: %+v", r)
	}
	if r := reports["bad.ml"]; r.SignatureValid || !strings.Contains(r.Problem, "messageDigest") {
		t.Errorf("tampered list: %+v", r)
	}
	// 4 CSCAs from the good list, the tampered copy adds its altered
	// certificate as a fifth (reported as unverified, not hidden).
	if store.Len() != 5 {
		t.Errorf("%d certificates in the store, want 5", store.Len())
	}
}

func TestParseMasterListRefusesOtherContent(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sodBytes, err := issuer.SignSOD(map[int][]byte{1: []byte("dg1"), 2: []byte("dg2")}, crypto.SHA256, p.DocumentSigners[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trust.ParseMasterList(sodBytes[4:]); !errors.Is(err, trust.ErrNotMasterList) {
		t.Errorf("SOD given as a master list: %v, want ErrNotMasterList", err)
	}
	if _, err := trust.ParseMasterList([]byte{0x30, 0x03, 0x02, 0x01}); err == nil {
		t.Error("truncated master list accepted")
	}
}

func TestLoadDirReportsBadFilesAndKeepsGoing(t *testing.T) {
	us := newCountry(t, "US", issuer.RSA2048)
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "us.crt"), us.csca.Cert)
	// The same certificate in DER under another name merges.
	if err := os.WriteFile(filepath.Join(dir, "us-copy.der"), us.csca.Cert.Raw, 0o644); err != nil {
		t.Fatal(err)
	}
	// A document signer is not a CSCA.
	writePEM(t, filepath.Join(dir, "ds.pem"), us.mlSigner.Cert)
	for name, content := range map[string]string{
		"garbage.cer": "not a certificate",
		"broken.ml":   "\x30\x82\xff\xff",
		"junk.crl":    "\x30\x00",
		"notes.txt":   "readme",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, rep, err := trust.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if store.Len() != 1 || rep.Duplicates != 1 {
		t.Fatalf("%d CSCAs, %d duplicates; want 1 and 1", store.Len(), rep.Duplicates)
	}
	if got := store.CSCAs()[0].Sources; len(got) != 2 {
		t.Errorf("sources %v, want both files", got)
	}
	skipped := map[string]string{}
	for _, s := range rep.Skipped {
		skipped[s.Source] = s.Reason
	}
	for _, name := range []string{"garbage.cer", "broken.ml", "junk.crl", "ds.pem"} {
		if skipped[name] == "" {
			t.Errorf("%s not reported as skipped: %v", name, rep.Skipped)
		}
	}
	if !strings.Contains(skipped["ds.pem"], "not a CA certificate") {
		t.Errorf("ds.pem reason %q", skipped["ds.pem"])
	}
	if !slices.Contains(rep.Ignored, "notes.txt") {
		t.Errorf("notes.txt should be ignored: %v", rep.Ignored)
	}
	if _, _, err := trust.LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder must be an error")
	}
}

func TestCRLMustBeSignedByTheCSCA(t *testing.T) {
	real := newCountry(t, "FR", issuer.P256)
	// Same name, another key: an impostor CSCA.
	impostor, err := issuer.NewCSCA(issuer.CSCAOptions{Country: "FR"})
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.AddCertificate(real.csca.Cert, "fr", false); err != nil {
		t.Fatal(err)
	}
	forged, err := impostor.IssueCRL([]*big.Int{real.mlSigner.Cert.SerialNumber}, time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddCRL(forged, "forged.crl"); !errors.Is(err, trust.ErrCRLIssuerUnknown) {
		t.Fatalf("CRL signed by another key: %v, want ErrCRLIssuerUnknown", err)
	}
	if ch := store.CheckDocumentSigner(real.mlSigner.Cert, trust.SigningTime{}, time.Now()); !ch.OK || ch.Revocation != trust.RevocationNoCRL {
		t.Errorf("a forged CRL must not revoke anything: %+v", ch)
	}
	genuine, err := real.csca.IssueCRL([]*big.Int{big.NewInt(1)}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	crl, err := store.AddCRL(genuine, "fr.crl")
	if err != nil {
		t.Fatal(err)
	}
	if crl.Len() != 1 || crl.IssuerCSCA.Country != "FR" {
		t.Errorf("CRL %+v", crl)
	}
	ch := store.CheckDocumentSigner(real.mlSigner.Cert, trust.SigningTime{}, time.Now())
	if !ch.OK || ch.Revocation != trust.RevocationNotRevoked || !ch.CRLStale {
		t.Errorf("DS not on a stale CRL: ok %v, revocation %q, stale %v", ch.OK, ch.Revocation, ch.CRLStale)
	}
}

func TestChainPicksTheCSCAWhoseKeySigned(t *testing.T) {
	// Two CSCAs of one name (an expired generation and the current one):
	// the DS chains to the one whose key verifies its signature.
	now := time.Now()
	expired, err := issuer.NewCSCA(issuer.CSCAOptions{NotBefore: now.Add(-20 * 365 * 24 * time.Hour), Validity: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	current, err := issuer.NewCSCA(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := current.IssueDocumentSigner(issuer.DSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	for _, c := range []*issuer.Signer{expired, current} {
		if _, err := store.AddCertificate(c.Cert, "x", false); err != nil {
			t.Fatal(err)
		}
	}
	ch := store.CheckDocumentSigner(ds.Cert, trust.SigningTime{}, now)
	if !ch.OK || ch.CSCA.Cert != current.Cert {
		t.Fatalf("chain %+v", ch)
	}
	// Signed by the expired one: csca_expired.
	oldDS, err := expired.IssueDocumentSigner(issuer.DSOptions{NotBefore: now.Add(-20 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ch = store.CheckDocumentSigner(oldDS.Cert, trust.SigningTime{Time: now.Add(-19 * 365 * 24 * time.Hour), Known: true}, now)
	if ch.OK || ch.Reason != trust.ReasonCSCAExpired {
		t.Fatalf("DS of the expired CSCA: %+v", ch)
	}
}

// A CSCA certificate whose own signature fails (damaged, or not what it
// claims) anchors nothing, even though its key would verify the DS.
func TestDamagedCSCACertificateAnchorsNothing(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte(nil), p.CSCA.Cert.Raw...)
	raw[len(raw)-5] ^= 0x01 // inside the signature
	damaged, err := cms.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.AddCertificate(damaged, "damaged.pem", false); err != nil {
		t.Fatal(err)
	}
	ch := store.CheckDocumentSigner(p.DocumentSigners[0].Cert, trust.SigningTime{}, time.Now())
	if ch.OK || ch.Reason != trust.ReasonNotChaining || !strings.Contains(ch.Detail, "own signature does not verify") {
		t.Fatalf("chain through a damaged CSCA: %+v", ch)
	}
}

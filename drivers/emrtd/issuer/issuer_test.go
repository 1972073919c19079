package issuer_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/drivers/emrtd/trust"
)

var sampleDGs = map[int][]byte{
	1:  []byte("\x61\x5b\x5f\x1f\x58P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
	2:  bytes.Repeat([]byte{0x75, 0x82, 0x01}, 300),
	14: []byte("\x6e\x09chip auth"),
	15: []byte("\x6f\x09active au"),
}

// The key types checked in every test; RSA-4096 and RSA-3072 key
// generation takes seconds, and their code path is RSA-2048's.
var testedKeyTypes = []issuer.KeyType{
	issuer.P256, issuer.P384, issuer.P521,
	issuer.BrainpoolP256r1, issuer.BrainpoolP384r1, issuer.BrainpoolP512r1,
	issuer.RSA2048, issuer.RSAPSS2048,
}

func TestEveryKeyTypeSignsASODThatVerifies(t *testing.T) {
	for _, kt := range testedKeyTypes {
		for _, explicitParams := range []bool{false, true} {
			if explicitParams && strings.HasPrefix(string(kt), "RSA") {
				continue
			}
			name := string(kt)
			if explicitParams {
				name += "/explicit"
			}
			t.Run(name, func(t *testing.T) {
				p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, ExplicitParameters: explicitParams})
				if err != nil {
					t.Fatal(err)
				}
				if p.CSCA.Cert.PublicKey == nil {
					t.Fatalf("CSCA key unreadable: %v", p.CSCA.Cert.PublicKeyError)
				}
				if got := strings.Contains(p.CSCA.Cert.KeyDescription, "explicit"); got != explicitParams {
					t.Errorf("CSCA key %q, explicit parameters wanted: %v", p.CSCA.Cert.KeyDescription, explicitParams)
				}
				ds := p.DocumentSigners[0]
				if err := ds.Cert.CheckSignatureFrom(p.CSCA.Cert); err != nil {
					t.Fatalf("DS certificate does not verify with the CSCA: %v", err)
				}
				if err := p.CSCA.Cert.CheckSignatureFrom(p.CSCA.Cert); err != nil {
					t.Fatalf("CSCA is not self-signed: %v", err)
				}
				raw, err := issuer.SignSOD(sampleDGs, kt.DefaultHash(), ds)
				if err != nil {
					t.Fatal(err)
				}
				s, err := sod.Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				signer, err := s.VerifySignature()
				if err != nil {
					t.Fatalf("SOD signature: %v", err)
				}
				if !bytes.Equal(signer.Raw, ds.Cert.Raw) {
					t.Error("the SOD names another signer than the DS")
				}
				if s.Hash != kt.DefaultHash() || len(s.DataGroupHashes) != len(sampleDGs) {
					t.Errorf("SOD hash %v with %d DGs, want %v with %d", s.Hash, len(s.DataGroupHashes), kt.DefaultHash(), len(sampleDGs))
				}
				for n, dg := range sampleDGs {
					h := s.Hash.New()
					h.Write(dg)
					if !bytes.Equal(h.Sum(nil), s.DataGroupHashes[n]) {
						t.Errorf("DG%d hash in the SOD is not the hash of DG%d", n, n)
					}
				}
			})
		}
	}
}

// crypto/x509 is an independent reader of what this package writes, for
// the keys it supports (NIST named curves, RSA, RSA-PSS).
func TestCertificatesAreReadAndVerifiedByCryptoX509(t *testing.T) {
	for _, kt := range []issuer.KeyType{issuer.P256, issuer.P384, issuer.RSA2048, issuer.RSAPSS2048} {
		t.Run(string(kt), func(t *testing.T) {
			p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, Country: "NL"})
			if err != nil {
				t.Fatal(err)
			}
			csca, err := x509.ParseCertificate(p.CSCA.Cert.Raw)
			if err != nil {
				t.Fatalf("crypto/x509 refuses the CSCA: %v", err)
			}
			ds, err := x509.ParseCertificate(p.DocumentSigners[0].Cert.Raw)
			if err != nil {
				t.Fatalf("crypto/x509 refuses the DS: %v", err)
			}
			if err := ds.CheckSignatureFrom(csca); err != nil {
				t.Errorf("crypto/x509: DS not signed by CSCA: %v", err)
			}
			if !csca.IsCA || csca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign || !bytes.Equal(csca.SubjectKeyId, ds.AuthorityKeyId) {
				t.Errorf("CSCA extensions: CA %v, key usage %v, SKI %x vs DS AKI %x", csca.IsCA, csca.KeyUsage, csca.SubjectKeyId, ds.AuthorityKeyId)
			}
			if ds.KeyUsage != x509.KeyUsageDigitalSignature || ds.IsCA {
				t.Errorf("DS key usage %v, CA %v", ds.KeyUsage, ds.IsCA)
			}
			if csca.Subject.Country[0] != "NL" || ds.Issuer.String() != csca.Subject.String() {
				t.Errorf("names: CSCA %q, DS issuer %q", csca.Subject, ds.Issuer)
			}
		})
	}
}

// openssl, when installed, independently checks the CMS structure and
// signature of a SOD and the certificate chain, brainpool included
// (OpenSSL 3 refuses explicit EC parameters in a chain by design, so the
// CSCA here uses the named curve).
func TestOpenSSLVerifiesSODAndChain(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed: the independent cross-check needs it")
	}
	for _, kt := range []issuer.KeyType{issuer.BrainpoolP256r1, issuer.P256, issuer.RSAPSS2048} {
		t.Run(string(kt), func(t *testing.T) {
			p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			raw, err := issuer.SignSOD(sampleDGs, crypto.SHA256, p.DocumentSigners[0])
			if err != nil {
				t.Fatal(err)
			}
			s, err := sod.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			contentInfo := raw[4:] // 0x77 0x82 LL LL
			writeFile(t, filepath.Join(dir, "sod.der"), contentInfo)
			writeFile(t, filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Cert.Raw}))
			writeFile(t, filepath.Join(dir, "ds.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.DocumentSigners[0].Cert.Raw}))
			out, err := exec.Command(bin, "cms", "-verify", "-inform", "DER", "-in", filepath.Join(dir, "sod.der"),
				"-binary", "-noverify", "-out", filepath.Join(dir, "content.der")).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			content, err := os.ReadFile(filepath.Join(dir, "content.der"))
			if err != nil || !bytes.Equal(content, s.SignedData.EContent) {
				t.Fatalf("openssl extracted other content than the LDSSecurityObject (%v)", err)
			}
			out, err = exec.Command(bin, "verify", "-CAfile", filepath.Join(dir, "csca.pem"), filepath.Join(dir, "ds.pem")).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl verify of the DS certificate: %v\n%s", err, out)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSaveLoadRoundTripAndTrustStoreReadsTheFolder(t *testing.T) {
	for _, kt := range []issuer.KeyType{issuer.BrainpoolP384r1, issuer.RSAPSS2048} {
		t.Run(string(kt), func(t *testing.T) {
			p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, Country: "ut", ExplicitParameters: kt == issuer.BrainpoolP384r1})
			if err != nil {
				t.Fatal(err)
			}
			revoked, err := p.CSCA.IssueDocumentSigner(issuer.DSOptions{Serial: big.NewInt(4242)})
			if err != nil {
				t.Fatal(err)
			}
			p.DocumentSigners = append(p.DocumentSigners, revoked)
			if p.CRL, err = p.CSCA.IssueCRL([]*big.Int{big.NewInt(4242)}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := p.Save(dir); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(filepath.Join(dir, "private", "csca.key")); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("CSCA private key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
			}
			q, err := issuer.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(q.CSCA.Cert.Raw, p.CSCA.Cert.Raw) || len(q.DocumentSigners) != 2 || q.CSCA.Type != kt || !bytes.Equal(q.CRL, p.CRL) {
				t.Fatalf("loaded PKI differs: type %s, %d DS", q.CSCA.Type, len(q.DocumentSigners))
			}
			// The loaded keys still sign: a SOD by the loaded DS verifies
			// against the trust store read from the same folder.
			raw, err := issuer.SignSOD(sampleDGs, crypto.SHA256, q.DocumentSigners[0])
			if err != nil {
				t.Fatal(err)
			}
			s, err := sod.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := s.VerifySignature()
			if err != nil {
				t.Fatal(err)
			}
			store, rep, err := trust.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if store.Len() != 1 || len(rep.CRLs) != 1 || len(rep.Skipped) != 0 {
				t.Fatalf("trust store from the PKI folder: %s; skipped %v", rep.Summary(), rep.Skipped)
			}
			if store.CSCAs()[0].Country != "UT" {
				t.Errorf("country %q, want UT", store.CSCAs()[0].Country)
			}
			if ch := store.CheckDocumentSigner(ds, trust.SigningTime{}, time.Now()); !ch.OK || ch.Revocation != trust.RevocationNotRevoked {
				t.Errorf("DS 1 chain: %+v", ch)
			}
			if ch := store.CheckDocumentSigner(q.DocumentSigners[1].Cert, trust.SigningTime{}, time.Now()); ch.OK || ch.Reason != trust.ReasonDSRevoked {
				t.Errorf("DS 2 is on the CRL, chain: ok %v reason %q", ch.OK, ch.Reason)
			}
		})
	}
}

func TestLoadRefusesAKeyThatIsNotTheCertificates(t *testing.T) {
	a, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	if err := a.Save(dirA); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(dirB); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dirB, "private", "csca.key"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dirA, "private", "csca.key"), key)
	_, err = issuer.Load(dirA)
	if err == nil || !strings.Contains(err.Error(), "does not match the certificate") {
		t.Fatalf("Load with a swapped CSCA key: %v, want a mismatch error", err)
	}
}

func TestLinkCertificateCertifiesTheNewKeyWithTheOld(t *testing.T) {
	old, err := issuer.NewCSCA(issuer.CSCAOptions{Key: issuer.BrainpoolP256r1, NotBefore: time.Now().Add(-5 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	next, err := issuer.NewCSCA(issuer.CSCAOptions{Key: issuer.P384})
	if err != nil {
		t.Fatal(err)
	}
	link, err := old.IssueLink(next)
	if err != nil {
		t.Fatal(err)
	}
	if err := link.CheckSignatureFrom(old.Cert); err != nil {
		t.Errorf("link not signed by the old CSCA key: %v", err)
	}
	if !link.Subject.Equal(next.Cert.Subject) || !link.Issuer.Equal(old.Cert.Subject) {
		t.Errorf("link subject %q issuer %q", link.Subject, link.Issuer)
	}
	if !bytes.Equal(link.RawSubjectPublicKeyInfo, next.Cert.RawSubjectPublicKeyInfo) {
		t.Error("link does not carry the new CSCA's key")
	}
	if !bytes.Equal(link.AuthorityKeyID, old.Cert.SubjectKeyID) || !bytes.Equal(link.SubjectKeyID, next.Cert.SubjectKeyID) {
		t.Error("link key identifiers do not name the old (authority) and new (subject) keys")
	}
}

func TestMasterListSignedByIssuerParses(t *testing.T) {
	csca, err := issuer.NewCSCA(issuer.CSCAOptions{Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := csca.IssueDocumentSigner(issuer.DSOptions{CommonName: "Master List Signer"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := issuer.NewCSCA(issuer.CSCAOptions{Country: "FR", Key: issuer.BrainpoolP256r1, ExplicitParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := issuer.SignMasterList([]*cms.Certificate{csca.Cert, other.Cert}, crypto.SHA256, signer)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := trust.ParseMasterList(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(ml.Certificates) != 2 {
		t.Fatalf("%d certificates in the list, want 2", len(ml.Certificates))
	}
	got, err := ml.Signer()
	if err != nil || !bytes.Equal(got.Raw, signer.Cert.Raw) {
		t.Fatalf("master list signer: %v", err)
	}
}

func TestParseKeyType(t *testing.T) {
	for _, kt := range issuer.KeyTypes {
		got, err := issuer.ParseKeyType(strings.ToLower(string(kt)))
		if err != nil || got != kt {
			t.Errorf("ParseKeyType(%q) = %q, %v", strings.ToLower(string(kt)), got, err)
		}
	}
	if _, err := issuer.ParseKeyType("ed25519"); err == nil || !strings.Contains(err.Error(), "brainpoolP256r1") {
		t.Errorf("unknown key type error %v should list the valid ones", err)
	}
}

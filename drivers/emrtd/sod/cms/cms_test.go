package cms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/testenv"
)

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The signers' CSCAs of the shared master lists: Germany's has a
// brainpoolP512r1 key with explicit parameters, which crypto/x509 refuses;
// both are self-signed and verify.
func TestRealCSCACertificates(t *testing.T) {
	de, err := cms.ParseCertificate(readShared(t, "emrtd/gmrtd/DE_ROOT_CA_CSCA07.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if de.KeyDescription != "ECDSA brainpoolP512r1 (explicit parameters)" || de.StdlibError == "" {
		t.Errorf("DE CSCA key %q, stdlib error %q", de.KeyDescription, de.StdlibError)
	}
	nl, err := cms.ParseCertificate(readShared(t, "emrtd/gmrtd/NL_ROOT_CA.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if nl.KeyDescription != "RSA-4096" || nl.StdlibError != "" {
		t.Errorf("NL CSCA key %q, stdlib error %q", nl.KeyDescription, nl.StdlibError)
	}
	for _, c := range []*cms.Certificate{de, nl} {
		if err := c.CheckSignatureFrom(c); err != nil {
			t.Errorf("%q does not verify itself: %v", c.Subject, err)
		}
		if !c.IsSelfIssued() || c.Subject.Country() == "" {
			t.Errorf("%q: self-issued %v", c.Subject, c.IsSelfIssued())
		}
	}
	if err := de.CheckSignatureFrom(nl); !errors.Is(err, cms.ErrSignatureInvalid) && !errors.Is(err, cms.ErrUnsupportedAlgorithm) {
		t.Errorf("DE CSCA checked with the NL key: %v", err)
	}
}

// Real master lists hold certificates with negative serial numbers; they
// load, with the sign kept.
func TestNegativeSerialNumbersFromARealList(t *testing.T) {
	ml, err := trust.ParseMasterList(readShared(t, "emrtd/gmrtd/NL_ML_2026-07-22.ml"))
	if err != nil {
		t.Fatal(err)
	}
	negative := 0
	for _, c := range ml.Certificates {
		if strings.Contains(c.StdlibError, "negative serial") {
			negative++
			if c.SerialNumber.Sign() >= 0 {
				t.Errorf("%q: crypto/x509 says negative serial, parsed %v", c.Subject, c.SerialNumber)
			}
		}
	}
	if negative == 0 {
		t.Error("no certificate with a negative serial number found in the NL list")
	}
}

// The lenient parser reads what crypto/x509 reads, identically.
func TestFallbackAgreesWithCryptoX509(t *testing.T) {
	var ders [][]byte
	for _, kt := range []issuer.KeyType{issuer.P256, issuer.P521, issuer.RSAPSS2048} {
		p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := p.CSCA.IssueDocumentSigner(issuer.DSOptions{PrivateKeyUsage: 90 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, p.CSCA.Cert.Raw, ds.Cert.Raw)
	}
	if b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "..", "shared", "testdata", "emrtd", "gmrtd", "NL_ROOT_CA.cer")); err == nil {
		ders = append(ders, b)
	}
	for i, der := range ders {
		std, err := cms.ParseCertificate(der)
		if err != nil || std.StdlibError != "" {
			t.Fatalf("certificate %d: %v %q", i, err, std.StdlibError)
		}
		fb, err := cms.ParseCertificateFallback(der)
		if err != nil {
			t.Fatalf("certificate %d: lenient parser: %v", i, err)
		}
		checks := []struct {
			what string
			ok   bool
		}{
			{"serial", std.SerialNumber.Cmp(fb.SerialNumber) == 0},
			{"subject", std.Subject.String() == fb.Subject.String() && bytes.Equal(std.Subject.Raw, fb.Subject.Raw)},
			{"issuer", std.Issuer.String() == fb.Issuer.String()},
			{"validity", std.NotBefore.Equal(fb.NotBefore) && std.NotAfter.Equal(fb.NotAfter)},
			{"key ids", bytes.Equal(std.SubjectKeyID, fb.SubjectKeyID) && bytes.Equal(std.AuthorityKeyID, fb.AuthorityKeyID)},
			{"key usage", std.KeyUsage == fb.KeyUsage && std.HasKeyUsage == fb.HasKeyUsage},
			{"CA", std.IsCA == fb.IsCA && std.BasicConstraintsValid == fb.BasicConstraintsValid},
			{"private key usage", std.PrivateKeyNotBefore.Equal(fb.PrivateKeyNotBefore) && std.PrivateKeyNotAfter.Equal(fb.PrivateKeyNotAfter)},
			{"signature", bytes.Equal(std.Signature, fb.Signature) && bytes.Equal(std.RawTBSCertificate, fb.RawTBSCertificate)},
			{"key", std.KeyDescription == fb.KeyDescription && publicKeysEqual(std.PublicKey, fb.PublicKey)},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("certificate %d (%q): %s differs between crypto/x509 and the lenient parser", i, std.Subject, c.what)
			}
		}
	}
}

func publicKeysEqual(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	ea, ok := a.(equaler)
	return ok && ea.Equal(b)
}

func TestVerifySignatureSchemes(t *testing.T) {
	msg := []byte("LDSSecurityObject")
	digest := sha256.Sum256(msg)
	ecKey, err := issuer.BrainpoolP256r1.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ec := ecKey.(*ecdsa.PrivateKey)
	rsaKey, err := issuer.RSA2048.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rk := rsaKey.(*rsa.PrivateKey)

	derSig, err := ecdsa.SignASN1(rand.Reader, ec, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(derSig, &rs); err != nil {
		t.Fatal(err)
	}
	plain := append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
	pkcs1, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pss, err := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	pssParams := mustHex(t, "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120")

	cases := []struct {
		name string
		pub  any
		alg  cms.AlgorithmIdentifier
		sig  []byte
	}{
		{"ECDSA brainpool DER", &ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDECDSAWithSHA256}, derSig},
		{"ECDSA key OID, hash from the digest algorithm", &ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDECPublicKey}, derSig},
		{"ECDSA plain (BSI TR-03111)", &ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}}, plain},
		{"RSA PKCS#1 v1.5", &rk.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDSHA256WithRSA}, pkcs1},
		{"rsaEncryption, hash from the digest algorithm", &rk.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDRSAEncryption}, pkcs1},
		{"RSA-PSS", &rk.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDRSASSAPSS, Parameters: pssParams}, pss},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := cms.VerifySignature(tc.pub, tc.alg, crypto.SHA256, msg, tc.sig); err != nil {
				t.Fatalf("genuine signature refused: %v", err)
			}
			if err := cms.VerifySignature(tc.pub, tc.alg, crypto.SHA256, []byte("LDSSecurityObjecT"), tc.sig); !errors.Is(err, cms.ErrSignatureInvalid) {
				t.Errorf("other message: %v, want ErrSignatureInvalid", err)
			}
			bad := append([]byte(nil), tc.sig...)
			bad[len(bad)-3] ^= 0x10
			if err := cms.VerifySignature(tc.pub, tc.alg, crypto.SHA256, msg, bad); !errors.Is(err, cms.ErrSignatureInvalid) {
				t.Errorf("altered signature: %v, want ErrSignatureInvalid", err)
			}
		})
	}
	if err := cms.VerifySignature(&ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDSHA256WithRSA}, 0, msg, derSig); !errors.Is(err, cms.ErrUnsupportedAlgorithm) {
		t.Errorf("RSA algorithm with an EC key: %v", err)
	}
	if err := cms.VerifySignature(&ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 3}}, 0, msg, derSig); !errors.Is(err, cms.ErrUnsupportedAlgorithm) {
		t.Errorf("unknown algorithm: %v", err)
	}
	if err := cms.VerifySignature(&ec.PublicKey, cms.AlgorithmIdentifier{Algorithm: cms.OIDECPublicKey}, 0, msg, derSig); !errors.Is(err, cms.ErrUnsupportedAlgorithm) {
		t.Errorf("bare key OID without a digest algorithm: %v", err)
	}
	if err := cms.VerifySignature(nil, cms.AlgorithmIdentifier{Algorithm: cms.OIDECDSAWithSHA256}, 0, msg, derSig); !errors.Is(err, cms.ErrUnsupportedKey) {
		t.Errorf("no key: %v", err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseCertificateFallback(f *testing.F) {
	for _, kt := range []issuer.KeyType{issuer.P256, issuer.BrainpoolP256r1} {
		p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, ExplicitParameters: kt == issuer.BrainpoolP256r1})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.CSCA.Cert.Raw)
		f.Add(p.DocumentSigners[0].Cert.Raw)
	}
	base := os.Getenv(testenv.TestdataEnv)
	if base == "" {
		base = filepath.Join(testenv.RepoRoot(f), "..", "shared", "testdata")
	}
	for _, rel := range []string{"emrtd/gmrtd/DE_ROOT_CA_CSCA07.cer", "emrtd/gmrtd/NL_ROOT_CA.cer"} {
		if b, err := os.ReadFile(filepath.Join(base, rel)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := cms.ParseCertificateFallback(der)
		if err != nil {
			return
		}
		_ = c.Subject.String() + c.Issuer.Key() + c.Subject.Country()
		_ = c.KeyIdentifier()
		if c.SerialNumber == nil || c.Raw == nil || c.RawTBSCertificate == nil {
			t.Fatal("parsed certificate lacks required fields")
		}
		if (c.PublicKey == nil) != (c.PublicKeyError != nil) {
			t.Fatalf("key %T with error %v", c.PublicKey, c.PublicKeyError)
		}
	})
}

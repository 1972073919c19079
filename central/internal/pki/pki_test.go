package pki

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/central/internal/broker"
	"autogate/internal/credentials"
	"autogate/internal/wire"
)

func initPKI(t *testing.T, hosts ...string) (string, *InitReport) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	rep, err := Init(dir, InitOptions{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	return dir, rep
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestInitWritesAVerifiablePKI(t *testing.T) {
	dir, rep := initPKI(t, "central.example", "10.1.2.3")
	p := PKIDir(dir)
	if rep.Dir != p {
		t.Fatalf("report dir %q, want %q", rep.Dir, p)
	}
	for _, f := range []string{CAFile, CAKeyFile, BrokerFile, BrokerKeyFile, CentralFile, CentralKeyFile, SigningKeyFile, SigningPubFile} {
		if !slices.Contains(rep.Files, filepath.Join(p, f)) {
			t.Errorf("report does not list %s: %v", f, rep.Files)
		}
	}
	for _, f := range []string{CAKeyFile, BrokerKeyFile, CentralKeyFile, SigningKeyFile} {
		if m := mode(t, filepath.Join(p, f)); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, m)
		}
	}
	if m := mode(t, p); m != 0o700 {
		t.Errorf("pki folder has mode %o, want 700", m)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".pki-init-*")); len(leftovers) > 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}

	ca, err := loadCert(filepath.Join(p, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || !ca.MaxPathLenZero || ca.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA: IsCA %v MaxPathLenZero %v algorithm %v", ca.IsCA, ca.MaxPathLenZero, ca.PublicKeyAlgorithm)
	}
	if years := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("CA valid for %.1f years, want 10", years)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	brk, err := loadCert(filepath.Join(p, BrokerFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "central.example", "10.1.2.3"} {
		if _, err := brk.Verify(x509.VerifyOptions{Roots: roots, DNSName: h, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("broker certificate for %s: %v", h, err)
		}
	}
	if _, err := brk.Verify(x509.VerifyOptions{Roots: roots, DNSName: "elsewhere.example"}); err == nil {
		t.Error("broker certificate verifies for a name it was not given")
	}
	if _, err := brk.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the broker's certificate can act as a client")
	}

	cen, err := loadCert(filepath.Join(p, CentralFile))
	if err != nil {
		t.Fatal(err)
	}
	if cen.Subject.CommonName != broker.CentralIdentity {
		t.Errorf("central's CN %q", cen.Subject.CommonName)
	}
	if _, err := cen.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("central's certificate: %v", err)
	}
	if _, err := cen.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("central's client certificate can act as a server")
	}

	priv, err := LoadSigningKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if id := wire.KeyID(priv.Public().(ed25519.PublicKey)); id != rep.SigningKeyID {
		t.Errorf("signing key id %s, report says %s", id, rep.SigningKeyID)
	}
	if _, err := ServerTLS(dir); err != nil {
		t.Errorf("ServerTLS: %v", err)
	}
	if _, err := CentralClientTLS(dir); err != nil {
		t.Errorf("CentralClientTLS: %v", err)
	}
	if ok, err := Present(dir); !ok || err != nil {
		t.Errorf("Present = %v, %v", ok, err)
	}
}

func TestInitRefusesAnExistingPKI(t *testing.T) {
	dir, _ := initPKI(t)
	before, err := os.ReadFile(filepath.Join(PKIDir(dir), CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Init(dir, InitOptions{})
	if !errors.Is(err, ErrPKIExists) || !strings.Contains(err.Error(), "move that folder away") {
		t.Fatalf("second Init: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(PKIDir(dir), CAKeyFile))
	if !bytes.Equal(before, after) {
		t.Fatal("the CA key changed")
	}
}

func TestInitRefusesBadHostsAndNoPKIIsExplained(t *testing.T) {
	dir := t.TempDir()
	for _, h := range []string{"", "bad host", "-x.example", "a..b", "*.example"} {
		if _, err := Init(dir, InitOptions{Hosts: []string{h}}); err == nil || !strings.Contains(err.Error(), "--host") {
			t.Errorf("host %q: %v", h, err)
		}
	}
	if ok, err := Present(dir); ok || err != nil {
		t.Fatalf("a refused Init left a PKI: %v %v", ok, err)
	}
	for name, fn := range map[string]func() error{
		"ServerTLS":        func() error { _, err := ServerTLS(dir); return err },
		"CentralClientTLS": func() error { _, err := CentralClientTLS(dir); return err },
		"AddGate":          func() error { _, err := AddGate(dir, "g1", AddOptions{}); return err },
		"WriteMosquitto":   func() error { _, err := WriteMosquitto(dir, t.TempDir(), "127.0.0.1:8883"); return err },
	} {
		if err := fn(); !errors.Is(err, ErrNoPKI) {
			t.Errorf("%s without a PKI: %v, want ErrNoPKI", name, err)
		}
	}
}

func TestAddGateWritesALoadableBundle(t *testing.T) {
	dir, rep := initPKI(t)
	path, err := AddGate(dir, "post-a-01", AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if path != DefaultBundlePath(dir, "post-a-01") {
		t.Fatalf("bundle at %s", path)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("bundle mode %o, want 600", m)
	}
	b, err := credentials.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.GateID != "post-a-01" {
		t.Errorf("GateID %q", b.GateID)
	}
	leaf := b.Cert.Leaf
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || leaf.IsCA {
		t.Errorf("gate certificate EKU %v, IsCA %v", leaf.ExtKeyUsage, leaf.IsCA)
	}
	if years := leaf.NotAfter.Sub(time.Now()).Hours() / 24 / 365; years < 2 || years > 3.01 {
		t.Errorf("gate certificate valid for %.1f more years, want 2–3", years)
	}
	// It chains to the CA in central's PKI folder (not only to the one in
	// the bundle).
	ca, err := loadCert(filepath.Join(PKIDir(dir), CAFile))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("gate certificate does not chain to the fleet CA: %v", err)
	}
	if _, ok := b.Keyring[rep.SigningKeyID]; !ok || len(b.Keyring) != 1 {
		t.Errorf("bundle keyring %v lacks central's signing key %s", b.Keyring, rep.SigningKeyID)
	}
	gates, err := Gates(dir)
	if err != nil || gates["post-a-01"] == nil || gates["post-a-01"].SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatalf("Gates = %v, %v", gates, err)
	}

	// Twice: refused, bundle untouched.
	before, _ := os.ReadFile(path)
	if _, err := AddGate(dir, "post-a-01", AddOptions{}); !errors.Is(err, ErrGateExists) || !strings.Contains(err.Error(), "--reissue") {
		t.Fatalf("second add: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused add changed the bundle")
	}
	// --reissue: a new certificate and key, recorded.
	if _, err := AddGate(dir, "post-a-01", AddOptions{Reissue: true}); err != nil {
		t.Fatal(err)
	}
	b2, err := credentials.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Cert.Leaf.SerialNumber.Cmp(leaf.SerialNumber) == 0 || b2.Cert.Leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(leaf.PublicKey) {
		t.Fatal("reissue kept the old certificate or key")
	}
	if gates, _ := Gates(dir); gates["post-a-01"].SerialNumber.Cmp(b2.Cert.Leaf.SerialNumber) != 0 {
		t.Fatal("the record does not hold the reissued certificate")
	}

	// --out to a file that exists is refused without --reissue.
	out := filepath.Join(t.TempDir(), "g2.pem")
	os.WriteFile(out, []byte("keep"), 0o600)
	if _, err := AddGate(dir, "g2", AddOptions{Out: out}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("add over an existing --out: %v", err)
	}
	if _, err := os.Stat(GateCertPath(dir, "g2")); err == nil {
		t.Fatal("a gate whose bundle was not written is recorded as enrolled")
	}
	if _, err := AddGate(dir, "bad/id", AddOptions{}); err == nil {
		t.Fatal("a gate id with '/' was enrolled")
	}
}

func TestAnExpiredGateCertificateIsRefusedByTheGate(t *testing.T) {
	dir, _ := initPKI(t)
	path, err := AddGate(dir, "g1", AddOptions{Now: time.Now().Add(-GateValidity - 24*time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = credentials.Load(path)
	if !errors.Is(err, credentials.ErrExpired) || !strings.Contains(err.Error(), "--reissue") {
		t.Fatalf("expired bundle: %v", err)
	}
}

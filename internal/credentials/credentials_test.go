package credentials

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"autogate/internal/wire"
)

// The bundles here are made with crypto/x509 directly: central's PKI
// package (which writes real bundles through Encode, and has its own
// tests loading them) lives in central's tree, out of reach of this one.

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCA(t testing.TB) testCA {
	k := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fleet CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return testCA{c, k}
}

func (ca testCA) issue(t testing.TB, cn string, pub crypto.PublicKey, notBefore, notAfter time.Time, eku ...x509.ExtKeyUsage) *x509.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}} // lets a test broker serve on loopback
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

type parts struct {
	ca      testCA
	leaf    *x509.Certificate
	key     *ecdsa.PrivateKey
	signing ed25519.PublicKey
}

func goodParts(t testing.TB, gate string) parts {
	ca := newCA(t)
	k := newKey(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.issue(t, gate, k.Public(), time.Now().Add(-time.Hour), time.Now().Add(12*time.Hour), x509.ExtKeyUsageClientAuth)
	return parts{ca, leaf, k, pub}
}

func (p parts) encode(t testing.TB) []byte {
	b, err := Encode(p.ca.cert, p.leaf, p.key, p.signing)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGoodBundle(t *testing.T) {
	p := goodParts(t, "post-a-01")
	data := p.encode(t)
	if !bytes.HasPrefix(data, []byte("autogate credentials of gate post-a-01")) {
		t.Errorf("bundle does not start by saying what it is:\n%s", data)
	}
	path := filepath.Join(t.TempDir(), "gate.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.GateID != "post-a-01" || !b.NotAfter.Equal(p.leaf.NotAfter) || !b.CACert.Equal(p.ca.cert) || !b.Cert.Leaf.Equal(p.leaf) {
		t.Fatalf("bundle %+v", b)
	}
	if got := b.Keyring[wire.KeyID(p.signing)]; !got.Equal(p.signing) || len(b.Keyring) != 1 {
		t.Fatalf("keyring %v", b.Keyring)
	}
}

// TestClientTLSHandshake runs a real TLS handshake: a server that
// requires certificates of the bundle's CA accepts the gate and sees its
// name, and the gate refuses a server its CA did not certify.
func TestClientTLSHandshake(t *testing.T) {
	p := goodParts(t, "g1")
	b, err := Parse(p.encode(t))
	if err != nil {
		t.Fatal(err)
	}
	srvKey := newKey(t)
	srvCert := p.ca.issue(t, "broker", srvKey.Public(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), x509.ExtKeyUsageServerAuth)
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.cert)
	handshake := func(server tls.Certificate) (string, error) {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{server}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		names := make(chan string, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				names <- ""
				return
			}
			defer c.Close()
			tc := c.(*tls.Conn)
			if tc.Handshake() != nil || len(tc.ConnectionState().VerifiedChains) == 0 {
				names <- ""
				return
			}
			names <- tc.ConnectionState().VerifiedChains[0][0].Subject.CommonName
		}()
		cfg := b.ClientTLS()
		conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		conn.Write([]byte{0}) // completes the server's side under TLS 1.3
		return <-names, nil
	}
	name, err := handshake(tls.Certificate{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey})
	if err != nil || name != "g1" {
		t.Fatalf("handshake: name %q, %v", name, err)
	}
	other := newCA(t)
	k := newKey(t)
	rogue := other.issue(t, "broker", k.Public(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), x509.ExtKeyUsageServerAuth)
	if _, err := handshake(tls.Certificate{Certificate: [][]byte{rogue.Raw}, PrivateKey: k}); err == nil {
		t.Fatal("the gate accepted a broker certified by another CA")
	}
	if cfg := b.ClientTLS(); cfg.MinVersion < tls.VersionTLS12 || cfg.InsecureSkipVerify || len(cfg.Certificates) != 1 {
		t.Fatalf("ClientTLS %+v", cfg)
	}
}

func TestParseRefusesBrokenBundles(t *testing.T) {
	now := time.Now()
	p := goodParts(t, "g1")
	good := string(p.encode(t))
	blocks := func(bs ...*pem.Block) []byte {
		var buf bytes.Buffer
		for _, b := range bs {
			pem.Encode(&buf, b)
		}
		return buf.Bytes()
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(p.key)
	sigDER, _ := x509.MarshalPKIXPublicKey(p.signing)
	caB := &pem.Block{Type: "CERTIFICATE", Bytes: p.ca.cert.Raw}
	leafB := &pem.Block{Type: "CERTIFICATE", Bytes: p.leaf.Raw}
	keyB := &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}
	sigB := &pem.Block{Type: "PUBLIC KEY", Bytes: sigDER}

	other := goodParts(t, "g1")
	otherKeyDER, _ := x509.MarshalPKCS8PrivateKey(other.key)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(p.key.Public())
	withLeaf := func(leaf *x509.Certificate) []byte {
		return blocks(caB, &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}, keyB, sigB)
	}
	cases := []struct {
		name string
		data []byte
		err  error
		want string
	}{
		{"empty", nil, ErrInvalid, "empty or garbled"},
		{"garbage", []byte("not a bundle at all"), ErrInvalid, "empty or garbled"},
		{"truncated", []byte(good[:len(good)/2]), ErrInvalid, "want exactly one"},
		{"no CA", blocks(leafB, keyB, sigB), ErrInvalid, "one CA certificate"},
		{"no leaf", blocks(caB, keyB, sigB), ErrInvalid, "one gate certificate"},
		{"two leaves", blocks(caB, leafB, leafB, keyB, sigB), ErrInvalid, "one gate certificate"},
		{"no key", blocks(caB, leafB, sigB), ErrInvalid, "one private key"},
		{"no signing key", blocks(caB, leafB, keyB), ErrInvalid, "signing key"},
		{"signing key not Ed25519", blocks(caB, leafB, keyB, &pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER}), ErrInvalid, "Ed25519"},
		{"another bundle's key", blocks(caB, leafB, &pem.Block{Type: "PRIVATE KEY", Bytes: otherKeyDER}, sigB), ErrInvalid, "does not belong"},
		{"another fleet's CA", blocks(&pem.Block{Type: "CERTIFICATE", Bytes: other.ca.cert.Raw}, leafB, keyB, sigB), ErrInvalid, "does not verify"},
		{"unknown block", blocks(caB, leafB, keyB, sigB, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}}), ErrInvalid, "unexpected PEM block"},
		{"corrupt certificate", blocks(caB, &pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 1, 2}}, keyB, sigB), ErrInvalid, "certificate"},
		{"server certificate", withLeaf(p.ca.issue(t, "g1", p.key.Public(), now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)), ErrInvalid, "client authentication"},
		{"bad gate name", withLeaf(p.ca.issue(t, "g/1", p.key.Public(), now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageClientAuth)), ErrInvalid, "not allowed"},
		{"central's name", withLeaf(p.ca.issue(t, "@central", p.key.Public(), now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageClientAuth)), ErrInvalid, "not allowed"},
		{"expired", withLeaf(p.ca.issue(t, "g1", p.key.Public(), now.Add(-2*time.Hour), now.Add(-time.Hour), x509.ExtKeyUsageClientAuth)), ErrExpired, "expired on"},
		{"not yet valid", withLeaf(p.ca.issue(t, "g1", p.key.Public(), now.Add(time.Hour), now.Add(2*time.Hour), x509.ExtKeyUsageClientAuth)), ErrExpired, "clock"},
		{"oversized", bytes.Repeat([]byte("x"), MaxBundleBytes+1), ErrInvalid, "more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAt(c.data, now)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %v containing %q", err, c.err, c.want)
			}
		})
	}
	if _, err := ParseAt(p.encode(t), now); err != nil {
		t.Fatalf("the good bundle: %v", err)
	}
}

func TestLoadMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.pem"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "central gate add") {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to the bundle parser (what Load does
// after reading the file): it must refuse or accept without panicking, and
// anything it accepts must be coherent.
func FuzzLoad(f *testing.F) {
	p := goodParts(f, "g1")
	good := p.encode(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte{})
	now := time.Now()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseAt(data, now)
		if err != nil {
			if b != nil {
				t.Fatal("a bundle returned with an error")
			}
			return
		}
		if wire.ValidateGateID(b.GateID) != nil || b.Cert.Leaf == nil || len(b.Keyring) == 0 || b.NotAfter.Before(now) {
			t.Fatalf("incoherent bundle accepted: %+v", b)
		}
	})
}

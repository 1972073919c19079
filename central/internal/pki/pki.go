package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"autogate/central/internal/broker"
	"autogate/internal/wire"
)

// Files of the PKI folder (<data>/pki).
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca.key"
	BrokerFile     = "broker.pem"
	BrokerKeyFile  = "broker.key"
	CentralFile    = "central.pem"
	CentralKeyFile = "central.key"
	GatesDir       = "gates"
)

// Validity periods. The CA, the broker's and central's certificates live in
// central's own data folder and last as long as the CA; a gate's
// certificate sits on a device in a public hall, so it is renewed more often.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	GateValidity = 3 * 365 * 24 * time.Hour
	// backdate absorbs clock differences between central and the gates.
	backdate = time.Hour
)

// ErrPKIExists refuses to replace a PKI: every gate enrolled with it would
// lose its trust.
var ErrPKIExists = errors.New("a PKI already exists in this data folder")

// ErrBadHost refuses a broker host name that cannot go into a certificate.
var ErrBadHost = errors.New("bad broker host name")

// InitOptions tune Init.
type InitOptions struct {
	// Hosts are extra names (DNS names or IP addresses) gates use to reach
	// the broker; localhost, 127.0.0.1 and ::1 are always in.
	Hosts []string
	// Now is the issuing time; zero means time.Now().
	Now time.Time
}

// InitReport says what Init wrote.
type InitReport struct {
	Dir          string   // the PKI folder
	Files        []string // every file written, paths under Dir
	Hosts        []string // the broker certificate's names
	SigningKeyID string   // wire.KeyID of the signing key
	CANotAfter   time.Time
}

// PKIDir returns the PKI folder of a data folder.
func PKIDir(dataDir string) string { return filepath.Join(dataDir, Dir) }

// Present reports whether dataDir holds a PKI (its CA certificate).
func Present(dataDir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dataDir, Dir, CAFile))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("looking for the PKI: %w", err)
}

// Init creates the fleet PKI in <dataDir>/pki: an ECDSA P-256 CA, the
// broker's server certificate, central's client certificate (CN @central)
// and the Ed25519 signing key. Everything is built in a temporary folder
// and renamed into place, so a failure leaves no half PKI. It refuses to
// touch an existing PKI.
func Init(dataDir string, opts InitOptions) (*InitReport, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	hosts, err := brokerHosts(opts.Hosts)
	if err != nil {
		return nil, err
	}
	dir := PKIDir(dataDir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%w: %s (its CA signed every enrolled gate's certificate, so it is kept; to start a new fleet, move that folder away first)", ErrPKIExists, dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	tmp, err := os.MkdirTemp(dataDir, ".pki-init-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	build := filepath.Join(tmp, Dir)
	if err := os.Mkdir(build, 0o700); err != nil {
		return nil, err
	}

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	// A random suffix tells one fleet's CA from another's (a test fleet, a
	// rebuilt one) in every certificate viewer.
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"autogate"}, CommonName: "autogate fleet CA " + hex.EncodeToString(suffix[:])},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // the CA signs end certificates only
	}
	ca, err := sign(caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	rep := &InitReport{Dir: dir, Hosts: hosts, CANotAfter: ca.NotAfter}
	write := func(name string, data []byte, mode fs.FileMode) error {
		rep.Files = append(rep.Files, filepath.Join(dir, name))
		return writeNew(filepath.Join(build, name), data, mode)
	}
	if err := write(CAFile, certPEM(ca), 0o644); err != nil {
		return nil, err
	}
	if err := writeKey(write, CAKeyFile, caKey); err != nil {
		return nil, err
	}

	brokerTmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"autogate"}, CommonName: "autogate broker"},
		NotBefore:   now.Add(-backdate),
		NotAfter:    ca.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			brokerTmpl.IPAddresses = append(brokerTmpl.IPAddresses, ip)
		} else {
			brokerTmpl.DNSNames = append(brokerTmpl.DNSNames, h)
		}
	}
	centralTmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"autogate"}, CommonName: broker.CentralIdentity},
		NotBefore:   now.Add(-backdate),
		NotAfter:    ca.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, leaf := range []struct {
		tmpl        *x509.Certificate
		certF, keyF string
	}{{brokerTmpl, BrokerFile, BrokerKeyFile}, {centralTmpl, CentralFile, CentralKeyFile}} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		c, err := sign(leaf.tmpl, ca, key.Public(), caKey)
		if err != nil {
			return nil, err
		}
		if err := write(leaf.certF, certPEM(c), 0o644); err != nil {
			return nil, err
		}
		if err := writeKey(write, leaf.keyF, key); err != nil {
			return nil, err
		}
	}
	signing, err := NewSigningKey(tmp)
	if err != nil {
		return nil, fmt.Errorf("creating the signing key: %w", err)
	}
	rep.Files = append(rep.Files, filepath.Join(dir, SigningKeyFile), filepath.Join(dir, SigningPubFile))
	rep.SigningKeyID = wire.KeyID(signing.Public().(ed25519.PublicKey))
	if err := os.Mkdir(filepath.Join(build, GatesDir), 0o700); err != nil {
		return nil, err
	}
	// An empty pki folder left by hand is replaced; a non-empty one was
	// refused above.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %v", ErrPKIExists, dir, err)
	}
	if err := os.Rename(build, dir); err != nil {
		return nil, fmt.Errorf("moving the new PKI into %s: %w", dir, err)
	}
	return rep, nil
}

// brokerHosts returns the broker certificate's names: the loopback ones
// and the given ones, checked and without repeats.
func brokerHosts(extra []string) ([]string, error) {
	out := []string{"localhost", "127.0.0.1", "::1"}
	for _, h := range extra {
		h = strings.TrimSpace(h)
		if net.ParseIP(h) == nil && !validDNSName(h) {
			return nil, fmt.Errorf("%w: --host %q: want a DNS name (letters, digits, '-', '.') or an IP address", ErrBadHost, h)
		}
		dup := false
		for _, o := range out {
			dup = dup || strings.EqualFold(o, h)
		}
		if !dup {
			out = append(out, h)
		}
	}
	return out, nil
}

func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// serial returns a random positive 128-bit certificate serial number.
func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	if tmpl.NotAfter.After(parent.NotAfter) {
		tmpl.NotAfter = parent.NotAfter // nothing outlives its CA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("issuing %q: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func writeKey(write func(string, []byte, fs.FileMode) error, name string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return write(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// writeNew creates a file that must not exist yet.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadCA reads the CA certificate and key.
func loadCA(dataDir string) (*x509.Certificate, crypto.Signer, error) {
	ca, err := loadCert(filepath.Join(dataDir, Dir, CAFile))
	if err != nil {
		return nil, nil, err
	}
	key, err := loadKey(filepath.Join(dataDir, Dir, CAKeyFile))
	if err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

func loadCert(path string) (*x509.Certificate, error) {
	return readPEM[*x509.Certificate](path, "CERTIFICATE", func(der []byte) (any, error) { return x509.ParseCertificate(der) })
}

func loadKey(path string) (crypto.Signer, error) {
	return readPEM[crypto.Signer](path, "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
}

// readPEM reads a PKI file holding one PEM block of type typ, parses it
// and checks that it is a T.
func readPEM[T any](path, typ string, parse func([]byte) (any, error)) (T, error) {
	var zero T
	b, err := readPKIFile(path)
	if err != nil {
		return zero, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return zero, fmt.Errorf("%s: not a PEM %s", path, typ)
	}
	v, err := parse(blk.Bytes)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s: a %T, not a %T", path, v, zero)
	}
	return t, nil
}

// readPKIFile reads a file of the PKI folder, saying how to create the
// PKI when there is none.
func readPKIFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && filepath.Base(filepath.Dir(path)) == Dir {
		if _, serr := os.Stat(filepath.Join(filepath.Dir(path), CAFile)); errors.Is(serr, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoPKI)
		}
	}
	return b, err
}

// SigningPublicKey reads central's signing public key (signing.pub).
func SigningPublicKey(dataDir string) (ed25519.PublicKey, error) {
	return readPEM[ed25519.PublicKey](filepath.Join(dataDir, Dir, SigningPubFile), "PUBLIC KEY", x509.ParsePKIXPublicKey)
}

package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"autogate/internal/credentials"
	"autogate/internal/wire"
)

// ErrGateExists refuses to enrol a gate twice without --reissue.
var ErrGateExists = errors.New("gate already enrolled")

// AddOptions tune AddGate.
type AddOptions struct {
	// Out is where the credentials bundle goes; empty means
	// <data>/pki/gates/<ID>.pem.
	Out string
	// Reissue issues a new certificate and key for a gate already enrolled
	// (a lost or expiring bundle), replacing its bundle.
	Reissue bool
	// Now is the issuing time; zero means time.Now().
	Now time.Time
}

// GateCertPath is the enrolment record of a gate: a copy of its current
// certificate (no key), so a second enrolment is noticed.
func GateCertPath(dataDir, gateID string) string {
	return filepath.Join(dataDir, Dir, GatesDir, gateID+".crt")
}

// DefaultBundlePath is where AddGate writes a gate's bundle by default.
func DefaultBundlePath(dataDir, gateID string) string {
	return filepath.Join(dataDir, Dir, GatesDir, gateID+".pem")
}

// AddGate enrols a gate: it issues the gate's client certificate (CN = the
// gate id, client authentication only) and writes its credentials bundle,
// the one file to copy onto the gate. It returns the bundle's path.
func AddGate(dataDir, gateID string, opts AddOptions) (string, error) {
	if err := wire.ValidateGateID(gateID); err != nil {
		return "", err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	ca, caKey, err := loadCA(dataDir)
	if err != nil {
		return "", err
	}
	signing, err := SigningPublicKey(dataDir)
	if err != nil {
		return "", err
	}
	record := GateCertPath(dataDir, gateID)
	if old, err := loadCert(record); err == nil && !opts.Reissue {
		return "", fmt.Errorf("%w: gate %s has a certificate (serial %x, valid until %s; record %s). To give it a new one (bundle lost or about to expire), run again with --reissue",
			ErrGateExists, gateID, old.SerialNumber, old.NotAfter.UTC().Format("2006-01-02"), record)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	out := opts.Out
	if out == "" {
		out = DefaultBundlePath(dataDir, gateID)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	cert, err := sign(&x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"autogate"}, OrganizationalUnit: []string{"gates"}, CommonName: gateID},
		NotBefore:   now.Add(-backdate),
		NotAfter:    now.Add(GateValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, key.Public(), caKey)
	if err != nil {
		return "", err
	}
	bundle, err := credentials.Encode(ca, cert, key, signing)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dataDir, Dir, GatesDir), 0o700); err != nil {
		return "", err
	}
	if opts.Reissue {
		err = replaceFile(out, bundle, 0o600)
	} else {
		err = writeNew(out, bundle, 0o600)
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s already exists: choose another --out, or remove it if it is an old bundle", out)
		}
	}
	if err != nil {
		return "", fmt.Errorf("writing the bundle of gate %s: %w", gateID, err)
	}
	// The record is written last: a gate whose bundle could not be written
	// is not enrolled.
	if err := replaceFile(record, certPEM(cert), 0o644); err != nil {
		return "", fmt.Errorf("recording gate %s: %w", gateID, err)
	}
	return out, nil
}

// replaceFile writes a file through a temporary one and a rename, so a
// reader never sees half of it.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Gates lists the enrolled gates' current certificates by gate id.
func Gates(dataDir string) (map[string]*x509.Certificate, error) {
	matches, err := filepath.Glob(filepath.Join(dataDir, Dir, GatesDir, "*.crt"))
	if err != nil {
		return nil, err
	}
	out := map[string]*x509.Certificate{}
	for _, m := range matches {
		c, err := loadCert(m)
		if err != nil {
			return nil, err
		}
		out[c.Subject.CommonName] = c
	}
	return out, nil
}

// ErrNotEnrolled: a certificate the CA issued but that is not (or no
// longer) the gate's current one.
var ErrNotEnrolled = errors.New("certificate is not the gate's current one")

// EnrolledCheck returns a check for the broker (broker.CertAuth.Enrolled):
// a gate's certificate is accepted only while it is the one recorded by
// its latest enrolment, so --reissue retires the previous certificate at
// once, and removing a gate's record (pki/gates/ID.crt) shuts it out.
func EnrolledCheck(dataDir string) func(gate string, cert *x509.Certificate) error {
	return func(gate string, cert *x509.Certificate) error {
		cur, err := loadCert(GateCertPath(dataDir, gate))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: gate %s has no enrolment record (central gate add %s)", ErrNotEnrolled, gate, gate)
		}
		if err != nil {
			return err
		}
		if cur.SerialNumber.Cmp(cert.SerialNumber) != 0 || !cur.Equal(cert) {
			return fmt.Errorf("%w: gate %s presented serial %x, its current certificate is serial %x (reissued)", ErrNotEnrolled, gate, cert.SerialNumber, cur.SerialNumber)
		}
		return nil
	}
}

package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is the folder of central's PKI inside its data folder.
const Dir = "pki"

// SigningKeyFile and SigningPubFile hold central's Ed25519 key that signs
// list deltas, configurations and commands (PKCS#8 and PKIX PEM).
const (
	SigningKeyFile = "signing.key"
	SigningPubFile = "signing.pub"
)

// ErrNoPKI means `central pki init` has not run for this data folder.
var ErrNoPKI = errors.New("no PKI in this data folder: run 'central pki init --data DIR' first")

// LoadSigningKey reads central's signing key from dataDir.
func LoadSigningKey(dataDir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dataDir, Dir, SigningKeyFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoPKI)
	}
	return readPEM[ed25519.PrivateKey](path, "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
}

// NewSigningKey creates central's signing key in dataDir (refusing to
// overwrite one) and returns it.
func NewSigningKey(dataDir string) (ed25519.PrivateKey, error) {
	dir := filepath.Join(dataDir, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, SigningKeyFile)
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", keyPath, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return priv, os.WriteFile(filepath.Join(dir, SigningPubFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
}

package credentials

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"autogate/internal/wire"
)

// MaxBundleBytes bounds a bundle file; a real one is about 2 KiB.
const MaxBundleBytes = 64 << 10

// PEM block types of a bundle.
const (
	blockCert    = "CERTIFICATE"
	blockKey     = "PRIVATE KEY"
	blockSigning = "PUBLIC KEY"
)

// Errors, wrapped with detail.
var (
	// ErrInvalid: the bytes are not a usable credentials bundle.
	ErrInvalid = errors.New("not a valid autogate credentials bundle")
	// ErrExpired: the gate's certificate is outside its validity period.
	ErrExpired = errors.New("gate certificate not valid now")
)

const remedy = "make a new one with 'central gate add ID --reissue' and copy it onto the gate"

// Bundle is a gate's credentials.
type Bundle struct {
	// GateID is the gate's certificate name (CN): the only gate id the
	// broker lets this gate speak for.
	GateID string
	// CA trusts the fleet CA only: the broker must present a certificate
	// it issued.
	CA *x509.CertPool
	// CACert is the fleet CA certificate.
	CACert *x509.Certificate
	// Cert is the gate's client certificate with its private key (Leaf set).
	Cert tls.Certificate
	// Keyring holds central's signing public keys.
	Keyring wire.Keyring
	// NotAfter is when the gate's certificate expires.
	NotAfter time.Time
}

// Load reads and checks a bundle file.
func Load(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials %s: %w (copy the bundle written by 'central gate add' there, or fix central.credentials)", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("credentials %s: %w", path, err)
	}
	b, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("credentials %s: %w", path, err)
	}
	return b, nil
}

// Parse checks bundle bytes as of now.
func Parse(data []byte) (*Bundle, error) { return ParseAt(data, time.Now()) }

// ParseAt checks bundle bytes as of the given time.
func ParseAt(data []byte, now time.Time) (*Bundle, error) {
	if len(data) > MaxBundleBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(data), MaxBundleBytes)
	}
	var (
		ca, leaf []*x509.Certificate
		keys     []crypto.Signer
		ring     = wire.Keyring{}
	)
	rest := data
	for n := 1; ; n++ {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch blk.Type {
		case blockCert:
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: block %d (certificate): %v", ErrInvalid, n, err)
			}
			if c.IsCA {
				ca = append(ca, c)
			} else {
				leaf = append(leaf, c)
			}
		case blockKey:
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: block %d (private key): %v", ErrInvalid, n, err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("%w: block %d: a %T private key cannot sign", ErrInvalid, n, k)
			}
			keys = append(keys, s)
		case blockSigning:
			k, err := x509.ParsePKIXPublicKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: block %d (central's signing key): %v", ErrInvalid, n, err)
			}
			pub, ok := k.(ed25519.PublicKey)
			if !ok {
				return nil, fmt.Errorf("%w: block %d: central's signing key must be Ed25519, not %T", ErrInvalid, n, k)
			}
			ring[wire.KeyID(pub)] = pub
		default:
			return nil, fmt.Errorf("%w: block %d: unexpected PEM block %q (want CERTIFICATE, PRIVATE KEY, PUBLIC KEY)", ErrInvalid, n, blk.Type)
		}
	}
	switch {
	case len(ca)+len(leaf)+len(keys)+len(ring) == 0:
		return nil, fmt.Errorf("%w: no PEM blocks (the file is empty or garbled); %s", ErrInvalid, remedy)
	case len(ca) != 1:
		return nil, fmt.Errorf("%w: want exactly one CA certificate, found %d; %s", ErrInvalid, len(ca), remedy)
	case len(leaf) != 1:
		return nil, fmt.Errorf("%w: want exactly one gate certificate, found %d; %s", ErrInvalid, len(leaf), remedy)
	case len(keys) != 1:
		return nil, fmt.Errorf("%w: want exactly one private key, found %d; %s", ErrInvalid, len(keys), remedy)
	case len(ring) == 0:
		return nil, fmt.Errorf("%w: no central signing key (PUBLIC KEY block); %s", ErrInvalid, remedy)
	}
	cert, key := leaf[0], keys[0]
	gate := cert.Subject.CommonName
	if err := wire.ValidateGateID(gate); err != nil {
		return nil, fmt.Errorf("%w: certificate name: %v", ErrInvalid, err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%w: the private key does not belong to gate %s's certificate (pieces of two bundles?); %s", ErrInvalid, gate, remedy)
	}
	const day = "2006-01-02"
	switch {
	case now.After(cert.NotAfter):
		return nil, fmt.Errorf("%w: gate %s's certificate expired on %s; %s", ErrExpired, gate, cert.NotAfter.UTC().Format(day), remedy)
	case now.Before(cert.NotBefore):
		return nil, fmt.Errorf("%w: gate %s's certificate is valid only from %s: check the gate's clock", ErrExpired, gate, cert.NotBefore.UTC().Format(time.RFC3339))
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca[0])
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("%w: gate %s's certificate does not verify against the bundle's CA for client authentication: %v; %s", ErrInvalid, gate, err, remedy)
	}
	return &Bundle{
		GateID:   gate,
		CA:       pool,
		CACert:   ca[0],
		Cert:     tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		Keyring:  ring,
		NotAfter: cert.NotAfter,
	}, nil
}

// ClientTLS is the gate's side of the TLS connection to the broker: it
// presents the gate's certificate and trusts only the fleet CA.
func (b *Bundle) ClientTLS() *tls.Config {
	return &tls.Config{
		RootCAs:      b.CA,
		Certificates: []tls.Certificate{b.Cert},
		MinVersion:   tls.VersionTLS12,
	}
}

// Encode writes a bundle: a comment saying what the file is, the CA
// certificate, the gate's certificate, its PKCS#8 private key and central's
// signing public keys.
func Encode(ca, gate *x509.Certificate, key crypto.Signer, signing ...ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("credentials: encoding the gate's key: %w", err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "autogate credentials of gate %s (certificate valid until %s).\n", gate.Subject.CommonName, gate.NotAfter.UTC().Format("2006-01-02"))
	buf.WriteString("Secret: it holds the gate's private key. Copy it onto the gate only, readable\nby the gate agent alone, and name it in the gate file: [central] credentials.\n\n")
	blocks := []*pem.Block{{Type: blockCert, Bytes: ca.Raw}, {Type: blockCert, Bytes: gate.Raw}, {Type: blockKey, Bytes: der}}
	for _, pub := range signing {
		pd, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("credentials: encoding central's signing key: %w", err)
		}
		blocks = append(blocks, &pem.Block{Type: blockSigning, Bytes: pd})
	}
	for _, b := range blocks {
		if err := pem.Encode(&buf, b); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

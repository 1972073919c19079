package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"
)

// ServerTLS is the broker's side of TLS: its certificate, and a client
// certificate issued by the fleet CA required from every client.
func ServerTLS(dataDir string) (*tls.Config, error) {
	pool, cert, err := loadTLS(dataDir, BrokerFile, BrokerKeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// CentralClientTLS is the client side for central's own connections
// (ingest, the CLIs): central's certificate (CN @central), trusting only
// the fleet CA.
func CentralClientTLS(dataDir string) (*tls.Config, error) {
	pool, cert, err := loadTLS(dataDir, CentralFile, CentralKeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// loadTLS loads the fleet CA as a pool and one certificate with its key.
func loadTLS(dataDir, certFile, keyFile string) (*x509.CertPool, tls.Certificate, error) {
	ca, err := loadCert(filepath.Join(dataDir, Dir, CAFile))
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	cert, err := loadPair(dataDir, certFile, keyFile)
	return pool, cert, err
}

// loadPair loads a certificate and key of the PKI folder, refusing an
// expired certificate with a message instead of handshakes failing later.
func loadPair(dataDir, certFile, keyFile string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dataDir, Dir, certFile), filepath.Join(dataDir, Dir, keyFile)
	if _, err := readPKIFile(certPath); err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s with %s: %w", certPath, keyPath, err)
	}
	if pair.Leaf != nil && time.Now().After(pair.Leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("%s expired on %s", certPath, pair.Leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	return pair, nil
}

// BrokerHosts lists the names (DNS names, then IP addresses) the broker's
// certificate is valid for.
func BrokerHosts(dataDir string) ([]string, error) {
	c, err := loadCert(filepath.Join(dataDir, Dir, BrokerFile))
	if err != nil {
		return nil, err
	}
	hosts := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	return hosts, nil
}

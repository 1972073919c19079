package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// Signer is a certificate with its private key: a CSCA or a document
// signer.
type Signer struct {
	Cert *cms.Certificate
	Key  crypto.Signer
	Type KeyType
	Hash crypto.Hash // the hash it signs certificates and SODs with by default
}

// CSCAOptions describe a test CSCA. Zero values take the defaults noted.
type CSCAOptions struct {
	Country    string  // ISO 3166 alpha-2; default "UT" (Utopia, Doc 9303's specimen state)
	CommonName string  // default "CSCA <Country> Test"
	Key        KeyType // default P-256
	Hash       crypto.Hash
	NotBefore  time.Time     // default now minus one day
	Validity   time.Duration // default 15 years
	// ExplicitParameters encodes an EC key with explicit domain parameters
	// instead of the curve's OID, as many real CSCAs do.
	ExplicitParameters bool
}

// DSOptions describe a document signer certificate.
type DSOptions struct {
	CommonName string  // default "DS <Country> Test <serial>"
	Key        KeyType // default: the CSCA's key type
	Hash       crypto.Hash
	NotBefore  time.Time     // default now minus one day
	Validity   time.Duration // default 10 years and 3 months
	// PrivateKeyUsage is the length of the private key usage period from
	// NotBefore; zero leaves the extension out.
	PrivateKeyUsage    time.Duration
	Serial             *big.Int // default random
	ExplicitParameters bool
}

const year = 365 * 24 * time.Hour

func randomSerial() (*big.Int, error) {
	// 63 random bits: positive, unique enough for a test PKI.
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// NewCSCA generates a self-signed CSCA.
func NewCSCA(o CSCAOptions) (*Signer, error) {
	o.Country = strings.ToUpper(orDefault(o.Country, "UT"))
	o.CommonName = orDefault(o.CommonName, "CSCA "+o.Country+" Test")
	o.Key = orDefault(o.Key, P256)
	o.Hash = orDefault(o.Hash, o.Key.DefaultHash())
	o.NotBefore = orDefault(o.NotBefore, time.Now().Add(-24*time.Hour).Truncate(time.Second))
	o.Validity = orDefault(o.Validity, 15*year)
	key, err := o.Key.GenerateKey()
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	name := nameFor(o.Country, "Autogate test PKI", o.CommonName)
	cert, err := issueCertificate(certSpec{
		serial: serial, subject: name,
		notBefore: o.NotBefore, notAfter: o.NotBefore.Add(o.Validity),
		ca: true, keyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		subjectKey: key.Public(), explicitParams: o.ExplicitParameters,
	}, name, nil, key, o.Key, o.Hash)
	if err != nil {
		return nil, fmt.Errorf("CSCA certificate: %w", err)
	}
	return &Signer{Cert: cert, Key: key, Type: o.Key, Hash: o.Hash}, nil
}

func (s *Signer) pkixSubject() pkix.Name {
	var n pkix.Name
	n.FillFromRDNSequence(&s.Cert.Subject.RDNs)
	return n
}

// IssueDocumentSigner generates a document signer key and certificate
// signed by the CSCA.
func (csca *Signer) IssueDocumentSigner(o DSOptions) (*Signer, error) {
	o.Key = orDefault(o.Key, csca.Type)
	o.Hash = orDefault(o.Hash, o.Key.DefaultHash())
	o.NotBefore = orDefault(o.NotBefore, time.Now().Add(-24*time.Hour).Truncate(time.Second))
	o.Validity = orDefault(o.Validity, 10*year+90*24*time.Hour)
	if o.Serial == nil {
		var err error
		if o.Serial, err = randomSerial(); err != nil {
			return nil, err
		}
	}
	country := csca.Cert.Subject.Country()
	o.CommonName = orDefault(o.CommonName, fmt.Sprintf("DS %s Test %s", country, o.Serial))
	key, err := o.Key.GenerateKey()
	if err != nil {
		return nil, err
	}
	spec := certSpec{
		serial: o.Serial, subject: nameFor(country, "Autogate test PKI", o.CommonName),
		notBefore: o.NotBefore, notAfter: o.NotBefore.Add(o.Validity),
		keyUsage: x509.KeyUsageDigitalSignature, subjectKey: key.Public(), explicitParams: o.ExplicitParameters,
	}
	if o.PrivateKeyUsage > 0 {
		spec.pkupNotBefore, spec.pkupNotAfter = o.NotBefore, o.NotBefore.Add(o.PrivateKeyUsage)
	}
	cert, err := issueCertificate(spec, csca.pkixSubject(), csca.Cert.RawSubjectPublicKeyInfo, csca.Key, csca.Type, csca.Hash)
	if err != nil {
		return nil, fmt.Errorf("document signer certificate: %w", err)
	}
	return &Signer{Cert: cert, Key: key, Type: o.Key, Hash: o.Hash}, nil
}

// IssueLink certifies a newer CSCA's key with this (older) CSCA's key: the
// link certificate of Doc 9303 part 12, 5.1.1, with the new CSCA's subject
// and key, issued by the old one, valid from the new CSCA's start to the
// old one's end.
func (old *Signer) IssueLink(newCSCA *Signer) (*cms.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	notAfter := old.Cert.NotAfter
	if newCSCA.Cert.NotAfter.Before(notAfter) {
		notAfter = newCSCA.Cert.NotAfter
	}
	return issueCertificate(certSpec{
		serial: serial, subject: newCSCA.pkixSubject(),
		notBefore: newCSCA.Cert.NotBefore, notAfter: notAfter,
		ca: true, keyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		subjectKey: newCSCA.Key.Public(),
	}, old.pkixSubject(), old.Cert.RawSubjectPublicKeyInfo, old.Key, old.Type, old.Hash)
}

// IssueCRL signs a CRL that revokes the given document signer serials,
// valid from thisUpdate to nextUpdate.
func (csca *Signer) IssueCRL(revoked []*big.Int, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	return issueCRL(csca, revoked, thisUpdate, thisUpdate, nextUpdate, time.Now().Unix())
}

// PKI is one test country: its CSCA, document signers, link certificates
// and CRL.
type PKI struct {
	CSCA            *Signer
	DocumentSigners []*Signer
	Links           []*cms.Certificate
	CRL             []byte // DER; nil when none was issued
}

// NewPKI makes a CSCA and one document signer of the same key type.
func NewPKI(o CSCAOptions) (*PKI, error) {
	csca, err := NewCSCA(o)
	if err != nil {
		return nil, err
	}
	ds, err := csca.IssueDocumentSigner(DSOptions{})
	if err != nil {
		return nil, err
	}
	return &PKI{CSCA: csca, DocumentSigners: []*Signer{ds}}, nil
}

// File layout of a saved PKI. The CSCA and link certificates and the CRL
// are at the top of the folder, where the trust store loader
// (trust.LoadDir, "gate-agent trust list DIR") finds them; document signers
// and private keys are in the private/ subfolder, which it does not read.
const (
	cscaFile    = "csca.pem"
	crlFile     = "csca.crl"
	privateDir  = "private"
	cscaKeyFile = "csca.key"
)

// Save writes the PKI as PEM files into dir, creating it. Private keys are
// written with mode 0600.
func (p *PKI) Save(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, privateDir), 0o755); err != nil {
		return fmt.Errorf("saving PKI: %w", err)
	}
	write := func(name string, blocks ...*pem.Block) error {
		var out []byte
		for _, b := range blocks {
			out = append(out, pem.EncodeToMemory(b)...)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".key") {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, mode); err != nil {
			return fmt.Errorf("saving PKI: %w", err)
		}
		return nil
	}
	certBlock := func(c *cms.Certificate) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw} }
	keyBlock, err := marshalPrivateKey(p.CSCA.Key, p.CSCA.Type)
	if err != nil {
		return err
	}
	keyBlock.Headers["Hash"] = p.CSCA.Hash.String()
	if err := write(cscaFile, certBlock(p.CSCA.Cert)); err != nil {
		return err
	}
	if err := write(filepath.Join(privateDir, cscaKeyFile), keyBlock); err != nil {
		return err
	}
	for i, l := range p.Links {
		if err := write(fmt.Sprintf("link-%02d.pem", i+1), certBlock(l)); err != nil {
			return err
		}
	}
	for i, ds := range p.DocumentSigners {
		kb, err := marshalPrivateKey(ds.Key, ds.Type)
		if err != nil {
			return err
		}
		kb.Headers["Hash"] = ds.Hash.String()
		if err := write(filepath.Join(privateDir, fmt.Sprintf("ds-%02d.pem", i+1)), certBlock(ds.Cert)); err != nil {
			return err
		}
		if err := write(filepath.Join(privateDir, fmt.Sprintf("ds-%02d.key", i+1)), kb); err != nil {
			return err
		}
	}
	if p.CRL != nil {
		if err := os.WriteFile(filepath.Join(dir, crlFile), p.CRL, 0o644); err != nil {
			return fmt.Errorf("saving PKI: %w", err)
		}
	}
	return nil
}

// Load reads a PKI written by Save.
func Load(dir string) (*PKI, error) {
	csca, err := loadSigner(filepath.Join(dir, cscaFile), filepath.Join(dir, privateDir, cscaKeyFile))
	if err != nil {
		return nil, fmt.Errorf("loading PKI from %s: CSCA: %w", dir, err)
	}
	p := &PKI{CSCA: csca}
	links, _ := filepath.Glob(filepath.Join(dir, "link-*.pem"))
	sort.Strings(links)
	for _, l := range links {
		c, err := readCertificate(l)
		if err != nil {
			return nil, fmt.Errorf("loading PKI: %w", err)
		}
		p.Links = append(p.Links, c)
	}
	dss, _ := filepath.Glob(filepath.Join(dir, privateDir, "ds-*.pem"))
	sort.Strings(dss)
	for _, d := range dss {
		ds, err := loadSigner(d, strings.TrimSuffix(d, ".pem")+".key")
		if err != nil {
			return nil, fmt.Errorf("loading PKI from %s: document signer: %w", dir, err)
		}
		p.DocumentSigners = append(p.DocumentSigners, ds)
	}
	if b, err := os.ReadFile(filepath.Join(dir, crlFile)); err == nil {
		p.CRL = b
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("loading PKI: %w", err)
	}
	return p, nil
}

func readCertificate(path string) (*cms.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no CERTIFICATE PEM block", path)
	}
	c, err := cms.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

var hashByName = map[string]crypto.Hash{
	crypto.SHA1.String(): crypto.SHA1, crypto.SHA224.String(): crypto.SHA224, crypto.SHA256.String(): crypto.SHA256,
	crypto.SHA384.String(): crypto.SHA384, crypto.SHA512.String(): crypto.SHA512,
}

func loadSigner(certPath, keyPath string) (*Signer, error) {
	cert, err := readCertificate(certPath)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", keyPath)
	}
	key, kt, err := parsePrivateKey(blk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if t, err := keyTypeOf(cert.PublicKey, kt.PSS()); err != nil || t != kt {
		return nil, fmt.Errorf("%s: key type %s does not match the certificate %s", keyPath, kt, certPath)
	}
	h, ok := hashByName[blk.Headers["Hash"]]
	if !ok {
		h = kt.DefaultHash()
	}
	s := &Signer{Cert: cert, Key: key, Type: kt, Hash: h}
	if err := s.checkPair(); err != nil {
		return nil, fmt.Errorf("%s and %s: %w", certPath, keyPath, err)
	}
	return s, nil
}

// checkPair proves the key belongs to the certificate by signing and
// verifying a test message.
func (s *Signer) checkPair() error {
	msg := []byte("autogate issuer key check")
	sig, alg, err := sign(s.Key, s.Type, s.Hash, msg)
	if err != nil {
		return err
	}
	if err := cms.VerifySignature(s.Cert.PublicKey, alg, s.Hash, msg, sig); err != nil {
		return fmt.Errorf("private key does not match the certificate: %w", err)
	}
	return nil
}

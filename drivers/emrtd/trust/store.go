package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"autogate/drivers/emrtd/sod/cms"
)

// CSCA is one trusted Country Signing CA certificate: a self-signed CSCA
// certificate or a link certificate (a new CSCA key signed by the old one).
type CSCA struct {
	Cert    *cms.Certificate
	Country string   // ISO 3166 alpha-2 from the subject, upper case
	Sources []string // files (and lists) it was loaded from
	// Link is true for a link certificate: issued under another name, or
	// with an authority key identifier naming another key than its own
	// (real link certificates do either, some without any identifier).
	Link bool
	// FromMasterList is true when the certificate came from a master list
	// rather than a stand-alone certificate file.
	FromMasterList bool
}

// Fingerprint is the SHA-256 of the certificate, hex.
func (c *CSCA) Fingerprint() string {
	sum := sha256.Sum256(c.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Store is a CSCA trust store with the CRLs of its CSCAs. It is safe for
// concurrent use once loaded; adding while verifying is also safe.
type Store struct {
	mu        sync.RWMutex
	cscas     []*CSCA
	byHash    map[[32]byte]*CSCA
	bySubject map[string][]*CSCA // Name.Key() of the subject
	byKeyID   map[string][]*CSCA // subject key identifier
	crls      []*CRL

	// verified caches signature checks between certificates (child hash,
	// parent hash), which repeat for every document of one signer.
	verified sync.Map
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		byHash:    map[[32]byte]*CSCA{},
		bySubject: map[string][]*CSCA{},
		byKeyID:   map[string][]*CSCA{},
	}
}

// IsCSCACandidate reports whether a certificate may act as a CSCA: its key
// usage, when present, must allow signing certificates. (Basic constraints
// are not used: several real CSCAs carry cA FALSE.)
func IsCSCACandidate(c *cms.Certificate) bool {
	return !c.HasKeyUsage || c.KeyUsage&x509.KeyUsageCertSign != 0
}

// AddCertificate adds a CSCA or link certificate. added is false when the
// store already held it (the source is recorded all the same); an error
// means the certificate cannot act as a CSCA.
func (s *Store) AddCertificate(c *cms.Certificate, source string, fromMasterList bool) (added bool, err error) {
	if !IsCSCACandidate(c) {
		return false, fmt.Errorf("%q is not a CA certificate: its key usage does not allow signing certificates", c.Subject)
	}
	h := sha256.Sum256(c.Raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byHash[h]; ok {
		e.Sources = append(e.Sources, source)
		e.FromMasterList = e.FromMasterList && fromMasterList
		return false, nil
	}
	e := &CSCA{
		Cert:           c,
		Country:        c.Subject.Country(),
		Sources:        []string{source},
		Link:           isLink(c),
		FromMasterList: fromMasterList,
	}
	s.cscas = append(s.cscas, e)
	s.byHash[h] = e
	s.bySubject[c.Subject.Key()] = append(s.bySubject[c.Subject.Key()], e)
	if kid := c.KeyIdentifier(); len(kid) > 0 {
		s.byKeyID[string(kid)] = append(s.byKeyID[string(kid)], e)
	}
	return true, nil
}

// Len returns the number of distinct certificates in the store.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cscas)
}

// CSCAs returns the certificates sorted by country, subject and validity.
func (s *Store) CSCAs() []*CSCA {
	s.mu.RLock()
	out := append([]*CSCA(nil), s.cscas...)
	s.mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		if as, bs := a.Cert.Subject.String(), b.Cert.Subject.String(); as != bs {
			return as < bs
		}
		return a.Cert.NotBefore.Before(b.Cert.NotBefore)
	})
	return out
}

// Countries returns the distinct countries of the store's CSCAs.
func (s *Store) Countries() []string {
	set := map[string]bool{}
	for _, c := range s.CSCAs() {
		set[c.Country] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// CRLs returns the loaded CRLs.
func (s *Store) CRLs() []*CRL {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*CRL(nil), s.crls...)
}

// issuerCandidates returns the CSCAs that may have issued cert: those whose
// key identifier is cert's authority key identifier, then those whose
// subject is cert's issuer name. Self-signed certificates come first.
func (s *Store) issuerCandidates(cert *cms.Certificate, exclude *CSCA) []*CSCA {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[*CSCA]bool{exclude: true}
	var out []*CSCA
	add := func(list []*CSCA) {
		for _, c := range list {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	if len(cert.AuthorityKeyID) > 0 {
		add(s.byKeyID[string(cert.AuthorityKeyID)])
	}
	add(s.bySubject[cert.Issuer.Key()])
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Link && out[j].Link })
	return out
}

// checkSignedBy verifies that parent's key signed child, caching the
// answer: the same document signer is checked for every passport it signed.
func (s *Store) checkSignedBy(child, parent *cms.Certificate) error {
	key := [2][32]byte{sha256.Sum256(child.Raw), sha256.Sum256(parent.Raw)}
	if v, ok := s.verified.Load(key); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := child.CheckSignatureFrom(parent)
	if err == nil {
		s.verified.Store(key, nil)
	} else {
		s.verified.Store(key, err)
	}
	return err
}

// ClearSignatureCache forgets the cached certificate signature checks, so
// the next check of each document signer verifies its signature again.
// The cache is sound without this (a check depends only on the two
// certificates' bytes); it bounds memory on a long-running gate and lets
// benchmarks measure a signer's first document.
func (s *Store) ClearSignatureCache() {
	s.verified.Clear()
}

// isLink tells a link certificate from a self-signed CSCA certificate.
func isLink(c *cms.Certificate) bool {
	if !c.IsSelfIssued() {
		return true
	}
	return len(c.AuthorityKeyID) > 0 && len(c.SubjectKeyID) > 0 && !bytes.Equal(c.AuthorityKeyID, c.SubjectKeyID)
}

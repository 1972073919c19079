package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// MaxCRLSize bounds one CRL file.
const MaxCRLSize = 16 << 20

// CRL is a certificate revocation list issued by a CSCA, with its signature
// checked against that CSCA when it was added.
type CRL struct {
	Source     string
	Issuer     cms.Name
	IssuerCSCA *CSCA // the CSCA whose key verified the CRL's signature
	ThisUpdate time.Time
	NextUpdate time.Time // zero when absent
	revoked    map[string]time.Time
}

// Revoked reports whether serial is on the list, and since when.
func (c *CRL) Revoked(serial *big.Int) (time.Time, bool) {
	t, ok := c.revoked[serial.String()]
	return t, ok
}

// Len returns the number of revoked serials.
func (c *CRL) Len() int { return len(c.revoked) }

// ErrCRLIssuerUnknown is wrapped when no CSCA in the store verifies a CRL.
var ErrCRLIssuerUnknown = errors.New("CRL issuer not in the trust store")

type crlOuter struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// AddCRL parses a DER CRL, checks its signature against the CSCA that
// issued it (which must already be in the store), and keeps it for
// revocation checks.
func (s *Store) AddCRL(der []byte, source string) (*CRL, error) {
	if len(der) > MaxCRLSize {
		return nil, fmt.Errorf("CRL of %d bytes exceeds the %d-byte limit", len(der), MaxCRLSize)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("unreadable CRL: %w", err)
	}
	var outer crlOuter
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return nil, fmt.Errorf("unreadable CRL: %w", err)
	}
	issuer, err := cms.ParseName(rl.RawIssuer)
	if err != nil {
		return nil, fmt.Errorf("CRL issuer: %w", err)
	}
	alg := cms.AlgorithmIdentifier{Algorithm: outer.Algorithm.Algorithm}
	if p := outer.Algorithm.Parameters; len(p.FullBytes) > 0 && p.Tag != asn1.TagNull {
		alg.Parameters = p.FullBytes
	}
	// Find the CSCA by key identifier and name, as for certificates.
	probe := &cms.Certificate{Issuer: issuer, AuthorityKeyID: rl.AuthorityKeyId}
	var verifier *CSCA
	var lastErr error
	for _, c := range s.issuerCandidates(probe, nil) {
		if c.Cert.PublicKey == nil {
			continue
		}
		if err := cms.VerifySignature(c.Cert.PublicKey, alg, 0, rl.RawTBSRevocationList, outer.Signature.RightAlign()); err != nil {
			lastErr = err
			continue
		}
		verifier = c
		break
	}
	if verifier == nil {
		if lastErr != nil {
			return nil, fmt.Errorf("%w: no CSCA named %q verifies its signature (%v)", ErrCRLIssuerUnknown, issuer, lastErr)
		}
		return nil, fmt.Errorf("%w: no CSCA named %q; load the CSCA before its CRL", ErrCRLIssuerUnknown, issuer)
	}
	crl := &CRL{
		Source:     source,
		Issuer:     issuer,
		IssuerCSCA: verifier,
		ThisUpdate: rl.ThisUpdate.UTC(),
		NextUpdate: rl.NextUpdate.UTC(),
		revoked:    make(map[string]time.Time, len(rl.RevokedCertificateEntries)),
	}
	for _, e := range rl.RevokedCertificateEntries {
		crl.revoked[e.SerialNumber.String()] = e.RevocationTime.UTC()
	}
	s.mu.Lock()
	s.crls = append(s.crls, crl)
	s.mu.Unlock()
	return crl, nil
}

// crlsFor returns the CRLs whose issuer is the CSCA's subject and whose
// signature verified with a key of that name.
func (s *Store) crlsFor(csca *CSCA) []*CRL {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*CRL
	for _, c := range s.crls {
		if c.Issuer.Equal(csca.Cert.Subject) {
			out = append(out, c)
		}
	}
	return out
}

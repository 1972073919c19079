package trust

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// Stable reason codes of a chain check; Doc 9303 part 12 terms.
const (
	ReasonTrustStoreEmpty        = "trust_store_empty"
	ReasonNotChaining            = "ds_not_chaining"
	ReasonDSExpiredAtSigning     = "ds_expired_at_signing"
	ReasonDSNotYetValidAtSigning = "ds_not_yet_valid_at_signing"
	ReasonDSKeyUsage             = "ds_key_usage"
	ReasonDSRevoked              = "ds_revoked"
	ReasonCSCAExpired            = "csca_expired"
	ReasonCSCANotYetValid        = "csca_not_yet_valid"
)

// Revocation states reported with every chain.
const (
	RevocationNotRevoked = "not_revoked" // a CRL of the CSCA covers the signer and does not list it
	RevocationNoCRL      = "no_crl"      // the store holds no CRL of the CSCA: unknown
	RevocationRevoked    = "revoked"
)

// SigningTime is when a document was signed, if known: from the SOD's
// signingTime attribute, or from the document's date of issue.
type SigningTime struct {
	Time  time.Time
	Known bool
}

// Chain is the outcome of checking a document signer certificate.
type Chain struct {
	OK     bool
	Reason string // one of the Reason constants; "" when OK
	Detail string // what failed, in words

	CSCA *CSCA // the CSCA (or link certificate) whose key signed the DS
	// Path is the DS certificate, the CSCA that signed it and, when that is
	// a link certificate, the CSCAs up to a self-signed one.
	Path []*cms.Certificate

	// SigningTime is the time the DS validity was checked at: the signing
	// time when known, else the check time.
	SigningTime      time.Time
	SigningTimeKnown bool
	// DSValidAtSigning: the DS certificate (and its private key usage
	// period, when present) covered the signing time.
	DSValidAtSigning bool
	// DSExpiredNow: the DS certificate has expired at the check time. Not a
	// failure: documents outlive the signer's certificate's key usage, and
	// Doc 9303 practice is to judge the DS at signing time.
	DSExpiredNow bool
	Revocation   string
	RevokedAt    time.Time
	CRLStale     bool // the newest applicable CRL's nextUpdate has passed
}

// maxLinkDepth bounds how many link certificates a path may climb.
const maxLinkDepth = 8

// CheckDocumentSigner checks a document signer certificate against the
// store at time at: it must be signed by a CSCA in the store (through link
// certificates if need be), the CSCA must be valid at at, the DS must have
// been valid at signing time, and no CRL of the CSCA may list it.
func (s *Store) CheckDocumentSigner(ds *cms.Certificate, signing SigningTime, at time.Time) Chain {
	ch := Chain{SigningTime: at, SigningTimeKnown: signing.Known, Revocation: RevocationNoCRL}
	if signing.Known {
		ch.SigningTime = signing.Time
	}
	ch.DSExpiredNow = at.After(ds.NotAfter)
	ch.DSValidAtSigning = validAtSigning(ds, ch.SigningTime, signing.Known)
	if s.Len() == 0 {
		return ch.fail(ReasonTrustStoreEmpty, "the trust store holds no CSCA certificate: load master lists or CSCA certificates")
	}

	csca, path, reason, detail := s.findTrustedIssuer(ds, at)
	if csca == nil {
		return ch.fail(reason, detail)
	}
	ch.CSCA = csca
	ch.Path = append([]*cms.Certificate{ds}, path...)
	if reason != "" {
		return ch.fail(reason, detail)
	}

	if ds.HasKeyUsage && ds.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return ch.fail(ReasonDSKeyUsage, fmt.Sprintf("document signer %q: key usage does not allow digital signatures", ds.Subject))
	}
	if !ch.DSValidAtSigning {
		when := "at the check time " + at.Format(time.RFC3339) +
			" (the signing time is unknown: the SOD carries no signingTime; give the document's date of issue to judge the signer then)"
		if signing.Known {
			when = "at signing time " + signing.Time.Format(time.RFC3339)
		}
		period := fmt.Sprintf("valid %s to %s", ds.NotBefore.Format(time.DateOnly), ds.NotAfter.Format(time.DateOnly))
		if signing.Known && (!ds.PrivateKeyNotBefore.IsZero() || !ds.PrivateKeyNotAfter.IsZero()) {
			period += fmt.Sprintf(", private key usable %s to %s", fmtDate(ds.PrivateKeyNotBefore), fmtDate(ds.PrivateKeyNotAfter))
		}
		reason := ReasonDSExpiredAtSigning
		if ch.SigningTime.Before(ds.NotBefore) || (signing.Known && !ds.PrivateKeyNotBefore.IsZero() && ch.SigningTime.Before(ds.PrivateKeyNotBefore)) {
			reason = ReasonDSNotYetValidAtSigning
		}
		return ch.fail(reason, fmt.Sprintf("document signer %q (%s) was not valid %s", ds.Subject, period, when))
	}

	for _, crl := range s.crlsFor(csca) {
		if revokedAt, ok := crl.Revoked(ds.SerialNumber); ok {
			ch.Revocation, ch.RevokedAt = RevocationRevoked, revokedAt
			return ch.fail(ReasonDSRevoked, fmt.Sprintf("document signer %q serial %s is revoked since %s by the CRL of %q (%s)",
				ds.Subject, ds.SerialNumber, revokedAt.Format(time.DateOnly), crl.Issuer, crl.Source))
		}
		ch.Revocation = RevocationNotRevoked
		ch.CRLStale = !crl.NextUpdate.IsZero() && at.After(crl.NextUpdate)
	}
	ch.OK = true
	return ch
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

// validAtSigning checks the DS certificate at t and, when t is the real
// signing time, its private key usage period too: that period (a few
// months) bounds when the key signs, not how long its documents live.
func validAtSigning(ds *cms.Certificate, t time.Time, isSigningTime bool) bool {
	if !ds.ValidAt(t) {
		return false
	}
	if !isSigningTime {
		return true
	}
	if !ds.PrivateKeyNotBefore.IsZero() && t.Before(ds.PrivateKeyNotBefore) {
		return false
	}
	if !ds.PrivateKeyNotAfter.IsZero() && t.After(ds.PrivateKeyNotAfter) {
		return false
	}
	return true
}

func (ch Chain) fail(reason, detail string) Chain {
	ch.OK, ch.Reason, ch.Detail = false, reason, detail
	return ch
}

// findTrustedIssuer finds the CSCA whose key signed cert. Among the
// candidates that verify, one valid at at and anchored in a self-signed
// CSCA is preferred; when the only ones that verify are expired or not yet
// valid, that CSCA is returned with the matching reason.
func (s *Store) findTrustedIssuer(cert *cms.Certificate, at time.Time) (csca *CSCA, path []*cms.Certificate, reason, detail string) {
	cands := s.issuerCandidates(cert, nil)
	if len(cands) == 0 {
		return nil, nil, ReasonNotChaining, fmt.Sprintf("no CSCA in the trust store is named %q or has key identifier %x (issuer of %q)",
			cert.Issuer, cert.AuthorityKeyID, cert.Subject)
	}
	var fallback *CSCA
	var fallbackPath []*cms.Certificate
	var fallbackReason, fallbackDetail string
	var failures []string
	for _, c := range cands {
		if err := s.checkSignedBy(cert, c.Cert); err != nil {
			failures = append(failures, fmt.Sprintf("%q (serial %s): %v", c.Cert.Subject, c.Cert.SerialNumber, err))
			continue
		}
		p, err := s.anchorPath(c, 0)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%q (serial %s) verifies but %v", c.Cert.Subject, c.Cert.SerialNumber, err))
			continue
		}
		switch {
		case at.Before(c.Cert.NotBefore):
			if fallback == nil {
				fallback, fallbackPath, fallbackReason = c, p, ReasonCSCANotYetValid
				fallbackDetail = fmt.Sprintf("CSCA %q is valid only from %s", c.Cert.Subject, c.Cert.NotBefore.Format(time.DateOnly))
			}
		case at.After(c.Cert.NotAfter):
			if fallback == nil || fallbackReason != ReasonCSCAExpired {
				fallback, fallbackPath, fallbackReason = c, p, ReasonCSCAExpired
				fallbackDetail = fmt.Sprintf("CSCA %q expired on %s", c.Cert.Subject, c.Cert.NotAfter.Format(time.DateOnly))
			}
		default:
			return c, p, "", ""
		}
	}
	if fallback != nil {
		return fallback, fallbackPath, fallbackReason, fallbackDetail
	}
	return nil, nil, ReasonNotChaining, fmt.Sprintf("%d CSCA(s) match the issuer of %q but none verifies its signature: %s",
		len(cands), cert.Subject, strings.Join(failures, "; "))
}

// anchorPath returns c and, for a link certificate, the certificates up to
// a self-signed CSCA in the store, each signature verified.
func (s *Store) anchorPath(c *CSCA, depth int) ([]*cms.Certificate, error) {
	if !c.Link {
		// A self-signed CSCA is trusted by being in the store, but a
		// certificate whose own signature fails is damaged or not what it
		// claims: it anchors nothing. (Checked once, then cached.)
		if err := s.checkSignedBy(c.Cert, c.Cert); err != nil {
			return nil, fmt.Errorf("is a self-signed CSCA certificate whose own signature does not verify: %w", err)
		}
		return []*cms.Certificate{c.Cert}, nil
	}
	if depth >= maxLinkDepth {
		return nil, fmt.Errorf("link certificates chain more than %d deep", maxLinkDepth)
	}
	var errs []string
	for _, parent := range s.issuerCandidates(c.Cert, c) {
		if err := s.checkSignedBy(c.Cert, parent.Cert); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		rest, err := s.anchorPath(parent, depth+1)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return append([]*cms.Certificate{c.Cert}, rest...), nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("is a link certificate whose issuing CSCA %q (key identifier %x) is not in the trust store", c.Cert.Issuer, c.Cert.AuthorityKeyID)
	}
	return nil, fmt.Errorf("is a link certificate that no CSCA in the store verifies: %s", strings.Join(errs, "; "))
}

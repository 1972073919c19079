package cvc

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// Errors of chain verification, each wrapped with the certificate's
// names.
var (
	// ErrUnknownCAR: no trust point or verified certificate has the key
	// the certificate names as its signer (wrong CVCA, or a chain handed
	// in out of order).
	ErrUnknownCAR = errors.New("cvc: the certificate's CAR names no known key")
	// ErrExpired: the certificate's expiration date is before the date
	// checked against.
	ErrExpired = errors.New("cvc: certificate expired")
	// ErrNotYetValid: the certificate's effective date is after the date
	// checked against.
	ErrNotYetValid = errors.New("cvc: certificate not yet valid")
	// ErrRole: the certificate's role does not fit under its issuer's
	// (a DV certificate must come from a CVCA, an IS certificate from a
	// DV), or the terminal types differ.
	ErrRole = errors.New("cvc: certificate role does not fit the chain")
)

// TrustPoint is a CVCA key the chip trusts: the public key with its
// domain parameters, and the CHR later certificates name as their CAR.
type TrustPoint struct {
	CAR      string
	Key      PublicKey
	Terminal asn1.ObjectIdentifier // nil: id-IS
}

// TrustPoint is the trust point a CVCA certificate makes.
func (c *Certificate) TrustPoint() TrustPoint {
	return TrustPoint{CAR: c.CHR, Key: c.PublicKey, Terminal: c.CHAT.Terminal}
}

// Authorization is a verified key: where it sits in the PKI and the rights
// the chain grants it.
type Authorization struct {
	CHR      string
	Key      PublicKey // with domain parameters
	Role     Role
	Rights   Rights // intersection along the chain
	Terminal asn1.ObjectIdentifier
}

// Verifier verifies certificates one at a time against its trust points
// and the keys of certificates verified before, as a chip does between
// MSE:Set DST and PSO:Verify Certificate.
type Verifier struct {
	// Date is the date certificates are checked at (the chip's current
	// date).
	Date time.Time
	keys map[string]Authorization
}

// NewVerifier starts a verifier with trust points, checking at date.
func NewVerifier(date time.Time, trust ...TrustPoint) *Verifier {
	v := &Verifier{Date: Day(date), keys: map[string]Authorization{}}
	for _, t := range trust {
		term := t.Terminal
		if term == nil {
			term = OIDInspectionSystem
		}
		v.keys[t.CAR] = Authorization{CHR: t.CAR, Key: t.Key, Role: RoleCVCA, Rights: AllRights, Terminal: term}
	}
	return v
}

// Key returns the verified key named ref, if any.
func (v *Verifier) Key(ref string) (Authorization, bool) {
	a, ok := v.keys[ref]
	return a, ok
}

// Verify checks cert against the key its CAR names: signature, validity at
// v.Date, role and terminal type under the issuer. It records the
// certificate's key (rights narrowed to the issuer's) for the next
// certificate, and returns it.
func (v *Verifier) Verify(cert *Certificate) (Authorization, error) {
	issuer, ok := v.keys[cert.CAR]
	if !ok {
		return Authorization{}, fmt.Errorf("%w: %s names %q", ErrUnknownCAR, cert.CHR, cert.CAR)
	}
	if err := issuer.Key.Verify(cert.Body, cert.Signature); err != nil {
		return Authorization{}, fmt.Errorf("certificate %s signed by %s: %w", cert.CHR, cert.CAR, err)
	}
	if v.Date.Before(cert.Effective) {
		return Authorization{}, fmt.Errorf("%w: %s takes effect %s, the date is %s", ErrNotYetValid, cert.CHR, day(cert.Effective), day(v.Date))
	}
	if v.Date.After(cert.Expiry) {
		return Authorization{}, fmt.Errorf("%w: %s expired %s, the date is %s", ErrExpired, cert.CHR, day(cert.Expiry), day(v.Date))
	}
	role := cert.CHAT.Role()
	switch {
	case !cert.CHAT.Terminal.Equal(issuer.Terminal):
		return Authorization{}, fmt.Errorf("%w: %s is for terminal type %v, its issuer %s for %v", ErrRole, cert.CHR, cert.CHAT.Terminal, cert.CAR, issuer.Terminal)
	case role == RoleCVCA && issuer.Role != RoleCVCA,
		role.IsDV() && issuer.Role != RoleCVCA,
		role == RoleTerminal && !issuer.Role.IsDV():
		return Authorization{}, fmt.Errorf("%w: a %s certificate (%s) issued by a %s (%s)", ErrRole, role, cert.CHR, issuer.Role, cert.CAR)
	}
	key := cert.PublicKey.Inherit(issuer.Key)
	if key.IsECDSA() {
		if _, err := key.ECDSA(); err != nil {
			return Authorization{}, fmt.Errorf("certificate %s: %w", cert.CHR, err)
		}
	}
	a := Authorization{CHR: cert.CHR, Key: key, Role: role, Rights: cert.CHAT.Rights() & issuer.Rights, Terminal: issuer.Terminal}
	v.keys[cert.CHR] = a
	return a, nil
}

// VerifyChain verifies a chain, ordered from the certificate the trust
// point signed down to the terminal's, at date. It returns the last
// certificate's authorization.
func VerifyChain(trust []TrustPoint, chain []*Certificate, date time.Time) (Authorization, error) {
	if len(chain) == 0 {
		return Authorization{}, errors.New("cvc: empty certificate chain")
	}
	v := NewVerifier(date, trust...)
	var a Authorization
	for _, c := range chain {
		var err error
		if a, err = v.Verify(c); err != nil {
			return Authorization{}, err
		}
	}
	return a, nil
}

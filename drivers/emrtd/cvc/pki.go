package cvc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"time"
)

// Holder is a certificate with its private key: a CVCA, DV or inspection
// system of a test PKI.
type Holder struct {
	Cert *Certificate
	Key  crypto.Signer
}

// Template describes a certificate to issue.
type Template struct {
	// CHR is the holder reference: country code, mnemonic, sequence number
	// ("UTCVCA00001").
	CHR string
	// Rights are the read rights granted (CVCA and DV templates usually
	// grant all).
	Rights Rights
	// Effective and Expiry are the validity dates (days, UTC).
	Effective, Expiry time.Time
	// Key is the holder's key; nil draws a fresh one of the issuer's kind
	// (the CVCA's curve, or RSA of the CVCA's size).
	Key crypto.Signer
	// Algorithm is the holder key's id-TA-… algorithm; nil: the issuer's.
	Algorithm asn1.ObjectIdentifier
	// Terminal is the CHAT's terminal type; nil: id-IS.
	Terminal asn1.ObjectIdentifier
	Rand     io.Reader
}

// NewCVCA makes a self-signed CVCA certificate for t.Key (which NewCVCA
// needs) signing with t.Algorithm.
func NewCVCA(t Template) (*Holder, error) {
	if t.Key == nil || t.Algorithm == nil {
		return nil, errors.New("cvc: a CVCA needs a key and an algorithm")
	}
	self := &Holder{Key: t.Key, Cert: &Certificate{CHR: t.CHR}}
	return issue(self, t, RoleCVCA, true)
}

// Link issues a link certificate: a new CVCA key signed by the old one.
func (h *Holder) Link(t Template) (*Holder, error) {
	if h.Cert.CHAT.Role() != RoleCVCA {
		return nil, fmt.Errorf("%w: only a CVCA issues link certificates", ErrRole)
	}
	return issue(h, t, RoleCVCA, false)
}

// IssueDV issues a document verifier certificate (domestic or foreign).
func (h *Holder) IssueDV(t Template, domestic bool) (*Holder, error) {
	role := RoleDVForeign
	if domestic {
		role = RoleDVDomestic
	}
	return issue(h, t, role, false)
}

// IssueIS issues an inspection system certificate.
func (h *Holder) IssueIS(t Template) (*Holder, error) {
	return issue(h, t, RoleTerminal, false)
}

func issue(issuer *Holder, t Template, role Role, selfSigned bool) (*Holder, error) {
	rng := t.Rand
	if rng == nil {
		rng = rand.Reader
	}
	if t.Key == nil {
		var err error
		switch k := issuer.Key.Public().(type) {
		case *ecdsa.PublicKey:
			t.Key, err = ecdsa.GenerateKey(k.Curve, rng)
		case *rsa.PublicKey:
			t.Key, err = rsa.GenerateKey(rng, k.N.BitLen())
		default:
			err = fmt.Errorf("cvc: cannot draw a key like a %T", k)
		}
		if err != nil {
			return nil, err
		}
	}
	alg := t.Algorithm
	if alg == nil {
		alg = issuer.Cert.PublicKey.Algorithm
	}
	pub, err := PublicKeyOf(t.Key.Public(), alg)
	if err != nil {
		return nil, err
	}
	chat := NewCHAT(role, t.Rights)
	if t.Terminal != nil {
		chat.Terminal = t.Terminal
	}
	car := issuer.Cert.CHR
	signAlg := alg
	if !selfSigned {
		signAlg = issuer.Cert.PublicKey.Algorithm
	}
	c := &Certificate{CAR: car, CHR: t.CHR, PublicKey: pub, CHAT: chat, Effective: Day(t.Effective), Expiry: Day(t.Expiry)}
	if c.Body, err = c.encodeBody(role == RoleCVCA); err != nil {
		return nil, err
	}
	if c.Signature, err = Sign(issuer.Key, signAlg, c.Body, rng); err != nil {
		return nil, err
	}
	c.Encode()
	// Parse back what was written, so the holder's certificate is exactly
	// what a chip will see.
	parsed, err := Parse(c.Raw)
	if err != nil {
		return nil, fmt.Errorf("cvc: the certificate just issued does not parse: %w", err)
	}
	return &Holder{Cert: parsed, Key: t.Key}, nil
}

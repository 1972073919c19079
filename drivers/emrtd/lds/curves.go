package lds

import (
	"crypto/elliptic"
	"encoding/asn1"
	"math/big"
	"strings"

	"autogate/drivers/emrtd/ecparams"
)

// Curve is a prime-field elliptic curve y² = x³ + ax + b over GF(P) with
// base point (Gx, Gy) of order N and cofactor H.
type Curve struct {
	// Name is the curve's name ("brainpoolP256r1", "P-256") when the key
	// named it or its explicit parameters equal a known curve; empty
	// otherwise.
	Name string
	// OID is the named-curve identifier of a known curve, nil otherwise.
	OID                   asn1.ObjectIdentifier
	P, A, B, Gx, Gy, N, H *big.Int
	// Explicit reports whether the key carried explicit domain parameters
	// rather than a curve identifier; MarshalPublicKey keeps the form.
	Explicit bool
}

// ByteLen is the length of a field element in bytes.
func (c *Curve) ByteLen() int { return (c.P.BitLen() + 7) / 8 }

// onCurve reports whether (x, y) satisfies the curve equation with both
// coordinates reduced.
func (c *Curve) onCurve(x, y *big.Int) bool { return ecparams.OnCurve(c.P, c.A, c.B, x, y) }

// nistCurve returns the standard library curve of this name; only these
// convert to crypto/ecdsa keys.
func nistCurve(name string) (elliptic.Curve, bool) {
	c, ok := ecparams.ByName(name)
	if !ok || !c.Native() || !strings.HasPrefix(name, "P-") {
		return nil, false
	}
	return c.Elliptic(), true
}

// knownCurves are the curves of package ecparams: ICAO 9303-11 table 12
// (standardized domain parameters for PACE) and the NIST curves.
var knownCurves = func() []*Curve {
	var out []*Curve
	for _, c := range ecparams.All() {
		out = append(out, fromParams(c))
	}
	return out
}()

// fromParams copies an ecparams curve, so callers may change theirs.
func fromParams(c *ecparams.Curve) *Curve {
	return &Curve{Name: c.Name, OID: c.OID, P: c.P, A: c.A, B: c.B, Gx: c.Gx, Gy: c.Gy, N: c.N, H: c.H}
}

// CurveByName returns a copy of a known curve: "P-192", "P-224", "P-256",
// "P-384", "P-521", "brainpoolP192r1" … "brainpoolP512r1".
func CurveByName(name string) (*Curve, bool) {
	c, ok := ecparams.ByName(name)
	if !ok {
		return nil, false
	}
	return fromParams(c), true
}

func curveByOID(oid asn1.ObjectIdentifier) (*Curve, bool) {
	c, ok := ecparams.ByOID(oid)
	if !ok {
		return nil, false
	}
	return fromParams(c), true
}

// recognise names explicit parameters that equal a known curve.
func recognise(c *Curve) {
	if k, ok := ecparams.ByParams(c.P, c.A, c.B, c.Gx, c.Gy, c.N); ok {
		c.Name, c.OID = k.Name, k.OID
	}
}

package chipauth

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"autogate/drivers/emrtd/ecparams"
	"autogate/drivers/emrtd/lds"
)

// Algorithm identifiers of SubjectPublicKeyInfo.
var (
	oidECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrimeField     = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	oidRSA            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidDHKeyAgree     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 3, 1} // PKCS #3
	oidDHPublicNumber = asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}     // ANSI X9.42
)

// Size limits on keys from a chip: big enough for every issued document,
// small enough that a hostile key cannot make the terminal compute for long.
const (
	maxDHBits  = 4096
	minDHBits  = 1024
	maxRSABits = 4096
	minRSABits = 1024
)

// ErrKey marks a public key the terminal cannot use: malformed, of an
// unsupported type, or with parameters outside the limits.
var ErrKey = errors.New("chipauth: unusable public key")

// DHParameters are Diffie-Hellman domain parameters: prime P, generator G,
// and, when known (ANSI X9.42), the order Q of G's subgroup.
type DHParameters struct {
	P, G, Q *big.Int
}

// DHPublicKey is a Diffie-Hellman public key Y = G^X mod P.
type DHPublicKey struct {
	DHParameters
	Y *big.Int
}

// DHPrivateKey is a Diffie-Hellman key pair.
type DHPrivateKey struct {
	DHPublicKey
	X *big.Int
}

// Public returns the public half.
func (k *DHPrivateKey) Public() crypto.PublicKey { return &k.DHPublicKey }

// GenerateDHKey draws a key pair on the parameters: X uniform in [1, Q−1]
// when Q is known, else an exponent of half the prime's length (at least
// 256 bits).
func GenerateDHKey(params DHParameters, rng io.Reader) (*DHPrivateKey, error) {
	if rng == nil {
		rng = rand.Reader
	}
	if err := params.check(); err != nil {
		return nil, err
	}
	limit := params.Q
	if limit == nil {
		// Without the subgroup order, an exponent of half the prime's size
		// (at least 256 bits) keeps the key's strength.
		limit = new(big.Int).Lsh(big.NewInt(1), uint(max(256, params.P.BitLen()/2)))
	}
	x, err := randScalar(rng, limit)
	if err != nil {
		return nil, err
	}
	y := new(big.Int).Exp(params.G, x, params.P)
	return &DHPrivateKey{DHPublicKey: DHPublicKey{DHParameters: params, Y: y}, X: x}, nil
}

func (p DHParameters) check() error {
	if p.P == nil || p.G == nil {
		return fmt.Errorf("%w: DH parameters without prime or generator", ErrKey)
	}
	if bits := p.P.BitLen(); bits < minDHBits || bits > maxDHBits || p.P.Bit(0) == 0 {
		return fmt.Errorf("%w: DH prime of %d bits (want an odd prime of %d to %d bits)", ErrKey, bits, minDHBits, maxDHBits)
	}
	pm1 := new(big.Int).Sub(p.P, big.NewInt(1))
	if p.G.Cmp(big.NewInt(1)) <= 0 || p.G.Cmp(pm1) >= 0 {
		return fmt.Errorf("%w: DH generator outside 2..p-2", ErrKey)
	}
	if p.Q != nil && (p.Q.Sign() <= 0 || p.Q.Cmp(p.P) >= 0) {
		return fmt.Errorf("%w: DH subgroup order outside 1..p-1", ErrKey)
	}
	return nil
}

// checkPublic checks 1 < y < p−1 and, when Q is known, that y lies in the
// subgroup of order Q.
func (p DHParameters) checkPublic(y *big.Int) error {
	pm1 := new(big.Int).Sub(p.P, big.NewInt(1))
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pm1) >= 0 {
		return fmt.Errorf("%w: DH public value outside 2..p-2", ErrKey)
	}
	if p.Q != nil && new(big.Int).Exp(y, p.Q, p.P).Cmp(big.NewInt(1)) != 0 {
		return fmt.Errorf("%w: DH public value outside the subgroup of order q", ErrKey)
	}
	return nil
}

// randScalar draws k uniform in [1, limit−1].
func randScalar(rng io.Reader, limit *big.Int) (*big.Int, error) {
	if limit.Cmp(big.NewInt(2)) < 0 {
		return nil, errors.New("chipauth: scalar range too small")
	}
	max := new(big.Int).Sub(limit, big.NewInt(1))
	k, err := rand.Int(rng, max)
	if err != nil {
		return nil, fmt.Errorf("chipauth: random source: %w", err)
	}
	return k.Add(k, big.NewInt(1)), nil
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

type ecParameters struct {
	Version  int
	FieldID  fieldID
	Curve    curve
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

type fieldID struct {
	FieldType asn1.ObjectIdentifier
	Prime     *big.Int
}

type curve struct {
	A, B []byte
	Seed asn1.BitString `asn1:"optional"`
}

type dhParameter struct { // PKCS #3
	P, G               *big.Int
	PrivateValueLength int `asn1:"optional"`
}

type dhDomainParameters struct { // ANSI X9.42
	P, G, Q *big.Int
	Rest    asn1.RawValue `asn1:"optional"`
	More    asn1.RawValue `asn1:"optional"`
}

// ParsePublicKeyInfo decodes a SubjectPublicKeyInfo (X.509) as DG14 and
// DG15 carry it: RSA (*rsa.PublicKey), EC with a named curve or explicit
// prime-field parameters (*ecdsa.PublicKey; unknown curves become a
// *Weierstrass), DH with PKCS #3 or X9.42 parameters (*DHPublicKey).
func ParsePublicKeyInfo(der []byte) (crypto.PublicKey, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo: %v", ErrKey, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the SubjectPublicKeyInfo", ErrKey, len(rest))
	}
	alg := spki.Algorithm.Algorithm
	switch {
	case alg.Equal(oidRSA):
		// Parsed by hand rather than with crypto/x509: real documents (the
		// BSI 2008 test passport among them) encode the modulus without
		// its leading zero byte, which DER reads as negative; the bytes
		// are meant unsigned.
		var raw struct {
			N asn1.RawValue
			E int
		}
		if rest, err := asn1.Unmarshal(spki.PublicKey.RightAlign(), &raw); err != nil || len(rest) != 0 || raw.N.Tag != asn1.TagInteger {
			return nil, fmt.Errorf("%w: RSA public key is not SEQUENCE { modulus, exponent } (%v)", ErrKey, err)
		}
		rk := &rsa.PublicKey{N: new(big.Int).SetBytes(raw.N.Bytes), E: raw.E}
		if bits := rk.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("%w: RSA modulus of %d bits (want %d to %d)", ErrKey, bits, minRSABits, maxRSABits)
		}
		if rk.E < 3 || rk.E%2 == 0 {
			return nil, fmt.Errorf("%w: RSA exponent %d", ErrKey, rk.E)
		}
		return rk, nil
	case alg.Equal(oidECPublicKey):
		c, err := parseECParameters(spki.Algorithm.Parameters)
		if err != nil {
			return nil, err
		}
		x, y, err := unmarshalPoint(c, spki.PublicKey.RightAlign())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
	case alg.Equal(oidDHKeyAgree), alg.Equal(oidDHPublicNumber):
		var params DHParameters
		if alg.Equal(oidDHKeyAgree) {
			var p dhParameter
			if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &p); err != nil {
				return nil, fmt.Errorf("%w: PKCS #3 DH parameters: %v", ErrKey, err)
			}
			params = DHParameters{P: p.P, G: p.G}
		} else {
			var p dhDomainParameters
			if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &p); err != nil {
				return nil, fmt.Errorf("%w: X9.42 DH parameters: %v", ErrKey, err)
			}
			params = DHParameters{P: p.P, G: p.G, Q: p.Q}
		}
		if err := params.check(); err != nil {
			return nil, err
		}
		var y *big.Int
		if rest, err := asn1.Unmarshal(spki.PublicKey.RightAlign(), &y); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: DH public value is not one INTEGER", ErrKey)
		}
		if err := params.checkPublic(y); err != nil {
			return nil, err
		}
		return &DHPublicKey{DHParameters: params, Y: y}, nil
	}
	return nil, fmt.Errorf("%w: algorithm %v not supported", ErrKey, alg)
}

func parseECParameters(raw asn1.RawValue) (elliptic.Curve, error) {
	if raw.Tag == asn1.TagOID && raw.Class == asn1.ClassUniversal {
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(raw.FullBytes, &oid); err != nil {
			return nil, fmt.Errorf("%w: curve OID: %v", ErrKey, err)
		}
		c, ok := curveByOID(oid)
		if !ok {
			return nil, fmt.Errorf("%w: named curve %v not supported (explicit parameters are)", ErrKey, oid)
		}
		return c, nil
	}
	var ep ecParameters
	if rest, err := asn1.Unmarshal(raw.FullBytes, &ep); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: explicit EC parameters: %v", ErrKey, err)
	}
	if !ep.FieldID.FieldType.Equal(oidPrimeField) || ep.FieldID.Prime == nil || ep.Order == nil {
		return nil, fmt.Errorf("%w: EC parameters over a field other than a prime field", ErrKey)
	}
	if ep.Cofactor != nil && ep.Cofactor.Cmp(big.NewInt(1)) != 0 {
		return nil, fmt.Errorf("%w: EC cofactor %v (only 1 is supported)", ErrKey, ep.Cofactor)
	}
	p := ep.FieldID.Prime
	if p.BitLen() > 640 {
		return nil, fmt.Errorf("%w: EC prime of %d bits", ErrKey, p.BitLen())
	}
	a, b := new(big.Int).SetBytes(ep.Curve.A), new(big.Int).SetBytes(ep.Curve.B)
	n := (p.BitLen() + 7) / 8
	if len(ep.Base) != 1+2*n || ep.Base[0] != 4 {
		return nil, fmt.Errorf("%w: EC base point is not an uncompressed point", ErrKey)
	}
	gx, gy := new(big.Int).SetBytes(ep.Base[1:1+n]), new(big.Int).SetBytes(ep.Base[1+n:])
	w, err := NewWeierstrass("", p, a, b, gx, gy, ep.Order)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if known := matchKnown(p, a, b, gx, gy, ep.Order); known != nil {
		return known, nil
	}
	return w, nil
}

// MarshalPublicKeyInfo encodes a public key as SubjectPublicKeyInfo: EC
// keys on named curves by OID, other curves with explicit parameters; DH
// keys with X9.42 parameters when Q is known, else PKCS #3. The encoding is
// lds.MarshalPublicKey's.
func MarshalPublicKeyInfo(pub crypto.PublicKey) ([]byte, error) {
	k, err := ldsPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return k.Raw, nil
}

// ldsPublicKey converts a key of this package's types to lds's, which
// encodes it. Only curves a library implements are named; others (a
// *Weierstrass) keep explicit parameters, as the chip gave them.
func ldsPublicKey(pub crypto.PublicKey) (*lds.PublicKey, error) {
	var conv crypto.PublicKey
	switch k := pub.(type) {
	case *rsa.PublicKey:
		conv = k
	case *ecdsa.PublicKey:
		var c *lds.Curve
		if known, ok := ecparams.Of(k.Curve); ok && known.Native() {
			c, _ = lds.CurveByName(known.Name)
		} else {
			cp := k.Curve.Params()
			a, b := curveAB(k.Curve)
			c = &lds.Curve{P: cp.P, A: a, B: b, Gx: cp.Gx, Gy: cp.Gy, N: cp.N, H: big.NewInt(1), Explicit: true}
		}
		conv = &lds.ECPublicKey{Curve: c, X: k.X, Y: k.Y}
	case *DHPublicKey:
		conv = &lds.DHPublicKey{Group: lds.DHGroup{P: k.P, G: k.G, Q: k.Q}, Y: k.Y}
	default:
		return nil, fmt.Errorf("%w: cannot encode a %T", ErrKey, pub)
	}
	lk, err := lds.NewPublicKey(conv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return lk, nil
}

// ephemeral is the terminal's one-time key for an agreement.
type ephemeral struct {
	public []byte // encoded for the chip: 04‖X‖Y, or Y padded to the prime's length
	secret []byte // the shared secret Z
}

// agree draws an ephemeral key on the domain parameters of the chip's
// static key and computes the shared secret with it.
func agree(static crypto.PublicKey, rng io.Reader) (ephemeral, error) {
	if rng == nil {
		rng = rand.Reader
	}
	switch k := static.(type) {
	case *ecdsa.PublicKey:
		if !k.Curve.IsOnCurve(k.X, k.Y) {
			return ephemeral{}, fmt.Errorf("%w: chip key not on its curve", ErrKey)
		}
		if ec := ecdhOf(k.Curve); ec != nil {
			peer, err := ec.NewPublicKey(marshalPoint(k.Curve, k.X, k.Y))
			if err != nil {
				return ephemeral{}, fmt.Errorf("%w: %v", ErrKey, err)
			}
			priv, err := ec.GenerateKey(rng)
			if err != nil {
				return ephemeral{}, err
			}
			z, err := priv.ECDH(peer)
			if err != nil {
				return ephemeral{}, err
			}
			return ephemeral{public: priv.PublicKey().Bytes(), secret: z}, nil
		}
		d, err := randScalar(rng, k.Curve.Params().N)
		if err != nil {
			return ephemeral{}, err
		}
		ex, ey := k.Curve.ScalarBaseMult(d.Bytes())
		z, err := ecSecret(k.Curve, k.X, k.Y, d)
		if err != nil {
			return ephemeral{}, err
		}
		return ephemeral{public: marshalPoint(k.Curve, ex, ey), secret: z}, nil
	case *ecdh.PublicKey:
		priv, err := k.Curve().GenerateKey(rng)
		if err != nil {
			return ephemeral{}, err
		}
		z, err := priv.ECDH(k)
		if err != nil {
			return ephemeral{}, fmt.Errorf("%w: %v", ErrKey, err)
		}
		return ephemeral{public: priv.PublicKey().Bytes(), secret: z}, nil
	case *DHPublicKey:
		if err := k.check(); err != nil {
			return ephemeral{}, err
		}
		if err := k.checkPublic(k.Y); err != nil {
			return ephemeral{}, err
		}
		eph, err := GenerateDHKey(k.DHParameters, rng)
		if err != nil {
			return ephemeral{}, err
		}
		return ephemeral{public: dhBytes(k.P, eph.Y), secret: dhBytes(k.P, new(big.Int).Exp(k.Y, eph.X, k.P))}, nil
	}
	return ephemeral{}, fmt.Errorf("%w: Chip Authentication with a %T key", ErrKey, static)
}

// ecSecret is the x-coordinate of d·(x, y) (ECKA, BSI TR-03111), padded
// to the field's length.
func ecSecret(c elliptic.Curve, x, y, d *big.Int) ([]byte, error) {
	sx, sy := c.ScalarMult(x, y, d.Bytes())
	if isInf(sx, sy) {
		return nil, fmt.Errorf("%w: shared point at infinity", ErrKey)
	}
	return sx.FillBytes(make([]byte, fieldLen(c))), nil
}

// dhBytes encodes v as an octet string of the prime's length.
func dhBytes(p, v *big.Int) []byte {
	return v.FillBytes(make([]byte, (p.BitLen()+7)/8))
}

// ChipAgree is the chip's half of the key agreement: its static private
// key (*ecdsa.PrivateKey or *DHPrivateKey) with the terminal's ephemeral
// public key as sent in DO'91' or DO'80', checked before use. It returns
// the shared secret.
func ChipAgree(priv crypto.PrivateKey, terminal []byte) ([]byte, error) {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		x, y, err := unmarshalPoint(k.Curve, terminal)
		if err != nil {
			return nil, fmt.Errorf("%w: terminal key: %v", ErrKey, err)
		}
		if ec := ecdhOf(k.Curve); ec != nil {
			peer, err := ec.NewPublicKey(terminal)
			if err != nil {
				return nil, fmt.Errorf("%w: terminal key: %v", ErrKey, err)
			}
			own, err := k.ECDH()
			if err != nil {
				return nil, err
			}
			return own.ECDH(peer)
		}
		return ecSecret(k.Curve, x, y, k.D)
	case *DHPrivateKey:
		y := new(big.Int).SetBytes(terminal)
		if len(terminal) > (k.P.BitLen()+7)/8 {
			return nil, fmt.Errorf("%w: terminal DH value longer than the prime", ErrKey)
		}
		if err := k.checkPublic(y); err != nil {
			return nil, err
		}
		return dhBytes(k.P, new(big.Int).Exp(y, k.X, k.P)), nil
	}
	return nil, fmt.Errorf("%w: chip key of type %T", ErrKey, priv)
}

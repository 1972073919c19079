package chipauth

import (
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/pace"
	"autogate/drivers/emrtd/tlv"
)

// Protocol object identifiers of ICAO 9303-11 section 9.2 and BSI
// TR-03110-3 (bsi-de 0.4.0.127.0.7).
var (
	OIDPKDH   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 1} // id-PK-DH
	OIDPKECDH = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2} // id-PK-ECDH

	OIDCADH3DES       = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 1}
	OIDCADHAES128     = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 2}
	OIDCADHAES192     = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 3}
	OIDCADHAES256     = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 4}
	OIDCAECDH3DES     = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 1}
	OIDCAECDHAES128   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2}
	OIDCAECDHAES192   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 3}
	OIDCAECDHAES256   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 4}
	oidCA             = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}
	OIDActiveAuthInfo = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5} // id-icao-mrtd-security-aaProtocolObject

	// ECDSA signature algorithms of ActiveAuthenticationInfo: BSI TR-03111
	// plain signatures and their X9.62 counterparts.
	OIDECDSAPlainSHA1   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 1}
	OIDECDSAPlainSHA224 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 2}
	OIDECDSAPlainSHA256 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}
	OIDECDSAPlainSHA384 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}
	OIDECDSAPlainSHA512 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}
)

var signatureHashes = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{OIDECDSAPlainSHA1, crypto.SHA1},
	{OIDECDSAPlainSHA224, crypto.SHA224},
	{OIDECDSAPlainSHA256, crypto.SHA256},
	{OIDECDSAPlainSHA384, crypto.SHA384},
	{OIDECDSAPlainSHA512, crypto.SHA512},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512},
}

// ErrSecurityInfos marks a DG14 that cannot be read.
var ErrSecurityInfos = errors.New("chipauth: malformed SecurityInfos")

// ChipKey is one static key pair of the chip for Chip Authentication, as
// DG14 announces it.
type ChipKey struct {
	// Protocol is the id-CA-… OID of the matching ChipAuthenticationInfo;
	// nil means the 9303 default when DG14 names none: 3DES.
	Protocol asn1.ObjectIdentifier
	// KeyID tells keys apart when the chip has several; nil when DG14 gives
	// none.
	KeyID *big.Int
	// PublicKey is *ecdsa.PublicKey (id-PK-ECDH) or *DHPublicKey (id-PK-DH).
	PublicKey crypto.PublicKey
}

// Cipher is the secure messaging cipher the protocol selects.
func (k ChipKey) Cipher() (kdf.Cipher, error) {
	if k.Protocol == nil {
		return kdf.TDES, nil
	}
	p := k.Protocol
	if len(p) != len(oidCA)+2 || !asn1.ObjectIdentifier(p[:len(oidCA)]).Equal(oidCA) {
		return 0, fmt.Errorf("chipauth: %v is not a Chip Authentication protocol", p)
	}
	switch p[len(p)-1] {
	case 1:
		return kdf.TDES, nil
	case 2:
		return kdf.AES128, nil
	case 3:
		return kdf.AES192, nil
	case 4:
		return kdf.AES256, nil
	}
	return 0, fmt.Errorf("chipauth: protocol %v: unknown cipher", p)
}

// ChipKeys reads the Chip Authentication keys of DG14 (the data group with
// its tag 6E, or the bare SecurityInfos), each with the strongest protocol
// DG14 offers for it. It skips SecurityInfos of other protocols.
func ChipKeys(dg14 []byte) ([]ChipKey, error) {
	infos, err := securityInfos(dg14)
	if err != nil {
		return nil, err
	}
	type caInfo struct {
		oid   asn1.ObjectIdentifier
		keyID *big.Int
	}
	var keys []ChipKey
	var cas []caInfo
	for _, si := range infos {
		switch {
		case si.protocol.Equal(OIDPKDH) || si.protocol.Equal(OIDPKECDH):
			pub, err := ParsePublicKeyInfo(si.required)
			if err != nil {
				return nil, fmt.Errorf("DG14 ChipAuthenticationPublicKeyInfo: %w", err)
			}
			k := ChipKey{PublicKey: pub}
			if si.optional != nil {
				if k.KeyID, err = parseInt(si.optional); err != nil {
					return nil, fmt.Errorf("%w: keyId: %v", ErrSecurityInfos, err)
				}
			}
			keys = append(keys, k)
		case len(si.protocol) == len(oidCA)+2 && asn1.ObjectIdentifier(si.protocol[:len(oidCA)]).Equal(oidCA):
			c := caInfo{oid: si.protocol}
			if si.optional != nil {
				if c.keyID, err = parseInt(si.optional); err != nil {
					return nil, fmt.Errorf("%w: ChipAuthenticationInfo keyId: %v", ErrSecurityInfos, err)
				}
			}
			cas = append(cas, c)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("chipauth: DG14 has no ChipAuthenticationPublicKeyInfo (the chip does not support Chip Authentication)")
	}
	for i := range keys {
		best := kdf.Cipher(0)
		for _, c := range cas {
			if !sameID(c.keyID, keys[i].KeyID) || !matchesKey(c.oid, keys[i].PublicKey) {
				continue
			}
			k := ChipKey{Protocol: c.oid}
			if ci, err := k.Cipher(); err == nil && ci > best {
				best, keys[i].Protocol = ci, c.oid
			}
		}
	}
	return keys, nil
}

// matchesKey reports whether an id-CA-DH-… or id-CA-ECDH-… protocol fits
// the key's type.
func matchesKey(protocol asn1.ObjectIdentifier, pub crypto.PublicKey) bool {
	_, dh := pub.(*DHPublicKey)
	return protocol[len(oidCA)] == 1 == dh
}

func sameID(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Cmp(b) == 0
}

// ActiveAuthenticationHash returns the hash of the ECDSA signature
// algorithm DG14's ActiveAuthenticationInfo names, or 0 when DG14 has none.
func ActiveAuthenticationHash(dg14 []byte) (crypto.Hash, error) {
	infos, err := securityInfos(dg14)
	if err != nil {
		return 0, err
	}
	for _, si := range infos {
		if !si.protocol.Equal(OIDActiveAuthInfo) {
			continue
		}
		var alg asn1.ObjectIdentifier
		if si.optional == nil {
			return 0, fmt.Errorf("%w: ActiveAuthenticationInfo without signature algorithm", ErrSecurityInfos)
		}
		if _, err := asn1.Unmarshal(si.optional, &alg); err != nil {
			return 0, fmt.Errorf("%w: ActiveAuthenticationInfo: %v", ErrSecurityInfos, err)
		}
		return SignatureHash(alg)
	}
	return 0, nil
}

// SignatureHash maps an ECDSA signature algorithm OID to its hash.
func SignatureHash(alg asn1.ObjectIdentifier) (crypto.Hash, error) {
	for _, s := range signatureHashes {
		if s.oid.Equal(alg) {
			return s.hash, nil
		}
	}
	return 0, fmt.Errorf("chipauth: signature algorithm %v not supported", alg)
}

type securityInfo struct {
	protocol asn1.ObjectIdentifier
	required []byte // DER of requiredData
	optional []byte // DER of optionalData, nil when absent
}

// securityInfos splits SecurityInfos ::= SET OF SEQUENCE { protocol OID,
// requiredData ANY, optionalData ANY OPTIONAL }, of DG14 with its tag 6E or
// bare. pace.ParseSecurityInfos reads the SET (the same parser as for
// EF.CardAccess); entries chipauth needs are checked where they are used.
func securityInfos(b []byte) ([]securityInfo, error) {
	top, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecurityInfos, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after it", ErrSecurityInfos, len(rest))
	}
	set := b
	if top.Tag == 0x6E { // DG14's application tag
		if _, rest, err := tlv.Next(top.Value); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: DG14 holds no single SET (%v)", ErrSecurityInfos, err)
		}
		set = top.Value
	}
	infos, err := pace.ParseSecurityInfos(set)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecurityInfos, err)
	}
	out := make([]securityInfo, 0, len(infos.All))
	for _, si := range infos.All {
		out = append(out, securityInfo{protocol: si.Protocol, required: si.RequiredData, optional: si.OptionalData})
	}
	return out, nil
}

func parseInt(der []byte) (*big.Int, error) {
	var v *big.Int
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return v, nil
}

// EncodeDG14 builds a DG14 (tag 6E) announcing Chip Authentication with
// each key (ChipAuthenticationPublicKeyInfo, and ChipAuthenticationInfo
// version 1 when Protocol is set) and, when aaSignature is not nil, an
// ActiveAuthenticationInfo with that ECDSA signature algorithm, written
// by lds.BuildDG14. The document issuer and the virtual chip use it.
func EncodeDG14(keys []ChipKey, aaSignature asn1.ObjectIdentifier) ([]byte, error) {
	var s lds.SecurityInfos
	for _, k := range keys {
		pub, err := ldsPublicKey(k.PublicKey)
		if err != nil {
			return nil, err
		}
		pk := OIDPKECDH
		if _, dh := k.PublicKey.(*DHPublicKey); dh {
			pk = OIDPKDH
		}
		var id *int
		if k.KeyID != nil {
			if !k.KeyID.IsInt64() || k.KeyID.Int64() != int64(int(k.KeyID.Int64())) {
				return nil, fmt.Errorf("chipauth: DG14: key ID %v does not fit an int", k.KeyID)
			}
			n := int(k.KeyID.Int64())
			id = &n
		}
		s.ChipAuthenticationPublicKeys = append(s.ChipAuthenticationPublicKeys,
			lds.ChipAuthenticationPublicKeyInfo{Protocol: pk, PublicKey: pub, KeyID: id})
		if k.Protocol != nil {
			s.ChipAuthentication = append(s.ChipAuthentication,
				lds.ChipAuthenticationInfo{Protocol: k.Protocol, Version: 1, KeyID: id})
		}
	}
	if aaSignature != nil {
		s.ActiveAuthentication = append(s.ActiveAuthentication,
			lds.ActiveAuthenticationInfo{Protocol: OIDActiveAuthInfo, Version: 1, SignatureAlgorithm: aaSignature})
	}
	return lds.BuildDG14(&s)
}

// EncodeDG15 builds a DG15 (tag 6F) holding the Active Authentication
// public key, written by lds.BuildDG15.
func EncodeDG15(pub crypto.PublicKey) ([]byte, error) {
	k, err := ldsPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return lds.BuildDG15(k)
}

// PublicKeyFromDG15 reads the Active Authentication public key of DG15
// (with its tag 6F, or the bare SubjectPublicKeyInfo).
func PublicKeyFromDG15(dg15 []byte) (crypto.PublicKey, error) {
	do, rest, err := tlv.Next(dg15)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: DG15 is not one TLV (%v)", ErrKey, err)
	}
	if do.Tag == 0x6F {
		dg15 = do.Value
	}
	return ParsePublicKeyInfo(dg15)
}

package pace

import (
	"encoding/asn1"
	"fmt"

	"autogate/drivers/emrtd/kdf"
)

// Object identifiers of ICAO 9303-11 sections 9.2 and 9.5 (all under bsi-de,
// 0.4.0.127.0.7).
var (
	OIDPACE = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}

	OIDPACEDHGM    = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 1}
	OIDPACEECDHGM  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 2}
	OIDPACEDHIM    = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 3}
	OIDPACEECDHIM  = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 4}
	OIDPACEECDHCAM = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 6}

	// Public keys for Chip Authentication and PACE-CAM.
	OIDPKDH   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 1}
	OIDPKECDH = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}

	// Chip Authentication protocols (id-CA-DH-*, id-CA-ECDH-* are children).
	OIDCADH   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1}
	OIDCAECDH = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2}

	// Terminal Authentication.
	OIDTA = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}

	// Active Authentication (id-icao-mrtd-security 5) and EF.DIR copy
	// (id-icao-mrtd-security 13).
	OIDActiveAuthentication = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}
	OIDEFDIR                = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 13}

	// Domain parameter references of section 9.5.
	OIDStandardizedDomainParameters = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 2}
	OIDECPublicKey                  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDDHPublicNumber               = asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}
	oidPrimeField                   = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

// KeyAgreement is the key agreement family of a PACE protocol.
type KeyAgreement int

// Key agreement families.
const (
	DH KeyAgreement = iota + 1
	ECDH
)

func (k KeyAgreement) String() string {
	switch k {
	case DH:
		return "DH"
	case ECDH:
		return "ECDH"
	}
	return fmt.Sprintf("KeyAgreement(%d)", int(k))
}

// Mapping is the nonce mapping of a PACE protocol (9303-11 section 4.4.3.3).
type Mapping int

// Mappings.
const (
	GenericMapping Mapping = iota + 1
	IntegratedMapping
	ChipAuthenticationMapping
)

func (m Mapping) String() string {
	switch m {
	case GenericMapping:
		return "GM"
	case IntegratedMapping:
		return "IM"
	case ChipAuthenticationMapping:
		return "CAM"
	}
	return fmt.Sprintf("Mapping(%d)", int(m))
}

// Protocol is one PACE protocol OID with what it selects.
type Protocol struct {
	OID       asn1.ObjectIdentifier
	Agreement KeyAgreement
	Mapping   Mapping
	Cipher    kdf.Cipher
}

// Name is the protocol's name in ICAO 9303-11, e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128.
func (p Protocol) Name() string {
	suffix := "3DES-CBC-CBC"
	switch p.Cipher {
	case kdf.AES128:
		suffix = "AES-CBC-CMAC-128"
	case kdf.AES192:
		suffix = "AES-CBC-CMAC-192"
	case kdf.AES256:
		suffix = "AES-CBC-CMAC-256"
	}
	return fmt.Sprintf("id-PACE-%v-%v-%s", p.Agreement, p.Mapping, suffix)
}

func (p Protocol) String() string { return p.Name() }

// protocols lists every PACE protocol of 9303-11 Tables 2 and 3.
var protocols = func() []Protocol {
	var out []Protocol
	families := []struct {
		base      asn1.ObjectIdentifier
		agreement KeyAgreement
		mapping   Mapping
	}{
		{OIDPACEDHGM, DH, GenericMapping},
		{OIDPACEECDHGM, ECDH, GenericMapping},
		{OIDPACEDHIM, DH, IntegratedMapping},
		{OIDPACEECDHIM, ECDH, IntegratedMapping},
		{OIDPACEECDHCAM, ECDH, ChipAuthenticationMapping},
	}
	for _, f := range families {
		for arc, c := range []kdf.Cipher{kdf.TDES, kdf.AES128, kdf.AES192, kdf.AES256} {
			// CAM exists with AES only (9303-11 section 4.4.3, note 1).
			if f.mapping == ChipAuthenticationMapping && c == kdf.TDES {
				continue
			}
			oid := append(append(asn1.ObjectIdentifier{}, f.base...), arc+1)
			out = append(out, Protocol{OID: oid, Agreement: f.agreement, Mapping: f.mapping, Cipher: c})
		}
	}
	return out
}()

// Protocols returns every PACE protocol this package implements.
func Protocols() []Protocol { return append([]Protocol(nil), protocols...) }

// ProtocolByOID looks up a PACE protocol.
func ProtocolByOID(oid asn1.ObjectIdentifier) (Protocol, bool) {
	for _, p := range protocols {
		if p.OID.Equal(oid) {
			return p, true
		}
	}
	return Protocol{}, false
}

// oidContent returns the content octets of an OID's DER encoding, the form
// MSE:Set AT carries in tag 80 (9303-11 section 4.4.4.1) and the token input
// carries after tag 06.
func oidContent(oid asn1.ObjectIdentifier) []byte {
	der, err := asn1.Marshal(oid)
	if err != nil {
		// Only the fixed OIDs of this package reach here.
		panic(fmt.Sprintf("pace: OID %v does not encode: %v", oid, err))
	}
	return der[2:] // short-form header: every OID here is under 128 bytes
}

// parseOIDContent decodes OID content octets (the value of a tag 06 or 80).
func parseOIDContent(b []byte) (asn1.ObjectIdentifier, error) {
	if len(b) == 0 || len(b) > 64 {
		return nil, fmt.Errorf("object identifier of %d bytes", len(b))
	}
	der := append([]byte{0x06, byte(len(b))}, b...)
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(der, &oid)
	if err != nil {
		return nil, fmt.Errorf("object identifier %X: %w", b, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("object identifier %X: trailing bytes", b)
	}
	return oid, nil
}

// child returns the OID base.arc.
func child(base asn1.ObjectIdentifier, arc int) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier{}, base...), arc)
}

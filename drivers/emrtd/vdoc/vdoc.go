package vdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"time"

	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/pace"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/vchip"
	"autogate/internal/mrz"
)

// Options shape a document.
type Options struct {
	// NoPACE issues a BAC-only chip (older passports).
	NoPACE bool
	// PACEParamID is the standardized domain parameter set (9303-11 table
	// 6): 12 = NIST P-256 (default), 13 = brainpoolP256r1, ...
	PACEParamID int
	// NoCA leaves DG14's Chip Authentication out; NoAA leaves DG15 out.
	NoCA, NoAA bool
	// RSAAA uses an RSA-1024 key for Active Authentication (ISO 9796-2)
	// instead of ECDSA P-256.
	RSAAA bool
	Hash  crypto.Hash // SOD hash; default SHA-256
	Rand  io.Reader
}

// Document is a complete virtual document: what the chip holds and the keys
// only the chip knows.
type Document struct {
	MRZ []string `json:"mrz"`
	// Files of the LDS1 application and of the master file, by file id.
	Files       map[uint16][]byte `json:"files"`
	MasterFiles map[uint16][]byte `json:"master_files"`
	// PACE is the PACE configuration offered (nil: BAC only).
	PACEParamID int `json:"pace_param_id,omitempty"`
	// CAKey and AAKey are PKCS#8 DER (nil when the chip has none).
	CAKey []byte `json:"ca_key,omitempty"`
	AAKey []byte `json:"aa_key,omitempty"`
	// Faults make the chip misbehave (the simulator's attack travellers).
	Faults vchip.Faults `json:"faults,omitzero"`
}

// Issue builds a document for the printed MRZ lines with the face image
// (JPEG or JPEG 2000), signed by the PKI's first document signer.
func Issue(pki *issuer.PKI, lines []string, face []byte, o Options) (*Document, error) {
	if len(pki.DocumentSigners) == 0 {
		return nil, errors.New("vdoc: the PKI has no document signer")
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if o.PACEParamID == 0 {
		o.PACEParamID = 12
	}
	printed := mrz.Parse(lines, time.Now())
	info, err := printed.KeyInfo()
	if err != nil {
		return nil, fmt.Errorf("vdoc: %w", err)
	}
	d := &Document{MRZ: append([]string{}, lines...), Files: map[uint16][]byte{}, MasterFiles: map[uint16][]byte{}}
	dgs := map[int][]byte{}
	if dgs[1], err = lds.BuildDG1(lines); err != nil {
		return nil, fmt.Errorf("vdoc: DG1: %w", err)
	}
	if dgs[2], err = lds.BuildDG2(lds.FaceImage{Data: face}); err != nil {
		return nil, fmt.Errorf("vdoc: DG2: %w", err)
	}
	var caKeys []chipauth.ChipKey
	if !o.NoCA {
		k, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
		if err != nil {
			return nil, err
		}
		if d.CAKey, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			return nil, err
		}
		caKeys = append(caKeys, chipauth.ChipKey{Protocol: chipauth.OIDCAECDHAES128, PublicKey: &k.PublicKey})
	}
	var aaAlg []int
	if !o.NoAA {
		var signer crypto.Signer
		if o.RSAAA {
			signer, err = rsa.GenerateKey(o.Rand, 1024)
		} else {
			signer, err = ecdsa.GenerateKey(elliptic.P256(), o.Rand)
			aaAlg = chipauth.OIDECDSAPlainSHA256
		}
		if err != nil {
			return nil, err
		}
		if d.AAKey, err = x509.MarshalPKCS8PrivateKey(signer); err != nil {
			return nil, err
		}
		if dgs[15], err = chipauth.EncodeDG15(signer.Public()); err != nil {
			return nil, fmt.Errorf("vdoc: DG15: %w", err)
		}
	}
	if len(caKeys) > 0 || aaAlg != nil {
		if dgs[14], err = chipauth.EncodeDG14(caKeys, aaAlg); err != nil {
			return nil, fmt.Errorf("vdoc: DG14: %w", err)
		}
	}
	var groups []lds.DataGroup
	for g, b := range dgs {
		d.Files[iso7816.FIDDataGroup(g)] = b
		groups = append(groups, lds.DataGroup(g))
	}
	if d.Files[iso7816.FIDCOM], err = lds.BuildCOM("0108", "040000", groups); err != nil {
		return nil, fmt.Errorf("vdoc: EF.COM: %w", err)
	}
	if d.Files[iso7816.FIDSOD], err = issuer.SignSOD(dgs, o.Hash, pki.DocumentSigners[0]); err != nil {
		return nil, fmt.Errorf("vdoc: EF.SOD: %w", err)
	}
	if !o.NoPACE {
		d.PACEParamID = o.PACEParamID
		d.MasterFiles[iso7816.FIDCardAccess] = d.paceConfig(info).CardAccess()
	}
	return d, nil
}

func (d *Document) paceConfig(info string) pace.ChipConfig {
	return pace.ChipConfig{
		// id-PACE-ECDH-GM-AES-CBC-CMAC-128: the generic-mapping arc, then 2.
		Infos: []pace.PACEInfo{{Protocol: append(append(asn1.ObjectIdentifier{}, pace.OIDPACEECDHGM...), 2), Version: 2,
			ParameterID: d.PACEParamID, HasParameterID: true}},
		Passwords: []pace.Password{pace.MRZPassword(info)},
	}
}

// Chip starts a virtual chip holding the document, as if freshly powered.
func (d *Document) Chip() (*vchip.Chip, error) {
	printed := mrz.Parse(d.MRZ, time.Now())
	info, err := printed.KeyInfo()
	if err != nil {
		return nil, fmt.Errorf("vdoc: %w", err)
	}
	cfg := vchip.Config{MRZInfo: info, Files: d.Files, MasterFiles: d.MasterFiles, Faults: d.Faults}
	if d.CAKey != nil {
		k, err := x509.ParsePKCS8PrivateKey(d.CAKey)
		if err != nil {
			return nil, fmt.Errorf("vdoc: CA key: %w", err)
		}
		cfg.CAKey = k
	}
	if d.AAKey != nil {
		k, err := x509.ParsePKCS8PrivateKey(d.AAKey)
		if err != nil {
			return nil, fmt.Errorf("vdoc: AA key: %w", err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("vdoc: AA key %T cannot sign", k)
		}
		cfg.AAKey = s
	}
	if d.PACEParamID != 0 {
		p, err := pace.NewChip(d.paceConfig(info))
		if err != nil {
			return nil, fmt.Errorf("vdoc: PACE: %w", err)
		}
		cfg.PACE = pacePlug{p}
	}
	return vchip.New(cfg), nil
}

// pacePlug adapts the pace package's card side to the virtual chip.
type pacePlug struct{ c *pace.Chip }

func (p pacePlug) HandlePACE(cmd iso7816.Command) (iso7816.Response, *sm.Session) {
	resp := p.c.Handle(cmd)
	est := p.c.Established()
	if est == nil {
		return resp, nil
	}
	s, err := est.SecureMessaging()
	p.c.Reset()
	if err != nil {
		return iso7816.Response{SW: 0x6985}, nil
	}
	return resp, s
}

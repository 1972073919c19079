package vdoc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/pace"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
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
	// Fingerprint, when set, is stored in DG3 as one finger image (any
	// bytes; WSQ on real documents) of an ISO/IEC 19794-4 record.
	Fingerprint []byte
	// CVCAs are the CVCA certificates whose keys become the chip's trust
	// points for Terminal Authentication; DG14 then announces TA. They need
	// Chip Authentication.
	CVCAs []*cvc.Certificate
	// ChipDate is the chip's current date for certificate checks (zero:
	// the day the chip is started).
	ChipDate time.Time
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
	// CVCAs are the raw CVCA certificates of the chip's Terminal
	// Authentication trust points; ChipDate the chip's current date.
	CVCAs    [][]byte  `json:"cvcas,omitempty"`
	ChipDate time.Time `json:"chip_date,omitzero"`
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
	if o.Fingerprint != nil {
		dgs[3] = BuildDG3(o.Fingerprint)
	}
	if len(o.CVCAs) > 0 {
		if len(caKeys) == 0 {
			return nil, errors.New("vdoc: Terminal Authentication (CVCAs) needs Chip Authentication; drop NoCA")
		}
		for _, c := range o.CVCAs {
			if c.CHAT.Role() != cvc.RoleCVCA || c.PublicKey.IsECDSA() && c.PublicKey.Curve == nil {
				return nil, fmt.Errorf("vdoc: %s is not a CVCA certificate with its domain parameters", c.CHR)
			}
			d.CVCAs = append(d.CVCAs, c.Raw)
		}
		d.ChipDate = o.ChipDate
		if dgs[14], err = addTerminalAuthenticationInfo(dgs[14]); err != nil {
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
	cfg := vchip.Config{MRZInfo: info, Files: d.Files, MasterFiles: d.MasterFiles, Faults: d.Faults, Date: d.ChipDate}
	for i, raw := range d.CVCAs {
		c, err := cvc.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("vdoc: CVCA certificate %d: %w", i+1, err)
		}
		cfg.TrustPoints = append(cfg.TrustPoints, c.TrustPoint())
	}
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
		cfg.PACE = &pacePlug{c: p}
	}
	return vchip.New(cfg), nil
}

// pacePlug adapts the pace package's card side to the virtual chip.
type pacePlug struct {
	c  *pace.Chip
	id []byte // ID_PICC of the last PACE run
}

// IDPICC tells the chip its identifier for Terminal Authentication.
func (p *pacePlug) IDPICC() []byte { return p.id }

func (p *pacePlug) HandlePACE(cmd iso7816.Command) (iso7816.Response, *sm.Session) {
	resp := p.c.Handle(cmd)
	est := p.c.Established()
	if est == nil {
		return resp, nil
	}
	p.id = est.IDPICC
	s, err := est.SecureMessaging()
	p.c.Reset()
	if err != nil {
		return iso7816.Response{SW: 0x6985}, nil
	}
	return resp, s
}

// BuildDG3 builds DG3 holding one finger image (right index finger, 500
// ppi, WSQ) in an ISO/IEC 19794-4:2005 record: 63 { 7F61 { 02 01, 7F60 {
// A1 header, 5F2E record } } }.
func BuildDG3(image []byte) []byte {
	const headerLen, viewLen = 32, 14
	total := headerLen + viewLen + len(image)
	rec := make([]byte, 0, total)
	rec = append(rec, "FIR\x00010\x00"...)
	rec = binary.BigEndian.AppendUint16(rec, uint16(uint64(total)>>32))
	rec = binary.BigEndian.AppendUint32(rec, uint32(total))
	rec = append(rec, 0, 0, 0, 31, 1, 1) // capture device, acquisition level 31, one finger, ppi
	for range 4 {
		rec = binary.BigEndian.AppendUint16(rec, 500) // scan and image resolutions
	}
	rec = append(rec, 8, 2, 0, 0) // 8 bits a pixel, WSQ, reserved
	rec = binary.BigEndian.AppendUint32(rec, uint32(viewLen+len(image)))
	rec = append(rec, 2, 1, 1, 254, 0) // right index finger, one view, quality not computed, live-scan plain
	rec = binary.BigEndian.AppendUint16(rec, 400)
	rec = binary.BigEndian.AppendUint16(rec, 500)
	rec = append(rec, 0)
	rec = append(rec, image...)
	header := tlv.Encode(0xA1, tlv.Encode(0x80, []byte{1, 1}), tlv.Encode(0x81, []byte{lds.BiometricTypeFinger}),
		tlv.Encode(0x87, []byte{0x01, 0x01}), tlv.Encode(0x88, []byte{0x00, 0x07}))
	return tlv.Encode(0x63, tlv.Encode(0x7F61, tlv.Encode(0x02, []byte{1}), tlv.Encode(0x7F60, header, tlv.Encode(0x5F2E, rec))))
}

// addTerminalAuthenticationInfo adds TerminalAuthenticationInfo (id-TA,
// version 1) to DG14's SET OF SecurityInfo, keeping the set in DER order.
func addTerminalAuthenticationInfo(dg14 []byte) ([]byte, error) {
	outer, rest, err := tlv.Next(dg14)
	if err != nil || outer.Tag != 0x6E || len(rest) != 0 {
		return nil, fmt.Errorf("not one element 6E (%v)", err)
	}
	set, rest, err := tlv.Next(outer.Value)
	if err != nil || set.Tag != 0x31 || len(rest) != 0 {
		return nil, fmt.Errorf("DG14 holds no SET OF SecurityInfo (%v)", err)
	}
	var items [][]byte
	for b := set.Value; len(b) > 0; {
		_, r, err := tlv.Next(b)
		if err != nil {
			return nil, err
		}
		items = append(items, b[:len(b)-len(r)])
		b = r
	}
	info, err := asn1.Marshal(struct {
		Protocol asn1.ObjectIdentifier
		Version  int
	}{cvc.OIDTA, 1})
	if err != nil {
		return nil, err
	}
	items = append(items, info)
	slices.SortFunc(items, bytes.Compare)
	return tlv.Encode(0x6E, tlv.Encode(0x31, items...)), nil
}

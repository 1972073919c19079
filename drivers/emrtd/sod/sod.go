package sod

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"sort"
	"time"

	"autogate/drivers/emrtd/sod/cms"
)

// Limits on EF.SOD. The file is at most a few kilobytes on real chips (DG
// hashes plus one certificate); the bound keeps a hostile chip from making
// the gate parse megabytes.
const (
	MaxSize        = 64 << 10
	maxDataGroups  = 16
	applicationTag = 0x77
)

// Errors wrapped by Parse, so callers can tell a file that is not an EF.SOD
// from one that is damaged.
var (
	ErrMalformed     = cms.ErrMalformed
	ErrNotSOD        = errors.New("not an EF.SOD")
	ErrTooLarge      = errors.New("EF.SOD too large")
	ErrNoSignerInfo  = errors.New("EF.SOD has no SignerInfo")
	ErrManySigners   = errors.New("EF.SOD has more than one SignerInfo")
	ErrBadHashLength = errors.New("data group hash of the wrong length")
)

// SOD is a parsed Document Security Object.
type SOD struct {
	Raw        []byte // the whole EF.SOD as read
	SignedData *cms.SignedData
	SignerInfo *cms.SignerInfo // the one SignerInfo Doc 9303 allows

	// LDSSecurityObject fields.
	Version       int // 0 (V0) or 1 (V1, with LDS version info)
	HashAlgorithm cms.AlgorithmIdentifier
	// Hash is the hash function of HashAlgorithm; 0 when the algorithm is
	// unknown (Parse still succeeds, so that the verifier can name the
	// algorithm in its refusal).
	Hash            crypto.Hash
	DataGroupHashes map[int][]byte
	LDSVersion      string // "0108" and the like, V1 only
	UnicodeVersion  string // "040000" and the like, V1 only

	// ContentTypeIsData is true when the SignedData labels its content
	// id-data instead of id-icao-mrtd-security-ldsSecurityObject, as some
	// issuers' SODs do. The content must still be an LDSSecurityObject,
	// and the signed contentType attribute must still match the label.
	ContentTypeIsData bool
}

// Parse reads an EF.SOD: the 0x77 application wrapper around a CMS
// ContentInfo (a bare ContentInfo is accepted too, as some tools store it
// that way), the SignedData and the LDSSecurityObject it signs.
func Parse(b []byte) (*SOD, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxSize)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrMalformed)
	}
	contentInfo := b
	if b[0] == applicationTag {
		inner, err := unwrapApplication(b)
		if err != nil {
			return nil, err
		}
		contentInfo = inner
	}
	sd, err := cms.ParseSignedData(contentInfo)
	if err != nil {
		return nil, fmt.Errorf("EF.SOD SignedData: %w", err)
	}
	// Some issuers (China's passports among them) label the content id-data;
	// it is accepted when it parses as an LDSSecurityObject, and flagged.
	loose := sd.EContentType.Equal(cms.OIDData)
	if !sd.EContentType.Equal(cms.OIDLDSSecurityObject) && !loose {
		return nil, fmt.Errorf("%w: content type %s, want id-icao-mrtd-security-ldsSecurityObject %s",
			ErrNotSOD, sd.EContentType, cms.OIDLDSSecurityObject)
	}
	switch len(sd.SignerInfos) {
	case 0:
		return nil, ErrNoSignerInfo
	case 1:
	default:
		return nil, fmt.Errorf("%w: %d", ErrManySigners, len(sd.SignerInfos))
	}
	s := &SOD{Raw: b, SignedData: sd, SignerInfo: &sd.SignerInfos[0], ContentTypeIsData: loose}
	if err := s.parseLDSSecurityObject(sd.EContent); err != nil {
		return nil, fmt.Errorf("LDSSecurityObject: %w", err)
	}
	return s, nil
}

// unwrapApplication strips the 0x77 tag and length of EF.SOD.
func unwrapApplication(b []byte) ([]byte, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: truncated 0x77 header", ErrMalformed)
	}
	l := int(b[1])
	hdr := 2
	switch {
	case l < 0x80:
	case l == 0x81 || l == 0x82 || l == 0x83:
		n := l & 0x7f
		if len(b) < 2+n {
			return nil, fmt.Errorf("%w: truncated 0x77 length", ErrMalformed)
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		hdr = 2 + n
	default:
		return nil, fmt.Errorf("%w: unsupported 0x77 length byte %#x", ErrMalformed, b[1])
	}
	if l > len(b)-hdr {
		return nil, fmt.Errorf("%w: 0x77 wrapper claims %d bytes, %d present", ErrMalformed, l, len(b)-hdr)
	}
	// Bytes after the wrapper (padding from a chip read in whole blocks)
	// are ignored: the signature covers only what is inside.
	return b[hdr : hdr+l], nil
}

// ldsSecurityObject is the LDSSecurityObject of Doc 9303 part 10, 4.6.2.
type ldsSecurityObject struct {
	Version             int
	HashAlgorithm       pkix.AlgorithmIdentifier
	DataGroupHashValues []dataGroupHash
	LDSVersionInfo      ldsVersionInfo `asn1:"optional"`
}

type dataGroupHash struct {
	DataGroupNumber    int
	DataGroupHashValue []byte
}

type ldsVersionInfo struct {
	LDSVersion     string `asn1:"printable"`
	UnicodeVersion string `asn1:"printable"`
}

func (s *SOD) parseLDSSecurityObject(content []byte) error {
	var obj ldsSecurityObject
	rest, err := asn1.Unmarshal(content, &obj)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	s.Version = obj.Version
	if s.Version != 0 && s.Version != 1 {
		return fmt.Errorf("%w: version %d, want 0 or 1", ErrMalformed, s.Version)
	}
	s.HashAlgorithm = cms.AlgorithmIdentifier{Algorithm: obj.HashAlgorithm.Algorithm}
	if p := obj.HashAlgorithm.Parameters; len(p.FullBytes) > 0 && p.Tag != asn1.TagNull {
		s.HashAlgorithm.Parameters = p.FullBytes
	}
	s.Hash, _ = cms.HashByOID(s.HashAlgorithm.Algorithm)
	if n := len(obj.DataGroupHashValues); n == 0 || n > maxDataGroups {
		return fmt.Errorf("%w: %d data group hashes, want 1 to %d", ErrMalformed, n, maxDataGroups)
	}
	s.DataGroupHashes = make(map[int][]byte, len(obj.DataGroupHashValues))
	for _, h := range obj.DataGroupHashValues {
		n := h.DataGroupNumber
		if n < 1 || n > maxDataGroups {
			return fmt.Errorf("%w: data group number %d outside 1..16", ErrMalformed, n)
		}
		if _, dup := s.DataGroupHashes[n]; dup {
			return fmt.Errorf("%w: data group %d hashed twice", ErrMalformed, n)
		}
		if s.Hash != 0 && len(h.DataGroupHashValue) != s.Hash.Size() {
			return fmt.Errorf("%w: DG%d hash has %d bytes, %s gives %d", ErrBadHashLength, n, len(h.DataGroupHashValue), s.Hash, s.Hash.Size())
		}
		s.DataGroupHashes[n] = h.DataGroupHashValue
	}
	if obj.LDSVersionInfo.LDSVersion != "" || obj.LDSVersionInfo.UnicodeVersion != "" {
		if s.Version != 1 {
			return fmt.Errorf("%w: ldsVersionInfo in a V0 object", ErrMalformed)
		}
		s.LDSVersion, s.UnicodeVersion = obj.LDSVersionInfo.LDSVersion, obj.LDSVersionInfo.UnicodeVersion
	}
	return nil
}

// DataGroups returns the numbers of the hashed data groups in order.
func (s *SOD) DataGroups() []int {
	out := make([]int, 0, len(s.DataGroupHashes))
	for n := range s.DataGroupHashes {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// SigningTime returns the signingTime signed attribute, when present.
func (s *SOD) SigningTime() (time.Time, bool) {
	t, ok, err := s.SignerInfo.SigningTime()
	if err != nil {
		return time.Time{}, false
	}
	return t, ok
}

// DocumentSigner returns the embedded document signer certificate that the
// SignerInfo names (see cms.SignedData.SignerCertificate for how loosely
// encoded identifiers are matched).
func (s *SOD) DocumentSigner() (cert *cms.Certificate, matched bool, err error) {
	return s.SignedData.SignerCertificate(s.SignerInfo)
}

// VerifySignature checks the SignerInfo's signature with the embedded
// document signer certificate and returns that certificate. It says
// nothing about whether the certificate is trustworthy: that is the trust
// store's job.
func (s *SOD) VerifySignature() (*cms.Certificate, error) {
	ds, _, err := s.DocumentSigner()
	if err != nil {
		return nil, err
	}
	if err := s.SignedData.VerifySignerInfo(s.SignerInfo, ds); err != nil {
		return ds, err
	}
	return ds, nil
}

// HashDataGroup hashes a data group's bytes with the SOD's algorithm.
func (s *SOD) HashDataGroup(dg []byte) ([]byte, error) {
	if s.Hash == 0 || !s.Hash.Available() {
		return nil, fmt.Errorf("%w: hash algorithm %s", cms.ErrUnsupportedAlgorithm, s.HashAlgorithm.Algorithm)
	}
	h := s.Hash.New()
	h.Write(dg)
	return h.Sum(nil), nil
}

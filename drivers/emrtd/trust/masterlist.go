package trust

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"autogate/drivers/emrtd/sod/cms"
)

// MaxMasterListSize bounds a master list file; the ICAO list is about
// 1 MB, national ones are smaller.
const MaxMasterListSize = 32 << 20

// ErrNotMasterList is wrapped when a SignedData holds something else.
var ErrNotMasterList = errors.New("not a CSCA master list")

// MasterList is a parsed CSCA master list (Doc 9303 part 12, 9): a CMS
// SignedData with eContentType id-icao-cscaMasterList (2.23.136.1.1.2)
// whose content is CscaMasterList { version, certList SET OF Certificate }.
type MasterList struct {
	SignedData   *cms.SignedData
	Version      int
	Certificates []*cms.Certificate
	// Unreadable lists the certificates of certList that no parser could
	// read, with the reason; they are not in Certificates.
	Unreadable []error
}

type cscaMasterList struct {
	Version  int
	CertList []asn1.RawValue `asn1:"set"`
}

// ParseMasterList parses a master list file (DER or BER CMS).
func ParseMasterList(b []byte) (*MasterList, error) {
	if len(b) > MaxMasterListSize {
		return nil, fmt.Errorf("master list of %d bytes exceeds the %d-byte limit", len(b), MaxMasterListSize)
	}
	sd, err := cms.ParseSignedData(b)
	if err != nil {
		return nil, err
	}
	if !sd.EContentType.Equal(cms.OIDCscaMasterList) {
		return nil, fmt.Errorf("%w: content type %s, want id-icao-cscaMasterList %s", ErrNotMasterList, sd.EContentType, cms.OIDCscaMasterList)
	}
	var ml cscaMasterList
	rest, err := asn1.Unmarshal(sd.EContent, &ml)
	if err != nil {
		return nil, fmt.Errorf("%w: CscaMasterList: %v", cms.ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after CscaMasterList", cms.ErrMalformed, len(rest))
	}
	if ml.Version != 0 {
		return nil, fmt.Errorf("%w: CscaMasterList version %d, want 0", cms.ErrMalformed, ml.Version)
	}
	out := &MasterList{SignedData: sd, Version: ml.Version}
	for i, raw := range ml.CertList {
		c, err := cms.ParseCertificate(raw.FullBytes)
		if err != nil {
			out.Unreadable = append(out.Unreadable, fmt.Errorf("certificate %d of the list: %w", i+1, err))
			continue
		}
		out.Certificates = append(out.Certificates, c)
	}
	return out, nil
}

// Signer returns the master list signer's certificate after checking the
// list's signature with it.
func (ml *MasterList) Signer() (*cms.Certificate, error) {
	if len(ml.SignedData.SignerInfos) != 1 {
		return nil, fmt.Errorf("master list has %d SignerInfos, want 1", len(ml.SignedData.SignerInfos))
	}
	si := &ml.SignedData.SignerInfos[0]
	cert, _, err := ml.SignedData.SignerCertificate(si)
	if err != nil {
		return nil, err
	}
	if err := ml.SignedData.VerifySignerInfo(si, cert); err != nil {
		return cert, err
	}
	return cert, nil
}

package trust

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"autogate/drivers/emrtd/sod/cms"
)

// MaxCertificateFileSize bounds a stand-alone certificate file (PEM files
// may bundle several certificates).
const MaxCertificateFileSize = 4 << 20

// MasterListReport tells what loading one master list did.
type MasterListReport struct {
	Source       string
	Certificates int // readable certificates in the list
	Added        int // of those, new to the store
	Unreadable   []string
	NotCSCA      []string // certificates refused because they cannot sign certificates
	Signer       string   // subject of the master list signer certificate
	// SignatureValid: the list's SignerInfo verifies with the embedded
	// signer certificate.
	SignatureValid bool
	// SignerTrusted: the signer certificate chains to a CSCA loaded from a
	// stand-alone certificate file (not from the list itself, which would
	// prove nothing).
	SignerTrusted bool
	SignerCSCA    string
	// Problem says why the list could not be fully verified; its CSCAs are
	// loaded all the same, and the operator decides.
	Problem string
}

// Verified reports whether both the signature and the signer's chain hold.
func (r MasterListReport) Verified() bool { return r.SignatureValid && r.SignerTrusted }

// Skip is a certificate or file that was not loaded, and why.
type Skip struct {
	Source string
	Reason string
}

// LoadReport tells what LoadDir found.
type LoadReport struct {
	Dir              string
	MasterLists      []MasterListReport
	CertificateFiles int
	CRLs             []string // sources of the CRLs loaded
	Added            int      // distinct certificates in the store
	Duplicates       int      // certificates seen again (same bytes)
	ParsedByFallback int      // certificates crypto/x509 refused and the lenient parser read
	UnusableKeys     int      // certificates loaded whose key cannot verify signatures here
	Skipped          []Skip   // certificates and files not loaded
	Ignored          []string // files that are not trust material (by extension)
}

// File kinds by extension.
var (
	masterListExts  = map[string]bool{".ml": true}
	certificateExts = map[string]bool{".cer": true, ".crt": true, ".der": true, ".pem": true}
	crlExts         = map[string]bool{".crl": true}
)

// LoadDir loads every master list (.ml), CSCA certificate (.cer, .crt,
// .der, .pem; DER or PEM, several per PEM file) and CRL (.crl) in dir, not
// descending into subfolders. Stand-alone certificates are loaded first,
// so that they can verify the master lists' signers, and CRLs last, so
// that their CSCAs are present. A file that cannot be read is reported in
// the LoadReport and does not stop the others; the error is non-nil only
// when dir itself cannot be read.
func LoadDir(dir string) (*Store, *LoadReport, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("trust store folder: %w", err)
	}
	s := NewStore()
	rep := &LoadReport{Dir: dir}
	var mls, certs, crls []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		path := filepath.Join(dir, name)
		switch {
		case masterListExts[ext]:
			mls = append(mls, path)
		case certificateExts[ext]:
			certs = append(certs, path)
		case crlExts[ext]:
			crls = append(crls, path)
		default:
			rep.Ignored = append(rep.Ignored, name)
		}
	}
	for _, p := range certs {
		s.loadCertificateFile(p, rep)
	}
	for _, p := range mls {
		b, err := readLimited(p, MaxMasterListSize)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Source: filepath.Base(p), Reason: err.Error()})
			continue
		}
		mr, err := s.AddMasterList(b, filepath.Base(p))
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Source: filepath.Base(p), Reason: err.Error()})
			continue
		}
		rep.MasterLists = append(rep.MasterLists, mr)
		rep.Duplicates += mr.Certificates - mr.Added
	}
	for _, p := range crls {
		s.loadCRLFile(p, rep)
	}
	for _, c := range s.CSCAs() {
		if c.Cert.StdlibError != "" {
			rep.ParsedByFallback++
		}
		if c.Cert.PublicKey == nil {
			rep.UnusableKeys++
		}
	}
	rep.Added = s.Len()
	return s, rep, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes exceed the %d-byte limit for this kind of file", fi.Size(), limit)
	}
	return os.ReadFile(path)
}

// derBlocks returns the DER blocks of a file: the PEM blocks of the wanted
// types when the file is PEM, else the file itself.
func derBlocks(b []byte, types ...string) (ders [][]byte, isPEM bool) {
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		isPEM = true
		for _, t := range types {
			if blk.Type == t {
				ders = append(ders, blk.Bytes)
			}
		}
	}
	if !isPEM {
		return [][]byte{b}, false
	}
	return ders, true
}

func (s *Store) loadCertificateFile(path string, rep *LoadReport) {
	name := filepath.Base(path)
	b, err := readLimited(path, MaxCertificateFileSize)
	if err != nil {
		rep.Skipped = append(rep.Skipped, Skip{Source: name, Reason: err.Error()})
		return
	}
	rep.CertificateFiles++
	ders, isPEM := derBlocks(b, "CERTIFICATE")
	if isPEM && len(ders) == 0 {
		rep.Ignored = append(rep.Ignored, name+" (PEM without a CERTIFICATE block)")
		return
	}
	for i, der := range ders {
		src := name
		if len(ders) > 1 {
			src = fmt.Sprintf("%s#%d", name, i+1)
		}
		c, err := cms.ParseCertificate(der)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Source: src, Reason: err.Error()})
			continue
		}
		added, err := s.AddCertificate(c, src, false)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Source: src, Reason: err.Error()})
			continue
		}
		if !added {
			rep.Duplicates++
		}
	}
}

func (s *Store) loadCRLFile(path string, rep *LoadReport) {
	name := filepath.Base(path)
	b, err := readLimited(path, MaxCRLSize)
	if err != nil {
		rep.Skipped = append(rep.Skipped, Skip{Source: name, Reason: err.Error()})
		return
	}
	ders, _ := derBlocks(b, "X509 CRL")
	for i, der := range ders {
		src := name
		if len(ders) > 1 {
			src = fmt.Sprintf("%s#%d", name, i+1)
		}
		if _, err := s.AddCRL(der, src); err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Source: src, Reason: err.Error()})
			continue
		}
		rep.CRLs = append(rep.CRLs, src)
	}
}

// AddMasterList parses a master list, checks its signature and its
// signer's chain to the stand-alone CSCAs already in the store, and adds
// its certificates. The certificates are added even when the signature
// cannot be verified; the report says so. An error means the file is not a
// readable master list and nothing was added.
func (s *Store) AddMasterList(b []byte, source string) (MasterListReport, error) {
	rep := MasterListReport{Source: source}
	ml, err := ParseMasterList(b)
	if err != nil {
		return rep, err
	}
	for _, e := range ml.Unreadable {
		rep.Unreadable = append(rep.Unreadable, e.Error())
	}
	signer, err := ml.Signer()
	if signer != nil {
		rep.Signer = signer.Subject.String()
	}
	switch {
	case err != nil:
		rep.Problem = "signature does not verify with the embedded signer certificate: " + err.Error()
	default:
		rep.SignatureValid = true
		rep.SignerCSCA, rep.Problem = s.anchorMasterListSigner(signer)
		rep.SignerTrusted = rep.Problem == ""
	}
	for i, c := range ml.Certificates {
		added, err := s.AddCertificate(c, source, true)
		if err != nil {
			rep.NotCSCA = append(rep.NotCSCA, fmt.Sprintf("certificate %d: %v", i+1, err))
			continue
		}
		rep.Certificates++
		if added {
			rep.Added++
		}
	}
	return rep, nil
}

// anchorMasterListSigner checks that a CSCA from a stand-alone file signed
// the master list signer's certificate. It returns the CSCA's subject, or a
// problem.
func (s *Store) anchorMasterListSigner(signer *cms.Certificate) (csca, problem string) {
	var errs []string
	for _, c := range s.issuerCandidates(signer, nil) {
		if c.FromMasterList {
			continue
		}
		if err := s.checkSignedBy(signer, c.Cert); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return c.Cert.Subject.String(), ""
	}
	if len(errs) > 0 {
		return "", fmt.Sprintf("signer certificate %q does not verify with the stand-alone CSCA(s) named %q: %s",
			signer.Subject, signer.Issuer, strings.Join(errs, "; "))
	}
	return "", fmt.Sprintf("the signer's CSCA %q is not among the stand-alone CSCA certificates: add its certificate to the folder to verify this list",
		signer.Issuer)
}

// Summary counts what was loaded, for logs.
func (r *LoadReport) Summary() string {
	verified := 0
	for _, m := range r.MasterLists {
		if m.Verified() {
			verified++
		}
	}
	return fmt.Sprintf("%d CSCA certificates (%d duplicates merged, %d read by the lenient parser, %d with keys unusable here) from %d master lists (%d verified) and %d certificate files; %d CRLs; %d skipped",
		r.Added, r.Duplicates, r.ParsedByFallback, r.UnusableKeys, len(r.MasterLists), verified, r.CertificateFiles, len(r.CRLs), len(r.Skipped))
}

package passive

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"autogate/drivers/emrtd/sod"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/drivers/emrtd/trust"
)

// Step names.
const (
	StepSODParse  = "sod_parse"
	StepSignature = "signature"
	StepChain     = "chain"
	StepDGHash    = "dg_hash"
)

// Reason codes. They are stable: logs, referrals and the officer console
// key on them. The chain reasons are those of package trust.
const (
	ReasonSODMalformed        = "sod_malformed"
	ReasonSODTooLarge         = "sod_too_large"
	ReasonSODWrongContent     = "sod_not_lds_security_object"
	ReasonSODSignerCount      = "sod_signer_count"
	ReasonSODNotParsed        = "sod_not_parsed"
	ReasonSignerUnknown       = "signer_unknown"
	ReasonSignatureInvalid    = "signature_invalid"
	ReasonDigestMismatch      = "message_digest_mismatch"
	ReasonContentTypeMismatch = "content_type_mismatch"
	ReasonSignedAttrsMissing  = "signed_attributes_missing"
	ReasonDigestAlgUnknown    = "digest_algorithm_unknown"
	ReasonSignatureAlgUnsup   = "signature_algorithm_unsupported"
	ReasonSignerKeyUnsup      = "signer_key_unsupported"
	ReasonNoTrustStore        = "trust_store_missing"
	ReasonDGHashMismatch      = "dg_hash_mismatch"
	ReasonDGMissing           = "dg_missing"
	ReasonDGNotInSOD          = "dg_not_in_sod"
	ReasonHashAlgUnknown      = "hash_algorithm_unknown"
	ReasonDGNotRead           = "dg_not_read"
)

// Status of one step.
type Status string

// Step statuses. NotChecked is neither a pass nor a failure: a step that
// could not run because an earlier one failed, or a data group that was
// not read and is not required.
const (
	Pass       Status = "pass"
	Fail       Status = "fail"
	NotChecked Status = "not_checked"
)

// Step is one check of Passive Authentication.
type Step struct {
	Name   string `json:"step"`
	DG     int    `json:"dg,omitempty"` // data group number for dg_hash steps
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Result is the outcome of Passive Authentication. OK is true only when
// every step ran and passed (data groups that were not read and are not
// required excepted).
type Result struct {
	OK    bool
	Steps []Step

	SOD            *sod.SOD         // nil when the SOD did not parse
	DocumentSigner *cms.Certificate // nil when none could be found
	Chain          trust.Chain
}

// Step returns the step of that name (and data group, for dg_hash).
func (r Result) Step(name string, dg int) (Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name && s.DG == dg {
			return s, true
		}
	}
	return Step{}, false
}

// Reasons returns the reason codes of the failed steps, in step order.
func (r Result) Reasons() []string {
	var out []string
	for _, s := range r.Steps {
		if s.Status == Fail {
			out = append(out, s.Reason)
		}
	}
	return out
}

// Failed reports whether a step failed with the reason.
func (r Result) Failed(reason string) bool {
	for _, s := range r.Steps {
		if s.Status == Fail && s.Reason == reason {
			return true
		}
	}
	return false
}

// String summarises the result in one line.
func (r Result) String() string {
	if r.OK {
		return "passive authentication passed"
	}
	var parts []string
	for _, s := range r.Steps {
		if s.Status == Fail {
			name := s.Name
			if s.DG != 0 {
				name = fmt.Sprintf("%s DG%d", s.Name, s.DG)
			}
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", name, s.Reason, s.Detail))
		}
	}
	return "passive authentication failed: " + strings.Join(parts, "; ")
}

// Options adjust Verify.
type Options struct {
	// RequiredDataGroups must be present in the SOD and in dataGroups; nil
	// means DG1 and DG2, which Doc 9303 makes mandatory. An empty,
	// non-nil slice requires none (checking a stand-alone SOD).
	RequiredDataGroups []int
	// SigningTime is used for the DS validity check when the SOD carries no
	// signingTime attribute: the document's date of issue (DG12) is the
	// best stand-in. Zero means unknown: the DS is then judged at the
	// check time.
	SigningTime time.Time
}

// Verify runs Passive Authentication (Doc 9303 part 11, 5.1, and part 12)
// of an EF.SOD and the data groups read from the chip, against the CSCA
// trust store, at time at, with the default Options.
func Verify(sodBytes []byte, dataGroups map[int][]byte, store *trust.Store, at time.Time) Result {
	return VerifyWithOptions(sodBytes, dataGroups, store, at, Options{})
}

// VerifyWithOptions is Verify with Options.
func VerifyWithOptions(sodBytes []byte, dataGroups map[int][]byte, store *trust.Store, at time.Time, opts Options) Result {
	s, err := sod.Parse(sodBytes)
	return VerifyParsed(s, err, dataGroups, store, at, opts)
}

// VerifyParsed is VerifyWithOptions for a caller that has already parsed
// the EF.SOD (s and parseErr as sod.Parse returned them), so a reader that
// looked into the SOD to choose the files to read does not parse it twice.
func VerifyParsed(s *sod.SOD, parseErr error, dataGroups map[int][]byte, store *trust.Store, at time.Time, opts Options) Result {
	var r Result
	required := opts.RequiredDataGroups
	if required == nil {
		required = []int{1, 2}
	}
	if err := parseErr; err != nil {
		r.add(Step{Name: StepSODParse, Status: Fail, Reason: parseReason(err), Detail: err.Error()})
		r.add(Step{Name: StepSignature, Status: NotChecked, Reason: ReasonSODNotParsed})
		r.add(Step{Name: StepChain, Status: NotChecked, Reason: ReasonSODNotParsed})
		for _, n := range dgNumbers(nil, dataGroups, required) {
			r.add(Step{Name: StepDGHash, DG: n, Status: NotChecked, Reason: ReasonSODNotParsed})
		}
		return r
	}
	r.SOD = s
	r.add(Step{Name: StepSODParse, Status: Pass,
		Detail: fmt.Sprintf("LDSSecurityObject V%d, %s, %d data group hashes", s.Version, hashName(s), len(s.DataGroupHashes))})

	r.add(r.checkSignature(s))
	r.add(r.checkChain(s, store, at, opts))
	for _, n := range dgNumbers(s.DataGroupHashes, dataGroups, required) {
		r.add(checkDataGroup(s, n, dataGroups, required))
	}

	r.OK = true
	for _, st := range r.Steps {
		if st.Status == Fail {
			r.OK = false
		}
		if st.Status == NotChecked && st.Name != StepDGHash {
			r.OK = false
		}
	}
	return r
}

func (r *Result) add(s Step) { r.Steps = append(r.Steps, s) }

func hashName(s *sod.SOD) string {
	if s.Hash == 0 {
		return "unknown hash " + s.HashAlgorithm.Algorithm.String()
	}
	return s.Hash.String()
}

func parseReason(err error) string {
	switch {
	case errors.Is(err, sod.ErrTooLarge):
		return ReasonSODTooLarge
	case errors.Is(err, sod.ErrNotSOD):
		return ReasonSODWrongContent
	case errors.Is(err, sod.ErrNoSignerInfo), errors.Is(err, sod.ErrManySigners):
		return ReasonSODSignerCount
	default:
		return ReasonSODMalformed
	}
}

func (r *Result) checkSignature(s *sod.SOD) Step {
	st := Step{Name: StepSignature}
	ds, matched, err := s.DocumentSigner()
	if err != nil {
		st.Status, st.Reason, st.Detail = Fail, ReasonSignerUnknown, err.Error()
		if errs := s.SignedData.CertificateErrors; len(errs) > 0 {
			st.Detail += fmt.Sprintf(" (%d embedded certificate(s) unreadable: %v)", len(errs), errs[0])
		}
		return st
	}
	r.DocumentSigner = ds
	if s.SignerInfo.SignedAttributesRaw == nil {
		st.Status, st.Reason = Fail, ReasonSignedAttrsMissing
		st.Detail = "the SignerInfo has no signed attributes; Doc 9303 requires contentType and messageDigest"
		return st
	}
	if err := s.SignedData.VerifySignerInfo(s.SignerInfo, ds); err != nil {
		st.Status, st.Reason, st.Detail = Fail, signatureReason(err), err.Error()
		if !matched {
			st.Detail += fmt.Sprintf(" (the signer identifier, %v, did not name the embedded certificate %q)", s.SignerInfo.SID, ds.Subject)
		}
		return st
	}
	st.Status = Pass
	st.Detail = fmt.Sprintf("%s signature by %q verifies", s.SignerInfo.SignatureAlgorithm.Name(), ds.Subject)
	if !matched {
		st.Detail += fmt.Sprintf("; the signer identifier (%v) does not name it exactly, it is the only embedded certificate", s.SignerInfo.SID)
	}
	return st
}

func signatureReason(err error) string {
	switch {
	case errors.Is(err, cms.ErrMessageDigestMismatch):
		return ReasonDigestMismatch
	case errors.Is(err, cms.ErrContentTypeMismatch):
		return ReasonContentTypeMismatch
	case errors.Is(err, cms.ErrMissingAttribute):
		return ReasonSignedAttrsMissing
	case errors.Is(err, cms.ErrUnsupportedKey), errors.Is(err, cms.ErrUnsupportedCurve):
		return ReasonSignerKeyUnsup
	case errors.Is(err, cms.ErrUnknownDigestAlgorithm):
		return ReasonDigestAlgUnknown
	case errors.Is(err, cms.ErrUnsupportedAlgorithm):
		return ReasonSignatureAlgUnsup
	default:
		// ErrSignatureInvalid, and anything unexpected: never a pass.
		return ReasonSignatureInvalid
	}
}

func (r *Result) checkChain(s *sod.SOD, store *trust.Store, at time.Time, opts Options) Step {
	st := Step{Name: StepChain}
	if r.DocumentSigner == nil {
		st.Status, st.Reason = NotChecked, ReasonSignerUnknown
		st.Detail = "no document signer certificate to check"
		return st
	}
	if store == nil {
		st.Status, st.Reason, st.Detail = Fail, ReasonNoTrustStore, "no trust store given"
		return st
	}
	signing := trust.SigningTime{}
	if t, ok := s.SigningTime(); ok {
		signing = trust.SigningTime{Time: t, Known: true}
	} else if !opts.SigningTime.IsZero() {
		signing = trust.SigningTime{Time: opts.SigningTime, Known: true}
	}
	r.Chain = store.CheckDocumentSigner(r.DocumentSigner, signing, at)
	if !r.Chain.OK {
		st.Status, st.Reason, st.Detail = Fail, r.Chain.Reason, r.Chain.Detail
		return st
	}
	st.Status = Pass
	st.Detail = fmt.Sprintf("document signer %q chains to CSCA %q; revocation: %s", r.DocumentSigner.Subject, r.Chain.CSCA.Cert.Subject, r.Chain.Revocation)
	if r.Chain.DSExpiredNow {
		st.Detail += fmt.Sprintf("; the DS certificate expired on %s but was valid when it signed", r.DocumentSigner.NotAfter.Format(time.DateOnly))
	}
	return st
}

// dgNumbers returns the data groups to report on: those hashed in the SOD,
// those read, and the required ones.
func dgNumbers(hashes map[int][]byte, read map[int][]byte, required []int) []int {
	set := map[int]bool{}
	for n := range hashes {
		set[n] = true
	}
	for n := range read {
		set[n] = true
	}
	for _, n := range required {
		set[n] = true
	}
	out := make([]int, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func checkDataGroup(s *sod.SOD, n int, read map[int][]byte, required []int) Step {
	st := Step{Name: StepDGHash, DG: n}
	want, inSOD := s.DataGroupHashes[n]
	data, wasRead := read[n]
	isRequired := false
	for _, r := range required {
		isRequired = isRequired || r == n
	}
	switch {
	case !wasRead && !inSOD:
		st.Status, st.Reason, st.Detail = Fail, ReasonDGMissing, fmt.Sprintf("DG%d is required but neither read nor hashed in the SOD", n)
	case !wasRead && isRequired:
		st.Status, st.Reason, st.Detail = Fail, ReasonDGMissing, fmt.Sprintf("DG%d is required and hashed in the SOD but was not read", n)
	case !wasRead:
		st.Status, st.Reason, st.Detail = NotChecked, ReasonDGNotRead, fmt.Sprintf("DG%d is hashed in the SOD but was not read", n)
	case !inSOD:
		st.Status, st.Reason, st.Detail = Fail, ReasonDGNotInSOD, fmt.Sprintf("DG%d was read but the SOD holds no hash for it: its content is not authenticated", n)
	default:
		got, err := s.HashDataGroup(data)
		if err != nil {
			st.Status, st.Reason, st.Detail = Fail, ReasonHashAlgUnknown, err.Error()
			return st
		}
		if !bytes.Equal(got, want) {
			st.Status, st.Reason = Fail, ReasonDGHashMismatch
			st.Detail = fmt.Sprintf("DG%d (%d bytes) hashes to %x, the SOD holds %x", n, len(data), got, want)
			return st
		}
		st.Status = Pass
	}
	return st
}

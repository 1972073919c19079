package inspect

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/emrtd/bac"
	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/pace"
	"autogate/drivers/emrtd/passive"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/sod"
	"autogate/drivers/emrtd/ta"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/mrz"
)

// Step names (stable: the CLI's JSON and the gate's checks use them).
const (
	StepAccess   = "access"
	StepRead     = "read"
	StepCA       = "ca"
	StepTA       = "ta"
	StepAA       = "aa"
	StepPA       = "pa"
	StepMRZMatch = "mrz_match"
)

// Reason codes beyond Passive Authentication's own.
const (
	ReasonAccessDenied   = "chip_access_denied" // the MRZ keys do not open the chip
	ReasonNoAccess       = "chip_access_failed" // neither PACE nor BAC could run
	ReasonNotAnswering   = "chip_not_answering" // the chip stopped answering
	ReasonSecureMessages = "chip_sm_failure"    // a response failed its MAC: tampering or a broken link
	ReasonReadFailed     = "chip_read_failed"   // a file could not be read
	ReasonCAFailed       = "chip_authentication_failed"
	ReasonTAFailed       = "terminal_authentication_failed"
	ReasonAAFailed       = "active_authentication_failed"
	ReasonMRZMismatch    = "chip_mrz_mismatch"   // DG1 differs from the printed MRZ
	ReasonBadMRZ         = "printed_mrz_invalid" // no keys without a valid printed MRZ
)

// Step is one step of the inspection.
type Step struct {
	Name    string  `json:"name"`
	OK      bool    `json:"ok"`
	Skipped bool    `json:"skipped,omitempty"`
	Reason  string  `json:"reason,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	MS      float64 `json:"ms"`
}

// Face describes the face image of DG2.
type Face struct {
	Format   string `json:"format"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Bytes    int    `json:"bytes"`
	Standard string `json:"standard,omitempty"`
	Data     []byte `json:"-"`
}

// Result is the outcome of reading a chip.
type Result struct {
	OK     bool   `json:"ok"`
	Access string `json:"access"` // e.g. "PACE id-PACE-ECDH-GM-AES-CBC-CMAC-128" or "BAC"
	Steps  []Step `json:"steps"`
	// DG1 is the MRZ the chip holds.
	DG1  *mrz.Document `json:"dg1,omitempty"`
	Face *Face         `json:"face,omitempty"`
	// Files are the raw files read, by data group number (0 = EF.SOD).
	Files map[int][]byte `json:"-"`
	// PA is Passive Authentication's full outcome.
	PA *passive.Result `json:"-"`
	// idPICC is the chip's identity for Terminal Authentication after PACE.
	idPICC []byte
	// sod is EF.SOD parsed once (sodErr when it does not parse).
	sod    *sod.SOD
	sodErr error
	MS     float64 `json:"ms"`
}

// Step returns the named step.
func (r *Result) Step(name string) (Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// Reasons lists the reasons of failed steps.
func (r *Result) Reasons() []string {
	var out []string
	for _, s := range r.Steps {
		if !s.OK && !s.Skipped && s.Reason != "" {
			out = append(out, s.Reason)
		}
	}
	return out
}

// Options tune an inspection.
type Options struct {
	// Printed is the MRZ read optically; its key information opens the chip
	// and DG1 must equal it.
	Printed mrz.Document
	Trust   *trust.Store
	// At is the time certificates are checked at (zero: now).
	At time.Time
	// Groups are the data groups to read besides DG1 (and DG14/DG15 when
	// the SOD lists them); nil means DG2.
	Groups []int
	Rand   io.Reader
	// NoPACE skips PACE (for readers or chips known to mishandle it).
	NoPACE bool
	// Terminal is the inspection system's Terminal Authentication
	// material. DG3 and DG4 in Groups are read only with it, after Chip
	// Authentication and Terminal Authentication, when DG14 announces TA;
	// without it they are not asked for.
	Terminal *TerminalCredentials
}

// TerminalCredentials are what Terminal Authentication v1 needs: the
// certificate chain from below the chip's CVCA (DV, then IS) and the IS
// certificate's private key.
type TerminalCredentials struct {
	Chain []*cvc.Certificate
	Key   crypto.Signer
}

// Read runs the inspection over a transport to the chip.
func Read(ctx context.Context, t iso7816.Transport, o Options) *Result {
	start := time.Now()
	r := &Result{Files: map[int][]byte{}}
	defer func() { r.MS = ms(time.Since(start)) }()
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.At.IsZero() {
		o.At = time.Now()
	}
	if o.Groups == nil {
		o.Groups = []int{2}
	}
	info, err := o.Printed.KeyInfo()
	if err != nil {
		r.add(Step{Name: StepAccess, Reason: ReasonBadMRZ, Detail: err.Error()})
		return r
	}

	ch, ok := r.access(ctx, t, info, o)
	if !ok {
		return r
	}
	card := &iso7816.Card{T: ch}
	if !r.readFiles(ctx, card, ch, o) {
		return r
	}
	r.verify(o)
	r.OK = true
	for _, s := range r.Steps {
		if !s.OK && !s.Skipped {
			r.OK = false
		}
	}
	if _, ran := r.Step(StepPA); !ran {
		r.OK = false
	}
	return r
}

func (r *Result) add(s Step) { r.Steps = append(r.Steps, s) }

// timed runs fn as a step.
func (r *Result) timed(name string, fn func() (ok bool, reason, detail string)) bool {
	start := time.Now()
	ok, reason, detail := fn()
	r.add(Step{Name: name, OK: ok, Reason: reason, Detail: detail, MS: ms(time.Since(start))})
	return ok
}

// access opens the chip: PACE when EF.CardAccess offers it, BAC otherwise
// (or when PACE fails for another reason than wrong keys).
func (r *Result) access(ctx context.Context, t iso7816.Transport, info string, o Options) (*sm.Channel, bool) {
	var ch *sm.Channel
	ok := r.timed(StepAccess, func() (bool, string, string) {
		var paceErr error
		if !o.NoPACE {
			res, err := pace.Establish(ctx, t, pace.Config{Password: pace.MRZPassword(info), Rand: o.Rand})
			if err == nil {
				ch = sm.NewChannel(res.Session, t)
				r.Access = "PACE " + res.Protocol.String()
				r.idPICC = res.IDPICC
				return true, "", ""
			}
			if reason, final := classify(err); final {
				return false, reason, "PACE: " + err.Error()
			}
			paceErr = err
		}
		plain := &iso7816.Card{T: t}
		if err := plain.SelectAID(ctx, iso7816.AIDLDS1); err != nil {
			reason, _ := classify(err)
			return false, reason, "selecting the eMRTD application: " + err.Error()
		}
		s, err := bac.Authenticate(ctx, plain, info, o.Rand)
		if err != nil {
			reason, _ := classify(err)
			detail := "BAC: " + err.Error()
			if paceErr != nil {
				detail = "PACE: " + paceErr.Error() + "; " + detail
			}
			return false, reason, detail
		}
		ch = sm.NewChannel(s, t)
		r.Access = "BAC"
		return true, "", ""
	})
	return ch, ok
}

// classify maps a protocol error to a reason; final means retrying with
// another protocol cannot help.
func classify(err error) (reason string, final bool) {
	switch {
	case errors.Is(err, bac.ErrAccessDenied), errors.Is(err, pace.ErrAccessDenied):
		return ReasonAccessDenied, true
	case errors.Is(err, sm.ErrMAC), errors.Is(err, sm.ErrPadding):
		return ReasonSecureMessages, true
	case errors.Is(err, device.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, iso7816.ErrNoResponse):
		return ReasonNotAnswering, true
	}
	return ReasonNoAccess, false
}

// readFiles reads EF.SOD and the data groups, running Chip Authentication as
// soon as DG14 is in (so everything read after it is bound to the
// authenticated chip) and Active Authentication when there is no CA.
func (r *Result) readFiles(ctx context.Context, card *iso7816.Card, ch *sm.Channel, o Options) bool {
	var sodBytes []byte
	ok := r.timed(StepRead, func() (bool, string, string) {
		if r.Access != "BAC" {
			if err := card.SelectAID(ctx, iso7816.AIDLDS1); err != nil {
				return fail(err, "selecting the eMRTD application")
			}
		}
		var err error
		if sodBytes, err = card.ReadFile(ctx, lds.FileIDSOD); err != nil {
			return fail(err, "reading EF.SOD")
		}
		r.Files[0] = sodBytes
		return true, "", ""
	})
	if !ok {
		return false
	}
	// Parsed once: it tells which files to read, and PA verifies it.
	r.sod, r.sodErr = sod.Parse(sodBytes)
	var listed []int // nil: the SOD cannot tell (PA will say why)
	if r.sodErr == nil {
		listed = r.sod.DataGroups()
	}
	want := []int{1}
	for _, g := range append(o.Groups, 14, 15) {
		if (g == 3 || g == 4) && o.Terminal == nil {
			continue // EAC-protected: not asked for without TA material
		}
		if (listed == nil || slices.Contains(listed, g)) && !slices.Contains(want, g) {
			want = append(want, g)
		}
	}
	eac := slices.Contains(want, 3) || slices.Contains(want, 4)
	taOK := false
	// DG14 first: CA re-keys the channel before the rest is read.
	if slices.Contains(want, 14) {
		if !r.readGroup(ctx, card, 14) {
			return false
		}
		outcome, eph := r.chipAuthentication(ctx, card, ch, o)
		if outcome == caFailed {
			return false
		}
		if eac {
			taOK = r.terminalAuthentication(ctx, card, outcome, eph, o)
		}
	} else if eac {
		r.add(Step{Name: StepTA, OK: true, Skipped: true, Detail: "no DG14: the chip offers no Chip Authentication, so no Terminal Authentication"})
	}
	if !taOK {
		want = slices.DeleteFunc(want, func(g int) bool { return g == 3 || g == 4 })
	}
	for _, g := range want {
		if g == 14 {
			continue
		}
		if !r.readGroup(ctx, card, g) {
			return false
		}
	}
	if ca, ranCA := r.Step(StepCA); !ranCA || ca.Skipped {
		if dg15, ok := r.Files[15]; ok {
			r.activeAuthentication(ctx, card, dg15, o)
		}
	}
	return true
}

func (r *Result) readGroup(ctx context.Context, card *iso7816.Card, g int) bool {
	return r.timed(fmt.Sprintf("%s_dg%d", StepRead, g), func() (bool, string, string) {
		b, err := card.ReadFile(ctx, iso7816.FIDDataGroup(g))
		if err != nil {
			return fail(err, fmt.Sprintf("reading DG%d", g))
		}
		r.Files[g] = b
		return true, "", ""
	})
}

type caOutcome int

const (
	caNone caOutcome = iota
	caDone
	caFailed
)

// chipAuthentication runs CA and returns its outcome with the terminal's
// ephemeral key, which Terminal Authentication signs.
func (r *Result) chipAuthentication(ctx context.Context, card *iso7816.Card, ch *sm.Channel, o Options) (caOutcome, []byte) {
	dg14 := r.Files[14]
	infos, err := lds.ParseDG14(dg14)
	if err != nil || len(infos.ChipAuthenticationPublicKeys) == 0 {
		r.add(Step{Name: StepCA, OK: true, Skipped: true, Detail: "DG14 offers no Chip Authentication"})
		return caNone, nil
	}
	var eph []byte
	ok := r.timed(StepCA, func() (bool, string, string) {
		// CA re-keys over the current (PACE or BAC) channel; card sends
		// through ch, which then switches to the new keys.
		s, pub, err := chipauth.ChipAuthenticateDG14Ephemeral(ctx, card, dg14, o.Rand)
		if err != nil {
			return false, ReasonCAFailed, err.Error()
		}
		ch.SetSession(s)
		eph = pub
		return true, "", ""
	})
	if !ok {
		return caFailed, nil
	}
	return caDone, eph
}

// terminalAuthentication runs TA v1 right after CA, so DG3 and DG4 can be
// read. It reports whether they may be asked for.
func (r *Result) terminalAuthentication(ctx context.Context, card *iso7816.Card, ca caOutcome, eph []byte, o Options) bool {
	skip := func(detail string) bool {
		r.add(Step{Name: StepTA, OK: true, Skipped: true, Detail: detail})
		return false
	}
	infos, err := lds.ParseDG14(r.Files[14])
	switch {
	case err != nil || len(infos.TerminalAuthentication) == 0:
		return skip("DG14 does not announce Terminal Authentication; DG3 and DG4 not read")
	case ca != caDone:
		return skip("Terminal Authentication needs Chip Authentication; DG3 and DG4 not read")
	case r.Access != "BAC" && r.idPICC == nil:
		return skip("PACE gave no chip identity for Terminal Authentication; DG3 and DG4 not read")
	}
	return r.timed(StepTA, func() (bool, string, string) {
		// After BAC the chip is identified by its document number; after
		// PACE by Comp of its ephemeral PACE key.
		id := r.idPICC
		if r.Access == "BAC" {
			info, err := o.Printed.KeyInfo()
			if err != nil {
				return false, ReasonTAFailed, err.Error()
			}
			if id, err = ta.IDPICCFromBAC(info); err != nil {
				return false, ReasonTAFailed, err.Error()
			}
		}
		if err := ta.Authenticate(ctx, card, o.Terminal.Chain, o.Terminal.Key, id, eph, o.Rand); err != nil {
			if reason, _ := classify(err); reason != ReasonNoAccess {
				return false, reason, "Terminal Authentication: " + err.Error()
			}
			return false, ReasonTAFailed, err.Error()
		}
		return true, "", ""
	})
}

func (r *Result) activeAuthentication(ctx context.Context, card *iso7816.Card, dg15 []byte, o Options) {
	r.timed(StepAA, func() (bool, string, string) {
		d, err := lds.ParseDG15(dg15)
		if err != nil {
			return false, ReasonAAFailed, "DG15: " + err.Error()
		}
		var pub crypto.PublicKey
		switch k := d.PublicKey; {
		case k.RSA != nil:
			pub = k.RSA
		case k.EC != nil:
			if pub, err = k.EC.ECDSA(); err != nil {
				return false, ReasonAAFailed, "DG15 key: " + err.Error()
			}
		default:
			return false, ReasonAAFailed, "DG15 holds no RSA or EC key"
		}
		h, err := chipauth.ActiveAuthenticationHash(r.Files[14])
		if err != nil || h == 0 {
			err = chipauth.ActiveAuthenticate(ctx, card, pub, o.Rand)
		} else {
			err = chipauth.ActiveAuthenticateHash(ctx, card, pub, h, o.Rand)
		}
		if err != nil {
			return false, ReasonAAFailed, err.Error()
		}
		return true, "", ""
	})
}

// verify runs Passive Authentication and the DG1 comparison, and describes
// the face.
func (r *Result) verify(o Options) {
	r.timed(StepPA, func() (bool, string, string) {
		groups := map[int][]byte{}
		for g, b := range r.Files {
			if g > 0 {
				groups[g] = b
			}
		}
		pa := passive.VerifyParsed(r.sod, r.sodErr, groups, o.Trust, o.At, passive.Options{})
		r.PA = &pa
		if !pa.OK {
			reasons := pa.Reasons()
			reason := "pa_failed"
			if len(reasons) > 0 {
				reason = reasons[0]
			}
			return false, reason, pa.String()
		}
		return true, "", ""
	})
	r.timed(StepMRZMatch, func() (bool, string, string) {
		dg1, err := lds.ParseDG1(r.Files[1], o.At)
		if err != nil {
			return false, ReasonMRZMismatch, "DG1: " + err.Error()
		}
		r.DG1 = &dg1.MRZ
		if !slices.Equal(dg1.Lines, o.Printed.Lines) {
			return false, ReasonMRZMismatch, fmt.Sprintf("chip %q, printed %q", dg1.Lines, o.Printed.Lines)
		}
		return true, "", ""
	})
	if b, ok := r.Files[2]; ok {
		if dg2, err := lds.ParseDG2(b); err == nil {
			if faces := dg2.Faces(); len(faces) > 0 {
				f := faces[0]
				r.Face = &Face{Format: string(f.Format), Width: f.Width, Height: f.Height, Bytes: len(f.Data), Data: f.Data}
				if len(dg2.Templates) > 0 {
					r.Face.Standard = string(dg2.Templates[0].Record.Standard)
				}
			}
		}
	}
}

func fail(err error, what string) (bool, string, string) {
	reason, _ := classify(err)
	if reason == ReasonNoAccess {
		reason = ReasonReadFailed
	}
	return false, reason, what + ": " + err.Error()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

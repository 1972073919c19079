package flow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"autogate/gate-agent/internal/config"
	"autogate/internal/mrz"
	"autogate/internal/wire"
)

// Input is what the checks work from once the document is read.
type Input struct {
	Lines []string // as parsed: after Corrections
	MRZ   mrz.Document
	Now   time.Time
	// Corrections are the OCR confusions mrz.Correct fixed in the lines read.
	Corrections []mrz.Correction
	// Device runs one device call, counting its time as device time (not
	// software time) in the crossing record.
	Device func(call func() error) error
	// Portrait is the chip's verified portrait, set by the chip check and
	// awaited by the face check (nil when the gate reads no chip).
	Portrait *Portrait
	// Evidence collects the officer's images should the crossing be
	// referred (nil when nobody receives referrals).
	Evidence *Evidence
}

// device runs call through in.Device when set.
func (in Input) device(call func() error) error {
	if in.Device == nil {
		return call()
	}
	return in.Device(call)
}

// Check is one check run in the checks stage. Checks run concurrently, so a
// check must not depend on another's result. A check reports one result, or
// several when it has steps of its own (the chip's access, authentication,
// Passive Authentication...).
type Check interface {
	Name() string
	Run(ctx context.Context, in Input) []wire.Check
}

// Reason codes of the checks in this package (stable: officers, dashboards
// and scripts key on them).
const (
	ReasonMRZInvalid       = "mrz_invalid"
	ReasonDocumentExpired  = "document_expired"
	ReasonDocumentExpiring = "document_expiring"
	ReasonDocumentType     = "document_type_not_allowed"
	ReasonDocumentNotRead  = "document_not_read"
	ReasonTailgating       = "lane_tailgating"
	ReasonDoorFault        = "door_fault"
	ReasonNotRecorded      = "decision_not_recorded"
	ReasonLaneTimeout      = "lane_timeout"
	ReasonCheckFailed      = "check_failed"
)

// Pass is a passed check's result.
func Pass(name string) wire.Check { return wire.Check{Name: name, Result: wire.ResultPass} }

// Refer is a referring check's result with its reason code and the
// officer's message.
func Refer(name, reason, format string, args ...any) wire.Check {
	return wire.Check{Name: name, Result: wire.ResultRefer, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// DocumentChecks are the checks on the MRZ itself, from the gate's policy.
func DocumentChecks(p config.Policy) []Check {
	return []Check{mrzCheck{}, expiryCheck{minDays: p.MinValidityDays}, typeCheck{codes: p.DocumentCodes}}
}

type mrzCheck struct{}

func (mrzCheck) Name() string { return "mrz" }
func (c mrzCheck) Run(_ context.Context, in Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c mrzCheck) run(in Input) wire.Check {
	var corrected string
	if len(in.Corrections) > 0 {
		fixes := make([]string, len(in.Corrections))
		for i, fix := range in.Corrections {
			fixes[i] = fix.String()
		}
		corrected = "OCR confusions corrected, proven by the check digits: " + strings.Join(fixes, "; ")
	}
	if !in.MRZ.Valid {
		r := Refer(c.Name(), ReasonMRZInvalid, "MRZ does not verify: %s", strings.Join(in.MRZ.Errors, "; "))
		if corrected != "" {
			r.Message += ". " + corrected
		}
		return r
	}
	r := Pass(c.Name())
	r.Message = corrected
	return r
}

type expiryCheck struct{ minDays int }

func (expiryCheck) Name() string { return "document_expiry" }
func (c expiryCheck) Run(_ context.Context, in Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c expiryCheck) run(in Input) wire.Check {
	exp, err := mrz.Expiry(in.MRZ)
	if err != nil {
		return Refer(c.Name(), ReasonMRZInvalid, "expiry date unreadable: %v", err)
	}
	today := in.Now.Truncate(24 * time.Hour)
	// A document is valid through its expiry day.
	if exp.Before(today) {
		return Refer(c.Name(), ReasonDocumentExpired, "document expired on %s", exp.Format(time.DateOnly))
	}
	if c.minDays > 0 && exp.Before(today.AddDate(0, 0, c.minDays)) {
		return Refer(c.Name(), ReasonDocumentExpiring, "document expires on %s, within the %d days this gate requires",
			exp.Format(time.DateOnly), c.minDays)
	}
	return Pass(c.Name())
}

type typeCheck struct{ codes []string }

func (typeCheck) Name() string { return "document_type" }
func (c typeCheck) Run(_ context.Context, in Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c typeCheck) run(in Input) wire.Check {
	code := in.MRZ.DocumentCode
	if slices.ContainsFunc(c.codes, func(allowed string) bool { return strings.HasPrefix(code, allowed) }) {
		return Pass(c.Name())
	}
	return Refer(c.Name(), ReasonDocumentType, "document code %q is not admitted at this gate (admitted: %s)",
		code, strings.Join(c.codes, ", "))
}

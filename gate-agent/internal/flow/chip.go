package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/inspect"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/wire"
)

// Reason codes of the chip check beyond those of drivers/emrtd/inspect and
// passive (which pass through unchanged: chip_access_denied, dg_hash_mismatch,
// ds_not_chaining, chip_authentication_failed, chip_mrz_mismatch, ...).
const (
	ReasonChipNotFound = "chip_not_found"
)

// ChipCheck reads and verifies the document's chip: PACE (BAC fallback),
// Chip or Active Authentication when offered, Passive Authentication against
// the trust store, DG1 equal to the printed MRZ. Each step is a check of the
// crossing. Documents whose code is in Required must carry a chip; others
// are verified when a chip answers in time.
func ChipCheck(reader chipreader.Reader, store *trust.Store, required []string, timeout time.Duration) Check {
	return &chipCheck{reader: reader, store: store, required: required, timeout: timeout}
}

type chipCheck struct {
	reader   chipreader.Reader
	store    *trust.Store
	required []string
	timeout  time.Duration
}

func (c *chipCheck) Name() string { return "chip" }

// givesPortrait marks the chip check as the source of Input.Portrait.
func (c *chipCheck) givesPortrait() {}

// portraitSource is a check that resolves Input.Portrait.
type portraitSource interface{ givesPortrait() }

// noChipWait is how long a document that need not carry a chip is given to
// answer before the gate goes on without it.
const noChipWait = 1500 * time.Millisecond

func (c *chipCheck) Run(ctx context.Context, in Input) (checks []wire.Check) {
	// Whatever happens, the face check learns whether there is a verified
	// portrait (a deferred Set runs even when the check panics).
	portraitErr := errors.New("the chip was not read")
	var portrait []byte
	defer func() { in.Portrait.Set(portrait, portraitErr) }()
	if !in.MRZ.Valid {
		// Without a verified MRZ there are no keys; the mrz check refers.
		return []wire.Check{Refer("chip", inspect.ReasonBadMRZ, "chip not read: the printed MRZ does not verify")}
	}
	required := slices.ContainsFunc(c.required, func(p string) bool { return strings.HasPrefix(in.MRZ.DocumentCode, p) })
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	connectCtx := ctx
	if !required {
		var cancelConnect context.CancelFunc
		connectCtx, cancelConnect = context.WithTimeout(ctx, noChipWait)
		defer cancelConnect()
	}
	start := time.Now()
	var chip chipreader.Chip
	err := in.device(func() error {
		var err error
		chip, err = c.reader.Connect(connectCtx)
		return err
	})
	if err != nil {
		if !required {
			return []wire.Check{{Name: "chip", Result: wire.ResultPass, Message: "no chip answered; not required for document code " + in.MRZ.DocumentCode,
				DurationMS: ms(time.Since(start))}}
		}
		return []wire.Check{{Name: "chip", Result: wire.ResultRefer, Reason: ReasonChipNotFound,
			Message: fmt.Sprintf("a %s document must carry a chip: %v", in.MRZ.DocumentCode, err), DurationMS: ms(time.Since(start))}}
	}
	defer chip.Close()
	r := inspect.Read(ctx, timedChip{chip, in}, inspect.Options{Printed: in.MRZ, Trust: c.store})
	switch {
	case !r.OK:
		portraitErr = fmt.Errorf("the chip did not verify (%s)", strings.Join(r.Reasons(), ", "))
	case r.Face == nil:
		portraitErr = errors.New("the chip holds no face image")
	default:
		// r.OK: Passive Authentication verified every data group read, DG2 included.
		portrait, portraitErr = r.Face.Data, nil
	}
	return chipChecks(r)
}

// timedChip counts the time spent in the reader (air time, the chip's own
// work) as device time.
type timedChip struct {
	chip chipreader.Chip
	in   Input
}

func (t timedChip) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	var resp []byte
	err := t.in.device(func() error {
		var err error
		resp, err = t.chip.Transmit(ctx, apdu)
		return err
	})
	return resp, err
}

// chipChecks turns the inspection's steps into the crossing's checks: the
// reads of the files fold into one chip_read check.
func chipChecks(r *inspect.Result) []wire.Check {
	var out []wire.Check
	read := wire.Check{Name: "chip_read", Result: wire.ResultPass}
	anyRead := false
	for _, s := range r.Steps {
		c := wire.Check{Name: "chip_" + s.Name, Result: wire.ResultPass, DurationMS: s.MS}
		if s.Skipped {
			c.Message = s.Detail
		} else if !s.OK {
			c.Result, c.Reason, c.Message = wire.ResultRefer, s.Reason, s.Detail
		}
		if s.Name == inspect.StepAccess && r.Access != "" {
			c.Message = r.Access
		}
		if strings.HasPrefix(s.Name, inspect.StepRead) {
			anyRead = true
			read.DurationMS += s.MS
			if c.Result != wire.ResultPass && read.Result == wire.ResultPass {
				read.Result, read.Reason, read.Message = c.Result, c.Reason, c.Message
			}
			continue
		}
		out = append(out, c)
	}
	if anyRead {
		out = append(out, read)
	}
	if !r.OK && !slices.ContainsFunc(out, func(c wire.Check) bool { return c.Result != wire.ResultPass }) {
		// Never a pass on doubt: PA did not run, or a step was missing.
		out = append(out, Refer("chip", "chip_incomplete", "the chip inspection did not complete"))
	}
	return out
}

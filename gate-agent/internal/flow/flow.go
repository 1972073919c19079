package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/drivers/docreader"
	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/store"
	"autogate/internal/mrz"
	"autogate/internal/wire"
)

// Stage names, in order.
const (
	StageIdle     = "idle"
	StageDocument = "document"
	StageChecks   = "checks"
	StageDecision = "decision"
	StageDoor     = "door"
	StageRecord   = "record"
)

// Door outcomes recorded with a crossing.
const (
	DoorExit     = "exit"     // the traveller left through the exit
	DoorEntrance = "entrance" // the traveller was returned through the entrance
	DoorNone     = "none"     // the traveller is still in the lane (door fault or timeout)
	DoorUnknown  = "unknown"  // the agent stopped before the doors finished
)

// Options configure a flow.
type Options struct {
	Gate, Post, Direction string
	Checks                []Check
	// DocumentTimeout bounds the wait for a document once a traveller is in
	// the lane; LaneTimeout the wait for them to leave it.
	DocumentTimeout time.Duration
	LaneTimeout     time.Duration
	// HoldReferred, when > 0, keeps a referred traveller in the lane (both
	// doors closed) up to that long for an officer's open_exit or return
	// command; 0 returns them at once. The gate's policy decides alone
	// either way: the hold only gives an officer the chance to overrule.
	HoldReferred time.Duration
	// Recorded is called after each crossing is recorded (to wake the uplink).
	Recorded func(wire.Crossing)
	// Referred, when set, is called once per referred crossing as soon as
	// its decision is journalled, before the doors move: the referral for
	// the officers of the post, with the chip's portrait and the live
	// capture. It runs on the lane's path and must not block (queue it).
	Referred func(wire.Referral)
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Flow runs crossings one after another on one lane.
type Flow struct {
	opts   Options
	reader docreader.Reader
	lane   gatectl.Controller
	store  *store.Store
	log    *slog.Logger

	entranceOpen bool
	// replaced holds the checks SetChecks put in place of opts.Checks.
	replaced atomic.Pointer[[]Check]

	// Officers' commands (Execute). locked is set at once but only read by
	// the flow's goroutine at its safe points; wake tells it to look again.
	// held is the referred traveller waiting for an officer, if any.
	locked atomic.Bool
	wake   chan struct{}
	holdMu sync.Mutex
	held   *hold

	mCrossings   *prometheus.CounterVec
	mStage       *prometheus.HistogramVec
	mCrossing    prometheus.Histogram
	mSoftware    prometheus.Histogram
	mNotRecorded prometheus.Counter
}

// New assembles a flow over the lane's devices and the gate's store.
func New(opts Options, reader docreader.Reader, lane gatectl.Controller, st *store.Store) *Flow {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.DocumentTimeout == 0 {
		opts.DocumentTimeout = time.Minute
	}
	if opts.LaneTimeout == 0 {
		opts.LaneTimeout = 2 * time.Minute
	}
	f := promauto.With(opts.Registry)
	return &Flow{
		opts: opts, reader: reader, lane: lane, store: st,
		log:  opts.Logger.With("component", "flow"),
		wake: make(chan struct{}, 1),
		mCrossings: f.NewCounterVec(prometheus.CounterOpts{Name: "autogate_gate_crossings_total",
			Help: "Crossings recorded, by decision."}, []string{"decision"}),
		mStage: f.NewHistogramVec(prometheus.HistogramOpts{Name: "autogate_gate_stage_seconds",
			Help: "Duration of each crossing stage.", Buckets: prometheus.ExponentialBuckets(0.0005, 3, 12)}, []string{"stage"}),
		mCrossing: f.NewHistogram(prometheus.HistogramOpts{Name: "autogate_gate_crossing_seconds",
			Help: "Crossing duration, from the traveller entering the lane to the record.", Buckets: prometheus.ExponentialBuckets(0.05, 1.6, 15)}),
		mSoftware: f.NewHistogram(prometheus.HistogramOpts{Name: "autogate_gate_software_seconds",
			Help: "Crossing time not spent waiting on devices.", Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14)}),
		mNotRecorded: f.NewCounter(prometheus.CounterOpts{Name: "autogate_gate_decisions_not_recorded_total",
			Help: "Decisions the store refused; the traveller was returned, never admitted."}),
	}
}

// SetChecks replaces the checks from the next crossing on (a crossing
// under way finishes with the set it started with): a new policy from
// central takes effect without a restart.
func (f *Flow) SetChecks(checks []Check) { f.replaced.Store(&checks) }

func (f *Flow) currentChecks() []Check {
	if p := f.replaced.Load(); p != nil {
		return *p
	}
	return f.opts.Checks
}

// Recover finishes crossings a previous run left decided but unrecorded.
func (f *Flow) Recover(ctx context.Context) error {
	n, err := f.store.Recover(ctx, func(c *wire.Crossing) {
		c.Door = DoorUnknown
		c.EndedAt = notBefore(c.EndedAt, c.StartedAt)
	})
	if n > 0 {
		f.log.Warn("finished crossings interrupted by a restart; their door outcome is unknown", "count", n)
	}
	return err
}

// Run serves travellers until ctx ends.
func (f *Flow) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, err := f.Once(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("crossing failed", "err", err)
			// A device down must not spin the loop: wait a little.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// crossing is the state of one crossing under way.
type crossing struct {
	c     wire.Crossing
	clock busyClock
	stage string
	start time.Time
}

func (x *crossing) begin(name string) { x.stage, x.start = name, time.Now() }
func (x *crossing) done(f *Flow) {
	end := time.Now()
	x.c.Stages = append(x.c.Stages, wire.Stage{Name: x.stage, Start: x.start.UTC(), End: end.UTC()})
	f.mStage.WithLabelValues(x.stage).Observe(end.Sub(x.start).Seconds())
}

// Once serves one traveller: it returns when they have left the lane and the
// crossing is recorded, or with an error when no crossing could be recorded.
func (f *Flow) Once(ctx context.Context) (wire.Crossing, error) {
	x := &crossing{c: wire.Crossing{
		V: wire.SchemaVersion, Gate: f.opts.Gate, Post: f.opts.Post, Direction: f.opts.Direction,
	}}
	x.begin(StageIdle)
	if err := f.awaitTraveller(ctx); err != nil {
		return wire.Crossing{}, err
	}
	x.done(f)
	x.c.ID = wire.NewID()
	x.c.StartedAt = time.Now().UTC()

	x.begin(StageDocument)
	lines, laneChecks := f.document(ctx, x)
	x.done(f)

	x.begin(StageChecks)
	checks := laneChecks
	var in Input
	if lines != nil {
		// OCR confusions the check digits prove are fixed before parsing;
		// the mrz check's message records each one.
		now := time.Now()
		fixed, corrections := mrz.Correct(lines, now)
		in = Input{Lines: fixed, Now: now, MRZ: mrz.Parse(fixed, now), Corrections: corrections, Device: x.clock.device}
		if f.opts.Referred != nil {
			in.Evidence = newEvidence(f.log.With("crossing", x.c.ID))
		}
		checkSet := f.currentChecks()
		if slices.ContainsFunc(checkSet, func(c Check) bool { _, ok := c.(portraitSource); return ok }) {
			in.Portrait = NewPortrait()
		}
		if len(corrections) > 0 {
			f.log.Info("MRZ OCR confusions corrected", "crossing", x.c.ID, "corrections", len(corrections))
		}
		x.c.Document = documentOf(in.MRZ)
		checks = append(checks, f.runChecks(ctx, checkSet, in)...)
	}
	x.c.Checks = checks
	x.done(f)

	x.begin(StageDecision)
	x.c.Decision = wire.DecisionPass
	for _, c := range checks {
		if c.Result != wire.ResultPass {
			x.c.Decision = wire.DecisionRefer
		}
	}
	x.c.EndedAt = notBefore(time.Now().UTC(), x.c.StartedAt)
	x.done(f)
	// Journal before any door moves: a decision that cannot be recorded is
	// not acted on; the traveller is returned.
	if err := f.store.Decide(ctx, &x.c); err != nil {
		f.mNotRecorded.Inc()
		f.log.Error("cannot record the decision: returning the traveller", "crossing", x.c.ID, "err", err)
		f.returnTraveller(ctx, x)
		return wire.Crossing{}, err
	}
	if x.c.Decision == wire.DecisionRefer && f.opts.Referred != nil {
		f.opts.Referred(f.referral(x, in))
	}

	x.begin(StageDoor)
	x.c.Door = f.doors(ctx, x)
	x.done(f)

	x.begin(StageRecord)
	// UTC() drops the monotonic reading: a wall clock stepped back during
	// the crossing must not give it an end before its start, which central
	// would refuse for ever.
	x.c.EndedAt = notBefore(time.Now().UTC(), x.c.StartedAt)
	x.done(f)
	total := x.c.EndedAt.Sub(x.c.StartedAt)
	device := x.clock.busy()
	x.c.DeviceMS = ms(device)
	x.c.SoftwareMS = ms(max(total-device, 0))
	if err := f.store.Record(context.WithoutCancel(ctx), x.c); err != nil {
		// The decision is journalled; Recover finishes it on the next start.
		return wire.Crossing{}, fmt.Errorf("recording crossing %s: %w", x.c.ID, err)
	}
	f.mCrossings.WithLabelValues(x.c.Decision).Inc()
	f.mCrossing.Observe(total.Seconds())
	f.mSoftware.Observe(x.c.SoftwareMS / 1000)
	f.log.Info("crossing", "id", x.c.ID, "seq", x.c.Seq, "decision", x.c.Decision, "door", x.c.Door,
		"reasons", reasons(checks), "seconds", total.Seconds(), "software_ms", x.c.SoftwareMS)
	if f.opts.Recorded != nil {
		f.opts.Recorded(x.c)
	}
	return x.c, nil
}

// awaitTraveller readies the lane and waits for a traveller to step in. A
// lock or unlock interrupts the wait and the lane is readied again for the
// new mode.
func (f *Flow) awaitTraveller(ctx context.Context) error {
	for {
		if err := f.ready(ctx); err != nil {
			return err
		}
		wctx, cancel := context.WithCancel(ctx)
		arrived := make(chan error, 1)
		go func() {
			_, err := f.lane.WaitOccupancy(wctx, func(n int) bool { return n >= 1 })
			arrived <- err
		}()
		var err error
		woken := false
		select {
		case err = <-arrived:
		case <-f.wake:
			woken = true
			cancel()
			err = <-arrived
		}
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("waiting for a traveller: %w", ctx.Err())
		case err == nil && !f.locked.Load():
			return nil
		case err != nil && !woken:
			return fmt.Errorf("waiting for a traveller: %w", err)
		}
		// The lock changed, or someone stepped in as the lane locked:
		// ready() applies the mode (and sends them back when locked).
	}
}

// ready puts the lane in its waiting state: exit closed, entrance open.
// While the gate is locked it keeps both doors closed and waits for unlock.
func (f *Flow) ready(ctx context.Context) error {
	for f.locked.Load() {
		if err := f.lockLane(ctx); err != nil {
			return err
		}
		select {
		case <-f.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.entranceOpen {
		return nil
	}
	if err := f.lane.CloseDoor(ctx, gatectl.Exit); err != nil {
		return fmt.Errorf("closing the exit before admitting a traveller: %w", err)
	}
	if err := f.lane.OpenDoor(ctx, gatectl.Entrance); err != nil {
		return fmt.Errorf("opening the entrance: %w", err)
	}
	f.entranceOpen = true
	return nil
}

// lockLane closes both doors. Anyone who stepped in as the entrance closed
// is sent back: a locked gate admits nobody.
func (f *Flow) lockLane(ctx context.Context) error {
	if err := f.lane.CloseDoor(ctx, gatectl.Exit); err != nil {
		return fmt.Errorf("closing the exit to lock the lane: %w", err)
	}
	if err := f.lane.CloseDoor(ctx, gatectl.Entrance); err != nil {
		return fmt.Errorf("closing the entrance to lock the lane: %w", err)
	}
	f.entranceOpen = false
	n := f.lane.Occupancy()
	if n == 0 {
		return nil
	}
	f.log.Warn("persons stepped in as the lane locked: sending them back", "persons", n)
	if err := f.lane.OpenDoor(ctx, gatectl.Entrance); err != nil {
		return fmt.Errorf("opening the entrance to send back %d person(s) from the locked lane: %w", n, err)
	}
	f.entranceOpen = true
	wctx, cancel := context.WithTimeout(ctx, f.opts.LaneTimeout)
	defer cancel()
	if _, err := f.lane.WaitOccupancy(wctx, func(n int) bool { return n == 0 }); err != nil {
		return fmt.Errorf("the locked lane did not empty: %w", err)
	}
	if err := f.lane.CloseDoor(ctx, gatectl.Entrance); err != nil {
		return fmt.Errorf("closing the entrance to lock the lane: %w", err)
	}
	f.entranceOpen = false
	return nil
}

// document closes the entrance behind the traveller while the reader reads
// the document; it returns the MRZ lines (nil if none) and the lane checks.
func (f *Flow) document(ctx context.Context, x *crossing) ([]string, []wire.Check) {
	var (
		wg      sync.WaitGroup
		doorErr error
		doc     docreader.Document
		readErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		doorErr = x.clock.device(func() error { return f.lane.CloseDoor(ctx, gatectl.Entrance) })
	}()
	go func() {
		defer wg.Done()
		rctx, cancel := context.WithTimeout(ctx, f.opts.DocumentTimeout)
		defer cancel()
		readErr = x.clock.device(func() error {
			var err error
			doc, err = f.reader.Read(rctx)
			return err
		})
	}()
	wg.Wait()
	f.entranceOpen = doorErr != nil // a door that failed to close may be open

	var checks []wire.Check
	lane := Pass("single_traveller")
	switch n := f.lane.Occupancy(); {
	case doorErr != nil:
		lane = Refer("single_traveller", ReasonDoorFault, "entrance did not close: %v", doorErr)
	case n > 1:
		lane = Refer("single_traveller", ReasonTailgating, "%d persons in the lane", n)
	}
	checks = append(checks, lane)
	if readErr != nil {
		checks = append(checks, Refer("document_read", ReasonDocumentNotRead, "no document read: %v", readErr))
		return nil, checks
	}
	return doc.Lines, checks
}

// runChecks runs every check concurrently; a check that panics or overruns
// refers rather than passes.
func (f *Flow) runChecks(ctx context.Context, set []Check, in Input) []wire.Check {
	out := make([][]wire.Check, len(set))
	var wg sync.WaitGroup
	for i, c := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			defer func() {
				if r := recover(); r != nil {
					out[i] = []wire.Check{Refer(c.Name(), ReasonCheckFailed, "check failed internally: %v", r)}
					f.log.Error("check panicked", "check", c.Name(), "panic", r)
				}
				if len(out[i]) == 0 {
					// A check that reports nothing has not passed.
					out[i] = []wire.Check{Refer(c.Name(), ReasonCheckFailed, "check reported no result")}
				}
				if len(out[i]) == 1 && out[i][0].DurationMS == 0 {
					out[i][0].DurationMS = ms(time.Since(start))
				}
			}()
			out[i] = c.Run(ctx, in)
			for j := range out[i] {
				if out[i][j].Name == "" {
					out[i][j].Name = c.Name()
				}
			}
		}()
	}
	wg.Wait()
	var all []wire.Check
	for _, cs := range out {
		all = append(all, cs...)
	}
	return all
}

// doors lets the traveller out: through the exit on pass, back through the
// entrance on refer. It returns the door outcome.
func (f *Flow) doors(ctx context.Context, x *crossing) string {
	if x.c.Decision != wire.DecisionPass {
		if f.holds() {
			return f.hold(ctx, x)
		}
		return f.returnTraveller(ctx, x)
	}
	err := x.clock.device(func() error { return f.lane.OpenDoor(ctx, gatectl.Exit) })
	if err != nil {
		f.log.Error("exit door did not open: returning the traveller", "crossing", x.c.ID, "err", err)
		x.c.Checks = append(x.c.Checks, Refer("exit_door", ReasonDoorFault, "exit did not open: %v", err))
		x.c.Decision = wire.DecisionRefer
		return f.returnTraveller(ctx, x)
	}
	return f.leaveByExit(ctx, x)
}

// holds reports whether a referred traveller is to be held for an officer:
// only with both doors closed (after a door fault the traveller goes back
// as before) and somebody in the lane.
func (f *Flow) holds() bool {
	return f.opts.HoldReferred > 0 && !f.entranceOpen && f.lane.Occupancy() > 0
}

// referral is the notice of a referred crossing as decided: its record so
// far (door not yet moved), until when the traveller is held, and the
// officer's images.
func (f *Flow) referral(x *crossing, in Input) wire.Referral {
	c := x.c
	c.Checks, c.Stages = slices.Clone(c.Checks), slices.Clone(c.Stages)
	r := wire.Referral{V: wire.SchemaVersion, Crossing: c}
	if f.holds() {
		r.HeldUntil = time.Now().Add(f.opts.HoldReferred).UTC()
	}
	r.ChipPhoto, r.LiveCapture = in.Evidence.images(in.Portrait)
	return r
}

// leaveByExit waits, the exit open, for the traveller to leave, and closes it.
func (f *Flow) leaveByExit(ctx context.Context, x *crossing) string {
	if !f.waitEmpty(ctx, x) {
		return DoorNone
	}
	if err := x.clock.device(func() error { return f.lane.CloseDoor(ctx, gatectl.Exit) }); err != nil {
		f.log.Error("exit door did not close", "crossing", x.c.ID, "err", err)
	}
	return DoorExit
}

func (f *Flow) returnTraveller(ctx context.Context, x *crossing) string {
	if err := x.clock.device(func() error { return f.lane.OpenDoor(ctx, gatectl.Entrance) }); err != nil {
		f.log.Error("entrance did not open: traveller held in the lane, officer needed", "crossing", x.c.ID, "err", err)
		return DoorNone
	}
	f.entranceOpen = true
	if !f.waitEmpty(ctx, x) {
		return DoorNone
	}
	return DoorEntrance
}

func (f *Flow) waitEmpty(ctx context.Context, x *crossing) bool {
	wctx, cancel := context.WithTimeout(ctx, f.opts.LaneTimeout)
	defer cancel()
	err := x.clock.device(func() error {
		_, err := f.lane.WaitOccupancy(wctx, func(n int) bool { return n == 0 })
		return err
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			x.c.Checks = append(x.c.Checks, Refer("lane", ReasonLaneTimeout, "traveller still in the lane after %s", f.opts.LaneTimeout))
		}
		f.log.Warn("lane did not empty", "crossing", x.c.ID, "err", err)
		return false
	}
	return true
}

func documentOf(d mrz.Document) wire.Document {
	return wire.Document{
		Format: string(d.Format), DocumentCode: d.DocumentCode, IssuingState: d.IssuingState,
		DocumentNumber: d.DocumentNumber, Surname: d.Surname, GivenNames: d.GivenNames,
		Nationality: d.Nationality, BirthDate: d.BirthDate, Sex: d.Sex, ExpiryDate: d.ExpiryDate,
	}
}

func reasons(checks []wire.Check) []string {
	var r []string
	for _, c := range checks {
		if c.Reason != "" {
			r = append(r, c.Reason)
		}
	}
	return r
}

func notBefore(t, start time.Time) time.Time {
	if t.Before(start) {
		return start
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Gate modes an officer's lock and unlock switch between.
const (
	ModeNormal = "normal"
	ModeLocked = "locked"
)

// Reasons an officer's command is refused by the flow (stable codes the
// gate's acknowledgement carries).
const (
	CommandNotApplicable = "not_applicable" // nobody (or someone else) is held in the lane
	CommandFailed        = "failed"         // a door did not move
)

// CommandError refuses an officer's command with a stable reason code.
type CommandError struct {
	Reason string
	Err    error
}

// Error is the detail for the officer; the code travels apart, in Reason.
func (e *CommandError) Error() string { return e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

// CommandReason is the refusal's reason code.
func (e *CommandError) CommandReason() string { return e.Reason }

func refuse(reason, format string, args ...any) error {
	return &CommandError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// hold is a referred traveller kept in the lane for an officer. orders has
// room for one order, and taken keeps a second from being sent: at most one
// command settles a hold.
type hold struct {
	crossing string
	orders   chan order
	taken    bool
}

// order is a command handed to the flow's goroutine; done carries the
// outcome once the door has moved (or failed to).
type order struct {
	cmd  wire.Command
	done chan error
}

// Locked reports whether an officer locked the gate.
func (f *Flow) Locked() bool { return f.locked.Load() }

// Mode is ModeLocked or ModeNormal.
func (f *Flow) Mode() string {
	if f.locked.Load() {
		return ModeLocked
	}
	return ModeNormal
}

// Held is the id of the referred crossing whose traveller is held in the
// lane for an officer ("" when none).
func (f *Flow) Held() string {
	f.holdMu.Lock()
	defer f.holdMu.Unlock()
	if f.held == nil {
		return ""
	}
	return f.held.crossing
}

// Execute carries out an officer's command, whose signature, expiry and
// nonce the caller has checked. Lock and unlock take effect at the flow's
// next safe point (a crossing under way finishes first) and return at
// once. open_exit, return and manual_booth act on the referred traveller
// held in the lane (see Options.HoldReferred) and return once the door has
// opened (manual_booth returns the traveller like return: the lane has no
// display of its own, the officer's reason tells where they were sent);
// their doors move on the flow's goroutine, never beside its own moves.
// Refusals are *CommandError.
func (f *Flow) Execute(ctx context.Context, c wire.Command) error {
	switch c.Action {
	case wire.ActionLock, wire.ActionUnlock:
		f.locked.Store(c.Action == wire.ActionLock)
		select {
		case f.wake <- struct{}{}:
		default:
		}
		f.log.Info("officer command", "action", c.Action, "officer", c.Officer, "reason", c.Reason, "command", c.ID)
		return nil
	case wire.ActionOpenExit, wire.ActionReturn, wire.ActionManualBooth:
	default:
		return refuse(CommandNotApplicable, "the lane knows no action %q", c.Action)
	}
	f.holdMu.Lock()
	h := f.held
	switch {
	case h == nil:
		f.holdMu.Unlock()
		return refuse(CommandNotApplicable, "nobody is held in the lane")
	case c.Crossing != "" && c.Crossing != h.crossing:
		f.holdMu.Unlock()
		return refuse(CommandNotApplicable, "crossing %s is not the one held in the lane (%s)", c.Crossing, h.crossing)
	case h.taken:
		f.holdMu.Unlock()
		return refuse(CommandNotApplicable, "crossing %s is already being settled by another command", h.crossing)
	}
	h.taken = true
	o := order{cmd: c, done: make(chan error, 1)}
	h.orders <- o // room for one, and taken guards it
	f.holdMu.Unlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
	}
	// Given up: take the order back unless the flow already has it, so
	// that no door moves for a command reported failed.
	select {
	case <-h.orders:
		return refuse(CommandFailed, "the lane did not take the command in time: %v", ctx.Err())
	default:
		return <-o.done // the flow answers every order it took
	}
}

// hold keeps a referred traveller in the lane, both doors closed, until an
// officer's command or HoldReferred passes; then it lets them out as told,
// or returns them. It returns the door outcome.
func (f *Flow) hold(ctx context.Context, x *crossing) string {
	h := &hold{crossing: x.c.ID, orders: make(chan order, 1)}
	f.holdMu.Lock()
	f.held = h
	f.holdMu.Unlock()
	f.log.Info("referred traveller held in the lane for an officer", "crossing", x.c.ID, "up_to", f.opts.HoldReferred)
	start := time.Now()
	timer := time.NewTimer(f.opts.HoldReferred)
	defer timer.Stop()
	var o *order
	// The wait counts as device time: the traveller waits on the lane and
	// the officer, not on the gate's software.
	_ = x.clock.device(func() error {
		select {
		case got := <-h.orders:
			o = &got
		case <-timer.C:
		case <-ctx.Done():
		}
		return nil
	})
	f.holdMu.Lock()
	f.held = nil
	f.holdMu.Unlock()
	if o == nil {
		// An order sent before the hold ended is still honoured.
		select {
		case got := <-h.orders:
			o = &got
		default:
		}
	}
	if o == nil || ctx.Err() != nil {
		if o != nil {
			o.done <- refuse(CommandFailed, "the gate is stopping")
		}
		if ctx.Err() == nil {
			f.log.Info("no officer command in time: returning the traveller", "crossing", x.c.ID)
		}
		return f.returnTraveller(ctx, x)
	}
	c := o.cmd
	override := Pass("officer_override")
	override.Reason = c.Action
	override.Message = fmt.Sprintf("%s by officer %q (command %s): %s", c.Action, c.Officer, c.ID, c.Reason)
	if c.Action == wire.ActionManualBooth {
		override.Message = fmt.Sprintf("sent back to the manual booth by officer %q (command %s): %s", c.Officer, c.ID, c.Reason)
	}
	override.DurationMS = ms(time.Since(start))
	if c.Action == wire.ActionReturn || c.Action == wire.ActionManualBooth {
		if err := x.clock.device(func() error { return f.lane.OpenDoor(ctx, gatectl.Entrance) }); err != nil {
			o.done <- refuse(CommandFailed, "entrance did not open: %v", err)
			f.log.Error("entrance did not open: traveller held in the lane, officer needed", "crossing", x.c.ID, "err", err)
			return DoorNone
		}
		f.entranceOpen = true
		x.c.Checks = append(x.c.Checks, override)
		o.done <- nil
		what := "officer returned the held traveller"
		if c.Action == wire.ActionManualBooth {
			what = "officer sent the held traveller back to the manual booth"
		}
		f.log.Warn(what, "crossing", x.c.ID, "officer", c.Officer, "command", c.ID)
		if !f.waitEmpty(ctx, x) {
			return DoorNone
		}
		return DoorEntrance
	}
	if err := x.clock.device(func() error { return f.lane.OpenDoor(ctx, gatectl.Exit) }); err != nil {
		o.done <- refuse(CommandFailed, "exit did not open: %v", err)
		f.log.Error("exit door did not open for the officer: returning the traveller", "crossing", x.c.ID, "err", err)
		x.c.Checks = append(x.c.Checks, Refer("exit_door", ReasonDoorFault, "exit did not open: %v", err))
		return f.returnTraveller(ctx, x)
	}
	x.c.Checks = append(x.c.Checks, override)
	o.done <- nil
	f.log.Warn("officer let the held traveller through the exit", "crossing", x.c.ID, "officer", c.Officer, "command", c.ID)
	return f.leaveByExit(ctx, x)
}

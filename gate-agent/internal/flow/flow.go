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
	// Recorded is called after each crossing is recorded (to wake the uplink).
	Recorded func(wire.Crossing)
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
		log: opts.Logger.With("component", "flow"),
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
		if c.EndedAt.Before(c.StartedAt) {
			c.EndedAt = c.StartedAt
		}
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
	if err := f.ready(ctx); err != nil {
		return wire.Crossing{}, err
	}
	if _, err := f.lane.WaitOccupancy(ctx, func(n int) bool { return n >= 1 }); err != nil {
		return wire.Crossing{}, fmt.Errorf("waiting for a traveller: %w", err)
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
	x.c.EndedAt = time.Now().UTC()
	x.done(f)
	// Journal before any door moves: a decision that cannot be recorded is
	// not acted on; the traveller is returned.
	if err := f.store.Decide(ctx, &x.c); err != nil {
		f.mNotRecorded.Inc()
		f.log.Error("cannot record the decision: returning the traveller", "crossing", x.c.ID, "err", err)
		f.returnTraveller(ctx, x)
		return wire.Crossing{}, err
	}

	x.begin(StageDoor)
	x.c.Door = f.doors(ctx, x)
	x.done(f)

	x.begin(StageRecord)
	x.c.EndedAt = time.Now().UTC()
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

// ready puts the lane in its waiting state: exit closed, entrance open.
func (f *Flow) ready(ctx context.Context) error {
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
		return f.returnTraveller(ctx, x)
	}
	err := x.clock.device(func() error { return f.lane.OpenDoor(ctx, gatectl.Exit) })
	if err != nil {
		f.log.Error("exit door did not open: returning the traveller", "crossing", x.c.ID, "err", err)
		x.c.Checks = append(x.c.Checks, Refer("exit_door", ReasonDoorFault, "exit did not open: %v", err))
		x.c.Decision = wire.DecisionRefer
		return f.returnTraveller(ctx, x)
	}
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

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

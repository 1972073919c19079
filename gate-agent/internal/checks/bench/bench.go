package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/benchmarks/host"
	"autogate/gate-agent/internal/checks"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
)

// settings are one run's settings (the flags).
type settings struct {
	Persons        int    `json:"persons"`
	Documents      int    `json:"documents"`
	Queries        int    `json:"queries"`
	DeltaDocuments int    `json:"delta_documents"`
	DeltaPersons   int    `json:"delta_persons"`
	Seed           uint64 `json:"seed"`
	DB             string `json:"-"`
	Out            string `json:"-"`
	Rebuild        bool   `json:"rebuild"`
	// Warmup calls of each kind run before the measured ones and are not
	// counted: a gate's replica is read all day, its pages are cached.
	Warmup int `json:"warmup"`
	// CPUProfile, when set, receives a pprof CPU profile of everything
	// after the build.
	CPUProfile string `json:"-"`
}

// The generator's persons by index: the list holds the first Persons;
// the deltas add the next ones; travellers who are not listed come after
// those. Travellers' documents are the generator's TravelDocuments.
func (c settings) unlistedPersons() int { return c.Persons + 2*c.DeltaPersons }

func (c settings) check() error {
	switch {
	case c.Persons < 10 || c.Documents < 10:
		return fmt.Errorf("--persons and --documents must be at least 10")
	case c.Documents+2*c.DeltaDocuments > maxDocumentIndex:
		return fmt.Errorf("--documents plus twice --delta-documents must stay within the generator's %d distinct documents", maxDocumentIndex)
	case c.Queries < 10:
		return fmt.Errorf("--queries must be at least 10")
	case c.DeltaDocuments < 5 || c.DeltaDocuments > c.Documents/2:
		return fmt.Errorf("--delta-documents must be from 5 to half of --documents (%d): the mixed delta changes and removes built records", c.Documents/2)
	case c.DeltaPersons < 5 || c.DeltaPersons > c.Persons/2:
		return fmt.Errorf("--delta-persons must be from 5 to half of --persons (%d): the mixed delta changes and removes built records", c.Persons/2)
	}
	return nil
}

// The targets.
const (
	targetDocumentP99MS = 1
	targetPersonP99MS   = 10
	targetStageP99MS    = 20
	targetApplyRowsPerS = 50_000
)

// Kinds of call measured (the latency map's keys, the plot's series).
const (
	kindDocument        = "document"
	kindPersonListed    = "person_listed"
	kindPersonNotListed = "person_not_listed"
	kindStage           = "checks_stage"
)

var kinds = []string{kindDocument, kindPersonListed, kindPersonNotListed, kindStage}

type machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	// LoadAverage is /proc/loadavg's 1-minute figure before and after the
	// run: above the core count, latencies include waiting for a core.
	LoadAverage [2]float64 `json:"load_average_before_after"`
}

type database struct {
	SizeBytes     int64            `json:"size_bytes"` // replica.Size: pages in use and free
	FileBytes     int64            `json:"file_bytes"`
	WALBytes      int64            `json:"wal_bytes"`
	Counts        map[string]int64 `json:"counts"`
	VerifySeconds float64          `json:"verify_seconds"` // the integrity check a gate runs at start
}

// variantQuality is the search's recall on one way of presenting a listed
// person.
type variantQuality struct {
	Queries int     `json:"queries"`
	Found   int     `json:"found"`
	Recall  float64 `json:"recall"`
	// Missing are queries left out: no record drawn fitted the variant.
	Missing int `json:"missing,omitempty"`
}

type quality struct {
	Threshold float64 `json:"threshold"`
	// Recall is the share of listed persons whose search found them.
	Recall    float64                   `json:"recall"`
	ByVariant map[string]variantQuality `json:"recall_by_variant"`
	// FalseHitRate is the share of travellers not on the list whose
	// search returned a hit; MeanHits the hits per such search.
	FalseHitRate float64 `json:"false_hit_rate"`
	MeanHits     float64 `json:"mean_hits_not_listed"`
	// FalseHits counts the travellers not listed who were hit by the kind
	// of their best hit: same_name_same_date (a namesake: name and date
	// cannot tell them apart), same_name_other_date, similar_name.
	FalseHits map[string]int `json:"false_hits_by_kind"`
	// NearDateFactors counts the same_name_other_date false hits by the
	// best hit's birth-date factor (identity.Result.Date, two decimals).
	NearDateFactors map[string]int `json:"near_date_factors"`
	// Unpresentable records could not be written in an MRZ and were
	// skipped.
	Unpresentable int    `json:"unpresentable"`
	FirstProblem  string `json:"first_unpresentable,omitempty"`
}

type target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	// AtLeast: the value must reach the limit (a rate); else stay under it.
	AtLeast bool    `json:"at_least,omitempty"`
	Pass    bool    `json:"pass"`
	Ratio   float64 `json:"ratio"` // value / limit
}

type report struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Config      settings           `json:"config"`
	Machine     machine            `json:"machine"`
	Build       buildReport        `json:"build"`
	Database    database           `json:"database"`
	Latency     map[string]latency `json:"latency"`
	Documents   documentReport     `json:"document_lookups"`
	Quality     quality            `json:"quality"`
	Stage       stageReport        `json:"checks_stage"`
	Deltas      []deltaReport      `json:"deltas"`
	Targets     []target           `json:"targets"`
	// samples are the measured durations, for the plot.
	samples map[string][]time.Duration
}

// bench runs the whole benchmark, prints its figures to stdout and writes
// checks.json and checks-latency.svg to cfg.Out.
func bench(ctx context.Context, cfg settings, stdout, stderr io.Writer) (*report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rep := &report{GeneratedAt: time.Now().UTC(), Config: cfg, Latency: map[string]latency{}, samples: map[string][]time.Duration{},
		Machine: machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAverage: [2]float64{host.LoadAverage(), 0}}}
	gen := newGenerator(cfg.Seed)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc4ec5))
	r, build, err := openReplica(ctx, cfg, gen, stderr)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep.Build = build
	stop, err := host.Profile(cfg.CPUProfile)
	if err != nil {
		return nil, err
	}
	defer stop()
	if build.Reused {
		fmt.Fprintf(stdout, "build: reused %s (--rebuild builds it again)\n", cfg.DB)
	} else {
		fmt.Fprintf(stdout, "build: %d persons (%d names) in %.1f s of apply = %.0f rows/s; %d documents in %.1f s = %.0f rows/s; %d deltas, %.1f s with generation\n",
			cfg.Persons, build.Names, build.PersonsSeconds, build.PersonsRowsPerS, cfg.Documents, build.DocumentsSeconds, build.DocumentsRowsPerS, build.Deltas, build.WallSeconds)
	}

	policy := config.DefaultPolicy(lists.DirectionEntry)
	monitor := checks.NewMonitor(r, time.Duration(policy.MaxReplicaAgeH)*time.Hour, time.Duration(policy.IntegrityCheckH)*time.Hour,
		slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	verify := timed(func() { monitor.Verify(ctx) })
	if h := monitor.Health(time.Now()); h.Reason == checks.ReasonReplicaDamaged || h.Reason == checks.ReasonReplicaUnverified {
		return nil, fmt.Errorf("the replica's integrity check failed: %s", h.Message)
	}
	rep.Database.VerifySeconds = verify.Seconds()
	now, err := listsIssued(ctx, r)
	if err != nil {
		return nil, err
	}
	now = now.Add(time.Minute) // a gate whose lists came a minute ago

	pres := &presenter{rng: rng, now: now, nats: nationalities()}
	threshold := *policy.NameThreshold
	if err := measureLookups(ctx, rep, r, cfg, gen, rng, stdout); err != nil {
		return nil, err
	}
	if err := measureSearches(ctx, rep, r, cfg, gen, pres, threshold, stdout); err != nil {
		return nil, err
	}
	lanes := checks.Lists{Replica: r, Monitor: monitor, Policy: policy, Direction: lists.DirectionEntry}
	if err := measureStage(ctx, rep, lanes, cfg, gen, pres, now, stdout); err != nil {
		return nil, err
	}

	deltas, err := applyDeltas(ctx, r, cfg, gen, rng)
	rep.Deltas = deltas
	for _, d := range deltas {
		fmt.Fprintf(stdout, "delta %s: %d rows (+%d ~%d -%d) in %.2f s = %.0f rows/s\n", d.Name, d.Rows, d.Added, d.Changed, d.Removed, d.Seconds, d.RowsPerS)
	}
	if err != nil {
		return nil, err
	}
	if err := measureDatabase(ctx, rep, r, cfg, stdout); err != nil {
		return nil, err
	}
	rep.Machine.LoadAverage[1] = host.LoadAverage()
	rep.Targets = targets(rep)
	for _, t := range rep.Targets {
		fmt.Fprintln(stdout, t.line())
	}
	if err := writeResults(rep, cfg.Out); err != nil {
		return rep, err
	}
	fmt.Fprintln(stdout, rep.summary())
	return rep, nil
}

// listsIssued is when central issued the newer of the watchlists in force.
func listsIssued(ctx context.Context, r *replica.Replica) (time.Time, error) {
	st, err := r.Versions(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var t time.Time
	for _, s := range st {
		if (s.List == lists.ListPersons || s.List == lists.ListDocuments) && s.IssuedAt.After(t) {
			t = s.IssuedAt
		}
	}
	return t, nil
}

func measureLookups(ctx context.Context, rep *report, r *replica.Replica, cfg settings, gen generator, rng *rand.Rand, stdout io.Writer) error {
	if _, _, err := lookupDocuments(ctx, r, cfg, gen, rng, cfg.Warmup); err != nil {
		return err
	}
	took, docs, err := lookupDocuments(ctx, r, cfg, gen, rng, cfg.Queries)
	if err != nil {
		return err
	}
	rep.Documents = docs
	rep.record(kindDocument, took, stdout)
	fmt.Fprintf(stdout, "document lookups: %d of %d listed found, %d of %d not listed found (numbers given as issued, in lower case, with fillers, with a hyphen)\n",
		docs.ListedFound, docs.Listed, docs.UnlistedFound, docs.Unlisted)
	if docs.ListedFound != docs.Listed || docs.UnlistedFound != 0 {
		return fmt.Errorf("document lookups are wrong: %d of %d listed documents found, %d of %d unlisted ones found", docs.ListedFound, docs.Listed, docs.UnlistedFound, docs.Unlisted)
	}
	return nil
}

func measureSearches(ctx context.Context, rep *report, r *replica.Replica, cfg settings, gen generator, pres *presenter, threshold float64, stdout io.Writer) error {
	warm, err := pres.unlistedTravellers(gen, cfg.unlistedPersons()+2*(cfg.Queries+maxDraws), cfg.Warmup)
	if err != nil {
		return err
	}
	if _, err := searchPersons(ctx, r, threshold, warm); err != nil {
		return err
	}
	listed, missing, err := pres.listedTravellers(gen, cfg.Persons, cfg.Queries)
	if err != nil {
		return err
	}
	unlisted, err := pres.unlistedTravellers(gen, cfg.unlistedPersons(), cfg.Queries)
	if err != nil {
		return err
	}
	found, err := searchPersons(ctx, r, threshold, listed)
	if err != nil {
		return err
	}
	hits, err := searchPersons(ctx, r, threshold, unlisted)
	if err != nil {
		return err
	}
	q := quality{Threshold: threshold, ByVariant: map[string]variantQuality{}, Unpresentable: pres.Unpresentable, FirstProblem: pres.FirstProblem}
	var took []time.Duration
	nFound := 0
	for i, s := range found {
		took = append(took, s.took)
		v := q.ByVariant[listed[i].variant]
		v.Queries++
		if s.found {
			v.Found++
			nFound++
		}
		q.ByVariant[listed[i].variant] = v
	}
	for _, name := range listedVariants {
		v := q.ByVariant[name]
		v.Recall, v.Missing = share(v.Found, v.Queries), missing[name]
		q.ByVariant[name] = v
	}
	q.Recall = share(nFound, len(found))
	rep.record(kindPersonListed, took, stdout)
	took = took[:0]
	withHits, nHits := 0, 0
	q.FalseHits = map[string]int{falseHitNamesake: 0, falseHitNearDate: 0, falseHitSimilarName: 0}
	q.NearDateFactors = map[string]int{}
	for _, s := range hits {
		took = append(took, s.took)
		nHits += s.hits
		if s.hits == 0 {
			continue
		}
		withHits++
		kind := falseHitKind(s.best)
		q.FalseHits[kind]++
		if kind == falseHitNearDate {
			q.NearDateFactors[fmt.Sprintf("%.2f", s.best.Date)]++
		}
	}
	q.FalseHitRate, q.MeanHits = share(withHits, len(hits)), float64(nHits)/float64(max(1, len(hits)))
	rep.record(kindPersonNotListed, took, stdout)
	rep.Quality = q
	fmt.Fprintf(stdout, "match quality at threshold %.2f: recall %.4f (%d of %d listed persons found); false hit rate %.4f (%d of %d travellers not listed hit, %.2f hits each on average)\n",
		threshold, q.Recall, nFound, len(found), q.FalseHitRate, withHits, len(hits), q.MeanHits)
	fmt.Fprintf(stdout, "false hits by best hit: %d namesakes (same name, same birth date), %d same name with a partly unknown or near date, %d similar names\n",
		q.FalseHits[falseHitNamesake], q.FalseHits[falseHitNearDate], q.FalseHits[falseHitSimilarName])
	factors := slices.Sorted(maps.Keys(q.NearDateFactors))
	for i, f := range factors {
		factors[i] = fmt.Sprintf("%s: %d", f, q.NearDateFactors[f])
	}
	fmt.Fprintf(stdout, "same-name false hits by birth-date factor: %s\n", strings.Join(factors, ", "))
	for _, name := range listedVariants {
		v := q.ByVariant[name]
		fmt.Fprintf(stdout, "recall %s: %.4f (%d of %d", name, v.Recall, v.Found, v.Queries)
		if v.Missing > 0 {
			fmt.Fprintf(stdout, "; %d queries left out: no record drawn fitted", v.Missing)
		}
		fmt.Fprintln(stdout, ")")
	}
	if q.Unpresentable > 0 {
		fmt.Fprintf(stdout, "unpresentable records skipped: %d (first: %s)\n", q.Unpresentable, q.FirstProblem)
	}
	return nil
}

func measureStage(ctx context.Context, rep *report, lanes checks.Lists, cfg settings, gen generator, pres *presenter, now time.Time, stdout io.Writer) error {
	ts, mix, err := stageMix(cfg, gen, pres, cfg.Queries+cfg.Warmup)
	if err != nil {
		return err
	}
	if _, _, err := runStage(ctx, lanes, ts[:cfg.Warmup], mix[:cfg.Warmup], now); err != nil {
		return err
	}
	took, st, err := runStage(ctx, lanes, ts[cfg.Warmup:], mix[cfg.Warmup:], now)
	if err != nil {
		return err
	}
	rep.Stage = st
	rep.record(kindStage, took, stdout)
	for _, kind := range []string{mixClean, mixListedDocument, mixListedPerson} {
		d := st.Decisions[kind]
		fmt.Fprintf(stdout, "checks stage %s: pass %d, refer %d, alert %d\n", kind, d["pass"], d["refer"], d["alert"])
	}
	fmt.Fprintf(stdout, "checks stage ran: %s (one goroutine each, per traveller)\n", strings.Join(st.Checks, ", "))
	return nil
}

// stageMix is the stage's travellers: one in ten carries a listed
// document, one in ten is a listed person, the others are on no list.
func stageMix(cfg settings, gen generator, pres *presenter, n int) ([]traveller, []string, error) {
	clean, err := pres.unlistedTravellers(gen, cfg.unlistedPersons()+cfg.Queries+maxDraws, n)
	if err != nil {
		return nil, nil, err
	}
	ts := make([]traveller, 0, n)
	mix := make([]string, 0, n)
	for i := range n {
		kind := mixClean
		var t traveller
		err := errNotApplicable
		switch i % 10 {
		case 0:
			kind = mixListedDocument
			t, err = pres.draw(func() (traveller, error) {
				return pres.carryingOrSkip(clean[i], gen.Document(pres.rng.IntN(cfg.Documents)))
			})
		case 1:
			kind = mixListedPerson
			v := listedVariants[(i/10)%len(listedVariants)]
			t, err = pres.draw(func() (traveller, error) { return pres.listed(gen.Person(pres.rng.IntN(cfg.Persons)), v) })
			if err == errNotApplicable { // a variant no record fits: present one as it is
				t, err = pres.draw(func() (traveller, error) { return pres.listed(gen.Person(pres.rng.IntN(cfg.Persons)), variantExact) })
			}
		default:
			t, err = pres.draw(func() (traveller, error) {
				return pres.carryingOrSkip(clean[i], gen.TravelDocument(pres.rng.IntN(maxDocumentIndex)))
			})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("making the checks stage's %s traveller: %w", kind, err)
		}
		ts = append(ts, t)
		mix = append(mix, kind)
	}
	return ts, mix, nil
}

func measureDatabase(ctx context.Context, rep *report, r *replica.Replica, cfg settings, stdout io.Writer) error {
	size, err := r.Size(ctx)
	if err != nil {
		return err
	}
	st, err := r.Versions(ctx)
	if err != nil {
		return err
	}
	db := database{SizeBytes: size, FileBytes: fileSize(cfg.DB), WALBytes: fileSize(cfg.DB + "-wal"), Counts: map[string]int64{}, VerifySeconds: rep.Database.VerifySeconds}
	var counts []string
	for _, s := range st {
		db.Counts[s.List] = s.Count
		counts = append(counts, fmt.Sprintf("%s %d", s.List, s.Count))
	}
	rep.Database = db
	fmt.Fprintf(stdout, "database: %.1f MB (replica.Size), file %.1f MB + WAL %.1f MB; rows: %s; integrity check %.1f s\n",
		mb(db.SizeBytes), mb(db.FileBytes), mb(db.WALBytes), strings.Join(counts, ", "), db.VerifySeconds)
	return nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// record keeps the durations of one kind and prints their summary.
func (rep *report) record(kind string, took []time.Duration, stdout io.Writer) {
	rep.samples[kind] = slices.Clone(took)
	l := summarise(took)
	rep.Latency[kind] = l
	fmt.Fprintf(stdout, "latency %s: n %d, p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms\n", kind, l.N, l.P50MS, l.P95MS, l.P99MS, l.MaxMS)
}

func targets(rep *report) []target {
	under := func(name string, value, limit float64, unit string) target {
		return target{Name: name, Value: value, Limit: limit, Unit: unit, Pass: value <= limit, Ratio: value / limit}
	}
	out := []target{
		under("document lookup p99", rep.Latency[kindDocument].P99MS, targetDocumentP99MS, "ms"),
		under("person search p99, listed persons", rep.Latency[kindPersonListed].P99MS, targetPersonP99MS, "ms"),
		under("person search p99, travellers not listed", rep.Latency[kindPersonNotListed].P99MS, targetPersonP99MS, "ms"),
		under("checks stage p99", rep.Latency[kindStage].P99MS, targetStageP99MS, "ms"),
	}
	for _, d := range rep.Deltas {
		if d.Undo {
			continue
		}
		out = append(out, target{Name: "delta apply, " + d.Name, Value: d.RowsPerS, Limit: targetApplyRowsPerS, Unit: "rows/s",
			AtLeast: true, Pass: d.RowsPerS >= targetApplyRowsPerS, Ratio: d.RowsPerS / targetApplyRowsPerS})
	}
	return out
}

func (t target) line() string {
	verdict, rel := "PASS", "≤"
	if !t.Pass {
		verdict = "MISS"
	}
	if t.AtLeast {
		rel = "≥"
	}
	return fmt.Sprintf("%s %s: %s %s (target %s %s %s; ratio %.2f)", verdict, t.Name,
		strconv.FormatFloat(t.Value, 'f', precision(t.Unit), 64), t.Unit, rel, strconv.FormatFloat(t.Limit, 'f', -1, 64), t.Unit, t.Ratio)
}

func precision(unit string) int {
	if unit == "ms" {
		return 3
	}
	return 0
}

func (rep *report) summary() string {
	missed := 0
	for _, t := range rep.Targets {
		if !t.Pass {
			missed++
		}
	}
	rate := func(list string) float64 {
		for _, d := range rep.Deltas {
			if d.List == list && !d.Undo {
				return d.RowsPerS // the add delta comes first
			}
		}
		return 0
	}
	l := rep.Latency
	return fmt.Sprintf("summary: persons=%d documents=%d document_p99_ms=%.3f person_listed_p99_ms=%.3f person_not_listed_p99_ms=%.3f stage_p99_ms=%.3f recall=%.4f false_hit_rate=%.4f apply_documents_rows_s=%.0f apply_persons_rows_s=%.0f db_mb=%.0f targets_missed=%d",
		rep.Config.Persons, rep.Config.Documents, l[kindDocument].P99MS, l[kindPersonListed].P99MS, l[kindPersonNotListed].P99MS, l[kindStage].P99MS,
		rep.Quality.Recall, rep.Quality.FalseHitRate, rate(lists.ListDocuments), rate(lists.ListPersons), mb(rep.Database.FileBytes+rep.Database.WALBytes), missed)
}

func writeResults(rep *report, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	for name, content := range map[string][]byte{"checks.json": append(data, '\n'), "checks-latency.svg": plot(rep)} {
		if err := os.WriteFile(filepath.Join(out, name), content, 0o644); err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
	}
	return nil
}

// Command post runs a simulated border post on one machine: central (with its
// embedded MQTT broker, SQLite store and dashboard) and N gate-agent processes
// on simulated devices, fed by a generated population of travellers. With
// --faces (the default, when `make models` has run and the shared LFW photos
// are there) every gate has a camera and compares each traveller's face with
// the chip's portrait; a share of impostors and presentation attacks is
// planted among them. When the travellers are through it compares central's
// store with every gate's SQLite, prints how the face stage did (genuine
// travellers falsely rejected, impostors and attacks accepted) and, as its
// last line,
//
//	summary: travellers=M crossings=X delivered=Y lost=L duplicates=D passed=P referred=R median_crossing_s=F p95_software_ms=F
//
// Then it keeps serving the console and the dashboard until Ctrl-C (for
// --linger, or exits with --exit-when-done: status 0 when nothing was lost,
// duplicated or wrongly decided). Figures and plots go to
// benchmarks/results/.
//
// Central gets web accounts with random passwords (central user add):
// sim-officer and sim-supervisor at the gates' post, sim-hq, sim-admin, and
// sim-officer-other at a post with no gate. The simulator prints how to log
// in (and writes it to <work>/accounts.txt, mode 0600) and reads central's
// JSON API as sim-hq. With --hold-referred the gates keep a referred
// traveller in the lane for an officer; with --officer auto a simulated
// officer settles each one at the console after --officer-delay (see
// decideAsOfficer: a careful officer who compares the faces). The officer
// changes none of the figures: a crossing keeps the gate's decision (the
// command adds an officer_override check and decides the door), and wrong
// decisions are judged on the gate's own decision.
//
// --console-bench N runs the click→ack benchmark instead (consolebench.go):
// N referrals settled through the console's act endpoint and
// --browser-clicks more by clicks in headless Chromium; it prints
//
//	click→ack p95 = X ms (target ≤ 1000 ms)
//
// and writes console-ack.json and console-ack.svg.
//
// MQTT runs over TLS with client certificates: the simulator makes
// central's fleet PKI (central pki init) and a credentials bundle per gate
// (central gate add); --tls=false runs plain TCP.
//
// With --chaos the broker runs as its own process, each gate's MQTT link
// goes through a proxy, travellers arrive in waves over --chaos-for, and a
// seeded chaos goroutine SIGKILLs and restarts gate agents, the broker and
// central, pauses and cuts links and delivers crossings again (each event a
// "chaos: t=…" line). Then it heals the post, lets everything drain and
// checks as always, plus that every traveller has exactly one crossing.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"autogate/benchmarks/population"
	"autogate/models/face"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("post", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gates := fs.Int("gates", 4, "gate-agent processes")
	travellers := fs.Int("travellers", 200, "travellers to generate")
	speed := fs.Float64("speed", 1, "device speed: 1 real time, 10 ten times faster, 0 no device delays")
	exitWhenDone := fs.Bool("exit-when-done", false, "stop everything after the summary instead of serving until Ctrl-C")
	seed := fs.Int64("seed", 1, "population seed")
	expired := fs.Float64("expired-share", 0.08, "share of travellers with an expired document (the gates must refer them)")
	clones := fs.Float64("clone-share", 0.03, "share of cloned chips (Chip/Active Authentication must fail)")
	tampered := fs.Float64("tamper-share", 0.03, "share of chips with a data group changed after signing (Passive Authentication must fail)")
	httpAddr := fs.String("http", "", "central's dashboard address (default: a free loopback port)")
	work := fs.String("work", "", "folder for data, gate files and logs (default: a new temporary folder)")
	bin := fs.String("bin", "", "folder with prebuilt gate-agent and central binaries (default: build them)")
	results := fs.String("results", "", "where figures and plots go (default: benchmarks/results in the repository)")
	pcscGate := fs.Bool("pcsc", false, "the first gate reads chips through the real pcscd (vsmartcard's vpcd must be installed and pcscd running)")
	stuckAfter := fs.Duration("stuck-after", 90*time.Second, "give up when no traveller gets through for this long")
	faces := fs.Bool("faces", true, "gates have a camera and compare each traveller's face with the chip's portrait (needs `make models` and the shared LFW photos)")
	impostors := fs.Float64("impostor-share", 0.03, "share of travellers presenting someone else's document (the gates must refer them: no_match)")
	attacks := fs.Float64("attack-share", 0.03, "share of travellers holding the portrait up to the camera, still or moved by hand (the gates must refer them: presentation_attack)")
	listPersons := fs.Int("list-persons", 50000, "synthetic persons of interest in every gate's lists (national lists hold about a million: see benchmarks/checks)")
	listDocuments := fs.Int("list-documents", 200000, "synthetic lost, stolen and revoked documents in every gate's lists")
	listHits := fs.Float64("list-hit-share", 0.04, "share of travellers planted on the lists: wanted persons and stolen or lost documents (referred), watch-only persons and near misses (admitted)")
	minQuality := fs.Float64("photo-min-quality", 0.5, "face quality a shared photo needs to serve as a portrait or a live face (0: any photo with one face, turned heads included)")
	useTLS := fs.Bool("tls", true, "MQTT over TLS: central's fleet PKI (central pki init) and a credentials bundle per gate (central gate add); --tls=false for plain TCP")
	chaos := fs.Bool("chaos", false, "inject faults during the run: kill and restart gate agents, the broker (then a separate process) and central, pause and cut the gates' links, deliver crossings again; figures go to the work folder")
	chaosSeed := fs.Int64("chaos-seed", 0, "seed of the faults, gates and outages --chaos draws (0: from the clock, printed)")
	chaosFor := fs.Duration("chaos-for", 30*time.Second, "with --chaos, feed the travellers in waves over this long (faults go on until all have crossed)")
	chaosEvery := fs.Duration("chaos-every", time.Second, "with --chaos, mean time between faults")
	chaosMaxDown := fs.Duration("chaos-max-down", 3*time.Second, "with --chaos, longest a process stays dead or a link broken")
	holdReferred := fs.Duration("hold-referred", 0, "keep a referred traveller in the lane this long for an officer at the console (gate files' hold_referred_s); 0 returns them at once")
	officer := fs.String("officer", "off", "auto: a simulated officer settles every held referral at the console after --officer-delay (needs --hold-referred); off: nobody does unless a person logs in")
	officerDelay := fs.Duration("officer-delay", 6*time.Second, "with --officer auto, how long the simulated officer looks at a referral before acting")
	linger := fs.Duration("linger", 0, "after the summary, keep central and the gates up this long for a person to look (Ctrl-C ends it sooner); 0: until Ctrl-C, or not at all with --exit-when-done")
	consoleBench := fs.Int("console-bench", 0, "instead of the post's run: benchmark the officer's click to the gate's ack over N referrals (2 gates, hold on; writes console-ack.json and console-ack.svg)")
	browserClicks := fs.Int("browser-clicks", 3, "with --console-bench, this many more referrals settled by clicks in headless Chromium, reported apart")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./benchmarks/post [flags]\n\nRuns a simulated border post: central + N gates + generated travellers. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	shares := []float64{*expired, *clones, *tampered, *impostors, *attacks, *minQuality, *listHits}
	if *gates < 1 || *travellers < 0 || *speed < 0 || *listPersons < 0 || *listDocuments < 0 || slices.ContainsFunc(shares, func(v float64) bool { return !(v >= 0 && v <= 1) }) || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "post: --gates ≥ 1, --travellers ≥ 0, --speed ≥ 0, and the shares and --photo-min-quality in [0,1] please")
		return 2
	}
	if *chaosFor < 0 || *chaosEvery <= 0 || *chaosMaxDown < 0 {
		fmt.Fprintln(stderr, "post: --chaos-for ≥ 0, --chaos-every > 0 and --chaos-max-down ≥ 0 please")
		return 2
	}
	if *holdReferred < 0 || *linger < 0 || *officerDelay < 0 || *consoleBench < 0 || *browserClicks < 0 || (*officer != "auto" && *officer != "off") {
		fmt.Fprintln(stderr, "post: --hold-referred, --linger, --officer-delay, --console-bench and --browser-clicks ≥ 0, and --officer auto or off please")
		return 2
	}
	if *officer == "auto" && *holdReferred == 0 {
		fmt.Fprintln(stderr, "post: --officer auto needs --hold-referred (a gate holds nobody for the officer without it)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	if *work == "" {
		if *work, err = os.MkdirTemp("", "autogate-post-"); err != nil {
			fmt.Fprintln(stderr, "post:", err)
			return 1
		}
	}
	// Absolute: gate files name their credentials, which a gate resolves
	// against the gate file's own folder.
	if *work, err = filepath.Abs(*work); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	if *bin == "" {
		*bin = filepath.Join(*work, "bin")
		fmt.Fprintln(stdout, "building gate-agent and central …")
		if err := build(ctx, root, *bin); err != nil {
			fmt.Fprintln(stderr, "post:", err)
			return 1
		}
	}
	if *results == "" {
		*results = filepath.Join(root, "benchmarks", "results")
		if *chaos {
			// Timings under injected faults are no figures to publish.
			*results = filepath.Join(*work, "results")
		}
	}

	if *consoleBench > 0 {
		return consoleBenchMain(ctx, BenchPost(*bin, *work, root, *httpAddr, *speed),
			ConsoleBench{N: *consoleBench, BrowserClicks: *browserClicks, Seed: *seed}, *results, stdout, stderr)
	}

	faceDir := ""
	if *faces {
		faceDir = faceSource(root, stdout)
		*faces = faceDir != ""
	}
	post := &Post{Bin: *bin, Work: *work, Root: root, Speed: *speed, Gates: *gates, HTTP: *httpAddr, PCSCGate: *pcscGate, Faces: *faces,
		SeparateBroker: *chaos, Proxies: *chaos, TLS: *useTLS, HoldReferred: *holdReferred}
	defer post.Stop()

	opts := population.DefaultOptions(time.Now())
	opts.Seed, opts.ExpiredShare = *seed, *expired
	pop := population.Generate(*travellers, opts)
	fmt.Fprintf(stdout, "building the lists every gate holds: %d persons of interest, %d documents …\n", *listPersons, *listDocuments)
	listStart := time.Now()
	plan, err := post.BuildLists(ctx, pop, ListOptions{Persons: *listPersons, Documents: *listDocuments, HitShare: *listHits, Seed: *seed}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	fmt.Fprintf(stdout, "lists: persons=%d documents=%d planted: %s (left out %d synthetic records that could match a traveller by chance) %.1f s\n",
		plan.Persons, plan.Documents, counts(plan.Planted.Kinds), plan.Dropped, time.Since(listStart).Seconds())
	fmt.Fprintf(stdout, "starting central and %d gates (work folder %s) …\n", *gates, *work)
	if err := post.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	printLogins(stdout, post)

	pki, err := post.PKI()
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	var cast *population.Faces
	if *faces {
		eng, err := face.Load(face.Config{Dir: ModelsDir(root), Threads: 1})
		if err != nil {
			fmt.Fprintln(stderr, "post:", err)
			return 1
		}
		defer eng.Close()
		cast = &population.Faces{Dir: faceDir, Detector: eng, ImpostorShare: *impostors, AttackShare: *attacks,
			MinQuality: *minQuality, Seed: *seed, Progress: progress(stderr)}
		if err := cast.AssignPeople(pop); err != nil {
			fmt.Fprintln(stderr, "post:", err)
			return 1
		}
	}
	photos := sharedFaces(root)
	if len(photos) == 0 {
		fmt.Fprintln(stdout, "shared face photos not found (set AUTOGATE_TESTDATA): documents carry a synthetic photo")
		photos = [][]byte{syntheticFace()}
	}
	if err := population.IssueDocuments(pop, population.Chips{PKI: pki, Faces: photos, CloneShare: *clones,
		TamperShare: *tampered, Seed: *seed}); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	if cast != nil {
		prep := time.Now()
		st, err := cast.Present(pop)
		if err != nil {
			fmt.Fprintln(stderr, "post:", err)
			return 1
		}
		fmt.Fprintf(stdout, "faces: %s; %d bursts of %d frames made (%d reused), %d photos checked, %.0f MB of frames, %.1f s\n",
			population.Describe(pop), st.Bursts, population.DefaultBurstFrames, st.Cached, st.PhotosChecked, float64(st.Bytes)/1e6, time.Since(prep).Seconds())
	}
	if err := writePlan(filepath.Join(*work, "travellers.json"), pop); err != nil {
		fmt.Fprintln(stderr, "post: writing the plan:", err)
	}
	var officerSim *Officer
	if *officer == "auto" {
		c, err := post.Client(ctx, UserOfficer)
		if err != nil {
			fmt.Fprintln(stderr, "post: the simulated officer:", err)
			return 1
		}
		officerSim = &Officer{Client: c, Delay: *officerDelay, Plan: planOf(pop), Log: stderr}
		officerCtx, stopOfficer := context.WithCancel(ctx)
		defer stopOfficer()
		go officerSim.Run(officerCtx)
		fmt.Fprintf(stdout, "simulated officer %s settles each held referral after %s (--officer off leaves them to you)\n", UserOfficer, *officerDelay)
	}
	start := time.Now()
	var rep Report
	var problems []string
	if *chaos {
		rep, problems, err = post.RunChaos(ctx, pop, ChaosOptions{Seed: *chaosSeed, For: *chaosFor, Every: *chaosEvery,
			MaxDown: *chaosMaxDown, StuckAfter: *stuckAfter}, stdout)
	} else {
		rep, err = post.feedAndWait(ctx, pop, *stuckAfter, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	elapsed := time.Since(start)

	printDetails(stdout, rep, elapsed, *speed)
	if *chaos {
		if st, err := post.CentralStats(ctx); err == nil {
			fmt.Fprintf(stdout, "central: %d duplicate deliveries absorbed, %d messages refused %v\n", st.DuplicateDeliveries, st.RejectedTotal, st.RejectedByReason)
		}
		for _, p := range problems {
			fmt.Fprintln(stdout, "traveller problem:", p)
		}
		if len(problems) == 0 {
			fmt.Fprintf(stdout, "every one of the %d travellers has exactly one crossing\n", len(pop))
		}
	}
	if err := writeResults(*results, rep, elapsed, *speed, *gates); err != nil {
		fmt.Fprintln(stderr, "post: writing results:", err)
	} else {
		fmt.Fprintf(stdout, "figures and plots: %s\n", *results)
	}
	if officerSim != nil {
		fmt.Fprintf(stdout, "simulated officer: %s\n", officerSim.Summary())
	}
	printLogins(stdout, post)
	fmt.Fprintf(stdout, "logs in %s, the travellers planned in %s\n", filepath.Join(*work, "logs"), filepath.Join(*work, "travellers.json"))
	switch {
	case *linger > 0:
		fmt.Fprintf(stdout, "serving for %s more (Ctrl-C ends it sooner)\n", *linger)
	case !*exitWhenDone:
		fmt.Fprintln(stdout, "serving until Ctrl-C")
	}
	fmt.Fprintln(stdout, rep.SummaryLine())
	failed := rep.Lost > 0 || rep.Duplicates > 0 || rep.WrongDecisions > 0 || len(problems) > 0
	switch {
	case *linger > 0:
		select {
		case <-ctx.Done():
		case <-time.After(*linger):
		}
	case !*exitWhenDone:
		<-ctx.Done()
		return 0
	}
	if *exitWhenDone && failed {
		return 1
	}
	return 0
}

// printLogins tells a person where the console and the dashboard are and
// how to log in to them.
func printLogins(w io.Writer, s *Post) {
	fmt.Fprintf(w, "officer console: %s/console   HQ dashboard: %s/dashboard   (log in at %s/login)\n", s.WebURL(), s.WebURL(), s.WebURL())
	for _, a := range s.Accounts {
		where := a.Role
		if a.Post != "" {
			where += " at " + a.Post
		}
		fmt.Fprintf(w, "  user %-18s password %s  (%s)\n", a.Name, a.Password, where)
	}
	fmt.Fprintf(w, "  (also in %s)\n", s.AccountsFile())
}

// planOf indexes the travellers by document number.
func planOf(pop []population.Traveller) map[string]population.Traveller {
	plan := make(map[string]population.Traveller, len(pop))
	for _, t := range pop {
		plan[t.Fields.DocumentNumber] = t
	}
	return plan
}

// feedAndWait feeds every traveller at once, waits until they are through
// and central holds their crossings.
func (s *Post) feedAndWait(ctx context.Context, pop []population.Traveller, stuckAfter time.Duration, progress io.Writer) (Report, error) {
	if _, err := s.Feed(ctx, pop); err != nil {
		return Report{}, err
	}
	if err := s.waitThrough(ctx, len(pop), stuckAfter, progress); err != nil {
		return Report{}, err
	}
	return s.waitDelivered(ctx, pop, 60*time.Second)
}

// waitThrough shows a progress bar until n travellers are recorded.
func (s *Post) waitThrough(ctx context.Context, n int, stuckAfter time.Duration, w io.Writer) error {
	bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("travellers"),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	last, lastChange := -1, time.Now()
	for {
		done := 0
		for i := range s.gates {
			st, err := s.GateFeed(ctx, i)
			if err == nil {
				done += st.Recorded
			}
		}
		if done != last {
			last, lastChange = done, time.Now()
			bar.Set(done)
		}
		if done >= n {
			bar.Finish()
			return nil
		}
		if time.Since(lastChange) > stuckAfter {
			return fmt.Errorf("no traveller got through for %s (%d of %d done); see the logs in %s",
				stuckAfter, done, n, filepath.Join(s.Work, "logs"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitDelivered reconciles until central holds every gate crossing, or the
// timeout passes (then the report shows what is lost).
func (s *Post) waitDelivered(ctx context.Context, pop []population.Traveller, timeout time.Duration) (Report, error) {
	deadline := time.Now().Add(timeout)
	for {
		rep, err := s.Reconcile(ctx, pop)
		if err == nil && rep.Lost == 0 || time.Now().After(deadline) {
			return rep, err
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func printDetails(w io.Writer, r Report, elapsed time.Duration, speed float64) {
	fmt.Fprintf(w, "\n%-14s %9s %9s %7s %8s\n", "gate", "crossings", "delivered", "passed", "referred")
	for _, g := range r.PerGate {
		fmt.Fprintf(w, "%-14s %9d %9d %7d %8d\n", g.Gate, g.Crossings, g.Delivered, g.Passed, g.Referred)
	}
	names := make([]string, 0, len(r.StageMedianMS))
	for n := range r.StageMedianMS {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return stageOrder(names[i]) < stageOrder(names[j]) })
	fmt.Fprint(w, "\nmedian per stage (ms):")
	for _, n := range names {
		fmt.Fprintf(w, " %s=%.2f", n, r.StageMedianMS[n])
	}
	fmt.Fprintf(w, "\nwall time %.1f s for %d travellers", elapsed.Seconds(), r.Travellers)
	if speed > 0 {
		fmt.Fprintf(w, "; median crossing at device speed 1 ≈ %.1f s", r.MedianCrossingS*speed)
	}
	fmt.Fprintf(w, "\nwrong decisions: %d", r.WrongDecisions)
	if r.Unplanned > 0 {
		fmt.Fprintf(w, " (and %d crossings whose document was not read, so not judged: see the gates' logs)", r.Unplanned)
	}
	fmt.Fprintln(w)
	if f := r.Faces; f != nil {
		fmt.Fprintf(w, "face: genuine=%d false_rejects=%d (%.1f %%) impostors=%d accepted=%d attacks=%d accepted=%d median_face_stage_ms=%.0f\n",
			f.Genuine, f.FalseRejects, 100*f.FNMR, f.Impostors, f.ImpostorsAccepted, f.Attacks, f.AttacksAccepted, f.StageMedianMS)
		if len(f.FalseRejectsBy) > 0 {
			fmt.Fprintf(w, "face false rejects by reason: %s\n", counts(f.FalseRejectsBy))
		}
	}
}

// writePlan writes what each traveller is and what the gates should do
// with them, so a surprising decision can be traced to its photos.
func writePlan(path string, pop []population.Traveller) error {
	type entry struct {
		Document      string                  `json:"document"`
		Expect        string                  `json:"expect"`
		Why           string                  `json:"why,omitempty"`
		Person        string                  `json:"person,omitempty"`
		Presentation  population.Presentation `json:"presentation,omitempty"`
		PortraitPhoto string                  `json:"portrait_photo,omitempty"`
		ShownPhoto    string                  `json:"shown_photo,omitempty"`
	}
	out := make([]entry, len(pop))
	for i, t := range pop {
		out[i] = entry{t.Fields.DocumentNumber, t.Expect, t.Why, t.Person, t.Presentation, t.PortraitPhoto, t.ShownPhoto}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// counts prints a tally as "a=1 b=2", sorted by name.
func counts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// progress shows a progress bar per step of the face preparation.
func progress(w io.Writer) func(step string, done, total int) {
	var bar *progressbar.ProgressBar
	cur := ""
	return func(step string, done, total int) {
		if step != cur || bar == nil {
			cur = step
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(step),
				progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		}
		bar.Set(done)
	}
}

// faceSource returns the shared LFW folder when the gates can run the face
// stage (models made, photos there), or says why not and returns "".
func faceSource(root string, w io.Writer) string {
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(ModelsDir(root), f)); err != nil {
			fmt.Fprintln(w, "face models not found (make models): gates run without a camera")
			return ""
		}
	}
	dir := filepath.Join(sharedTestdata(root), "faces", "lfw")
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintln(w, "shared face photos not found (set AUTOGATE_TESTDATA): gates run without a camera")
		return ""
	}
	return dir
}

// sharedTestdata is $AUTOGATE_TESTDATA or ../shared/testdata beside the
// repository.
func sharedTestdata(root string) string {
	if dir := os.Getenv("AUTOGATE_TESTDATA"); dir != "" {
		return dir
	}
	return filepath.Join(root, "..", "shared", "testdata")
}

func stageOrder(name string) int {
	for i, n := range []string{"idle", "document", "checks", "decision", "door", "record"} {
		if n == name {
			return i
		}
	}
	return 99
}

func writeResults(dir string, r Report, elapsed time.Duration, speed float64, gates int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := struct {
		Report
		Gates       int     `json:"gates"`
		Speed       float64 `json:"speed"`
		WallSeconds float64 `json:"wall_seconds"`
		At          string  `json:"at"`
	}{r, gates, speed, elapsed.Seconds(), time.Now().UTC().Format(time.RFC3339)}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "post-summary.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "post-crossings.svg"), plotCrossings(r), 0o644)
}

func build(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator), "./gate-agent", "./central")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the binaries: %v\n%s", err, out)
	}
	return nil
}

// sharedFaces reads the first photo of each person of the shared LFW set
// ($AUTOGATE_TESTDATA or ../shared/testdata beside the repository), so
// documents carry real faces; nil when the set is absent.
func sharedFaces(root string) [][]byte {
	people, _ := filepath.Glob(filepath.Join(sharedTestdata(root), "faces", "lfw", "*"))
	var out [][]byte
	for _, p := range people {
		photos, _ := filepath.Glob(filepath.Join(p, "*.jpg"))
		if len(photos) == 0 {
			continue
		}
		if b, err := os.ReadFile(photos[0]); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// syntheticFace is the DG2 photo when the shared face set is absent: a
// 240×320 JPEG of typical size.
func syntheticFace() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 320))
	for y := 0; y < 320; y++ {
		for x := 0; x < 240; x++ {
			img.Set(x, y, color.RGBA{uint8(128 + (x-120)*(y-160)/200), uint8(y / 2), uint8(x), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// repoRoot finds the folder holding go.mod, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run me inside the autogate repository (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

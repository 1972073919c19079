// Command post runs a simulated border post on one machine: central (with its
// embedded MQTT broker, SQLite store and dashboard) and N gate-agent processes
// on simulated devices, fed by a generated population of travellers. When the
// travellers are through it compares central's store with every gate's SQLite
// and prints, as its last line,
//
//	summary: travellers=M crossings=X delivered=Y lost=L duplicates=D passed=P referred=R median_crossing_s=F p95_software_ms=F
//
// Then it keeps serving the dashboard until Ctrl-C (or exits with
// --exit-when-done: status 0 when nothing was lost, duplicated or wrongly
// decided). Figures and plots go to benchmarks/results/.
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
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"autogate/benchmarks/population"
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
	if *gates < 1 || *travellers < 0 || *speed < 0 || *expired < 0 || *expired > 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "post: --gates ≥ 1, --travellers ≥ 0, --speed ≥ 0 and --expired-share in [0,1] please")
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
	}

	post := &Post{Bin: *bin, Work: *work, Root: root, Speed: *speed, Gates: *gates, HTTP: *httpAddr, PCSCGate: *pcscGate}
	defer post.Stop()
	fmt.Fprintf(stdout, "starting central and %d gates (work folder %s) …\n", *gates, *work)
	if err := post.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	fmt.Fprintf(stdout, "dashboard: http://%s/\n", post.HTTP)

	opts := population.DefaultOptions(time.Now())
	opts.Seed, opts.ExpiredShare = *seed, *expired
	pop := population.Generate(*travellers, opts)
	pki, err := post.PKI()
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	faces := sharedFaces(root)
	if len(faces) == 0 {
		fmt.Fprintln(stdout, "shared face photos not found (set AUTOGATE_TESTDATA): documents carry a synthetic photo")
		faces = [][]byte{syntheticFace()}
	}
	if err := population.IssueDocuments(pop, population.Chips{PKI: pki, Faces: faces, CloneShare: *clones,
		TamperShare: *tampered, Seed: *seed}); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	start := time.Now()
	if _, err := post.Feed(ctx, pop); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	if err := post.waitThrough(ctx, len(pop), *stuckAfter, stderr); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	rep, err := post.waitDelivered(ctx, pop, 60*time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	elapsed := time.Since(start)

	printDetails(stdout, rep, elapsed, *speed)
	if err := writeResults(*results, rep, elapsed, *speed, *gates); err != nil {
		fmt.Fprintln(stderr, "post: writing results:", err)
	} else {
		fmt.Fprintf(stdout, "figures and plots: %s\n", *results)
	}
	fmt.Fprintf(stdout, "dashboard: http://%s/ (logs in %s)\n", post.HTTP, filepath.Join(*work, "logs"))
	if !*exitWhenDone {
		fmt.Fprintln(stdout, "serving until Ctrl-C")
	}
	fmt.Fprintln(stdout, rep.SummaryLine())
	if *exitWhenDone {
		if rep.Lost > 0 || rep.Duplicates > 0 || rep.WrongDecisions > 0 {
			return 1
		}
		return 0
	}
	<-ctx.Done()
	return 0
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
	fmt.Fprintf(w, "\nwrong decisions: %d\n", r.WrongDecisions)
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
	dir := os.Getenv("AUTOGATE_TESTDATA")
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "testdata")
	}
	people, _ := filepath.Glob(filepath.Join(dir, "faces", "lfw", "*"))
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

// Command face measures the gate's face pipeline (models/face) on real
// photos: per face, the detect stage (BlazeFace, two passes of the 68-point
// landmark net, quality), the embed stage (alignment and the three
// embedders, each on the chip and its mirror image) and the whole Enrol, on
// one OpenCV thread and on two; the cold model load; the resident memory of
// a process with the models loaded; the Compare time; and a whole "gate"
// figure — what the gate's face stage computes per traveller: a burst of 20
// camera frames (640×480) detected while the chip's portrait is decoded and
// enrolled, then the best frame embedded and compared.
//
//	go run ./benchmarks/face            (after `make models`)
//
// OpenCV's thread count is process-wide, so each configuration runs in a
// fresh child process of this same binary (it re-executes itself with a
// hidden argument); the configurations alternate, round after round, so
// that a burst of load on the machine does not fall on one configuration
// only, and each child reports its own VmRSS/VmHWM from /proc/self/status.
// The load time is the median of fresh processes each timing Load alone
// (the files come from the page cache: this is not a cold disk).
//
// It prints p50/p95 per figure and checks the targets: Enrol p50 ≤ 80 ms on
// one thread and ≤ 50 ms on two, load ≤ 1 s, peak RSS ≤ 400 MB; a miss is
// printed with the stage and networks that dominate. Figures go to
// benchmarks/results/face.json and the plot to face.svg. It exits non-zero
// when a target is missed (after writing the figures), like
// benchmarks/chip.
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"autogate/benchmarks/host"
	"autogate/models/face"
)

// Targets of issue 4.
const (
	targetEnrol1MS  = 80
	targetEnrol2MS  = 50
	targetLoadMS    = 1000
	targetRSSMB     = 400
	minPhotosTarget = 40
)

// figure is one timing: quantiles over the runs.
type figure struct {
	Name   string  `json:"name"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	MeanMS float64 `json:"mean_ms"`
	Runs   int     `json:"runs"`
}

// netFigure is one network's Forward time (wall and process CPU) and how
// often a face runs it.
type netFigure struct {
	figure
	CPU     figure `json:"cpu"`
	PerFace int    `json:"calls_per_face"`
}

// config holds the figures of one thread setting.
type config struct {
	Threads int `json:"threads"`
	// Stages are detect, embed and enrol (the whole of both), per face.
	Stages []figure `json:"stages"`
	// FirstEnrolMS is the first Enrol after Load: OpenCV sets each network
	// up on its first Forward, so the first face pays for that.
	FirstEnrol figure `json:"first_enrol"`
	// EnrolCPU is the process CPU time per Enrol (all threads): what the
	// work costs, whatever else the machine runs.
	EnrolCPU figure `json:"enrol_cpu"`
	Compare  figure `json:"compare"`
	Gate     figure `json:"gate"`
	// Nets times each network's Forward alone (to say what dominates).
	Nets []netFigure `json:"nets"`
	// FacesUsed counts the photos with exactly one face (the others are
	// left out of the per-face figures); Photos is how many were tried.
	FacesUsed int    `json:"faces_used"`
	Photos    int    `json:"photos"`
	RSS       memory `json:"memory"`
	// Children is how many processes measured this configuration.
	Children int `json:"children"`
}

// memory is the resident memory of a measuring process, in MB.
type memory struct {
	AfterLoadMB float64 `json:"rss_after_load_mb"`
	AfterRunsMB float64 `json:"rss_after_runs_mb"`
	PeakMB      float64 `json:"hwm_mb"`
}

// target is one checked figure.
type target struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Unit   string  `json:"unit"`
	Pass   bool    `json:"pass"`
	Note   string  `json:"note,omitempty"`
	Figure string  `json:"figure"`
}

// report is face.json.
type report struct {
	When    string   `json:"when"`
	CPUs    int      `json:"cpus"`
	Photos  int      `json:"photos"`
	Rounds  int      `json:"rounds"`
	Configs []config `json:"configs"`
	Load    figure   `json:"load"`
	// LoadRSSMB is the resident memory right after Load (median of the
	// load processes).
	LoadRSSMB float64 `json:"load_rss_mb"`
	// LoadAverage is /proc/loadavg's 1-minute figure before and after the
	// run: above the core count, the wall-clock figures include waiting
	// for a core (the CPU-time figures do not).
	LoadAverage [2]float64 `json:"load_average_before_after"`
	// Speedup is the 1-thread Enrol p50 over the 2-thread one.
	Speedup float64  `json:"speedup_2_threads"`
	Targets []target `json:"targets"`
}

// options are the command's flags.
type options struct {
	photos, rounds, loads, travellers int
	// netRuns is how many times each network is timed alone.
	netRuns                 int
	threads                 []int
	results, shared, models string
	quiet                   bool
}

func main() {
	if spec, ok := childSpec(os.Args[1:]); ok {
		os.Exit(runChild(spec, os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("face", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.photos, "photos", 40, "LFW photos per configuration and round (the per-face figures need at least 40)")
	fs.IntVar(&o.rounds, "rounds", 2, "child processes per thread setting, run alternately")
	fs.IntVar(&o.loads, "loads", 5, "fresh processes timing Load")
	fs.IntVar(&o.travellers, "travellers", 3, "gate figures per child (a 20-frame burst and a portrait each)")
	fs.IntVar(&o.netRuns, "net-runs", 12, "times each network is timed alone (to say what dominates)")
	threads := fs.String("threads", "1,2", "OpenCV thread settings to measure (the targets refer to 1 and 2)")
	fs.StringVar(&o.results, "results", "benchmarks/results", "folder for face.json and face.svg")
	fs.StringVar(&o.shared, "shared", "", "shared test data folder (default $AUTOGATE_TESTDATA or ../shared/testdata)")
	fs.StringVar(&o.models, "models", face.DefaultDir, "folder of the ONNX models (made by `make models`)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./benchmarks/face [flags]\n\nMeasures the face pipeline's speed, load time and memory. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, s := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "face: -threads %q: want a comma-separated list of positive numbers\n", *threads)
			return 2
		}
		o.threads = append(o.threads, n)
	}
	rep, err := measure(o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "face:", err)
		return 1
	}
	printReport(stdout, rep)
	if err := writeResults(o.results, rep); err != nil {
		fmt.Fprintln(stderr, "face:", err)
		return 1
	}
	fmt.Fprintf(stdout, "figures and plot: %s\n", filepath.Join(o.results, "face.json"))
	for _, t := range rep.Targets {
		if !t.Pass {
			fmt.Fprintln(stderr, "face: a figure misses its target")
			return 1
		}
	}
	return 0
}

// measure runs the child processes and gathers their figures.
func measure(o options, stdout, stderr io.Writer) (report, error) {
	rep := report{When: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), Rounds: o.rounds}
	rep.LoadAverage[0] = host.LoadAverage()
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(o.models, f)); err != nil {
			return rep, fmt.Errorf("face model %s not found in %s: run `make models` first (from the repository root)", f, o.models)
		}
	}
	photos, err := lfwPhotos(o.shared, o.photos)
	if err != nil {
		return rep, err
	}
	rep.Photos = len(photos)
	if len(photos) < minPhotosTarget {
		fmt.Fprintf(stdout, "note: %d photos per round, fewer than the %d the figures are meant for\n", len(photos), minPhotosTarget)
	}
	if _, err := face.ShippedCalibration(); err != nil {
		return rep, err
	}
	exe, err := os.Executable()
	if err != nil {
		return rep, err
	}
	base := childRequest{Models: o.models, Photos: photos, Travellers: o.travellers, NetRuns: o.netRuns, Quiet: o.quiet}

	// Loads first, each alone in a fresh process.
	var loads, loadRSS []float64
	for i := range o.loads {
		progress(stderr, o.quiet, "load %d/%d", i+1, o.loads)
		req := base
		req.Mode, req.Threads = modeLoad, o.threads[0]
		res, err := runChildProcess(exe, req, stderr)
		if err != nil {
			return rep, err
		}
		loads = append(loads, res.LoadMS)
		loadRSS = append(loadRSS, res.RSS.AfterLoadMB)
	}
	rep.Load = stats("load", loads)
	if len(loadRSS) > 0 {
		rep.LoadRSSMB = quantile(loadRSS, 0.5)
	}

	// Then the configurations, alternating.
	byThreads := make(map[int][]childResult)
	for r := range o.rounds {
		for _, n := range o.threads {
			progress(stderr, o.quiet, "%s, round %d/%d", threadsName(n), r+1, o.rounds)
			req := base
			req.Mode, req.Threads, req.Label = modeMeasure, n, fmt.Sprintf("%s, round %d/%d", threadsName(n), r+1, o.rounds)
			res, err := runChildProcess(exe, req, stderr)
			if err != nil {
				return rep, err
			}
			byThreads[n] = append(byThreads[n], res)
		}
	}
	for _, n := range o.threads {
		rep.Configs = append(rep.Configs, merge(n, byThreads[n]))
	}
	rep.LoadAverage[1] = host.LoadAverage()
	rep.Speedup = speedup(rep.Configs)
	rep.Targets = checkTargets(rep)
	return rep, nil
}

func threadsName(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", n)
}

func progress(w io.Writer, quiet bool, format string, a ...any) {
	if !quiet {
		fmt.Fprintf(w, "face: "+format+"\n", a...)
	}
}

// lfwPhotos picks n photos of the shared LFW set, one person after another
// (first photo of everyone, then second photos, …) so that faces vary.
func lfwPhotos(shared string, n int) ([]string, error) {
	if shared == "" {
		shared = os.Getenv("AUTOGATE_TESTDATA")
	}
	if shared == "" {
		shared = filepath.Join("..", "shared", "testdata")
	}
	dir := filepath.Join(shared, "faces", "lfw")
	people, _ := filepath.Glob(filepath.Join(dir, "*"))
	var byPerson [][]string
	for _, p := range people {
		if photos, _ := filepath.Glob(filepath.Join(p, "*.jpg")); len(photos) > 0 {
			slices.Sort(photos)
			byPerson = append(byPerson, photos)
		}
	}
	if len(byPerson) == 0 {
		return nil, fmt.Errorf("no LFW photos in %s: set AUTOGATE_TESTDATA or -shared to the shared testdata folder", dir)
	}
	var out []string
	for k := 0; len(out) < n; k++ {
		added := false
		for _, photos := range byPerson {
			if k < len(photos) && len(out) < n {
				out = append(out, photos[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out, nil
}

// merge pools the samples of one configuration's children.
func merge(threads int, rs []childResult) config {
	c := config{Threads: threads, Children: len(rs)}
	pool := func(get func(r *childResult) []float64) []float64 {
		var v []float64
		for i := range rs {
			v = append(v, get(&rs[i])...)
		}
		return v
	}
	c.Stages = []figure{
		stats("detect", pool(func(r *childResult) []float64 { return r.DetectMS })),
		stats("embed", pool(func(r *childResult) []float64 { return r.EmbedMS })),
		stats("enrol", pool(func(r *childResult) []float64 { return r.EnrolMS })),
	}
	c.EnrolCPU = stats("enrol, process CPU time", pool(func(r *childResult) []float64 { return r.EnrolCPUMS }))
	c.FirstEnrol = stats("first enrol after load", pool(func(r *childResult) []float64 { return []float64{r.FirstEnrolMS} }))
	c.Compare = stats("compare", pool(func(r *childResult) []float64 { return r.CompareMS }))
	c.Gate = stats("gate (20 frames + portrait)", pool(func(r *childResult) []float64 { return r.GateMS }))
	for i, nt := range netTimings {
		c.Nets = append(c.Nets, netFigure{
			figure:  stats(nt.name, pool(func(r *childResult) []float64 { return r.NetMS[i] })),
			CPU:     stats(nt.name, pool(func(r *childResult) []float64 { return r.NetCPUMS[i] })),
			PerFace: nt.perFace,
		})
	}
	for _, r := range rs {
		c.FacesUsed += r.FacesUsed
		c.Photos += r.Photos
		c.RSS.AfterLoadMB = max(c.RSS.AfterLoadMB, r.RSS.AfterLoadMB)
		c.RSS.AfterRunsMB = max(c.RSS.AfterRunsMB, r.RSS.AfterRunsMB)
		c.RSS.PeakMB = max(c.RSS.PeakMB, r.RSS.PeakMB)
	}
	return c
}

func (c *config) stage(name string) figure {
	for _, s := range c.Stages {
		if s.Name == name {
			return s
		}
	}
	return figure{}
}

func speedup(cs []config) float64 {
	var one, two float64
	for i := range cs {
		switch cs[i].Threads {
		case 1:
			one = cs[i].stage("enrol").P50MS
		case 2:
			two = cs[i].stage("enrol").P50MS
		}
	}
	if one == 0 || two == 0 {
		return 0
	}
	return one / two
}

// checkTargets compares the figures with issue 4's targets; a miss says
// what dominates.
func checkTargets(rep report) []target {
	var ts []target
	for i := range rep.Configs {
		c := &rep.Configs[i]
		limit := 0.0
		switch c.Threads {
		case 1:
			limit = targetEnrol1MS
		case 2:
			limit = targetEnrol2MS
		default:
			continue
		}
		e := c.stage("enrol")
		t := target{Name: "enrol per face, " + threadsName(c.Threads), Value: e.P50MS, Limit: limit, Unit: "ms", Figure: "p50", Pass: e.Runs > 0 && e.P50MS <= limit}
		if !t.Pass {
			t.Note = dominant(c)
		}
		ts = append(ts, t)
	}
	ts = append(ts, target{Name: "model load", Value: rep.Load.P50MS, Limit: targetLoadMS, Unit: "ms", Figure: "p50",
		Pass: rep.Load.Runs > 0 && rep.Load.P50MS <= targetLoadMS})
	peak := 0.0
	for _, c := range rep.Configs {
		peak = max(peak, c.RSS.PeakMB)
	}
	ts = append(ts, target{Name: "resident memory, models loaded", Value: peak, Limit: targetRSSMB, Unit: "MB", Figure: "peak VmHWM",
		Pass: peak > 0 && peak <= targetRSSMB})
	return ts
}

// dominant names the larger stage and the costliest networks per face.
func dominant(c *config) string {
	d, e, t := c.stage("detect").P50MS, c.stage("embed").P50MS, c.stage("enrol").P50MS
	if t == 0 {
		return "no face was enrolled"
	}
	nets := slices.Clone(c.Nets)
	cost := func(n netFigure) float64 { return n.CPU.P50MS * float64(n.PerFace) }
	slices.SortFunc(nets, func(a, b netFigure) int { return cmp.Compare(cost(b), cost(a)) })
	var parts []string
	for _, n := range nets[:min(3, len(nets))] {
		parts = append(parts, fmt.Sprintf("%s %d×%.1f ms", n.Name, n.PerFace, n.CPU.P50MS))
	}
	return fmt.Sprintf("CPU time per face %.0f ms; embed %.0f %% of the face (detect %.0f %%); costliest networks per face (CPU time): %s",
		c.EnrolCPU.P50MS, 100*e/t, 100*d/t, strings.Join(parts, ", "))
}

func printReport(w io.Writer, rep report) {
	fmt.Fprintf(w, "face pipeline on %d photos × %d rounds, %d CPUs, load average %.1f before, %.1f after\n",
		rep.Photos, rep.Rounds, rep.CPUs, rep.LoadAverage[0], rep.LoadAverage[1])
	if max(rep.LoadAverage[0], rep.LoadAverage[1]) > float64(rep.CPUs) {
		fmt.Fprintln(w, "note: the machine was busy: wall-clock figures include waiting for a core; the CPU-time figures do not")
	}
	line := func(name string, f figure) {
		fmt.Fprintf(w, "  %-34s p50 %8.2f ms  p95 %8.2f ms  (n=%d)\n", name, f.P50MS, f.P95MS, f.Runs)
	}
	for _, c := range rep.Configs {
		fmt.Fprintf(w, "%s (%d of %d photos with one face):\n", threadsName(c.Threads), c.FacesUsed, c.Photos)
		for _, s := range c.Stages {
			line(s.Name, s)
		}
		line(c.EnrolCPU.Name, c.EnrolCPU)
		line(c.FirstEnrol.Name, c.FirstEnrol)
		fmt.Fprintf(w, "  %-34s p50 %8.1f µs  p95 %8.1f µs  (n=%d)\n", "compare", c.Compare.P50MS*1000, c.Compare.P95MS*1000, c.Compare.Runs)
		line(c.Gate.Name, c.Gate)
		for _, n := range c.Nets {
			fmt.Fprintf(w, "  %-34s p50 %8.2f ms  p95 %8.2f ms  CPU p50 %8.2f ms  (n=%d)\n",
				fmt.Sprintf("  net %s (×%d per face)", n.Name, n.PerFace), n.P50MS, n.P95MS, n.CPU.P50MS, n.Runs)
		}
		fmt.Fprintf(w, "  memory: %.0f MB after load, %.0f MB after the runs, peak %.0f MB\n", c.RSS.AfterLoadMB, c.RSS.AfterRunsMB, c.RSS.PeakMB)
	}
	line("load (fresh process)", rep.Load)
	if rep.Speedup > 0 {
		fmt.Fprintf(w, "enrol p50, 1 thread ÷ 2 threads: %.2f (above 1, the second thread helps)\n", rep.Speedup)
	}
	fmt.Fprintln(w, "targets:")
	for _, t := range rep.Targets {
		verdict := "PASS"
		if !t.Pass {
			verdict = "MISS"
		}
		fmt.Fprintf(w, "  %-4s %-34s %s %8.1f %s (target ≤ %.0f %s)", verdict, t.Name, t.Figure, t.Value, t.Unit, t.Limit, t.Unit)
		if t.Note != "" {
			fmt.Fprintf(w, " — %s", t.Note)
		}
		fmt.Fprintln(w)
	}
}

func writeResults(dir string, rep report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "face.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "face.svg"), plot(rep), 0o644)
}

// stats summarises samples in milliseconds.
func stats(name string, ms []float64) figure {
	f := figure{Name: name, Runs: len(ms)}
	if len(ms) == 0 {
		return f
	}
	var sum float64
	for _, v := range ms {
		sum += v
	}
	f.P50MS, f.P95MS, f.MeanMS = quantile(ms, 0.5), quantile(ms, 0.95), sum/float64(len(ms))
	return f
}

// quantile is the nearest-rank quantile.
func quantile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[max(0, min(len(s)-1, int(p*float64(len(s))+0.5)-1))]
}

var errNoOutput = errors.New("the measuring process printed no figures")

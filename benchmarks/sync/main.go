// Command sync measures the delivery path of issue 6 and writes
// benchmarks/results/sync.json and sync-drain.svg.
//
// ingest: the embedded broker's raw QoS 1 rate with crossing-sized payloads,
// and central's ingest rate (crossings committed and acked) from 4 simulated
// gates, single messages then batches.
//
// drain: a gate with 10,000 crossings in its outbox, the real uplink and
// central as a process, timed until the outbox is empty; the outbox depth
// over the drain is the plot.
//
//	go run ./benchmarks/sync [--out benchmarks/results]
//
// The measuring programs live in central/internal/ingest/bench and
// gate-agent/internal/uplink/bench: each drives its binary's private
// packages, which Go lets only that binary's tree import. This command runs
// both, merges their JSON and prints the summary. Take the figures on an
// otherwise idle machine: both share its cores with everything else.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"autogate/benchmarks/host"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// report is sync.json.
type report struct {
	Generated string          `json:"generated"`
	Machine   machine         `json:"machine"`
	Ingest    json.RawMessage `json:"ingest"`
	Drain     json.RawMessage `json:"drain"`
	Summary   []string        `json:"summary"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	// LoadAverage is /proc/loadavg's 1-minute figure before and after: a
	// busy machine explains low figures.
	LoadAverage [2]float64 `json:"load_average_before_after"`
}

// drain is what the plot reads of the drain program's JSON.
type drain struct {
	Backlog     int          `json:"backlog"`
	BatchMax    int          `json:"batch_max"`
	MaxInflight int          `json:"max_inflight"`
	Seconds     float64      `json:"seconds"`
	CrossingsS  float64      `json:"crossings_s"`
	Depth       [][2]float64 `json:"depth"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("benchmarks", "results"), "where sync.json and sync-drain.svg go")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sync: unexpected arguments %q (see -h)\n", fs.Args())
		return 2
	}
	if _, err := os.Stat("go.mod"); err != nil {
		fmt.Fprintln(stderr, "sync: run it from the repository root (go run ./benchmarks/sync)")
		return 2
	}
	tmp, err := os.MkdirTemp("", "autogate-sync-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "sync:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	rep := report{Generated: time.Now().UTC().Format(time.RFC3339),
		Machine: machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAverage: [2]float64{host.LoadAverage(), 0}}}
	for _, p := range []struct {
		pkg  string
		file string
		dst  *json.RawMessage
	}{
		{"./central/internal/ingest/bench", "ingest.json", &rep.Ingest},
		{"./gate-agent/internal/uplink/bench", "drain.json", &rep.Drain},
	} {
		path := filepath.Join(tmp, p.file)
		line, err := goRun(p.pkg, path, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "sync: %s: %v\n", p.pkg, err)
			return 1
		}
		if *p.dst, err = os.ReadFile(path); err != nil {
			fmt.Fprintf(stderr, "sync: %s wrote no figures: %v\n", p.pkg, err)
			return 1
		}
		rep.Summary = append(rep.Summary, line)
	}
	rep.Machine.LoadAverage[1] = host.LoadAverage()

	var d drain
	if err := json.Unmarshal(rep.Drain, &d); err != nil {
		fmt.Fprintf(stderr, "sync: the drain figures do not decode: %v\n", err)
		return 1
	}
	data, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(stderr, "sync:", err)
		return 1
	}
	for name, content := range map[string][]byte{"sync.json": append(data, '\n'), "sync-drain.svg": plotDrain(d, rep.Machine)} {
		if err := os.WriteFile(filepath.Join(*out, name), content, 0o644); err != nil {
			fmt.Fprintln(stderr, "sync:", err)
			return 1
		}
	}
	for _, l := range rep.Summary {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintf(stdout, "wrote %s and %s (load average %.1f before, %.1f after, %d CPUs)\n",
		filepath.Join(*out, "sync.json"), filepath.Join(*out, "sync-drain.svg"), rep.Machine.LoadAverage[0], rep.Machine.LoadAverage[1], rep.Machine.CPUs)
	return 0
}

// goRun runs one measuring program, its progress on stderr, and returns the
// last line it printed (its summary).
func goRun(pkg, out string, stderr io.Writer) (string, error) {
	var stdout strings.Builder
	cmd := exec.Command("go", "run", pkg, "--out", out)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, stderr), stderr
	if err := cmd.Run(); err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

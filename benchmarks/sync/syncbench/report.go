package syncbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Run runs a measuring program's bench under a CPU profile (when profile
// is set), then, on error, says so on stderr; otherwise it writes the
// figures as JSON to out (when set) and the one-line summary to stdout, the
// line the launcher collects. It returns the exit code.
func Run(prog, out, profile string, stdout, stderr io.Writer, bench func() (res any, summary string, err error)) int {
	stop, err := Profile(profile)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	res, summary, err := bench()
	stop()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(out, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: writing the figures: %v\n", prog, err)
			return 1
		}
	}
	fmt.Fprintln(stdout, summary)
	return 0
}

// LoadAverage is /proc/loadavg's 1-minute figure (0 where there is none):
// taken before and after a run, it says whether the machine was busy.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// Load reads figures a program wrote with Run.
func Load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Profile starts a CPU profile to path ("" profiles nothing); the returned
// function stops it.
func Profile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

package syncbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"autogate/benchmarks/host"
)

// Run runs a measuring program's bench under a CPU profile (when profile
// is set), then, on error, says so on stderr; otherwise it writes the
// figures as JSON to out (when set) and the one-line summary to stdout, the
// line the launcher collects. It returns the exit code.
func Run(prog, out, profile string, stdout, stderr io.Writer, bench func() (res any, summary string, err error)) int {
	stop, err := host.Profile(profile)
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

// Load reads figures a program wrote with Run.
func Load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

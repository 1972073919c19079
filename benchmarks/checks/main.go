// Command checks measures the gate's fast-path list checks at national
// scale — document lookups, fuzzy person searches, the whole checks stage,
// delta apply rates and the replica's size — against the targets of the
// issue, and writes checks.json and checks-latency.svg to
// benchmarks/results/.
//
//	go run ./benchmarks/checks [--persons 1000000] [--documents 5000000] [--queries 5000]
//
// The measuring program lives in gate-agent/internal/checks/bench: it drives
// the agent's private packages (replica, checks, flow), which Go lets only
// the agent's own tree import. This command runs it with the same flags.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	cmd := exec.Command("go", append([]string{"run", "./gate-agent/internal/checks/bench"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "checks:", err, "(run it from the repository root)")
		os.Exit(2)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
)

// runGateCommand: placeholder until its owner lands it.
func runGateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "central: not implemented yet")
	return exitError
}

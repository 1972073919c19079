package main

import (
	"context"
	"fmt"
	"io"
)

// runGateAdd: placeholder until its owner lands it.
func runGateAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "central: not implemented yet")
	return exitError
}

package main

import (
	"context"
	"fmt"
	"io"
)

// runPKI: placeholder until its owner lands it.
func runPKI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "central: not implemented yet")
	return exitError
}

package main

import (
	"context"
	"fmt"
	"io"
)

// runConfig: placeholder until its owner lands it.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "central: not implemented yet")
	return exitError
}

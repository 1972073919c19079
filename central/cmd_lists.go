package main

import (
	"context"
	"fmt"
	"io"
)

// runLists: placeholder until its owner lands it.
func runLists(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "central: not implemented yet")
	return exitError
}

package main

import (
	"context"
	"fmt"
	"io"
)

const gateHelp = `Usage:
  central gate add ID [--data DIR] [--out FILE] [--reissue]
  central gate command ID ACTION --reason TEXT [--data DIR] [--broker URL]

add      enrols a gate: issues its client certificate and writes the
         credentials bundle to copy onto the gate.
command  sends a signed officer command (open_exit, return, manual_booth, lock, unlock)
         to a gate and waits for its acknowledgement.

Run 'central gate SUBCOMMAND --help' for the flags of each.
`

func runGate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, gateHelp)
		return exitUsage
	}
	switch args[0] {
	case "add":
		return runGateAdd(ctx, args[1:], stdout, stderr)
	case "command":
		return runGateCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, gateHelp)
		return exitOK
	}
	fmt.Fprintf(stderr, "central gate: unknown subcommand %q\n\n%s", args[0], gateHelp)
	return exitUsage
}

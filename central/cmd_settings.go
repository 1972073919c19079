package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"autogate/central/internal/settings"
)

func runConfigCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const cmd = "config check"
	flags := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dataDir := flags.String("data", defaultDataDir, "central's data `DIR` (holds central.toml)")
	example := flags.Bool("example", false, "print a commented central.toml with the defaults, and check nothing")
	pos, code, done := parseFlagsAndArgs(flags, args, configHelp, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 1 {
		return usageError(stderr, cmd, "want at most one FILE, got %d", len(pos))
	}
	if *example {
		fmt.Fprint(stdout, settings.Example())
		return exitOK
	}
	path := filepath.Join(*dataDir, settings.FileName)
	if len(pos) == 1 {
		path = pos[0]
	}
	s, err := settings.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(pos) == 0:
		fmt.Fprintf(stdout, "%s: absent, the defaults are in force:\n\n%s", path, settings.Defaults().TOML())
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "central %s: %v\n", cmd, err)
		return exitError
	}
	fmt.Fprintf(stdout, "%s: ok; in force:\n\n%s", path, s.TOML())
	return exitOK
}

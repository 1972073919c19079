package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"

	"autogate/central/internal/audit"
	"autogate/central/internal/distribute"
)

const configHelp = `Usage:
  central config push FILE.toml [--data DIR] [--direction entry|exit] [--expires 168h]

push  signs a gate policy with central's signing key and queues it as the
      next configuration version for every gate (or only the gates of
      --direction); a running 'central serve' publishes it within a second.
      FILE.toml holds the contents of a gate file's [policy] table, without
      the [policy] header ([policy.actions] becomes [actions]); what it
      leaves out takes the gate's defaults for its direction. Central checks
      the TOML syntax only: each gate validates the policy as
      'gate-agent config check' does, and refuses one it cannot enforce
      (alarm config_refused in its status), keeping the policy it has.
      Gates refuse the configuration after now + --expires.

  central config check [FILE] [--data DIR] [--example]

check checks central's own settings (FILE, default DIR/central.toml: web
      sessions, lockout, officers' commands, image retention), unlike push,
      which pushes gate policies; --example prints a commented central.toml
      holding the defaults.
`

func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "config", args, configHelp, map[string]subcommand{"push": runConfigPush, "check": runConfigCheck}, stdout, stderr)
}

func runConfigPush(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config push", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds the signing key and updates.db)")
	direction := fs.String("direction", "", "only the gates facing this `direction` (entry or exit); default every gate")
	expires := fs.Duration("expires", distribute.DefaultExpires, "how long gates accept the configuration after now")
	file, code, done := parseFlagsAndFile(fs, args, configHelp, stdout, stderr)
	if done {
		return code
	}
	if *direction != "" && *direction != "entry" && *direction != "exit" {
		return usageError(stderr, "config push", "--direction %q: want entry or exit (or leave it out for every gate)", *direction)
	}
	policy, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "central config push: %v\n", err)
		return exitError
	}
	var version int64
	code = withQueue(*dataDir, "config push", stderr, func(st *distribute.Store, key ed25519.PrivateKey) error {
		q, err := st.QueueConfig(ctx, key, string(policy), *direction, distribute.Options{Expires: *expires})
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		version = q.Last
		fmt.Fprintf(stdout, "queued config version=%d\n", q.Last)
		return nil
	})
	if code == exitOK {
		auditDone(*dataDir, "config push", audit.Entry{Action: audit.ActionConfigPush, Target: "config", Detail: map[string]string{
			"version": fmt.Sprint(version), "direction": cmp.Or(*direction, "all")}}, stderr)
	}
	return code
}

package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"autogate/central/internal/audit"
	"autogate/central/internal/distribute"
	"autogate/central/internal/pki"
)

const listsHelp = `Usage:
  central lists push FILE [--data DIR] [--expires 168h]
  central lists status [--data DIR]

push    signs a list delta with central's signing key and queues it for
        every gate; a running 'central serve' publishes it within a second.
        FILE is one JSON delta: {"v": 1, "list": "documents", "ops": [...]},
        with "full": true to replace the whole list. Central numbers it,
        from the list's latest version to the next ("from" and "to" may be
        left out; if given they must be those), sets issued_at to now and
        expires_at to now + --expires (gates refuse it after that). A delta
        too large for one signed message (768 KiB) becomes several
        consecutive versions; a full delta cannot be split and is refused.
status  prints the latest version central holds of every list and of the
        gates' configuration, and how many are not yet published.

Run 'central lists push --help' for the flags of each.
`

func runLists(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "lists", args, listsHelp, map[string]subcommand{"push": runListsPush, "status": runListsStatus}, stdout, stderr)
}

// subcommand is one verb of a command that has several (lists, config).
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// runSubcommand runs the subcommand args[0] names; none, or an unknown
// one, is a usage error.
func runSubcommand(ctx context.Context, cmd string, args []string, help string, subs map[string]subcommand, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, help)
		return exitUsage
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, help)
		return exitOK
	}
	fmt.Fprintf(stderr, "central %s: unknown subcommand %q\n\n%s", cmd, args[0], help)
	return exitUsage
}

func runListsPush(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lists push", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds the signing key and updates.db)")
	expires := fs.Duration("expires", distribute.DefaultExpires, "how long gates accept the delta after now")
	file, code, done := parseFlagsAndFile(fs, args, listsHelp, stdout, stderr)
	if done {
		return code
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "central lists push: %v\n", err)
		return exitError
	}
	d, err := distribute.ReadDelta(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "central lists push: %s: %v\n", file, err)
		return exitError
	}
	var q distribute.Queued
	code = withQueue(*dataDir, "lists push", stderr, func(st *distribute.Store, key ed25519.PrivateKey) error {
		if q, err = st.QueueDelta(ctx, key, d, distribute.Options{Expires: *expires}); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		fmt.Fprintln(stdout, queuedSummary(q))
		return nil
	})
	if code == exitOK {
		auditDone(*dataDir, "lists push", listsPushEntry(q), stderr)
	}
	return code
}

// queuedSummary is what a list push prints (the CLI) or shows (the admin page).
func queuedSummary(q distribute.Queued) string {
	return fmt.Sprintf("queued list=%s versions=%d..%d ops=%d", q.List, q.First, q.Last, q.Ops)
}

// listsPushEntry is the audit record of a list push (its actor is set by
// whoever pushed).
func listsPushEntry(q distribute.Queued) audit.Entry {
	return audit.Entry{Action: audit.ActionListsPush, Target: q.List, Detail: map[string]string{
		"list": q.List, "from": fmt.Sprint(q.First - 1), "to": fmt.Sprint(q.Last), "ops": fmt.Sprint(q.Ops)}}
}

func runListsStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lists status", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR`")
	if code, done := parseFlags(fs, args, listsHelp, stdout, stderr); done {
		return code
	}
	st, err := distribute.Open(*dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "central lists status: %v\n", err)
		return exitError
	}
	defer st.Close()
	rows, err := st.Status(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "central lists status: %v\n", err)
		return exitError
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tVERSION\tKEPT\tUNPUBLISHED\tLAST QUEUED\tEXPIRES")
	for _, r := range rows {
		queued, exp := "-", "-"
		if !r.LastQueued.IsZero() {
			queued, exp = r.LastQueued.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", r.List, r.Version, r.Kept, r.Unpublished, queued, exp)
	}
	tw.Flush()
	return exitOK
}

// withQueue loads central's signing key, opens the update queue and runs
// fn; errors are printed as "central CMD: ..." with exit code 1.
func withQueue(dataDir, cmd string, stderr io.Writer, fn func(*distribute.Store, ed25519.PrivateKey) error) int {
	key, err := pki.LoadSigningKey(dataDir)
	if err == nil {
		var st *distribute.Store
		if st, err = distribute.Open(dataDir); err == nil {
			err = fn(st, key)
			st.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "central %s: %v\n", cmd, err)
		return exitError
	}
	return exitOK
}

// parseFlagsAndFile parses a command's flags around its one FILE argument
// (before, between or after the flags).
func parseFlagsAndFile(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (file string, code int, done bool) {
	files, code, done := parseFlagsAndArgs(fs, args, help, stdout, stderr)
	if done {
		return "", code, true
	}
	if len(files) != 1 {
		return "", usageError(stderr, fs.Name(), "want exactly one FILE, got %d", len(files)), true
	}
	return files[0], 0, false
}

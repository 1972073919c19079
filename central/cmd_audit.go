package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"autogate/central/internal/audit"
)

const auditHelp = `Usage:
  central audit verify [--data DIR]
  central audit list [--data DIR] [--post POST] [--limit N]

verify  walks the hash chain of DIR/audit.db, the append-only log of
        logins, officers' commands, user changes, list imports, config
        pushes and gate enrolments. Intact, it prints
          audit log intact: N records, head HASH
        and exits 0; otherwise it prints
          audit log broken at record SEQ: REASON
        naming the first record that does not hold (edited, deleted,
        reordered) and exits 1. A data folder without audit.db has 0
        records and is intact. A chain cannot show that its newest records
        were cut off: keep the head hash somewhere else (a ticket, a
        printout) and compare it later.
list    prints the newest records first (--post: only that post's).
`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "audit", args, auditHelp, map[string]subcommand{"verify": runAuditVerify, "list": runAuditList}, stdout, stderr)
}

// openAuditIfPresent opens DIR/audit.db for reading commands, which must
// not create it; nil when there is none.
func openAuditIfPresent(dataDir string) (*audit.Log, error) {
	if _, err := os.Stat(filepath.Join(dataDir, audit.FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return audit.Open(dataDir)
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds audit.db)")
	if code, done := parseFlags(fs, args, auditHelp, stdout, stderr); done {
		return code
	}
	log, err := openAuditIfPresent(*dataDir)
	var res audit.Result
	if err == nil && log != nil {
		res, err = log.Verify(ctx)
		log.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "central audit verify: %v\n", err)
		return exitError
	}
	if log == nil {
		fmt.Fprintf(stdout, "audit log intact: 0 records, head - (%s has no %s yet)\n", *dataDir, audit.FileName)
		return exitOK
	}
	if res.Broken != nil {
		fmt.Fprintf(stdout, "audit log broken at record %d: %s\n", res.Broken.Seq, res.Broken.Reason)
		fmt.Fprintf(stderr, "central audit verify: records 1..%d hold; keep %s as evidence and compare it with a backup\n", res.Records, log.Path())
		return exitError
	}
	head := res.Head
	if head == "" {
		head = "-"
	}
	fmt.Fprintf(stdout, "audit log intact: %d records, head %s\n", res.Records, head)
	return exitOK
}

func runAuditList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds audit.db)")
	post := fs.String("post", "", "only the records of `POST`")
	limit := fs.Int("limit", 50, "at most `N` records, newest first")
	if code, done := parseFlags(fs, args, auditHelp, stdout, stderr); done {
		return code
	}
	if *limit < 1 || *limit > 10000 {
		return usageError(stderr, "audit list", "--limit %d: want 1..10000", *limit)
	}
	log, err := openAuditIfPresent(*dataDir)
	var entries []audit.Entry
	if err == nil && log != nil {
		entries, err = log.Entries(ctx, *post, 0, *limit)
		log.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "central audit list: %v\n", err)
		return exitError
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tACTION\tTARGET\tPOST\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Actor, e.Action,
			dash(e.Target), dash(e.Post), detailText(e.Detail))
	}
	tw.Flush()
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// detailText is k=v pairs in key order, values quoted when they hold spaces.
func detailText(d map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		v := d[k]
		if v == "" || strings.ContainsAny(v, " \t\"=") {
			v = fmt.Sprintf("%q", v)
		}
		parts = append(parts, k+"="+v)
	}
	return dash(strings.Join(parts, " "))
}

// cliActor names whoever runs the command on central's host.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// auditCLI appends a record of a command run on central's host to
// DIR/audit.db (Actor defaults to cliActor()).
func auditCLI(dataDir string, e audit.Entry) error {
	if e.Actor == "" {
		e.Actor = cliActor()
	}
	log, err := audit.Open(dataDir)
	if err != nil {
		return err
	}
	defer log.Close()
	_, err = log.Append(context.Background(), e)
	return err
}

// auditDone records a change that has already been made; a failure to
// record it is a warning, since undoing the change is not an option.
func auditDone(dataDir, cmd string, e audit.Entry, stderr io.Writer) {
	if err := auditCLI(dataDir, e); err != nil {
		fmt.Fprintf(stderr, "central %s: warning: done, but not recorded in the audit log: %v\n"+
			"  Make %s writable, then note this change by hand in the post's log book.\n",
			cmd, err, filepath.Join(dataDir, audit.FileName))
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

const usage = `central — autogate's central server: MQTT broker, ingest, store, dashboard.

Usage:
  central serve  [--data DIR] [--http ADDR] [--web-cert FILE --web-key FILE] [--mqtt-listen ADDR | --broker URL]
  central broker [--listen ADDR] [--data DIR]
  central pki init|mosquitto [--data DIR] …
  central gate add ID | command ID ACTION [--data DIR] …
  central lists push FILE | status [--data DIR]
  central config push FILE.toml [--data DIR] [--direction entry|exit] | check [FILE]
  central user add NAME --role R [--post P] | list | disable|enable|unlock|passwd|totp NAME [--data DIR]
  central audit verify | list [--data DIR]
  central help [COMMAND]

Run 'central COMMAND --help' for the flags of a command.
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"serve", "run central: broker (embedded or external), ingest, store, dashboard and API", runServe},
	{"broker", "run only the embedded MQTT broker", runBroker},
	{"pki", "create the fleet PKI (CA, broker and central certificates, signing key); write a Mosquitto config", runPKI},
	{"gate", "enrol a gate (its certificate and credentials bundle); send it a signed command", runGate},
	{"lists", "sign and queue a list delta for every gate", runLists},
	{"config", "sign and queue a gate policy for every gate; check central's own central.toml", runConfig},
	{"user", "add and manage the accounts of the web side (users.db)", runUser},
	{"audit", "verify or list the hash-chained audit log (audit.db)", runAudit},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if c, ok := lookup(rest[0]); ok {
				return c.run(ctx, []string{"--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "central help: unknown command %q\n\n%s", rest[0], usage)
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		fmt.Fprintln(stdout, "\nCommands:")
		for _, c := range commands {
			fmt.Fprintf(stdout, "  %-7s %s\n", c.name, c.short)
		}
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "central: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	return c.run(ctx, rest, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// parseFlags parses a command's flags. It returns done=true with the exit
// code when the command must stop here: --help (usage on stdout, 0) or a
// usage error (message and usage on stderr, 2).
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard) // we print usage ourselves, to the right stream
	err := fs.Parse(args)
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, help)
		fmt.Fprintln(w, "\nFlags:")
		printDefaults(w, fs)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "central %s: %v\n\n", fs.Name(), err)
		printUsage(stderr)
		return exitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "central %s: unexpected argument %q (flags start with --)\n\n", fs.Name(), fs.Arg(0))
		printUsage(stderr)
		return exitUsage, true
	}
	return 0, false
}

// printDefaults lists the flags GNU-style (--name), as the usage shows them;
// Go's flag package accepts both -name and --name.
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, arg, text)
		if f.DefValue != "" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// usageError prints a usage error and returns the usage exit code.
func usageError(stderr io.Writer, cmd, format string, a ...any) int {
	fmt.Fprintf(stderr, "central %s: %s\nRun 'central %s --help' for usage.\n", cmd, fmt.Sprintf(format, a...), cmd)
	return exitUsage
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// checkHostPort validates a listen address given on the command line.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:8080)", addr)
	}
	if port == "" {
		return fmt.Errorf("%q has no port", addr)
	}
	return nil
}

// listenError explains a failed listen, naming the flag that changes it
// and, when given, another way out.
func listenError(what, addr, flagName, alternative string, err error) error {
	advice := fmt.Sprintf("choose another address with %s ADDR", flagName)
	if alternative != "" {
		advice += ", or " + alternative
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s port %s is already in use by another process: stop that process or %s", what, addr, advice)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: not allowed to listen on %s (ports below 1024 need privileges): %s", what, addr, advice)
	}
	return fmt.Errorf("%s: cannot listen on %s (%v): %s", what, addr, err, advice)
}

// clientHost turns a listen address into one a local client can dial: an
// unspecified host (0.0.0.0, ::, "") becomes loopback.
func clientHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
	"autogate/central/internal/settings"
)

const userHelp = `Usage:
  central user add NAME --role officer|supervisor|hq|admin [--post POST] [--totp] [--data DIR]
  central user list [--data DIR]
  central user disable|enable|unlock NAME [--data DIR]
  central user passwd NAME [--data DIR]
  central user totp NAME [--off] [--data DIR]

Accounts of central's web side, kept in DIR/users.db.

add      creates a user. Officers and supervisors belong to one post (--post,
         required); hq and admin see every post and take no --post. The
         password is read from standard input, one line, when it is not a
         terminal (e.g. from a password manager or a script); at a terminal it
         is prompted for twice without echo. It needs at least
         web.min_password_len characters (central.toml; default 12).
         --totp also turns on the second factor (see totp).
list     prints every user: role, post, state, TOTP, failed logins, lock.
disable  refuses the user's logins and ends their sessions; enable undoes it.
unlock   ends a lockout after repeated failed logins.
passwd   sets a new password (read as for add) and ends the user's sessions.
totp     gives the user a new TOTP secret, required at every login from now
         on: it prints the secret and its otpauth:// URI for an authenticator
         app. --off removes the second factor.

Every change is recorded in the audit log (DIR/audit.db) as done by
cli:<your OS user>.
`

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "user", args, userHelp, map[string]subcommand{
		"add":     runUserAdd,
		"list":    runUserList,
		"disable": userChange("disable"),
		"enable":  userChange("enable"),
		"unlock":  userChange("unlock"),
		"passwd":  runUserPasswd,
		"totp":    runUserTOTP,
	}, stdout, stderr)
}

// passwordInput is where passwords are read from (tests replace it).
var passwordInput io.Reader = os.Stdin

// readPassword reads a new password: prompted twice without echo at a
// terminal, else one line of standard input.
func readPassword(stderr io.Writer) (string, error) {
	if f, ok := passwordInput.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			return string(b), err
		}
		first, err := ask("Password: ")
		if err != nil {
			return "", err
		}
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", errors.New("the two passwords differ: nothing changed, try again")
		}
		return first, nil
	}
	// One line, and no more than a password may hold (plus its line end).
	line, err := bufio.NewReader(io.LimitReader(passwordInput, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if errors.Is(err, io.EOF) && len(line) == 4096 {
		return "", errors.New("the password line on standard input is too long")
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input: give it as one line, or run the command at a terminal to be prompted")
	}
	return line, nil
}

// openUsers opens DIR/users.db with the policy of DIR/central.toml.
func openUsers(dataDir string) (*auth.Store, error) {
	s, _, err := settings.LoadDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("%w (check it with 'central config check')", err)
	}
	return auth.Open(dataDir, s.AuthPolicy())
}

// parseUserArgs parses a user subcommand's flags and its one NAME (before
// or after them); code/done as parseFlags.
func parseUserArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (name string, code int, done bool) {
	pos, code, done := parseFlagsAndArgs(fs, args, userHelp, stdout, stderr)
	if done {
		return "", code, true
	}
	if len(pos) != 1 {
		return "", usageError(stderr, fs.Name(), "want one user NAME, got %d arguments", len(pos)), true
	}
	if err := auth.ValidateName(pos[0]); err != nil {
		return "", usageError(stderr, fs.Name(), "%v", err), true
	}
	return pos[0], 0, false
}

// withUsers opens the accounts, runs fn and prints its error as
// "central CMD: ..." with exit code 1.
func withUsers(dataDir, cmd string, stderr io.Writer, fn func(*auth.Store) error) int {
	st, err := openUsers(dataDir)
	if err == nil {
		err = fn(st)
		st.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "central %s: %v\n", cmd, err)
		return exitError
	}
	return exitOK
}

func runUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const cmd = "user add"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds users.db)")
	roleFlag := fs.String("role", "", "`ROLE`: officer, supervisor, hq or admin (required)")
	post := fs.String("post", "", "the `POST` whose gates an officer or supervisor works")
	totp := fs.Bool("totp", false, "require a TOTP code at login; prints the secret for the authenticator app")
	name, code, done := parseUserArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	role, err := auth.ParseRole(*roleFlag)
	if err != nil {
		return usageError(stderr, cmd, "--role: %v", err)
	}
	if err := auth.ValidateRolePost(role, *post); err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	password, err := readPassword(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "central %s: %v\n", cmd, err)
		return exitError
	}
	detail := map[string]string{"role": string(role), "totp": "off"}
	added := false
	code = withUsers(*dataDir, cmd, stderr, func(st *auth.Store) error {
		if _, err := st.AddUser(ctx, name, role, *post, password); err != nil {
			return err
		}
		added = true
		line := fmt.Sprintf("user %s added: role %s", name, role)
		if *post != "" {
			line += ", post " + *post
		}
		fmt.Fprintln(stdout, line)
		if !*totp {
			return nil
		}
		if err := printTOTP(ctx, st, name, stdout); err != nil {
			return fmt.Errorf("%w (the user was added without it: run 'central user totp %s')", err, name)
		}
		detail["totp"] = "on"
		return nil
	})
	if added {
		auditDone(*dataDir, cmd, audit.Entry{Action: audit.ActionUserAdd, Target: name, Post: *post, Detail: detail}, stderr)
	}
	return code
}

func printTOTP(ctx context.Context, st *auth.Store, name string, stdout io.Writer) error {
	secret, uri, err := st.EnableTOTP(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "TOTP on for %s: enter this secret in the authenticator app (or the URI as a QR code)\n", name)
	fmt.Fprintf(stdout, "  secret: %s\n  uri:    %s\n", secret, uri)
	return nil
}

func runUserList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds users.db)")
	if code, done := parseFlags(fs, args, userHelp, stdout, stderr); done {
		return code
	}
	return withUsers(*dataDir, "user list", stderr, func(st *auth.Store) error {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tPOST\tSTATE\tTOTP\tFAILED\tLOCKED_UNTIL")
		for _, u := range users {
			state, totp, locked := "active", "off", "-"
			if u.Disabled {
				state = "disabled"
			}
			if u.TOTP {
				totp = "on"
			}
			if u.LockedUntil.After(now) {
				state, locked = "locked", u.LockedUntil.Format(time.RFC3339)
				if u.Disabled {
					state = "disabled"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", u.Name, u.Role, dash(u.Post), state, totp, u.FailedLogins, locked)
		}
		return tw.Flush()
	})
}

// userChange is disable, enable or unlock.
func userChange(verb string) subcommand {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		cmd := "user " + verb
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds users.db)")
		name, code, done := parseUserArgs(fs, args, stdout, stderr)
		if done {
			return code
		}
		return changeUser(*dataDir, cmd, name, verb, stderr, func(st *auth.Store) error {
			var err error
			switch verb {
			case "disable":
				err = st.SetDisabled(ctx, name, true)
			case "enable":
				err = st.SetDisabled(ctx, name, false)
			case "unlock":
				err = st.Unlock(ctx, name)
			}
			if err == nil {
				fmt.Fprintf(stdout, "user %s %s\n", name, map[string]string{"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}[verb])
			}
			return err
		})
	}
}

// changeUser runs fn on the accounts and, when it succeeds, records the
// change (ActionUserChange, detail change=CHANGE) with the user's post.
func changeUser(dataDir, cmd, name, change string, stderr io.Writer, fn func(*auth.Store) error) int {
	post := ""
	code := withUsers(dataDir, cmd, stderr, func(st *auth.Store) error {
		if err := fn(st); err != nil {
			return err
		}
		u, _, err := st.User(context.Background(), name)
		post = u.Post
		return err
	})
	if code == exitOK {
		auditDone(dataDir, cmd, audit.Entry{Action: audit.ActionUserChange, Target: name, Post: post,
			Detail: map[string]string{"change": change}}, stderr)
	}
	return code
}

func runUserPasswd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const cmd = "user passwd"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds users.db)")
	name, code, done := parseUserArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	password, err := readPassword(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "central %s: %v\n", cmd, err)
		return exitError
	}
	return changeUser(*dataDir, cmd, name, "password", stderr, func(st *auth.Store) error {
		if err := st.SetPassword(ctx, name, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended\n", name)
		return nil
	})
}

func runUserTOTP(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const cmd = "user totp"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "central's data `DIR` (holds users.db)")
	off := fs.Bool("off", false, "remove the second factor instead")
	name, code, done := parseUserArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	change := "totp_on"
	if *off {
		change = "totp_off"
	}
	return changeUser(*dataDir, cmd, name, change, stderr, func(st *auth.Store) error {
		if !*off {
			return printTOTP(ctx, st, name, stdout)
		}
		if err := st.DisableTOTP(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "TOTP off for %s\n", name)
		return nil
	})
}

// parseFlagsAndArgs parses a command's flags wherever they stand among its
// positional arguments (Go's flag package stops at the first of those),
// and returns the positional arguments in order.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	for {
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
			// parseFlags prints --help or the error the same way as for
			// every other command.
			if code, done := parseFlags(fs, args, help, stdout, stderr); done {
				return nil, code, true
			}
			return pos, 0, false
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

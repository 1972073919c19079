package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"autogate/central/internal/audit"
	"autogate/central/internal/auth"
)

const testPassword = "a long enough passphrase"

// centralWithStdin runs the test binary as central with stdin as given,
// as a script would.
func centralWithStdin(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// runWithPassword runs central in process with password as its stdin.
func runWithPassword(t *testing.T, password string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := passwordInput
	passwordInput = strings.NewReader(password)
	defer func() { passwordInput = old }()
	return runInProcess(t, context.Background(), args...)
}

func login(t *testing.T, dir, name, password string) error {
	t.Helper()
	st, err := auth.Open(dir, auth.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Login(context.Background(), name, password, "", time.Now())
	return err
}

func auditRecords(t *testing.T, dir string) []audit.Entry {
	t.Helper()
	l, err := audit.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	es, err := l.Entries(context.Background(), "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestUserAddPasswordFromStdin(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := centralWithStdin(t, strings.NewReader(testPassword+"\n"),
		"user", "add", "alice", "--role", "officer", "--post", "post-a", "--data", dir)
	if code != exitOK || out != "user alice added: role officer, post post-a\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Flags first, NAME last; CRLF line end; no final newline.
	code, out, errOut = centralWithStdin(t, strings.NewReader(testPassword+"\r\n"), "user", "add", "--data", dir, "--role", "hq", "bob")
	if code != exitOK || out != "user bob added: role hq\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = centralWithStdin(t, strings.NewReader(testPassword), "user", "add", "carl", "--role", "admin", "--data", dir)
	if code != exitOK {
		t.Fatalf("no newline: exit %d, %s", code, errOut)
	}
	for _, name := range []string{"alice", "bob", "carl"} {
		if err := login(t, dir, name, testPassword); err != nil {
			t.Fatalf("login %s with the password given on stdin: %v", name, err)
		}
	}
	if err := login(t, dir, "alice", testPassword+"\n"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("the line end became part of the password: %v", err)
	}
	es := auditRecords(t, dir)
	if len(es) != 3 || es[2].Action != audit.ActionUserAdd || es[2].Target != "alice" || es[2].Post != "post-a" ||
		!strings.HasPrefix(es[2].Actor, "cli") || es[2].Detail["role"] != "officer" {
		t.Fatalf("audit records %+v", es)
	}
}

func TestUserAddErrorsAndUsage(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runWithPassword(t, testPassword+"\n", "user", "add", "dora", "--role", "supervisor", "--post", "p1", "--data", dir); code != exitOK {
		t.Fatalf("setup: %s", errOut)
	}
	for _, c := range []struct {
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{testPassword, []string{"dora", "--role", "admin"}, exitError, "user already exists"},
		{"short\n", []string{"eve", "--role", "admin"}, exitError, "password too short"},
		{"", []string{"eve", "--role", "admin"}, exitError, "no password on standard input"},
		{"\n", []string{"eve", "--role", "admin"}, exitError, "no password on standard input"},
		{testPassword, []string{"eve", "--role", "boss"}, exitUsage, `role "boss"`},
		{testPassword, []string{"eve"}, exitUsage, "--role"},
		{testPassword, []string{"eve", "--role", "officer"}, exitUsage, "needs the post"},
		{testPassword, []string{"eve", "--role", "hq", "--post", "p1"}, exitUsage, "takes no --post"},
		{testPassword, []string{"eve", "--role", "officer", "--post", "p 1"}, exitUsage, "post"},
		{testPassword, []string{"--role", "admin"}, exitUsage, "want one user NAME, got 0"},
		{testPassword, []string{"eve", "frank", "--role", "admin"}, exitUsage, "got 2"},
		{testPassword, []string{"Eve", "--role", "admin"}, exitUsage, "user name"},
		{testPassword, []string{"eve", "--role", "admin", "--nope"}, exitUsage, "flag provided but not defined"},
	} {
		args := append([]string{"user", "add", "--data", dir}, c.args...)
		code, out, errOut := runWithPassword(t, c.stdin, args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) || out != "" {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q (want %q)", c.args, code, c.code, out, errOut, c.stderr)
		}
	}
	if n := len(auditRecords(t, dir)); n != 1 {
		t.Fatalf("%d audit records after refused adds, want 1", n)
	}
	st, _ := auth.Open(dir, auth.Policy{})
	users, _ := st.Users(context.Background())
	st.Close()
	if len(users) != 1 {
		t.Fatalf("users %+v", users)
	}
}

func TestUserAddHonoursMinPasswordLenOfCentralTOML(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/central.toml", []byte("[web]\nmin_password_len = 30\n"), 0o600)
	code, _, errOut := runWithPassword(t, testPassword, "user", "add", "gil", "--role", "admin", "--data", dir)
	if code != exitError || !strings.Contains(errOut, "at least 30") {
		t.Fatalf("exit %d, %s", code, errOut)
	}
	os.WriteFile(dir+"/central.toml", []byte("[web]\nmin_password_len = 3\n"), 0o600)
	code, _, errOut = runWithPassword(t, testPassword, "user", "add", "gil", "--role", "admin", "--data", dir)
	if code != exitError || !strings.Contains(errOut, "web.min_password_len") || !strings.Contains(errOut, "config check") {
		t.Fatalf("bad central.toml: exit %d, %s", code, errOut)
	}
}

func TestUserManagement(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, args := range [][]string{
		{"user", "add", "olga", "--role", "officer", "--post", "post-b", "--data", dir},
		{"user", "add", "hank", "--role", "hq", "--data", dir, "--totp"},
	} {
		if code, _, errOut := runWithPassword(t, testPassword, args...); code != exitOK {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	if err := login(t, dir, "hank", testPassword); !errors.Is(err, auth.ErrTOTPRequired) {
		t.Fatalf("hank added with --totp: %v", err)
	}

	steps := []struct {
		args    []string
		stdin   string
		stdout  string
		change  string
		loginOK bool
	}{
		{[]string{"disable", "olga"}, "", "user olga disabled\n", "disable", false},
		{[]string{"enable", "olga"}, "", "user olga enabled\n", "enable", true},
		{[]string{"passwd", "olga"}, "another long passphrase\n", "password of olga changed; their sessions ended\n", "password", false},
		{[]string{"unlock", "olga"}, "", "user olga unlocked\n", "unlock", false},
		{[]string{"totp", "olga", "--off"}, "", "TOTP off for olga\n", "totp_off", false},
	}
	for _, s := range steps {
		args := append(append([]string{"user"}, s.args...), "--data", dir)
		code, out, errOut := runWithPassword(t, s.stdin, args...)
		if code != exitOK || out != s.stdout {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", s.args, code, out, errOut)
		}
		es := auditRecords(t, dir)
		if es[0].Action != audit.ActionUserChange || es[0].Target != "olga" || es[0].Post != "post-b" || es[0].Detail["change"] != s.change {
			t.Fatalf("%v: audit record %+v", s.args, es[0])
		}
		if err := login(t, dir, "olga", testPassword); (err == nil) != s.loginOK {
			t.Fatalf("%v: login with the first password: %v", s.args, err)
		}
	}
	if err := login(t, dir, "olga", "another long passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}

	// totp: a secret that the store accepts.
	code, out, errOut := runInProcess(t, ctx, "user", "totp", "olga", "--data", dir)
	m := regexp.MustCompile(`secret: ([A-Z2-7]{32})\n\s+uri:\s+(otpauth://totp/autogate:olga\?secret=([A-Z2-7]{32})&issuer=autogate)\n`).FindStringSubmatch(out)
	if code != exitOK || m == nil || m[1] != m[3] {
		t.Fatalf("totp: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if err := login(t, dir, "olga", "another long passphrase"); !errors.Is(err, auth.ErrTOTPRequired) {
		t.Fatalf("after totp on: %v", err)
	}

	// Locked users show in the list.
	st, _ := auth.Open(dir, auth.Policy{})
	for range 5 {
		st.Login(ctx, "hank", "wrong", "", time.Now())
	}
	st.Close()
	code, out, _ = runInProcess(t, ctx, "user", "list", "--data", dir)
	if code != exitOK ||
		!regexp.MustCompile(`(?m)^NAME\s+ROLE\s+POST\s+STATE\s+TOTP\s+FAILED\s+LOCKED_UNTIL$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^hank\s+hq\s+-\s+locked\s+on\s+5\s+\d{4}-`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^olga\s+officer\s+post-b\s+active\s+on\s+0\s+-$`).MatchString(out) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"user", "disable", "nobody", "--data", dir}, exitError, `no such user "nobody"`},
		{[]string{"user", "unlock", "--data", dir}, exitUsage, "want one user NAME"},
		{[]string{"user", "passwd", "olga", "--data", dir}, exitError, "no password on standard input"},
		{[]string{"user", "frobnicate"}, exitUsage, `unknown subcommand "frobnicate"`},
		{[]string{"user"}, exitUsage, "Usage:"},
		{[]string{"user", "list", "extra", "--data", dir}, exitUsage, "unexpected argument"},
	} {
		code, _, errOut := runWithPassword(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errOut, c.stderr)
		}
	}
	for _, sub := range []string{"add", "list", "disable", "enable", "unlock", "passwd", "totp"} {
		code, out, _ := runInProcess(t, ctx, "user", sub, "--help")
		if code != exitOK || !strings.Contains(out, "central user add NAME --role") || !strings.Contains(out, "--data DIR") {
			t.Errorf("user %s --help: exit %d\n%s", sub, code, out)
		}
	}
}

// TestUserAddPromptsAtATerminal gives the command a pseudo-terminal as
// standard input: it must prompt twice and refuse two different entries.
func TestUserAddPromptsAtATerminal(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, first, again string
		code               int
	}{
		{"ina", testPassword, testPassword, exitOK},
		{"jon", testPassword, testPassword + "x", exitError},
	} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal here: %v", err)
		}
		cmd := exec.Command(os.Args[0], "user", "add", c.name, "--role", "admin", "--data", dir)
		cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
		var out, errb syncBuffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		go io.Copy(io.Discard, ptmx) // whatever the terminal echoes
		// Typed after the prompt: the line discipline keeps lines typed early.
		waitFor(t, &errb, "Password: ")
		io.WriteString(ptmx, c.first+"\r")
		waitFor(t, &errb, "Again: ")
		io.WriteString(ptmx, c.again+"\r")
		err = cmd.Wait()
		ptmx.Close()
		if code := cmd.ProcessState.ExitCode(); code != c.code {
			t.Fatalf("%s: exit %d (%v), want %d; stdout %q, stderr %q", c.name, code, err, c.code, out.String(), errb.String())
		}
		if strings.Contains(out.String()+errb.String(), testPassword) {
			t.Fatalf("%s: the password was printed", c.name)
		}
		if c.code == exitOK {
			if err := login(t, dir, c.name, c.first); err != nil {
				t.Fatalf("%s: login with the typed password: %v", c.name, err)
			}
		} else if !strings.Contains(errb.String(), "the two passwords differ") {
			t.Fatalf("%s: stderr %q", c.name, errb.String())
		}
	}
}

// waitFor waits until the buffer a child process writes holds s.
func waitFor(t *testing.T, b *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 10 s; got %q", s, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

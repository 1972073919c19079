package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"autogate/benchmarks/webclient"
)

// The posts of the simulated accounts: every simulated gate is at PostName;
// OtherPost has no gate, so its officer must see none of the post's
// referrals.
const (
	PostName  = "sim-post"
	OtherPost = "other-post"
)

// The web accounts every simulated post has (Post.Accounts).
const (
	UserHQ           = "sim-hq"
	UserAdmin        = "sim-admin"
	UserOfficer      = "sim-officer"
	UserOtherOfficer = "sim-officer-other"
	UserSupervisor   = "sim-supervisor"
)

// Account is one of central's web accounts; WebClient a logged-in session.
type (
	Account   = webclient.Account
	WebClient = webclient.Client
)

// simAccounts are the accounts of a post, with fresh random passwords.
func simAccounts() []Account {
	return []Account{
		{Name: UserOfficer, Role: "officer", Post: PostName, Password: webclient.RandomPassword()},
		{Name: UserSupervisor, Role: "supervisor", Post: PostName, Password: webclient.RandomPassword()},
		{Name: UserHQ, Role: "hq", Password: webclient.RandomPassword()},
		{Name: UserAdmin, Role: "admin", Password: webclient.RandomPassword()},
		{Name: UserOtherOfficer, Role: "officer", Post: OtherPost, Password: webclient.RandomPassword()},
	}
}

// AccountsFile is where the simulator writes the accounts and their
// passwords (mode 0600): <Work>/accounts.txt.
func (s *Post) AccountsFile() string { return filepath.Join(s.Work, "accounts.txt") }

// createAccounts adds the post's accounts to central's data folder with
// `central user add` (which works beside a running central too), each with
// a random password given on standard input, and writes AccountsFile.
func (s *Post) createAccounts(ctx context.Context) error {
	accounts := simAccounts()
	for _, a := range accounts {
		if err := webclient.AddUser(ctx, filepath.Join(s.Bin, "central"), s.centralData(), a); err != nil {
			return err
		}
	}
	s.Accounts = accounts
	return s.writeAccounts()
}

func (s *Post) writeAccounts() error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# web accounts of the simulated post: log in at %s/login\n", s.WebURL())
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "# user\trole\tpost\tpassword")
	for _, a := range s.Accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Role, a.Post, a.Password)
	}
	tw.Flush()
	return os.WriteFile(s.AccountsFile(), b.Bytes(), 0o600)
}

// WebURL is central's web address.
func (s *Post) WebURL() string { return "http://" + s.HTTP }

// Account returns one of the post's accounts by name.
func (s *Post) Account(name string) (Account, bool) {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// Client logs in to central's web side as user and returns the session.
func (s *Post) Client(ctx context.Context, user string) (*WebClient, error) {
	a, ok := s.Account(user)
	if !ok {
		return nil, fmt.Errorf("the simulated post has no account %q (it has %s)", user, strings.Join(s.accountNames(), ", "))
	}
	c := &webclient.Client{Base: s.WebURL(), Account: a}
	if err := c.Login(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Post) accountNames() []string {
	var out []string
	for _, a := range s.Accounts {
		out = append(out, a.Name)
	}
	return out
}

// hq is the HQ session the harness reads central's JSON API with (made on
// first use, kept for the post's life: it logs in again when the session
// ends).
func (s *Post) hq(ctx context.Context) (*WebClient, error) {
	s.hqMu.Lock()
	defer s.hqMu.Unlock()
	if s.hqClient != nil {
		return s.hqClient, nil
	}
	c, err := s.Client(ctx, UserHQ)
	if err != nil {
		return nil, err
	}
	s.hqClient = c
	return c, nil
}

// centralJSON reads one of central's JSON endpoints (path from the root) as HQ.
func (s *Post) centralJSON(ctx context.Context, path string, v any) error {
	c, err := s.hq(ctx)
	if err != nil {
		return err
	}
	return c.GetJSON(ctx, path, v)
}

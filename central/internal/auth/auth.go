package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Role is what a user may see and do.
type Role string

// Roles.
const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
	RoleHQ         Role = "hq"
	RoleAdmin      Role = "admin"
)

// Roles lists every role, in the order the CLI's help names them.
var Roles = []Role{RoleOfficer, RoleSupervisor, RoleHQ, RoleAdmin}

// ParseRole accepts one of Roles.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: want officer, supervisor, hq or admin", s)
}

// NeedsPost reports whether users of the role belong to one post.
func (r Role) NeedsPost() bool { return r == RoleOfficer || r == RoleSupervisor }

// CanAct reports whether the role may act on referrals and lock gates.
func (r Role) CanAct() bool { return r == RoleOfficer || r == RoleSupervisor }

// SeesAllPosts reports whether the role reads every post.
func (r Role) SeesAllPosts() bool { return r == RoleHQ || r == RoleAdmin }

// User is one account, without its secrets.
type User struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Post         string    `json:"post,omitempty"` // officers and supervisors only
	Disabled     bool      `json:"disabled"`
	TOTP         bool      `json:"totp"` // a second factor is required at login
	CreatedAt    time.Time `json:"created_at"`
	FailedLogins int       `json:"failed_logins"`         // since the last success
	LockedUntil  time.Time `json:"locked_until,omitzero"` // zero: not locked
}

// CanSeePost reports whether the user may read the given post's gates,
// referrals and crossings.
func (u User) CanSeePost(post string) bool {
	return u.Role.SeesAllPosts() || (u.Post != "" && u.Post == post)
}

// CanActOnPost reports whether the user may act on a referral or gate of
// the post (approve, return, manual booth, lock, unlock).
func (u User) CanActOnPost(post string) bool {
	return u.Role.CanAct() && u.Post != "" && u.Post == post
}

// Policy bounds logins and sessions (central.toml's [web] section).
type Policy struct {
	MaxFailures int           // failed logins in a row before the lockout; default 5
	LockoutFor  time.Duration // default 15 min
	SessionIdle time.Duration // a session unused this long ends; default 30 min
	SessionMax  time.Duration // a session ends this long after login whatever; default 12 h
	// MinPasswordLen is the shortest password accepted; default 12.
	MinPasswordLen int
}

// Errors of Login and Session. Login returns ErrBadCredentials for an
// unknown user and for a wrong password alike, so a caller cannot tell
// which names exist.
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrLocked         = errors.New("account locked after repeated failed logins")
	ErrDisabled       = errors.New("account disabled")
	ErrTOTPRequired   = errors.New("a one-time code from the authenticator app is required")
	ErrNoSession      = errors.New("no such session, or it expired")
	ErrUserExists     = errors.New("user already exists")
	ErrNoUser         = errors.New("no such user")
)

// LockedError is returned (wrapping ErrLocked) while an account is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}
func (e *LockedError) Unwrap() error { return ErrLocked }

// Session is a logged-in user's session. Token is set only by Login (the
// store keeps its hash); CSRF is the token every state-changing request of
// the session must carry.
type Session struct {
	Token     string
	ID        string // the token's hash, hex: safe to log and to audit
	User      User
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // the earlier of idle and absolute expiry, at LastSeen
}

// Store is the accounts database. Safe for concurrent use; the CLI and
// central serve may open it at once.
type Store struct {
	impl
}

// ErrNotImplemented is returned by stubs under construction.
var ErrNotImplemented = errors.New("auth: not implemented yet")

// Open opens (creating if needed) DIR/users.db.
func Open(dataDir string, p Policy) (*Store, error) { return openStore(dataDir, p) }

// Close closes the database.
func (s *Store) Close() error { return s.close() }

// Path is the database file.
func (s *Store) Path() string { return s.path() }

// AddUser creates a user. Names are 1–64 characters of a-z, 0-9, '.', '_',
// '-'; officers and supervisors need a post, which must be a valid gate-id
// style name; hq and admin take none. The password must be at least
// Policy.MinPasswordLen characters.
func (s *Store) AddUser(ctx context.Context, name string, role Role, post, password string) (User, error) {
	return s.addUser(ctx, name, role, post, password)
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	return s.setPassword(ctx, name, password)
}

// Users lists every user, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) { return s.users(ctx) }

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (User, bool, error) { return s.user(ctx, name) }

// SetDisabled disables (ending their sessions) or re-enables a user.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return s.setDisabled(ctx, name, disabled)
}

// Unlock clears a lockout and the failure count.
func (s *Store) Unlock(ctx context.Context, name string) error { return s.unlock(ctx, name) }

// EnableTOTP gives the user a new TOTP secret and requires it from the
// next login; it returns the secret in base32 and its otpauth:// URI.
func (s *Store) EnableTOTP(ctx context.Context, name string) (secret, uri string, err error) {
	return s.enableTOTP(ctx, name)
}

// DisableTOTP removes the second factor.
func (s *Store) DisableTOTP(ctx context.Context, name string) error { return s.disableTOTP(ctx, name) }

// Login checks the password (and the TOTP code when the user has one),
// counts failures and locks the account after Policy.MaxFailures in a
// row, and on success starts a session.
func (s *Store) Login(ctx context.Context, name, password, code string, now time.Time) (Session, error) {
	return s.login(ctx, name, password, code, now)
}

// Session returns the live session of a token and extends its idle
// expiry; ErrNoSession when unknown, expired, or its user is disabled.
func (s *Store) Session(ctx context.Context, token string, now time.Time) (Session, error) {
	return s.session(ctx, token, now)
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error { return s.logout(ctx, token) }

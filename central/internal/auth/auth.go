package auth

import (
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

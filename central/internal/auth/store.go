package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"autogate/internal/sqlitedb"
	"autogate/internal/wire"
)

// FileName is the accounts database inside central's data folder.
const FileName = "users.db"

// DefaultPolicy is what central.toml's [web] section defaults to.
func DefaultPolicy() Policy {
	return Policy{MaxFailures: 5, LockoutFor: 15 * time.Minute, SessionIdle: 30 * time.Minute,
		SessionMax: 12 * time.Hour, MinPasswordLen: 12}
}

// migrations are applied in order by internal/sqlitedb; a released step is
// never edited. Times are Unix nanoseconds (0: none).
var migrations = []string{
	`
CREATE TABLE users (
	name           TEXT    PRIMARY KEY,
	role           TEXT    NOT NULL,
	post           TEXT    NOT NULL DEFAULT '',
	password       TEXT    NOT NULL,             -- argon2id PHC string
	disabled       INTEGER NOT NULL DEFAULT 0,
	totp_secret    TEXT    NOT NULL DEFAULT '',  -- base32, '' when off
	totp_last_step INTEGER NOT NULL DEFAULT 0,   -- last accepted step: no replay
	created_at     INTEGER NOT NULL,
	failed_logins  INTEGER NOT NULL DEFAULT 0,
	locked_until   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
	id         TEXT    PRIMARY KEY,              -- SHA-256 hex of the token
	user       TEXT    NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	csrf       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user);
`,
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidateName checks a user name: 1–64 characters of a-z, 0-9, '.', '_',
// '-', starting with a letter or digit.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("user name %q: want 1–64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit", name)
	}
	return nil
}

// ValidateRolePost checks that a role has a post exactly when it needs one.
func ValidateRolePost(role Role, post string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	switch {
	case role.NeedsPost() && post == "":
		return fmt.Errorf("role %s needs the post whose gates the user works: give it with --post POST", role)
	case !role.NeedsPost() && post != "":
		return fmt.Errorf("role %s sees every post and takes no --post", role)
	case post != "":
		if err := wire.ValidateGateID(post); err != nil {
			return fmt.Errorf("post: %w", err)
		}
	}
	return nil
}

// Store is the accounts database. Safe for concurrent use; the CLI and
// central serve may open it at once.
type Store struct {
	db     *sql.DB
	file   string
	policy Policy
}

// Open opens (creating if needed) DIR/users.db.
func Open(dataDir string, p Policy) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("users: empty data folder: pass one with --data")
	}
	def := DefaultPolicy()
	if p.MaxFailures <= 0 {
		p.MaxFailures = def.MaxFailures
	}
	if p.LockoutFor <= 0 {
		p.LockoutFor = def.LockoutFor
	}
	if p.SessionIdle <= 0 {
		p.SessionIdle = def.SessionIdle
	}
	if p.SessionMax <= 0 {
		p.SessionMax = def.SessionMax
	}
	if p.MinPasswordLen <= 0 {
		p.MinPasswordLen = def.MinPasswordLen
	}
	path := filepath.Join(dataDir, FileName)
	// The file holds password and session hashes: owner only. Created
	// before SQLite opens it, as SQLite gives its -wal and -shm files the
	// database file's mode.
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("users: creating data folder %s: %w (choose a writable folder with --data)", dataDir, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	f.Close()
	db, err := sqlitedb.Open(context.Background(), path, migrations)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return &Store{db: db, file: path, policy: p}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.file }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func noUser(name string) error {
	return fmt.Errorf("%w %q: list the users with 'central user list'", ErrNoUser, name)
}

// AddUser creates a user. Names are 1–64 characters of a-z, 0-9, '.', '_',
// '-'; officers and supervisors need a post, which must be a valid gate-id
// style name; hq and admin take none. The password must be at least
// Policy.MinPasswordLen characters.
func (s *Store) AddUser(ctx context.Context, name string, role Role, post, password string) (User, error) {
	if err := ValidateName(name); err != nil {
		return User{}, err
	}
	if err := ValidateRolePost(role, post); err != nil {
		return User{}, err
	}
	if err := s.checkNewPassword(name, password); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := time.Now().UTC()
	res, err := s.db.ExecContext(ctx, `INSERT INTO users (name, role, post, password, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`, name, string(role), post, hash, nanos(now))
	if err != nil {
		return User{}, fmt.Errorf("users: adding %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return User{}, fmt.Errorf("%w: %q (change it with 'central user passwd|disable|enable')", ErrUserExists, name)
	}
	return User{Name: name, Role: role, Post: post, CreatedAt: time.Unix(0, nanos(now)).UTC()}, nil
}

// change runs one UPDATE of a user's row (and, when endSessions, deletes
// the user's sessions) in one transaction; ErrNoUser when there is none.
func (s *Store) change(ctx context.Context, name string, endSessions bool, query string, args ...any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("users: changing %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noUser(name)
	}
	if endSessions {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ?`, name); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if err := s.checkNewPassword(name, password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.change(ctx, name, true, `UPDATE users SET password = ? WHERE name = ?`, hash, name)
}

// SetDisabled disables (ending their sessions) or re-enables a user.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return s.change(ctx, name, disabled, `UPDATE users SET disabled = ? WHERE name = ?`, disabled, name)
}

// Unlock clears a lockout and the failure count.
func (s *Store) Unlock(ctx context.Context, name string) error {
	return s.change(ctx, name, false, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE name = ?`, name)
}

// EnableTOTP gives the user a new TOTP secret and requires it from the
// next login; it returns the secret in base32 and its otpauth:// URI.
func (s *Store) EnableTOTP(ctx context.Context, name string) (string, string, error) {
	raw, err := newTOTPSecret()
	if err != nil {
		return "", "", err
	}
	secret := b32.EncodeToString(raw)
	if err := s.change(ctx, name, false, `UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE name = ?`, secret, name); err != nil {
		return "", "", err
	}
	return secret, otpauthURI(name, secret), nil
}

// DisableTOTP removes the second factor.
func (s *Store) DisableTOTP(ctx context.Context, name string) error {
	return s.change(ctx, name, false, `UPDATE users SET totp_secret = '', totp_last_step = 0 WHERE name = ?`, name)
}

// userRow is a user with the columns only the store reads.
type userRow struct {
	User
	password   string
	totpSecret string
}

const userColumns = `name, role, post, password, disabled, totp_secret, created_at, failed_logins, locked_until`

func scanUser(sc interface{ Scan(...any) error }) (userRow, error) {
	var r userRow
	var role string
	var created, locked int64
	err := sc.Scan(&r.Name, &role, &r.Post, &r.password, &r.Disabled, &r.totpSecret, &created, &r.FailedLogins, &locked)
	r.Role, r.TOTP = Role(role), r.totpSecret != ""
	r.CreatedAt, r.LockedUntil = fromNanos(created), fromNanos(locked)
	return r, err
}

func (s *Store) row(ctx context.Context, name string) (userRow, bool, error) {
	r, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, false, nil
	}
	if err != nil {
		return userRow{}, false, fmt.Errorf("users: reading %s: %w", name, err)
	}
	return r, true, nil
}

// Users lists every user, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		r, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, r.User)
	}
	return out, rows.Err()
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (User, bool, error) {
	r, ok, err := s.row(ctx, name)
	return r.User, ok, err
}

// Login checks the password (and the TOTP code when the user has one),
// counts failures and locks the account after Policy.MaxFailures in a
// row, and on success starts a session. The lock lasts LockoutFor from the
// last failure; attempts while locked are refused without checking the
// password and neither count nor extend the lock; when it ends the count
// starts over. A correct password with a missing TOTP code is not a
// failure; a wrong or replayed code is.
func (s *Store) Login(ctx context.Context, name, password, code string, now time.Time) (Session, error) {
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes]
	}
	r, ok, err := s.row(ctx, name)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		dummyCheck(password) // as long as a real check: names do not leak by timing
		return Session{}, ErrBadCredentials
	}
	if !r.LockedUntil.IsZero() && !now.Before(r.LockedUntil) {
		if _, err := s.db.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0
			WHERE name = ? AND locked_until = ?`, name, nanos(r.LockedUntil)); err != nil {
			return Session{}, fmt.Errorf("users: %w", err)
		}
		r.LockedUntil = time.Time{}
	}
	if !r.LockedUntil.IsZero() {
		dummyCheck(password)
		return Session{}, &LockedError{Until: r.LockedUntil}
	}
	match, err := checkPassword(r.password, password)
	if err != nil {
		return Session{}, fmt.Errorf("users: %s: %w", name, err)
	}
	if !match {
		return Session{}, s.fail(ctx, name, now)
	}
	if r.Disabled {
		return Session{}, ErrDisabled
	}
	if r.TOTP {
		if err := s.checkCode(ctx, r, code, now); err != nil {
			return Session{}, err
		}
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE name = ?`, name); err != nil {
		return Session{}, fmt.Errorf("users: %w", err)
	}
	r.FailedLogins, r.LockedUntil = 0, time.Time{}
	return s.newSession(ctx, r.User, now)
}

func (s *Store) checkCode(ctx context.Context, r userRow, code string, now time.Time) error {
	if code == "" {
		return ErrTOTPRequired
	}
	secret, err := b32.DecodeString(r.totpSecret)
	if err != nil {
		return fmt.Errorf("users: %s: stored TOTP secret is damaged: turn it off and on again with 'central user totp NAME --off' and 'central user totp NAME'", r.Name)
	}
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return s.fail(ctx, r.Name, now)
	}
	// Only a step later than the last accepted one: a code seen once (over
	// a shoulder, in a proxy log) cannot be used again.
	res, err := s.db.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?`, step, r.Name, step)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.fail(ctx, r.Name, now)
	}
	return nil
}

// fail counts a failed attempt atomically (concurrent attempts all count)
// and locks the account on the MaxFailures-th; a lock in force is never
// moved. It returns the error the caller gives the client.
func (s *Store) fail(ctx context.Context, name string, now time.Time) error {
	var locked int64
	err := s.db.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1,
		locked_until = CASE WHEN locked_until = 0 AND failed_logins + 1 >= ? THEN ? ELSE locked_until END
		WHERE name = ? RETURNING locked_until`, s.policy.MaxFailures, nanos(now.Add(s.policy.LockoutFor)), name).Scan(&locked)
	if err != nil {
		return fmt.Errorf("users: counting a failed login of %s: %w", name, err)
	}
	if locked != 0 {
		return &LockedError{Until: fromNanos(locked)}
	}
	return ErrBadCredentials
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Store) expiry(created, lastSeen time.Time) time.Time {
	idle, abs := lastSeen.Add(s.policy.SessionIdle), created.Add(s.policy.SessionMax)
	if abs.Before(idle) {
		return abs
	}
	return idle
}

func (s *Store) newSession(ctx context.Context, u User, now time.Time) (Session, error) {
	token, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	now = fromNanos(nanos(now)) // as stored
	sess := Session{Token: token, ID: tokenID(token), User: u, CSRF: csrf, CreatedAt: now, LastSeen: now,
		ExpiresAt: s.expiry(now, now)}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, err
	}
	defer tx.Rollback()
	// Sweep expired sessions now and then: logins are rare enough.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < ? OR created_at < ?`,
		nanos(now.Add(-s.policy.SessionIdle)), nanos(now.Add(-s.policy.SessionMax))); err != nil {
		return Session{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)`,
		sess.ID, u.Name, csrf, nanos(now), nanos(now)); err != nil {
		return Session{}, fmt.Errorf("users: starting a session: %w", err)
	}
	return sess, tx.Commit()
}

// Session returns the live session of a token and extends its idle
// expiry (at most once a minute: sessionTouchEvery); ErrNoSession when
// unknown, expired, or its user is disabled.
func (s *Store) Session(ctx context.Context, token string, now time.Time) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	id := tokenID(token)
	var name, csrf string
	var created, seen int64
	err := s.db.QueryRowContext(ctx, `SELECT user, csrf, created_at, last_seen FROM sessions WHERE id = ?`, id).
		Scan(&name, &csrf, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("users: reading a session: %w", err)
	}
	r, ok, err := s.row(ctx, name)
	if err != nil {
		return Session{}, err
	}
	sess := Session{ID: id, User: r.User, CSRF: csrf, CreatedAt: fromNanos(created), LastSeen: fromNanos(seen)}
	if !ok || r.Disabled || !now.Before(s.expiry(sess.CreatedAt, sess.LastSeen)) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
			return Session{}, fmt.Errorf("users: ending a session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) >= sessionTouchEvery {
		// Guarded by last_seen so a slower concurrent request never moves it back.
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ? AND last_seen < ?`,
			nanos(now), id, nanos(now)); err != nil {
			return Session{}, fmt.Errorf("users: extending a session: %w", err)
		}
		sess.LastSeen = fromNanos(nanos(now))
	}
	sess.ExpiresAt = s.expiry(sess.CreatedAt, sess.LastSeen)
	return sess, nil
}

// sessionTouchEvery spaces the writes that extend a session: every page,
// partial and photo of a console asks for its session, and a write (with
// its fsync) each time would cost more than the minute of idle time it
// could add.
const sessionTouchEvery = time.Minute

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, tokenID(token)); err != nil {
		return fmt.Errorf("users: ending a session: %w", err)
	}
	return nil
}

package auth

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Cheap hashes: the tests check behaviour, not cost.
	HashParams = Argon2Params{Time: 1, Memory: 64, Threads: 1}
	m.Run()
}

const pw = "correct horse battery"

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func openTest(t *testing.T, p Policy) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addUser(t *testing.T, s *Store, name string, role Role, post string) User {
	t.Helper()
	u, err := s.AddUser(context.Background(), name, role, post, pw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTOTPCodeRFC6238Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		at := time.Unix(v.unix, 0)
		if got := TOTPCode(seed, at, 8); got != v.code {
			t.Errorf("T=%d: 8 digits %s, want %s", v.unix, got, v.code)
		}
		if got := TOTPCode(seed, at, 6); got != v.code[2:] {
			t.Errorf("T=%d: 6 digits %s, want %s", v.unix, got, v.code[2:])
		}
	}
}

func TestAddUserValidates(t *testing.T) {
	s := openTest(t, Policy{})
	ctx := context.Background()
	for _, c := range []struct {
		name, post, password string
		role                 Role
		want                 string
	}{
		{"Alice", "post-a", pw, RoleOfficer, "user name"},
		{"-alice", "post-a", pw, RoleOfficer, "user name"},
		{strings.Repeat("a", 65), "post-a", pw, RoleOfficer, "user name"},
		{"alice", "", pw, RoleOfficer, "needs the post"},
		{"alice", "", pw, RoleSupervisor, "needs the post"},
		{"alice", "post-a", pw, RoleHQ, "takes no --post"},
		{"alice", "post a", pw, RoleOfficer, "post"},
		{"alice", "post-a", pw, Role("boss"), "role"},
		{"alice", "post-a", "short", RoleOfficer, "too short"},
		{"alice", "post-a", "alice.alice.", RoleOfficer, ""}, // long enough, not the name
		{"alice.alice.", "post-a", "alice.alice.", RoleOfficer, "user name"},
	} {
		_, err := s.AddUser(ctx, c.name, c.role, c.post, c.password)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s/%s: %v", c.name, c.role, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%s/%q: error %v, want one about %q", c.name, c.role, c.post, err, c.want)
		}
	}
	if _, err := s.AddUser(ctx, "alice", RoleAdmin, "", pw); !errors.Is(err, ErrUserExists) {
		t.Fatalf("second alice: %v, want ErrUserExists", err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 1 || users[0].Name != "alice" || users[0].Role != RoleOfficer || users[0].Post != "post-a" {
		t.Fatalf("users %+v, %v", users, err)
	}
}

func TestPasswordStoredAsArgon2idPHC(t *testing.T) {
	s := openTest(t, Policy{})
	addUser(t, s, "bob", RoleAdmin, "")
	db, err := sql.Open("sqlite3", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var phc string
	if err := db.QueryRow(`SELECT password FROM users WHERE name = 'bob'`).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(phc, pw) {
		t.Fatalf("stored %q", phc)
	}
	ok, err := checkPassword(phc, pw)
	if err != nil || !ok {
		t.Fatalf("check own hash: %v %v", ok, err)
	}
	// Stored parameters win over the current ones: raising the cost keeps
	// old passwords working.
	old := HashParams
	HashParams = Argon2Params{Time: 2, Memory: 128, Threads: 2}
	defer func() { HashParams = old }()
	if _, err := s.Login(context.Background(), "bob", pw, "", t0); err != nil {
		t.Fatalf("login after raising the cost: %v", err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=x$a$b", phc + "$"} {
		if _, err := checkPassword(bad, pw); err == nil {
			t.Errorf("malformed %q accepted", bad)
		}
	}
}

func TestLoginWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	s := openTest(t, Policy{})
	ctx := context.Background()
	addUser(t, s, "carol", RoleHQ, "")
	_, errWrong := s.Login(ctx, "carol", "not the password", "", t0)
	_, errUnknown := s.Login(ctx, "nobody", pw, "", t0)
	if !errors.Is(errWrong, ErrBadCredentials) || !errors.Is(errUnknown, ErrBadCredentials) || errWrong.Error() != errUnknown.Error() {
		t.Fatalf("wrong password: %v; unknown user: %v", errWrong, errUnknown)
	}
	u, _, _ := s.User(ctx, "carol")
	if u.FailedLogins != 1 {
		t.Fatalf("failed logins %d, want 1", u.FailedLogins)
	}
	sess, err := s.Login(ctx, "carol", pw, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.FailedLogins != 0 || sess.User.Name != "carol" || sess.Token == "" || sess.CSRF == "" {
		t.Fatalf("session %+v", sess)
	}
	if u, _, _ := s.User(ctx, "carol"); u.FailedLogins != 0 {
		t.Fatalf("a success leaves %d failures counted", u.FailedLogins)
	}
}

func TestLockoutAfterMaxFailures(t *testing.T) {
	p := Policy{MaxFailures: 3, LockoutFor: 10 * time.Minute}
	s := openTest(t, p)
	ctx := context.Background()
	addUser(t, s, "dave", RoleOfficer, "post-a")
	now := t0
	for i := 1; i <= 2; i++ {
		if _, err := s.Login(ctx, "dave", "wrong", "", now); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
		now = now.Add(time.Second)
	}
	lockedAt := now
	_, err := s.Login(ctx, "dave", "wrong", "", now)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.Equal(lockedAt.Add(10*time.Minute)) {
		t.Fatalf("third failure: %v, want locked until %s", err, lockedAt.Add(10*time.Minute))
	}
	// Locked: the right password is refused too, and attempts do not move the lock.
	for i := range 5 {
		now = now.Add(time.Minute)
		_, err := s.Login(ctx, "dave", pw, "", now)
		if !errors.As(err, &le) || !le.Until.Equal(lockedAt.Add(10*time.Minute)) {
			t.Fatalf("attempt %d while locked: %v", i, err)
		}
		s.Login(ctx, "dave", "wrong", "", now)
	}
	u, _, _ := s.User(ctx, "dave")
	if !u.LockedUntil.Equal(lockedAt.Add(10*time.Minute)) || u.FailedLogins != 3 {
		t.Fatalf("user while locked: %+v", u)
	}
	// After the lock the count starts over: one failure does not re-lock.
	now = lockedAt.Add(10 * time.Minute)
	if _, err := s.Login(ctx, "dave", "wrong", "", now); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrLocked) {
		t.Fatalf("first failure after the lock: %v", err)
	}
	if _, err := s.Login(ctx, "dave", pw, "", now); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	// Unlock clears a lock early.
	for range 3 {
		s.Login(ctx, "dave", "wrong", "", now)
	}
	if _, err := s.Login(ctx, "dave", pw, "", now); !errors.Is(err, ErrLocked) {
		t.Fatalf("relocked: %v", err)
	}
	if err := s.Unlock(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "dave", pw, "", now); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

func TestConcurrentFailuresAllCount(t *testing.T) {
	s := openTest(t, Policy{MaxFailures: 100})
	ctx := context.Background()
	addUser(t, s, "erin", RoleAdmin, "")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { s.Login(ctx, "erin", "wrong", "", t0) })
	}
	wg.Wait()
	if u, _, _ := s.User(ctx, "erin"); u.FailedLogins != 20 {
		t.Fatalf("failed logins %d, want 20", u.FailedLogins)
	}
}

func TestDisabledUser(t *testing.T) {
	s := openTest(t, Policy{})
	ctx := context.Background()
	addUser(t, s, "fay", RoleSupervisor, "post-b")
	sess, err := s.Login(ctx, "fay", pw, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "fay", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, sess.Token, t0); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session of a disabled user: %v", err)
	}
	if _, err := s.Login(ctx, "fay", pw, "", t0); !errors.Is(err, ErrDisabled) {
		t.Fatalf("login disabled: %v", err)
	}
	// A wrong password says no more than for anyone else.
	if _, err := s.Login(ctx, "fay", "wrong", "", t0); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password, disabled: %v", err)
	}
	if err := s.SetDisabled(ctx, "fay", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "fay", pw, "", t0); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
	for _, err := range []error{s.SetDisabled(ctx, "ghost", true), s.Unlock(ctx, "ghost"), s.SetPassword(ctx, "ghost", pw), s.DisableTOTP(ctx, "ghost")} {
		if !errors.Is(err, ErrNoUser) {
			t.Errorf("change of an unknown user: %v", err)
		}
	}
}

func TestSessionExpiryAndExtension(t *testing.T) {
	s := openTest(t, Policy{SessionIdle: 30 * time.Minute, SessionMax: 2 * time.Hour})
	ctx := context.Background()
	addUser(t, s, "gus", RoleOfficer, "post-a")
	sess, err := s.Login(ctx, "gus", pw, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.ID) != 64 || sess.ID != tokenID(sess.Token) || !sess.ExpiresAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("session %+v", sess)
	}
	// Only the hash is stored.
	var n int
	s.db.QueryRow(`SELECT count(*) FROM sessions WHERE id = ? OR id = ?`, sess.Token, sess.ID).Scan(&n)
	var tokenRows int
	s.db.QueryRow(`SELECT count(*) FROM sessions WHERE id = ?`, sess.Token).Scan(&tokenRows)
	if n != 1 || tokenRows != 0 {
		t.Fatalf("stored rows by token %d, by hash+token %d", tokenRows, n)
	}
	// Used every 20 minutes: the idle expiry moves, until the absolute one.
	now := t0
	for now.Add(20 * time.Minute).Before(t0.Add(2 * time.Hour)) {
		now = now.Add(20 * time.Minute)
		got, err := s.Session(ctx, sess.Token, now)
		if err != nil {
			t.Fatalf("at %s: %v", now.Sub(t0), err)
		}
		if got.CSRF != sess.CSRF || got.User.Name != "gus" || !got.LastSeen.Equal(now) || got.Token != "" {
			t.Fatalf("session at %s: %+v", now.Sub(t0), got)
		}
		want := now.Add(30 * time.Minute)
		if limit := t0.Add(2 * time.Hour); limit.Before(want) {
			want = limit
		}
		if !got.ExpiresAt.Equal(want) {
			t.Fatalf("expires %s, want %s", got.ExpiresAt, want)
		}
	}
	if _, err := s.Session(ctx, sess.Token, t0.Add(2*time.Hour)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("past the absolute expiry: %v", err)
	}
	// Idle expiry.
	sess, _ = s.Login(ctx, "gus", pw, "", t0)
	if _, err := s.Session(ctx, sess.Token, t0.Add(30*time.Minute)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle 30 min: %v", err)
	}
	if _, err := s.Session(ctx, sess.Token, t0); !errors.Is(err, ErrNoSession) {
		t.Fatalf("an expired session must be gone for good: %v", err)
	}
	// Logout; an unknown token.
	sess, _ = s.Login(ctx, "gus", pw, "", t0)
	if err := s.Logout(ctx, sess.Token); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{sess.Token, "", "made-up"} {
		if _, err := s.Session(ctx, tok, t0); !errors.Is(err, ErrNoSession) {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
}

func TestSetPasswordEndsSessions(t *testing.T) {
	s := openTest(t, Policy{})
	ctx := context.Background()
	addUser(t, s, "hal", RoleAdmin, "")
	other := addUser(t, s, "ivy", RoleAdmin, "")
	sess, _ := s.Login(ctx, "hal", pw, "", t0)
	keep, _ := s.Login(ctx, other.Name, pw, "", t0)
	if err := s.SetPassword(ctx, "hal", "short"); err == nil {
		t.Fatal("short password accepted")
	}
	if _, err := s.Session(ctx, sess.Token, t0); err != nil {
		t.Fatalf("a refused change ended the session: %v", err)
	}
	if err := s.SetPassword(ctx, "hal", "a new long passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, sess.Token, t0); !errors.Is(err, ErrNoSession) {
		t.Fatalf("old session after a new password: %v", err)
	}
	if _, err := s.Session(ctx, keep.Token, t0); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
	if _, err := s.Login(ctx, "hal", pw, "", t0); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password: %v", err)
	}
	if _, err := s.Login(ctx, "hal", "a new long passphrase", "", t0); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestTOTPLogin(t *testing.T) {
	s := openTest(t, Policy{MaxFailures: 10})
	ctx := context.Background()
	addUser(t, s, "jo", RoleOfficer, "post-a")
	secret, uri, err := s.EnableTOTP(ctx, "jo")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 || strings.Contains(secret, "=") {
		t.Fatalf("secret %q: %v", secret, err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/autogate:jo" ||
		u.Query().Get("secret") != secret || u.Query().Get("issuer") != "autogate" {
		t.Fatalf("uri %q: %v", uri, err)
	}
	if u, _, _ := s.User(ctx, "jo"); !u.TOTP {
		t.Fatal("user does not show TOTP on")
	}
	if _, err := s.Login(ctx, "jo", pw, "", t0); !errors.Is(err, ErrTOTPRequired) {
		t.Fatalf("no code: %v", err)
	}
	if _, err := s.Login(ctx, "jo", "wrong", "", t0); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password, no code: %v", err)
	}
	now := t0.Add(10 * time.Second)
	// A code of two steps ago is refused; one step either side is fine.
	if _, err := s.Login(ctx, "jo", pw, TOTPCode(raw, now.Add(-60*time.Second), 6), now); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("code 2 steps old: %v", err)
	}
	if _, err := s.Login(ctx, "jo", pw, TOTPCode(raw, now.Add(-30*time.Second), 6), now); err != nil {
		t.Fatalf("code 1 step old: %v", err)
	}
	// Replay: the same code again, in the same step, is refused.
	code := TOTPCode(raw, now, 6)
	if _, err := s.Login(ctx, "jo", pw, code, now); err != nil {
		t.Fatalf("current code: %v", err)
	}
	if _, err := s.Login(ctx, "jo", pw, code, now.Add(time.Second)); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("replayed code: %v", err)
	}
	// And so is the older, unused one of the previous step.
	if _, err := s.Login(ctx, "jo", pw, TOTPCode(raw, now.Add(-30*time.Second), 6), now); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("older step after a newer one: %v", err)
	}
	if _, err := s.Login(ctx, "jo", pw, TOTPCode(raw, now.Add(30*time.Second), 6), now); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	// Wrong codes count as failures.
	u2, _, _ := s.User(ctx, "jo")
	if u2.FailedLogins != 0 {
		t.Fatalf("after a success: %d failures", u2.FailedLogins)
	}
	s.Login(ctx, "jo", pw, "000000x", now)
	if u2, _, _ = s.User(ctx, "jo"); u2.FailedLogins != 1 {
		t.Fatalf("a wrong code counted %d failures", u2.FailedLogins)
	}
	if err := s.DisableTOTP(ctx, "jo"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "jo", pw, "", now); err != nil {
		t.Fatalf("TOTP off: %v", err)
	}
}

func TestStoreSharedByTwoOpens(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Path() != filepath.Join(dir, FileName) {
		t.Fatalf("path %s", a.Path())
	}
	addUser(t, a, "kim", RoleHQ, "")
	sess, err := b.Login(context.Background(), "kim", pw, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(context.Background(), sess.Token, t0); err != nil {
		t.Fatal(err)
	}
}

func TestDatabaseIsOwnerOnly(t *testing.T) {
	s := openTest(t, Policy{})
	addUser(t, s, "lee", RoleAdmin, "")
	for _, p := range []string{s.Path(), s.Path() + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read the password hashes", p, fi.Mode().Perm())
		}
	}
}

// A session used again within sessionTouchEvery is not written to: its
// expiry stays where the last write put it; past that it moves.
func TestSessionTouchedAtMostOnceAMinute(t *testing.T) {
	s := openTest(t, Policy{SessionIdle: 30 * time.Minute, SessionMax: 2 * time.Hour})
	ctx := context.Background()
	addUser(t, s, "gus", RoleOfficer, "post-a")
	sess, err := s.Login(ctx, "gus", pw, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	soon, err := s.Session(ctx, sess.Token, t0.Add(30*time.Second))
	if err != nil || !soon.LastSeen.Equal(t0) || !soon.ExpiresAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("30 s after login: %+v err=%v; want last seen at login", soon, err)
	}
	later, err := s.Session(ctx, sess.Token, t0.Add(sessionTouchEvery))
	if err != nil || !later.LastSeen.Equal(t0.Add(sessionTouchEvery)) {
		t.Fatalf("a minute after login: %+v err=%v; want last seen moved", later, err)
	}
}

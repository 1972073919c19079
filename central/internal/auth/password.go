package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters of new password hashes.
type Argon2Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// HashParams are used for every new hash (and for the dummy hash an
// unknown user name costs). A stored hash carries its own parameters, so
// raising these later keeps old passwords working. About 50–90 ms on a
// 2-core box; tests lower them.
var HashParams = Argon2Params{Time: 2, Memory: 64 * 1024, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// maxPasswordBytes bounds the work one login can cause and the line
	// the CLI reads.
	maxPasswordBytes = 1024
)

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string
// $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$HASH.
func hashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := HashParams
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword compares in constant time. A malformed stored hash is an
// error (the row was edited by hand), not a mismatch.
func checkPassword(phc, password string) (bool, error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyCheck costs what checking a password does, for unknown users.
func dummyCheck(password string) {
	p := HashParams
	argon2.IDKey([]byte(password), make([]byte, saltLen), p.Time, p.Memory, p.Threads, keyLen)
}

func parsePHC(phc string) (p Argon2Params, salt, key []byte, err error) {
	bad := errors.New("stored password hash is not an argon2id PHC string: set a new password with 'central user passwd NAME'")
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, bad
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, bad
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > 4<<20 {
		return p, nil, nil, bad
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, bad
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, bad
	}
	return p, salt, key, nil
}

// checkNewPassword enforces the policy on a password being set.
func (s *Store) checkNewPassword(name, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errors.New("password is not valid UTF-8")
	case n < s.policy.MinPasswordLen:
		return fmt.Errorf("password too short: %d characters, at least %d needed (a passphrase of several words is easiest)", n, s.policy.MinPasswordLen)
	case len(password) > maxPasswordBytes:
		return fmt.Errorf("password too long: at most %d bytes", maxPasswordBytes)
	case strings.EqualFold(password, name):
		return errors.New("password must not be the user name")
	case strings.ContainsAny(password, "\r\n\x00"):
		return errors.New("password must not contain line breaks or NUL")
	}
	return nil
}

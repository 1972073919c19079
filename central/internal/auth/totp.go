package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 defaults, which every authenticator app
// assumes when the otpauth URI names none).
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1 // steps accepted either side of now, for clock drift
	secretLen  = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPCode is the RFC 6238 code (HMAC-SHA1, 30 s steps) of secret at t,
// with digits digits (6 for logins; 8 for the RFC's test vectors).
func TOTPCode(secret []byte, t time.Time, digits int) string {
	return hotp(secret, uint64(t.Unix())/totpPeriod, digits)
}

// hotp is RFC 4226: dynamic truncation of HMAC-SHA1(secret, counter).
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// matchTOTP returns the step whose code equals code, within ±totpSkew of
// now, and whether there is one. Every candidate is compared, in constant
// time, so the timing does not tell which step matched.
func matchTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	var found int64
	ok := false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		if step < 0 {
			continue
		}
		if hmac.Equal([]byte(hotp(secret, uint64(step), totpDigits)), []byte(code)) {
			found, ok = step, true
		}
	}
	return found, ok
}

func newTOTPSecret() ([]byte, error) {
	b := make([]byte, secretLen)
	_, err := rand.Read(b)
	return b, err
}

// otpauthURI is what authenticator apps scan (as a QR code) or take typed.
func otpauthURI(name, secret string) string {
	return "otpauth://totp/autogate:" + url.PathEscape(name) + "?secret=" + secret + "&issuer=autogate"
}

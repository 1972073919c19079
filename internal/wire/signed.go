package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Signed message kinds: what a signature was made for. The kind is inside
// the signed bytes, so a signed delta can never pass for a command.
const (
	SignedDelta   = "delta"   // body: a lists.Delta (internal/lists) with expires_at
	SignedConfig  = "config"  // body: a ConfigUpdate
	SignedCommand = "command" // body: a Command
)

// MaxSignedBytes bounds a signed message; it stays under the embedded
// broker's packet limit (central splits larger list deltas into several
// versions).
const MaxSignedBytes = 768 << 10

// Signature errors, wrapped with detail.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrUnknownKey   = errors.New("unknown signing key")
	ErrExpired      = errors.New("expired")
)

// Signed is an Ed25519-signed envelope from central. Body is the kind's
// message as compact JSON, kept byte for byte: the signature covers
// "autogate-signed-v1", the kind and the body.
type Signed struct {
	V     int             `json:"v"`
	Kind  string          `json:"kind"`
	KeyID string          `json:"key_id"`
	Body  json.RawMessage `json:"body"`
	Sig   []byte          `json:"sig"`
}

// Keyring holds central's public signing keys by KeyID (more than one
// while a key is being rotated).
type Keyring map[string]ed25519.PublicKey

// KeyID names a public key: the hex of the first 8 bytes of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// NewKeyring holds the given keys.
func NewKeyring(keys ...ed25519.PublicKey) Keyring {
	k := Keyring{}
	for _, p := range keys {
		k[KeyID(p)] = p
	}
	return k
}

func signedBytes(kind string, body []byte) []byte {
	msg := make([]byte, 0, len(kind)+len(body)+24)
	msg = append(msg, "autogate-signed-v1\x00"...)
	msg = append(msg, kind...)
	msg = append(msg, 0)
	return append(msg, body...)
}

// Sign wraps body (marshalled to compact JSON) in a signed envelope.
func Sign(priv ed25519.PrivateKey, kind string, body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", kind, err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	env := Signed{V: SchemaVersion, Kind: kind, KeyID: KeyID(pub), Body: raw, Sig: ed25519.Sign(priv, signedBytes(kind, raw))}
	out := Encode(env)
	if len(out) > MaxSignedBytes {
		return nil, fmt.Errorf("signing %s: %w: %d bytes (limit %d); split it", kind, ErrTooLarge, len(out), MaxSignedBytes)
	}
	return out, nil
}

// Verify checks a signed envelope of the wanted kind against the keyring
// and returns its body. Nothing of the body may be used before Verify
// returns nil.
func Verify(payload []byte, kind string, keys Keyring) (json.RawMessage, error) {
	if len(payload) > MaxSignedBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(payload), MaxSignedBytes)
	}
	var env Signed
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	if env.V != SchemaVersion {
		return nil, fmt.Errorf("%w: v=%d (this build speaks v=%d)", ErrUnknownVersion, env.V, SchemaVersion)
	}
	if env.Kind != kind {
		return nil, fmt.Errorf("%w: a signed %q where a %q was expected", ErrInvalid, env.Kind, kind)
	}
	pub, ok := keys[env.KeyID]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not one of central's keys this gate holds", ErrUnknownKey, env.KeyID)
	}
	if len(env.Sig) != ed25519.SignatureSize || !ed25519.Verify(pub, signedBytes(kind, env.Body), env.Sig) {
		return nil, fmt.Errorf("%w: the %s does not verify with key %s", ErrBadSignature, kind, env.KeyID)
	}
	return env.Body, nil
}

// CheckExpiry refuses a message past its expiry (with skew allowed for the
// gate's and central's clocks), or one with no expiry at all.
func CheckExpiry(issued, expires, now time.Time, skew time.Duration) error {
	switch {
	case expires.IsZero():
		return fmt.Errorf("%w: no expiry", ErrInvalid)
	case now.After(expires.Add(skew)):
		return fmt.Errorf("%w: at %s (now %s)", ErrExpired, expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case !issued.IsZero() && issued.After(now.Add(skew)):
		return fmt.Errorf("%w: issued in the future (%s, now %s): check the clocks", ErrInvalid, issued.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

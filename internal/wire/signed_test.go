package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func testCommand() Command {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	return Command{V: SchemaVersion, ID: NewID(), Gate: "post-a-01", Action: ActionLock, Reason: "maintenance",
		IssuedAt: now, ExpiresAt: now.Add(10 * time.Second)}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	priv := newKey(t)
	keys := NewKeyring(priv.Public().(ed25519.PublicKey))
	cmd := testCommand()
	signed, err := Sign(priv, SignedCommand, cmd)
	if err != nil {
		t.Fatal(err)
	}
	body, err := Verify(signed, SignedCommand, keys)
	if err != nil {
		t.Fatal(err)
	}
	var got Command
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != cmd.ID || got.Action != cmd.Action || !got.ExpiresAt.Equal(cmd.ExpiresAt) {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestVerifyRefuses(t *testing.T) {
	priv, other := newKey(t), newKey(t)
	keys := NewKeyring(priv.Public().(ed25519.PublicKey))
	good, err := Sign(priv, SignedCommand, testCommand())
	if err != nil {
		t.Fatal(err)
	}
	byOther, _ := Sign(other, SignedCommand, testCommand())
	// The same key id as central's, but another key's signature.
	var forged Signed
	json.Unmarshal(byOther, &forged)
	forged.KeyID = KeyID(priv.Public().(ed25519.PublicKey))
	// The body changed after signing: an officer's "lock" made "open_exit".
	var tampered Signed
	json.Unmarshal(good, &tampered)
	tampered.Body = json.RawMessage(strings.Replace(string(tampered.Body), `"lock"`, `"open_exit"`, 1))
	var unsigned Signed
	json.Unmarshal(good, &unsigned)
	unsigned.Sig = nil
	var future Signed
	json.Unmarshal(good, &future)
	future.V = 2
	cases := []struct {
		name    string
		payload []byte
		kind    string
		want    error
	}{
		{"other key", byOther, SignedCommand, ErrUnknownKey},
		{"forged key id", Encode(forged), SignedCommand, ErrBadSignature},
		{"tampered body", Encode(tampered), SignedCommand, ErrBadSignature},
		{"no signature", Encode(unsigned), SignedCommand, ErrBadSignature},
		{"a command presented as a delta", good, SignedDelta, ErrInvalid},
		{"not json", []byte("{"), SignedCommand, ErrMalformed},
		{"trailing", append(append([]byte{}, good...), " {}"...), SignedCommand, ErrMalformed},
		{"unknown version", Encode(future), SignedCommand, ErrUnknownVersion},
		{"too large", []byte(`{"v":1,"body":"` + strings.Repeat("x", MaxSignedBytes) + `"}`), SignedCommand, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.payload, tc.kind, keys); !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignRefusesOversizedBodies(t *testing.T) {
	if _, err := Sign(newKey(t), SignedDelta, map[string]string{"pad": strings.Repeat("x", MaxSignedBytes)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err=%v, want ErrTooLarge", err)
	}
}

func TestCheckExpiry(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	skew := 2 * time.Second
	cases := []struct {
		name            string
		issued, expires time.Time
		want            error
	}{
		{"fresh", now.Add(-time.Second), now.Add(5 * time.Second), nil},
		{"expired", now.Add(-time.Minute), now.Add(-3 * time.Second), ErrExpired},
		{"within skew", now.Add(-time.Minute), now.Add(-time.Second), nil},
		{"no expiry", now, time.Time{}, ErrInvalid},
		{"issued in the future", now.Add(time.Minute), now.Add(2 * time.Minute), ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckExpiry(tc.issued, tc.expires, now, skew)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
		})
	}
}

func TestCommandValidate(t *testing.T) {
	mutate := func(f func(*Command)) Command { c := testCommand(); f(&c); return c }
	if err := testCommand().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Command{
		"bad action":    mutate(func(c *Command) { c.Action = "open_all" }),
		"no reason":     mutate(func(c *Command) { c.Reason = "" }),
		"bad id":        mutate(func(c *Command) { c.ID = "nonce" }),
		"wildcard gate": mutate(func(c *Command) { c.Gate = "+" }),
		"bad crossing":  mutate(func(c *Command) { c.Crossing = "x" }),
		"version":       mutate(func(c *Command) { c.V = 9 }),
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}

func TestSyncDecoders(t *testing.T) {
	now := time.Now().UTC()
	ack := CommandAck{V: SchemaVersion, ID: NewID(), Gate: "g1", Result: CommandRefused, Reason: "replayed", At: now}
	if _, err := DecodeCommandAck("g1", Encode(ack)); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCommandAck("g2", Encode(ack)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ack from another gate's topic: %v", err)
	}
	ack.Result = "maybe"
	if _, err := DecodeCommandAck("g1", Encode(ack)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ack result maybe: %v", err)
	}
	rs := ResyncRequest{V: SchemaVersion, Gate: "g1", List: "documents", Have: 4, At: now}
	if _, err := DecodeResync("g1", Encode(rs)); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeResync("g2", Encode(rs)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("resync from another gate's topic: %v", err)
	}
	rs.Have = -1
	if _, err := DecodeResync("g1", Encode(rs)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative version: %v", err)
	}
	fv := FleetVersions{V: SchemaVersion, Lists: map[string]int64{"documents": 3, ConfigList: 1}, At: now}
	if got, err := DecodeFleetVersions(Encode(fv)); err != nil || got.Lists["documents"] != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	fv.Lists[""] = 1
	if _, err := DecodeFleetVersions(Encode(fv)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty list name: %v", err)
	}
}

// FuzzVerify: nothing verifies without central's key, and whatever does
// verify is exactly what central signed.
func FuzzVerify(f *testing.F) {
	priv := newKey(f)
	keys := NewKeyring(priv.Public().(ed25519.PublicKey))
	good, _ := Sign(priv, SignedCommand, testCommand())
	f.Add(good)
	f.Add([]byte(`{"v":1,"kind":"command","key_id":"00","body":{},"sig":""}`))
	f.Add([]byte(`{"v":1,"kind":"command","body":null}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		body, err := Verify(payload, SignedCommand, keys)
		if err != nil {
			return
		}
		var env Signed
		if json.Unmarshal(payload, &env) != nil || !ed25519.Verify(keys[env.KeyID], signedBytes(SignedCommand, body), env.Sig) {
			t.Fatalf("accepted a payload whose signature does not cover its body: %q", payload)
		}
	})
}

func FuzzDecodeSyncMessages(f *testing.F) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Add("g1", Encode(CommandAck{V: 1, ID: NewID(), Gate: "g1", Result: CommandDone, At: now}))
	f.Add("g1", Encode(ResyncRequest{V: 1, Gate: "g1", List: "persons", Have: 2, At: now}))
	f.Add("g1", Encode(FleetVersions{V: 1, Lists: map[string]int64{"persons": 2}, At: now}))
	f.Fuzz(func(t *testing.T, gate string, payload []byte) {
		if a, err := DecodeCommandAck(gate, payload); err == nil && (a.Gate != gate || (a.Result != CommandDone && a.Result != CommandRefused)) {
			t.Fatalf("accepted an invalid ack %+v", a)
		}
		if r, err := DecodeResync(gate, payload); err == nil && (r.Gate != gate || r.Have < 0 || r.List == "") {
			t.Fatalf("accepted an invalid resync %+v", r)
		}
		if v, err := DecodeFleetVersions(payload); err == nil {
			for l, n := range v.Lists {
				if l == "" || n < 0 {
					t.Fatalf("accepted invalid versions %+v", v)
				}
			}
		}
	})
}

package commands

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"autogate/internal/wire"
)

// FuzzHandleCommand feeds arbitrary bytes to the handler: nothing may reach
// the lane unless it verifies under central's key, no id may run twice,
// and every message gets exactly one ack central can read.
func FuzzHandleCommand(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	other := ed25519.NewKeyFromSeed([]byte("another key, not central's own!!"))
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cmd := wire.Command{V: wire.SchemaVersion, ID: "01J0000000000000000000000A", Gate: gate, Action: wire.ActionOpenExit,
		Reason: "checked", Officer: "O-1", Crossing: "01J0000000000000000000000B", IssuedAt: now, ExpiresAt: now.Add(10 * time.Second)}
	for _, seed := range []struct {
		key  ed25519.PrivateKey
		kind string
		body any
	}{
		{key, wire.SignedCommand, cmd},
		{other, wire.SignedCommand, cmd},
		{key, wire.SignedDelta, cmd},
		{key, wire.SignedCommand, map[string]any{"v": 1}},
	} {
		p, err := wire.Sign(seed.key, seed.kind, seed.body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add(wire.Encode(cmd))
	f.Add([]byte(`{"v":1,"kind":"command","key_id":"","body":{},"sig":""}`))
	f.Add([]byte{})

	fx := newFixture(f, key, openStore(f, f.TempDir()), key.Public().(ed25519.PublicKey))
	fx.now = now
	ring := wire.NewKeyring(key.Public().(ed25519.PublicKey))
	ran := map[string]bool{}
	f.Fuzz(func(t *testing.T, payload []byte) {
		before := len(fx.lane.executed())
		fx.out.mu.Lock()
		acks := len(fx.out.acks)
		fx.out.mu.Unlock()
		ack := fx.h.Handle(context.Background(), payload)
		fx.out.mu.Lock()
		if len(fx.out.acks) != acks+1 {
			t.Fatalf("%d acks published for one message", len(fx.out.acks)-acks)
		}
		fx.out.mu.Unlock()
		got := fx.lane.executed()
		if len(got) == before {
			if ack.Result == wire.CommandDone {
				t.Fatalf("done acknowledged without execution: %+v", ack)
			}
			return
		}
		body, err := wire.Verify(payload, wire.SignedCommand, ring)
		if err != nil {
			t.Fatalf("executed a message that does not verify (%v): %q", err, payload)
		}
		var c wire.Command
		if err := json.Unmarshal(body, &c); err != nil || c.ID != got[len(got)-1].ID || c.Gate != gate {
			t.Fatalf("executed %+v, signed body %s", got[len(got)-1], body)
		}
		if ran[c.ID] {
			t.Fatalf("command %s ran twice", c.ID)
		}
		ran[c.ID] = true
	})
}

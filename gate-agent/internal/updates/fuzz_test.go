package updates

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"autogate/internal/lists"
	"autogate/internal/wire"
)

// FuzzHandleUpdate feeds arbitrary bytes to the gate's update handler: it
// must never panic, and nothing may change what the gate enforces (its
// replica's versions, its configuration) unless the bytes verify as a
// signed delta or configuration from central's key.
func FuzzHandleUpdate(f *testing.F) {
	key := newKey(f)
	keys := keyring(key)
	d := docDelta(0, 0, 2)
	f.Add(false, sign(f, key, wire.SignedDelta, d))
	f.Add(true, sign(f, key, wire.SignedDelta, docDelta(1, 2, 1)))
	f.Add(false, sign(f, key, wire.SignedConfig, configUpdate(1, "", "min_validity_days = 3\n[actions]\nwatch = \"refer\"\n")))
	f.Add(false, sign(f, key, wire.SignedConfig, configUpdate(1, "entry", "sequence = \"all\"\n")))
	f.Add(false, sign(f, newKey(f), wire.SignedDelta, d))
	f.Add(true, sign(f, key, wire.SignedCommand, wire.Command{V: 1, ID: ulid.Make().String(), Gate: gateID, Action: wire.ActionLock,
		Reason: "x", IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)}))
	f.Add(false, wire.Encode(d))
	f.Add(false, []byte(`{"v":1,"kind":"delta","key_id":"00","body":{},"sig":""}`))
	f.Add(false, []byte("null"))

	// One gate for every input: state moves only when an input verifies.
	g := newGate(f, gateOpts{keys: keys})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, own bool, payload []byte) {
		topic := wire.FleetUpdates
		if own {
			topic = wire.GateTopic(gateID, wire.KindUpdates)
		}
		before := versions(t, g)
		cfgBefore, appliedBefore := g.ConfigVersion(), len(g.appliedPolicies())
		g.deliver(topic, payload)
		g.tick(ctx)
		changed := !equalVersions(before, versions(t, g)) || g.ConfigVersion() != cfgBefore || len(g.appliedPolicies()) != appliedBefore
		if !changed {
			return
		}
		_, errDelta := wire.Verify(payload, wire.SignedDelta, keys)
		_, errConfig := wire.Verify(payload, wire.SignedConfig, keys)
		if errDelta != nil && errConfig != nil {
			t.Fatalf("the gate changed on bytes that do not verify (%v; %v): %q", errDelta, errConfig, payload)
		}
	})
}

func versions(t *testing.T, g *gate) map[string]int64 {
	out := map[string]int64{}
	for _, l := range lists.Names {
		out[l] = g.version(t, l)
	}
	return out
}

func equalVersions(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

package updates

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/internal/lists"
	"autogate/internal/wire"
)

func TestValidDeltaApplies(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	d := docDelta(0, 0, 3)
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedDelta, d))
	if v := g.version(t, lists.ListDocuments); v != 1 {
		t.Fatalf("documents at version %d after the delta, want 1", v)
	}
	doc, err := g.replica.FindDocument(context.Background(), d.Ops[1].Document.IssuingState, d.Ops[1].Document.Number)
	if err != nil || doc == nil {
		t.Fatalf("the delta's document is not in the replica: %v", err)
	}
	if n := testutil.ToFloat64(g.mApplied.WithLabelValues(wire.SignedDelta)); n != 1 {
		t.Fatalf("applied counted %v", n)
	}
	if len(g.applied) != 1 || g.applied[0].To != 1 || g.applied[0].Added != 3 {
		t.Fatalf("Applied callback got %+v", g.applied)
	}
	// The answer to a resync comes on the gate's own topic.
	g.deliver(wire.GateTopic(gateID, wire.KindUpdates), sign(t, key, wire.SignedDelta, docDelta(1, 3, 1)))
	if v := g.version(t, lists.ListDocuments); v != 2 {
		t.Fatalf("documents at version %d, want 2", v)
	}
}

func TestRefusedUpdatesChangeNothing(t *testing.T) {
	key, other := newKey(t), newKey(t)
	d := docDelta(0, 0, 2)
	good := sign(t, key, wire.SignedDelta, d)

	tampered := bytes.Replace(good, []byte(d.Ops[0].Document.Number), []byte("X"+d.Ops[0].Document.Number[1:]), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("the test did not tamper with the body")
	}
	// Signed by another key but claiming central's key id.
	var env wire.Signed
	if err := json.Unmarshal(sign(t, other, wire.SignedDelta, d), &env); err != nil {
		t.Fatal(err)
	}
	env.KeyID = wire.KeyID(key.Public().(ed25519.PublicKey))
	forgedID := wire.Encode(env)

	cmd := wire.Command{V: 1, ID: ulid.Make().String(), Gate: gateID, Action: wire.ActionOpenExit, Reason: "test",
		IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)}
	expired := docDelta(0, 0, 2)
	expired.ExpiresAt = issued.Add(30 * time.Minute) // the gate's clock reads issued + 1 h
	noExpiry := docDelta(0, 0, 2)
	noExpiry.ExpiresAt = time.Time{}
	future := docDelta(0, 0, 2)
	future.IssuedAt = issued.Add(24 * time.Hour)
	future.ExpiresAt = issued.Add(48 * time.Hour)

	for _, c := range []struct {
		name, reason string
		payload      []byte
		keys         bool
	}{
		{"unsigned delta", "unsigned", wire.Encode(d), true},
		{"tampered body", "bad_signature", tampered, true},
		{"signed by another key", "unknown_key", sign(t, other, wire.SignedDelta, d), true},
		{"another key under central's id", "bad_signature", forgedID, true},
		{"a signed command as a delta", "wrong_kind", sign(t, key, wire.SignedCommand, cmd), true},
		{"a delta signed as a config", "invalid", sign(t, key, wire.SignedConfig, d), true},
		{"expired", "expired", sign(t, key, wire.SignedDelta, expired), true},
		{"no expiry", "invalid", sign(t, key, wire.SignedDelta, noExpiry), true},
		{"issued in the future", "invalid", sign(t, key, wire.SignedDelta, future), true},
		{"not JSON", "malformed", []byte("\x00\x01garbage"), true},
		{"no keyring", "no_key", good, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := gateOpts{}
			if c.keys {
				o.keys = keyring(key)
			}
			g := newGate(t, o)
			g.deliver(wire.FleetUpdates, c.payload)
			if n := g.rejected(c.reason); n != 1 {
				t.Errorf("refusal %q counted %v, want 1", c.reason, n)
			}
			if v := g.version(t, lists.ListDocuments); v != 0 {
				t.Errorf("documents moved to version %d", v)
			}
			if len(g.appliedPolicies()) != 0 || g.ConfigVersion() != 0 {
				t.Errorf("a configuration was applied")
			}
		})
	}
}

func TestReplayedDeltaIsDroppedAndCounted(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	msg := sign(t, key, wire.SignedDelta, docDelta(0, 0, 2))
	g.deliver(wire.FleetUpdates, msg)
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedDelta, docDelta(1, 5, 1)))
	// The first delta again (a recorded one, or a QoS 1 re-delivery).
	g.deliver(wire.FleetUpdates, msg)
	if v := g.version(t, lists.ListDocuments); v != 2 {
		t.Fatalf("documents at version %d, want 2", v)
	}
	vs, _ := g.replica.Versions(context.Background())
	if vs[1].Count != 3 {
		t.Fatalf("documents hold %d records, want 3", vs[1].Count)
	}
	if n := testutil.ToFloat64(g.mReplayed.WithLabelValues(wire.SignedDelta)); n != 1 {
		t.Fatalf("replays counted %v", n)
	}
	if len(g.resyncRequests()) != 0 {
		t.Fatal("a replay asked for a resync")
	}
}

func TestGapAsksForResyncAndHeldDeltaFollows(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	ctx := context.Background()
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedDelta, docDelta(0, 0, 1)))
	v3 := sign(t, key, wire.SignedDelta, docDelta(2, 2, 1))
	g.deliver(wire.FleetUpdates, v3) // 2→3 while the gate holds 1
	if v := g.version(t, lists.ListDocuments); v != 1 {
		t.Fatalf("the gap applied: version %d", v)
	}
	g.tick(ctx) // notes the gap
	g.tick(ctx)
	if n := len(g.resyncRequests()); n != 0 {
		t.Fatalf("asked at once (%d requests): the missing version may be just behind", n)
	}
	g.advance(DefaultGapWait)
	g.tick(ctx)
	rs := g.resyncRequests()
	if len(rs) != 1 || rs[0].List != lists.ListDocuments || rs[0].Have != 1 || rs[0].Why != "gap" || rs[0].Gate != gateID {
		t.Fatalf("resync requests %+v, want one for documents from 1 (gap)", rs)
	}
	g.tick(ctx)
	if len(g.resyncRequests()) != 1 {
		t.Fatal("asked again before ResyncEvery")
	}
	// Central answers with 2→3 and 3 (a replay of the held one): both end up applied once.
	g.deliver(wire.GateTopic(gateID, wire.KindUpdates), sign(t, key, wire.SignedDelta, docDelta(1, 1, 1)))
	g.deliver(wire.GateTopic(gateID, wire.KindUpdates), v3)
	if v := g.version(t, lists.ListDocuments); v != 3 {
		t.Fatalf("documents at version %d, want 3 (the held delta after the missing one)", v)
	}
	g.advance(time.Minute)
	g.tick(ctx)
	if len(g.resyncRequests()) != 1 {
		t.Fatal("asked again once current")
	}
}

func TestFleetVersionsAheadAskForResyncWithBackoff(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	ctx := context.Background()
	fv := wire.FleetVersions{V: 1, At: issued, Lists: map[string]int64{
		lists.ListPersons: 0, lists.ListDocuments: 4, wire.ConfigList: 2, "future_list": 9,
	}}
	g.deliver(wire.FleetVersionsTopic, wire.Encode(fv))
	g.tick(ctx)
	g.advance(DefaultGapWait)
	g.tick(ctx)
	got := map[string]int64{}
	for _, r := range g.resyncRequests() {
		if r.Why != "behind" {
			t.Errorf("why %q", r.Why)
		}
		got[r.List] = r.Have
	}
	if len(got) != 2 || got[lists.ListDocuments] != 0 || got[wire.ConfigList] != 0 {
		t.Fatalf("asked for %v, want documents and config from 0", got)
	}
	// Unanswered: asked again after ResyncEvery, then after twice as long each time.
	var at []time.Duration
	for step := 250 * time.Millisecond; step <= 20*time.Second; step += 250 * time.Millisecond {
		g.advance(250 * time.Millisecond)
		before := len(g.resyncRequests())
		g.tick(ctx)
		if n := len(g.resyncRequests()) - before; n > 0 {
			if n != 2 {
				t.Fatalf("%d requests at once, want one per list behind", n)
			}
			at = append(at, step)
		}
	}
	if want := []time.Duration{2 * time.Second, 6 * time.Second, 14 * time.Second}; !slices.Equal(at, want) {
		t.Fatalf("asked again %v after the first request, want %v", at, want)
	}
	if len(g.Alarms()) != 0 {
		t.Fatalf("alarms after 20 s behind: %v", g.Alarms())
	}
	g.advance(DefaultBehindAlarm)
	g.tick(ctx)
	if a := strings.Join(g.Alarms(), "|"); !strings.Contains(a, "lists_behind: documents at version 0 while central has 4") || !strings.Contains(a, "config at version 0 while central has 2") {
		t.Fatalf("alarms after a minute behind: %v", g.Alarms())
	}
	// A malformed versions message is refused and counted.
	g.deliver(wire.FleetVersionsTopic, []byte(`{"v":1,"lists":{"documents":-1}}`))
	if g.rejected("bad_versions") != 1 {
		t.Fatal("bad versions not counted")
	}
}

func TestNoReplicaRefusesDeltas(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key), noRep: true})
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedDelta, docDelta(0, 0, 1)))
	if g.rejected("no_replica") != 1 {
		t.Fatal("a delta without a replica was not refused")
	}
	g.tick(context.Background()) // must not touch the missing replica
}

func TestHandleQueuesForRun(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	// Delivered out of order, as paho's concurrent handlers may.
	for _, d := range []int64{2, 0, 1} {
		g.Handle(wire.FleetUpdates, sign(t, key, wire.SignedDelta, docDelta(d, int(d), 1)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.version(t, lists.ListDocuments) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("documents at version %d, want 3", g.version(t, lists.ListDocuments))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	g.Handle(wire.FleetUpdates, []byte("after Run: dropped, not blocking"))
}

package updates

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/config"
	"autogate/internal/wire"
)

func TestConfigAppliedPersistedAndReappliedAtRestart(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	policy := "min_validity_days = 30\nnationalities = [\"UTO\"]\n[actions]\nwatch = \"refer\"\n"
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(1, "", policy)))

	ps := g.appliedPolicies()
	if len(ps) != 1 {
		t.Fatalf("%d policies applied, want 1", len(ps))
	}
	p := ps[0]
	// What the TOML sets, and the gate's defaults for its direction for the rest.
	def := config.DefaultPolicy("entry")
	if p.MinValidityDays != 30 || !slices.Equal(p.Nationalities, []string{"UTO"}) || p.Actions["watch"] != "refer" ||
		p.Actions["exit_ban"] != def.Actions["exit_ban"] || !slices.Equal(p.DocumentCodes, def.DocumentCodes) || *p.MinorAge != *def.MinorAge {
		t.Fatalf("policy in force %+v", p)
	}
	if g.ConfigVersion() != 1 || testutil.ToFloat64(g.mVersion) != 1 {
		t.Fatalf("config version %d", g.ConfigVersion())
	}
	if _, err := os.Stat(filepath.Join(g.dir, ConfigFile)); err != nil {
		t.Fatalf("not persisted: %v", err)
	}

	// A restart, long after the configuration's expiry: it is verified and
	// put in force again (its expiry is not checked again).
	r := newGate(t, gateOpts{keys: keyring(key), dir: g.dir, replica: g.replica})
	r.advance(30 * 24 * time.Hour)
	if err := r.LoadConfig(); err != nil {
		t.Fatal(err)
	}
	again := r.appliedPolicies()
	if len(again) != 1 || again[0].MinValidityDays != 30 || r.ConfigVersion() != 1 || len(r.Alarms()) != 0 {
		t.Fatalf("after restart: version %d, policies %+v, alarms %v", r.ConfigVersion(), again, r.Alarms())
	}
	// The file holds nothing but what verifies: another key cannot load it.
	o := newGate(t, gateOpts{keys: keyring(newKey(t)), dir: g.dir, replica: g.replica})
	if err := o.LoadConfig(); err == nil || len(o.appliedPolicies()) != 0 || o.ConfigVersion() != 0 {
		t.Fatalf("loaded with another key: %v", err)
	}
	if a := strings.Join(o.Alarms(), "|"); !strings.Contains(a, "config_refused") {
		t.Fatalf("no alarm for an unusable file: %v", o.Alarms())
	}
}

func TestTamperedConfigFileIsRefusedAtStart(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(1, "", "min_validity_days = 30\n")))
	path := filepath.Join(g.dir, ConfigFile)
	st := mustRead(t, path)
	// The envelope is stored as base64: flip one bit of the signed bytes.
	st.Applied[len(st.Applied)/2] ^= 1
	if err := writeAtomic(path, wire.Encode(st)); err != nil {
		t.Fatal(err)
	}
	r := newGate(t, gateOpts{keys: keyring(key), dir: g.dir, replica: g.replica})
	if err := r.LoadConfig(); err == nil {
		t.Fatal("a tampered file loaded")
	}
	if len(r.appliedPolicies()) != 0 || r.ConfigVersion() != 0 || r.rejected("stored_config") != 1 {
		t.Fatalf("tampered file: version %d, policies %d", r.ConfigVersion(), len(r.appliedPolicies()))
	}
}

func mustRead(t *testing.T, path string) stored {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBadPolicyIsRefusedWithAlarmAndTheNextOneApplies(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(1, "", "min_validity_days = 30\n")))
	for i, bad := range []string{
		"min_validity_days = = 3",         // not TOML
		"sequence = \"sometimes\"\n",      // not a value the gate knows
		"[actions]\nwanted = \"pass\"\n",  // never admits a wanted person
		"colour_of_the_gate = \"blue\"\n", // unknown field
	} {
		v := int64(2 + i)
		g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(v, "", bad)))
		if g.rejected("bad_policy") != float64(i+1) {
			t.Fatalf("%q: refusals counted %v", bad, g.rejected("bad_policy"))
		}
		if n := len(g.appliedPolicies()); n != 1 {
			t.Fatalf("%q was applied", bad)
		}
		// The version moves on, so central's next one is not a gap.
		if g.ConfigVersion() != v {
			t.Fatalf("version %d after refusing %d", g.ConfigVersion(), v)
		}
		if a := strings.Join(g.Alarms(), "|"); !strings.Contains(a, "config_refused") || !strings.Contains(a, fmt.Sprintf("version %d", v)) {
			t.Fatalf("alarms after refusing %d: %v", v, g.Alarms())
		}
	}
	// The refusal survives a restart: the refused version is kept, not put in force.
	r := newGate(t, gateOpts{keys: keyring(key), dir: g.dir, replica: g.replica})
	if err := r.LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if r.ConfigVersion() != 5 || len(r.appliedPolicies()) != 1 || r.appliedPolicies()[0].MinValidityDays != 30 || len(r.Alarms()) != 1 {
		t.Fatalf("after restart: version %d, policies %+v, alarms %v", r.ConfigVersion(), r.appliedPolicies(), r.Alarms())
	}

	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(6, "", "min_validity_days = 10\n")))
	ps := g.appliedPolicies()
	if len(ps) != 2 || ps[1].MinValidityDays != 10 || len(g.Alarms()) != 0 || g.ConfigVersion() != 6 {
		t.Fatalf("version %d, policies %d, alarms %v", g.ConfigVersion(), len(ps), g.Alarms())
	}
}

func TestConfigVersionOrderAndDirection(t *testing.T) {
	key := newKey(t)
	g := newGate(t, gateOpts{keys: keyring(key)})
	ctx := context.Background()
	v1 := sign(t, key, wire.SignedConfig, configUpdate(1, "", "min_validity_days = 1\n"))
	g.deliver(wire.FleetUpdates, v1)
	g.deliver(wire.FleetUpdates, v1) // replay
	if n := testutil.ToFloat64(g.mReplayed.WithLabelValues(wire.SignedConfig)); n != 1 || len(g.appliedPolicies()) != 1 {
		t.Fatalf("replay: counted %v, applied %d", n, len(g.appliedPolicies()))
	}
	// For the exit gates: this entry gate skips it but takes its version.
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, configUpdate(2, "exit", "min_validity_days = 2\n")))
	if g.ConfigVersion() != 2 || len(g.appliedPolicies()) != 1 {
		t.Fatalf("exit config on an entry gate: version %d, applied %d", g.ConfigVersion(), len(g.appliedPolicies()))
	}
	// Version 4 before 3: held, a resync asked for, applied once 3 comes.
	v4 := sign(t, key, wire.SignedConfig, configUpdate(4, "entry", "min_validity_days = 4\n"))
	g.deliver(wire.FleetUpdates, v4)
	if g.ConfigVersion() != 2 {
		t.Fatalf("a gap was applied: version %d", g.ConfigVersion())
	}
	g.tick(ctx)
	g.advance(DefaultGapWait)
	g.tick(ctx)
	rs := g.resyncRequests()
	if len(rs) != 1 || rs[0].List != wire.ConfigList || rs[0].Have != 2 || rs[0].Why != "gap" {
		t.Fatalf("resync requests %+v", rs)
	}
	g.deliver(wire.GateTopic(gateID, wire.KindUpdates), sign(t, key, wire.SignedConfig, configUpdate(3, "", "min_validity_days = 3\n")))
	ps := g.appliedPolicies()
	if g.ConfigVersion() != 4 || len(ps) != 3 || ps[1].MinValidityDays != 3 || ps[2].MinValidityDays != 4 {
		t.Fatalf("after the missing version: version %d, policies %d", g.ConfigVersion(), len(ps))
	}
	// An expired configuration is refused.
	old := configUpdate(5, "", "")
	old.ExpiresAt = issued.Add(time.Minute)
	g.deliver(wire.FleetUpdates, sign(t, key, wire.SignedConfig, old))
	if g.rejected("expired") != 1 || g.ConfigVersion() != 4 {
		t.Fatal("an expired configuration was taken")
	}
}

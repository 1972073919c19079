package broker

import (
	"slices"
	"strings"
	"testing"

	"autogate/internal/wire"
)

func TestAllowed(t *testing.T) {
	g := func(gate, kind string) string { return wire.GateTopic(gate, kind) }
	cases := []struct {
		who, topic string
		write, ok  bool
	}{
		// a gate publishes its own gate → central kinds only
		{"g1", g("g1", wire.KindCrossings), true, true},
		{"g1", g("g1", wire.KindBatches), true, true},
		{"g1", g("g1", wire.KindStatus), true, true},
		{"g1", g("g1", wire.KindCommandAcks), true, true},
		{"g1", g("g1", wire.KindResync), true, true},
		{"g1", g("g2", wire.KindCrossings), true, false},
		{"g1", g("g1", wire.KindCommands), true, false},
		{"g1", g("g1", wire.KindAcks), true, false},
		{"g1", wire.FleetUpdates, true, false},
		{"g1", g("g1", "other"), true, false},
		{"g1", g("g1", wire.KindCrossings) + "/x", true, false},
		// and reads its own central → gate kinds and the fleet topics
		{"g1", g("g1", wire.KindCommands), false, true},
		{"g1", g("g1", wire.KindAcks), false, true},
		{"g1", g("g1", wire.KindUpdates), false, true},
		{"g1", wire.FleetFilter, false, true},
		{"g1", wire.FleetVersionsTopic, false, true},
		{"g1", wire.Root + "/fleet/+", false, true},
		{"g1", wire.Root + "/fleet", false, true},
		{"g1", g("g2", wire.KindCommands), false, false},
		{"g1", g("g1", wire.KindCrossings), false, false},
		{"g1", g("+", wire.KindCommands), false, false},
		{"g1", wire.Root + "/gates/g1/#", false, false},
		{"g1", wire.Root + "/gates/g1/+", false, false},
		{"g1", wire.Root + "/#", false, false},
		{"g1", wire.Root + "/+/updates", false, false},
		{"g1", "#", false, false},
		{"g1", "$SYS/#", false, false},
		{"g1", "$share/x/" + wire.FleetFilter, false, false},
		// central: everything in the autogate tree, nothing outside it
		{CentralIdentity, g("g1", wire.KindCommands), true, true},
		{CentralIdentity, wire.AllGates(wire.KindCrossings), false, true},
		{CentralIdentity, wire.Root + "/#", false, true},
		{CentralIdentity, "#", false, false},
		{CentralIdentity, "$SYS/broker/uptime", false, false},
		// no identity, or a name that is no gate id, gets nothing
		{"", g("g1", wire.KindCrossings), true, false},
		{"+", g("+", wire.KindCrossings), true, false},
		{"#", wire.Root + "/gates/#", true, false},
		{"a/b", g("a/b", wire.KindCrossings), true, false},
	}
	for _, c := range cases {
		if got := Allowed(c.who, c.topic, c.write); got != c.ok {
			t.Errorf("Allowed(%q, %q, write=%v) = %v, want %v", c.who, c.topic, c.write, got, c.ok)
		}
	}
}

// FuzzAllowed feeds client-chosen topics and filters: a gate must never be
// allowed to publish outside its exact topics, nor to read anything but its
// own topics and the fleet tree.
func FuzzAllowed(f *testing.F) {
	for _, s := range []string{"autogate/v1/gates/g1/crossings", "autogate/v1/gates/+/commands", "autogate/v1/fleet/#", "#", "+/+/+/+/+", "autogate/v1/gates/g1/#", "", "/", "autogate//v1"} {
		f.Add(s)
	}
	var pub, read []string
	for _, k := range wire.GatePublishKinds {
		pub = append(pub, wire.GateTopic("g1", k))
	}
	for _, k := range wire.GateSubscribeKinds {
		read = append(read, wire.GateTopic("g1", k))
	}
	f.Fuzz(func(t *testing.T, topic string) {
		if Allowed("g1", topic, true) && !slices.Contains(pub, topic) {
			t.Fatalf("gate g1 may publish on %q", topic)
		}
		if Allowed("g1", topic, false) && !slices.Contains(read, topic) {
			rest, ok := strings.CutPrefix(topic, wire.Root+"/fleet")
			if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
				t.Fatalf("gate g1 may read %q", topic)
			}
		}
	})
}

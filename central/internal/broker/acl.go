package broker

import (
	"strings"

	"autogate/internal/wire"
)

// CentralIdentity is the certificate name (CN) of central's own MQTT
// clients. '@' is not allowed in gate ids (wire.ValidateGateID), so no gate
// certificate can ever carry it.
const CentralIdentity = "@central"

// Access rights of an ACL rule, spelled as in Mosquitto's acl_file.
const (
	AccessRead      = "read"
	AccessWrite     = "write"
	AccessReadWrite = "readwrite"
)

// Rule is one entry of the fleet ACL. In GateRules, Topic holds "%u" where
// the gate's id goes (Mosquitto's pattern syntax).
type Rule struct {
	Access string
	Topic  string
}

// CentralRules are what central's clients may do: everything under the
// autogate tree.
func CentralRules() []Rule {
	return []Rule{{AccessReadWrite, wire.Root + "/#"}}
}

// GateRules are what a gate may do, built from wire's lists so that the
// embedded broker and the Mosquitto ACL written by 'central pki mosquitto'
// cannot drift apart: publish its own gate → central kinds, read its own
// central → gate kinds, read the fleet topics.
func GateRules() []Rule {
	var rs []Rule
	for _, k := range wire.GatePublishKinds {
		rs = append(rs, Rule{AccessWrite, wire.GateTopic("%u", k)})
	}
	for _, k := range wire.GateSubscribeKinds {
		rs = append(rs, Rule{AccessRead, wire.GateTopic("%u", k)})
	}
	return append(rs, Rule{AccessRead, wire.FleetFilter})
}

// rulesFor returns the rules of a client identity with %u filled in, or
// nil for a name that is neither central nor a valid gate id (a '+', '#'
// or '/' in a name would widen the pattern).
func rulesFor(identity string) []Rule {
	if identity == CentralIdentity {
		return CentralRules()
	}
	if wire.ValidateGateID(identity) != nil {
		return nil
	}
	rs := GateRules()
	for i := range rs {
		rs[i].Topic = strings.ReplaceAll(rs[i].Topic, "%u", identity)
	}
	return rs
}

// Allowed says whether identity may publish on topic (write) or subscribe
// to the filter / receive the topic (read). A subscription filter is allowed
// only when every topic it can match is allowed, so a gate cannot widen its
// reach with wildcards.
func Allowed(identity, topic string, write bool) bool {
	for _, r := range rulesFor(identity) {
		if write && r.Access == AccessRead || !write && r.Access == AccessWrite {
			continue
		}
		if covers(r.Topic, topic) {
			return true
		}
	}
	return false
}

// covers reports whether every topic matched by filter is matched by
// pattern. Both may hold MQTT wildcards; a plain topic is a filter that
// matches itself.
func covers(pattern, filter string) bool {
	if pattern == "" || filter == "" {
		return false
	}
	p, f := strings.Split(pattern, "/"), strings.Split(filter, "/")
	for i, pl := range p {
		if pl == "#" {
			return true // also covers the parent level, as "a/#" matches "a"
		}
		if i >= len(f) {
			return false
		}
		switch fl := f[i]; {
		case fl == "#":
			return false // the filter reaches deeper than this pattern
		case pl == "+":
			// any single level, "+" included
		case fl == "+" || fl != pl:
			return false
		}
	}
	return len(f) == len(p)
}

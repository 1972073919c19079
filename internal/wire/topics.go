package wire

import (
	"fmt"
	"strings"
)

// Root is the prefix of every autogate topic; the "v1" is the topic tree's
// version, independent of message schema versions.
const Root = "autogate/v1"

// Per-gate topic kinds: autogate/v1/gates/{gate}/{kind}. The broker's ACL
// lets a gate publish only the gate → central kinds under its own id and
// subscribe only to the central → gate kinds under its own id.
const (
	KindCrossings   = "crossings"    // gate → central, QoS 1: one Crossing
	KindBatches     = "batches"      // gate → central, QoS 1: a CrossingBatch
	KindReferrals   = "referrals"    // gate → central, QoS 1
	KindStatus      = "status"       // gate → central, retained, last will "offline"
	KindCommandAcks = "command_acks" // gate → central, QoS 1: a CommandAck
	KindResync      = "resync"       // gate → central, QoS 1: a ResyncRequest
	KindAcks        = "acks"         // central → gate, QoS 1
	KindCommands    = "commands"     // central → gate, QoS 1: a signed Command
	KindUpdates     = "updates"      // central → gate, QoS 1: signed updates answering a resync
)

// GatePublishKinds are the kinds a gate may publish under its own id;
// GateSubscribeKinds those it may subscribe to under its own id.
var (
	GatePublishKinds   = []string{KindCrossings, KindBatches, KindReferrals, KindStatus, KindCommandAcks, KindResync}
	GateSubscribeKinds = []string{KindAcks, KindCommands, KindUpdates}
)

// Fleet-wide topics, published by central only, readable by every gate.
const (
	// FleetUpdates carries signed list deltas and configurations (QoS 1).
	FleetUpdates = Root + "/fleet/updates"
	// FleetVersionsTopic is retained: the latest version of every list and of
	// the configuration (FleetVersions message), so a gate that was away
	// learns at once what it is missing and asks for a resync.
	FleetVersionsTopic = Root + "/fleet/versions"
	// FleetFilter matches every fleet-wide topic.
	FleetFilter = Root + "/fleet/#"
)

// GateTopic returns autogate/v1/gates/{gate}/{kind}.
func GateTopic(gate, kind string) string {
	return Root + "/gates/" + gate + "/" + kind
}

// GateClientID is the MQTT client id a gate connects with. The broker
// refuses a gate under any other id, so one gate cannot take over another's
// session or last will.
func GateClientID(gate string) string { return "autogate-gate-" + gate }

// AllGates returns the subscription filter for one kind on every gate.
func AllGates(kind string) string {
	return Root + "/gates/+/" + kind
}

// ParseGateTopic splits autogate/v1/gates/{gate}/{kind} into its gate id and kind.
func ParseGateTopic(topic string) (gate, kind string, err error) {
	rest, ok := strings.CutPrefix(topic, Root+"/gates/")
	if !ok {
		return "", "", fmt.Errorf("topic %q is not under %s/gates/", topic, Root)
	}
	gate, kind, ok = strings.Cut(rest, "/")
	if !ok || strings.Contains(kind, "/") {
		return "", "", fmt.Errorf("topic %q: want %s/gates/{gate}/{kind}", topic, Root)
	}
	if err := ValidateGateID(gate); err != nil {
		return "", "", fmt.Errorf("topic %q: %w", topic, err)
	}
	return gate, kind, nil
}

// ValidateGateID accepts ids made of letters, digits, '-', '_' and '.', 1–64
// characters: they become topic levels, file names and certificate names, so
// MQTT wildcards, separators and spaces are refused.
func ValidateGateID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("gate id %q must be 1–64 characters", id)
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return fmt.Errorf("gate id %q: character %q not allowed (use letters, digits, '-', '_', '.')", id, r)
		}
	}
	return nil
}

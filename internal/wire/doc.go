// Package wire is the MQTT protocol between gate agents and central: the topic
// tree, the versioned JSON messages and their strict decoders.
//
// Every message carries a schema version ("v"). Decoders refuse payloads that
// are oversized, malformed, of an unknown version, or that claim a gate other
// than the one in their topic, so neither side acts on bytes it does not
// understand. Crossing ids are ULIDs minted at the gate: central inserts by id,
// so at-least-once delivery yields exactly-once storage.
package wire

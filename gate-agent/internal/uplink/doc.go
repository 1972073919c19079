// Package uplink is the gate's side of the sync with central over MQTT
// (eclipse/paho.mqtt.golang): it drains the outbox in sequence order,
// releases outbox rows only on central's acknowledgement (sent after central's
// own commit), republishes whatever is unacknowledged after a reconnect or an
// ack timeout, and keeps the gate's retained status with a last will.
//
// Delivery is at least once; central inserts by crossing id, which makes the
// stored result exactly once. (The package is "uplink" rather than "sync" so
// that it does not shadow the standard library.)
package uplink

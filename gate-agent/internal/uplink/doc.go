// Package uplink is the gate's side of the sync with central over MQTT
// (eclipse/paho.mqtt.golang): it drains the outbox in sequence order,
// releases outbox rows only on central's acknowledgement (sent after central's
// own commit), republishes whatever is unacknowledged after a reconnect or an
// ack timeout, and keeps the gate's retained status with a last will.
//
// Crossings travel in batches (wire.CrossingBatch on the batches topic) of
// at most BatchMax crossings and under the message size limit; a crossing
// too large for a batch, or one that does not decode as the gate's, goes
// alone on the crossings topic so that central refuses only that one. At
// most MaxInflight crossings (not messages) are unacknowledged at a time.
//
// Fairness: on every connection the highest outbox seq is noted. What waits
// up to it is the backlog, drained in order; a crossing recorded after it is
// live, and each fill round publishes live crossings first, in their own
// batch, so a traveller who crosses while a day's backlog drains is not
// delivered after it.
//
// Referrals (Referrals) are the exception to the outbox: a referred
// crossing is sent live, with the officer's images, at most once and best
// effort (queued, the oldest dropped when full, dropped when the link is
// down); the crossing itself still travels through the outbox.
//
// Delivery is at least once; central inserts by crossing id, which makes the
// stored result exactly once. (The package is "uplink" rather than "sync" so
// that it does not shadow the standard library.)
package uplink

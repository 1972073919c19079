// Package ingest is central's MQTT client: it receives the gates' crossings
// (single or in batches) and statuses, stores them, and acknowledges
// crossings to their gate.
//
// It connects with paho (github.com/eclipse/paho.mqtt.golang) to the broker,
// embedded or external alike, with a clean session, automatic reconnection
// with backoff, and subscriptions made in the on-connect handler so that a
// broker restart is survived. It subscribes QoS 1 to
// autogate/v1/gates/+/crossings, autogate/v1/gates/+/batches and
// autogate/v1/gates/+/status (package autogate/internal/wire).
//
// The delivery contract with the gates: every message is decoded with the
// wire package's strict decoders (Classify). Accepted messages are gathered
// for a few milliseconds (up to MaxBatch crossings or MaxWait) and written by
// one store transaction; only after it has committed does ingest publish, QoS
// 1 on autogate/v1/gates/{gate}/acks, a wire.Ack naming every crossing of
// that gate it now durably holds, re-deliveries included, so the gate can
// release them from its outbox. A gate republishes whatever is not
// acknowledged, so duplicates and reordering are normal and harmless: the
// store inserts by crossing id. A gate's batch (wire.CrossingBatch) is
// decoded whole: one invalid crossing refuses the whole message, and its
// crossings are acked, like single ones, only after the commit.
//
// Refused messages (bad topic, unknown kind, oversized, malformed JSON,
// unknown schema version, a body naming another gate than the topic, invalid
// fields) are logged with topic and reason, counted per reason in
// autogate_central_rejected_messages_total and in the store, and never
// acknowledged.
package ingest

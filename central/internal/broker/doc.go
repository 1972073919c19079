// Package broker runs central's embedded MQTT broker: mochi-mqtt
// (github.com/mochi-mqtt/server/v2, MQTT 3.1.1 and 5) on one TCP listener.
//
// Central's own ingest connects to it over TCP with paho like any other
// client, so the embedded broker and an external one (Mosquitto, EMQX) are
// used by exactly the same code. Gates publish to it with QoS 1, retained
// statuses and last wills, which the broker keeps in memory: after a broker
// restart gates reconnect and publish their status and outbox again.
//
// Authentication and ACLs: for now every client may connect and use every
// topic (mochi's allow-all hook). The place for per-gate credentials, TLS and
// the "a gate publishes only under its own id" ACL is Options.Auth and
// Options.TLS below.
package broker

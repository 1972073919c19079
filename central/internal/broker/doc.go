// Package broker runs central's embedded MQTT broker: mochi-mqtt
// (github.com/mochi-mqtt/server/v2, MQTT 3.1.1 and 5) on one TCP listener.
//
// Central's own ingest connects to it with paho like any other client, so
// the embedded broker and an external one (Mosquitto, EMQX) are used by
// exactly the same code. Gates publish to it with QoS 1, retained statuses
// and last wills, which the broker keeps in memory: after a broker restart
// gates reconnect and publish their status and outbox again.
//
// Authentication and ACLs: with Options.TLS (the fleet PKI's server
// configuration) the listener completes each TLS handshake itself, so a
// client without a certificate of the fleet CA is refused and counted, and
// CertAuth (Options.Auth) knows every client by its certificate's name:
// "@central" may use the whole autogate/v1 tree, a gate only its own topics
// (GateRules: publish its gate → central kinds, read its central → gate
// kinds and the fleet topics), under its own client id and with a last will
// on a topic it may publish. The rules are data (GateRules, CentralRules),
// from which 'central pki mosquitto' writes Mosquitto's ACL. Without TLS
// and Auth every client may use every topic.
package broker

// Package pki is central's fleet PKI: the CA that signs the embedded
// broker's server certificate, central's client certificate and one client
// certificate per gate (the broker knows a gate by its certificate), the
// Ed25519 key that signs what central distributes (list deltas,
// configurations, officers' commands), each gate's credentials bundle, and
// the configuration and ACL file for an external Mosquitto.
package pki

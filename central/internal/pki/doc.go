// Package pki is central's fleet PKI: the CA that signs the embedded
// broker's server certificate, central's client certificate and one client
// certificate per gate (the broker knows a gate by its certificate), the
// Ed25519 key that signs what central distributes (list deltas,
// configurations, officers' commands), each gate's credentials bundle, and
// the configuration and ACL file for an external Mosquitto.
//
// Layout of <data>/pki: ca.pem/ca.key, broker.pem/.key, central.pem/.key,
// signing.key/.pub, and gates/ID.crt, the record of each enrolled gate's
// current certificate (gates/ID.pem is its bundle until the operator takes
// it away). The embedded broker accepts a gate's certificate only while it
// is the recorded one (EnrolledCheck), so a reissue retires the old one.
package pki

// Package credentials is the gate's side of the fleet PKI: the one file
// 'central gate add' writes for a gate (a credentials bundle) holding the
// fleet CA certificate, the gate's client certificate and private key, and
// central's Ed25519 signing public key(s). Load checks that the pieces fit
// together (key matches certificate, certificate issued by the CA for client
// authentication and currently valid) before the gate uses them for its TLS
// connection to the broker and to verify what central signs.
package credentials

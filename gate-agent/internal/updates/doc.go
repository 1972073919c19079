// Package updates is how a gate takes what central distributes: signed
// list deltas and gate configurations, on the fleet topic, on its own
// updates topic (answers to its resync requests) and the retained fleet
// versions.
//
// Nothing is applied before its Ed25519 signature verifies against
// central's keys from the gate's credentials, its kind is the one expected,
// its version follows the one in force and it has not expired. A replay is
// dropped and counted; a gap (and a fleet version newer than the gate's)
// makes the gate ask central for a resync. A configuration that verifies is
// validated as `config check` would, put in force through a callback and
// kept (signed) in the data folder, so a restarted gate enforces it again.
package updates

// Package commands is central's side of officers' commands to gates
// (open_exit, return, manual_booth, lock, unlock): a Sender signs each command with
// central's Ed25519 key (kind "command", a fresh ULID as nonce, an expiry
// seconds away), records it in central's store, publishes it on the gate's
// commands topic, and matches the gates' acknowledgements (done, or refused
// with a reason code) to the commands waiting for them. Acks are recorded
// whoever sent the command, so `central serve` keeps the answers to
// commands sent by the CLI too.
package commands

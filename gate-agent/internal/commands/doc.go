// Package commands is the gate's side of officers' commands (open_exit,
// return, manual_booth, lock, unlock). Central signs each command (Ed25519, kind
// "command") with a fresh ULID as nonce and a short expiry, and publishes
// it on the gate's commands topic. The handler here verifies the signature
// against central's keys from the gate's credentials, checks the body, the
// gate it names and the expiry, records the nonce in the gate's store (a
// command id runs at most once, even after a restart), hands the command
// to the lane (an Executor: the flow), and answers every message, done or
// refused with a stable reason code, on the gate's command_acks topic.
// Nothing reaches the lane before every check has passed.
package commands

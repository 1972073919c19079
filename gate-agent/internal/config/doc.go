// Package config loads and validates a gate file (firmware-config/gates/*.toml):
// which gate this is, where its data lives, how it reaches central, which
// device profiles drive which devices, and the policy the gate enforces.
//
// Validation collects every problem with its TOML key, so a technician fixing
// a gate file sees all of them at once (`gate-agent config check FILE`).
package config

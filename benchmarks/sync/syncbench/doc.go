// Package syncbench holds what the sync benchmark programs share — the
// broker and ingest program under central/internal/ingest/bench, the drain
// program under gate-agent/internal/uplink/bench and the launcher
// benchmarks/sync: realistic crossings, how a program hands over its
// figures, and the machine's load.
package syncbench

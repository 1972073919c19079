// Command bench measures, on this machine, what central can take in: first
// the embedded broker's raw rate (a paho publisher, QoS 1, pipelined,
// crossing-sized payloads, to one QoS 1 subscriber that counts), then
// central's ingest rate — crossings committed to SQLite and acked to their
// gate — from simulated gates sending single messages, then batches.
//
//	go run ./central/internal/ingest/bench [--gates 4] [--per-gate 5000] [--out ingest.json]
//
// It lives under central/internal to drive ingest, broker and store, which
// only central's tree may import; `go run ./benchmarks/sync` runs it with the
// gate's drain benchmark and writes benchmarks/results/sync.json. Its last
// stdout line is the summary; --out gets the figures as JSON.
package main

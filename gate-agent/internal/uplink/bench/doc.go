// Command bench measures how fast a gate back from a long outage drains its
// outbox: a real gate store (SQLite) holding a backlog of recorded
// crossings, the real uplink, and central run as a process (`central serve`
// with its embedded broker on free ports), timed until the outbox is empty
// and central holds every crossing. The outbox depth is sampled during the
// drain for the plot.
//
//	go run ./gate-agent/internal/uplink/bench [--backlog 10000] [--central BIN] [--out drain.json]
//
// It lives under gate-agent/internal to drive the agent's store and uplink,
// which only the agent's tree may import; `go run ./benchmarks/sync` runs it
// with central's ingest benchmark and writes benchmarks/results/sync.json.
// Its last stdout line is the summary; --out gets the figures as JSON.
package main

// Command checks measures the gate's list checks at national scale: a
// SQLite replica (package replica) of 1,000,000 persons of interest and
// 5,000,000 lost, stolen and revoked documents built from the synthetic
// generator (package lists/synth) through the replica's delta API; then
// the time of each document lookup, each fuzzy person search (listed
// persons as their MRZ shows them, and travellers who are not listed), the
// whole checks stage as the flow runs it, and the rate of delta applies;
// with the match quality an authority asks for (recall on listed persons,
// false hits on the others) and the database's size.
//
//	go run ./benchmarks/checks [--persons N] [--documents N] [--queries N] [--seed S] [--db FILE] [--rebuild] [--out DIR]
//
// The built database is kept (default benchmarks/cache/) and reused when
// its lists hold the asked counts and the generator's records; the deltas
// the run applies are undone at its end, so the next run finds the same
// lists. One line per figure goes to stdout, each target with PASS or MISS,
// the last line a summary; checks.json and checks-latency.svg go to --out.
package main

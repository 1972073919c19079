// Package population generates synthetic travellers for the border-post
// simulator, the benchmarks and the tests: documents of several formats and
// nationalities with valid MRZs (every check digit computed), and a share of
// cases a gate must not pass (expired documents), each labelled with the
// decision the gate is expected to take.
//
// Generation is deterministic for a seed, so a run can be reproduced.
package population

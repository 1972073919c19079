// Package passive holds the benchmarks of Passive Authentication
// (drivers/emrtd/passive) and of loading the CSCA trust store
// (drivers/emrtd/trust); it has no code of its own.
//
//	go test -run XXX -bench . ./benchmarks/passive/
//
// BenchmarkPassiveAuthentication verifies a full document (DG1, a 20 KB
// DG2, DG14, DG15) against a store holding the shared DE and NL master
// lists, per signature algorithm, for a document signer seen before
// ("warm": its chain check is cached) and for its first document ("cold").
// Target: at most 5 ms. BenchmarkTrustStoreLoad loads those master lists
// and verifies their signatures. Target: at most 1 s.
package passive

// Package checks holds the checks of the crossing that consult the gate's
// replica of the lists (package replica): lost, stolen and revoked
// documents, persons of interest, nationality, minors, visas and permits,
// registered travellers, the permitted stay and the entry/exit sequence —
// each configured by the gate's [policy] — and the replica's health, which
// puts the gate into refer-everyone mode when the replica is stale or
// damaged. Each check returns pass, refer or alert with a stable reason code
// and a message for the officer.
package checks

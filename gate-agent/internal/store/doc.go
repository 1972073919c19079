// Package store is the gate's local SQLite database: the crossings it has
// decided and recorded, and the outbox of crossings central has not yet
// acknowledged.
//
// A crossing is written twice. When the gate has decided, before any door
// moves, it is journalled as "decided": a gate that cannot record a decision
// must not act on it. When the doors are done, one transaction marks it
// "recorded" and adds its outbox row. A crossing left "decided" by a crash is
// finished on the next start (Recover), so nothing decided is ever lost. An
// outbox row is deleted only when central acknowledges the crossing.
package store

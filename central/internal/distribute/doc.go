// Package distribute is how central hands the gates what they enforce:
// it versions, signs (Ed25519, wire.Sign) and queues every list delta and
// gate configuration in its own SQLite file (updates.db in the data
// folder), and its Publisher, run by `central serve`, publishes the queue
// to every gate, keeps the retained fleet versions current and answers a
// gate's resync request with the updates it misses.
//
// Central is the only author of versions: a delta goes from the list's
// latest version at central to the next one, a delta too large for one
// signed message becomes several consecutive versions, and every signed
// message expires (a recorded one cannot be replayed later).
package distribute

// Package population generates synthetic travellers for the border-post
// simulator, the benchmarks and the tests: documents of several formats and
// nationalities with valid MRZs (every check digit computed), and a share of
// cases a gate must not pass (expired documents, cloned or tampered chips),
// each labelled with the decision the gate is expected to take.
//
// Faces gives travellers real faces from the shared LFW photos: DG2 holds
// one photo of the traveller's person, and the gate's camera is shown a
// synthetic capture burst (models/pad.Synthesize) made from another photo
// of them (genuine), from someone else's (an impostor: the gate must refer,
// no_match) or from the DG2 photo itself held still or moved by hand (a
// presentation attack: the gate must refer, presentation_attack).
//
// Generation is deterministic for a seed, so a run can be reproduced.
package population

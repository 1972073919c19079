// Package flow is the gate's crossing state machine:
//
//	idle → document → checks → decision → door → record
//
// Every stage is timed and the timings travel with the crossing record. Stages
// that do not depend on each other overlap: the entrance door closes while the
// reader reads the document, and all checks start together as soon as the MRZ
// is read (later the chip read, the camera burst and the list checks join them
// there), so a crossing takes about its longest device step, not their sum.
//
// A referred crossing is announced (Options.Referred) as soon as its
// decision is journalled, before the doors move, with the chip's portrait
// and the live frame as small JPEGs, encoded beside the checks (evidence.go)
// and kept in memory only.
//
// The flow fails safe: an error anywhere refers the traveller and returns them
// through the entrance; the exit opens only when every check passed and the
// decision is journalled in the store.
package flow

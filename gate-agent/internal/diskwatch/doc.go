// Package diskwatch watches the free space of the disk holding the gate's
// data folder (statfs every few seconds). Below the warning threshold it logs
// a warning, once per crossing of the threshold; below the alarm threshold it
// logs an ALARM and raises an alarm string that travels in the gate's status
// to central, so officers free space before the journal is full. It exports
// autogate_gate_disk_free_bytes and autogate_gate_disk_low.
//
// It never stops the gate: a gate keeps deciding while it can record, and a
// decision it cannot journal is refused by the store (the traveller is
// returned) — a full disk costs admissions, never an unrecorded one.
package diskwatch

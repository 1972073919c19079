// Package replica is the gate's local copy of the lists central distributes
// (persons of interest, lost/stolen/revoked documents, visas and permits,
// registered travellers, recent movements), held in its own SQLite file
// (FileName) apart from the crossings journal, so that a damaged or huge
// replica never takes the journal down and a bulk apply never blocks it.
//
// Central's versioned deltas are applied atomically, one list at a time, and
// refused when they replay an old version or leave a gap (the gate then asks
// for a resync). The checks of a crossing read it concurrently while a delta
// is applied (WAL): documents, visas and registrations by key; persons by
// phonetic name keys and birth year, scored by package identity.
//
// Storage, and why:
//   - documents and registered are WITHOUT ROWID tables keyed by (issuing
//     state, number), the reason a one-byte code: 5 M documents stay near
//     24 bytes a row.
//   - persons holds each record as JSON; person_names one row per name
//     (primary and aliases) with identity's encoded, prepared form; name ids
//     are pid<<10 | alias+1, so a person's names are one rowid range and need
//     no index of their own. name_keys (key, birth_year, name_id) is the
//     search index. Removing a person recomputes the keys of its stored names
//     to delete their index rows; a replica indexed by another identity
//     scheme is re-indexed when opened.
//   - movements mark the gate's own crossings (RecordMovement) as local until
//     central's delta sends them back.
//   - list_versions holds each list's version, times and record count (which
//     Verify checks against the tables).
//
// Writes go through one connection with a large page cache and
// synchronous=NORMAL (a power cut may roll back the last deltas with their
// versions; central sends them again), rows in key order through multi-row
// INSERTs. Reads use a small pool of other connections.
package replica

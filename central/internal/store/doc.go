// Package store is central's SQLite store: every crossing the gates deliver,
// each gate's last known status and counters, and the messages ingest refused.
//
// The database is one file (central.db) in the data folder, opened through
// internal/sqlitedb like the gate's: WAL, foreign keys, a busy timeout, full
// synchronous commits (an acknowledged crossing must survive a power cut) and
// immediate transactions (a writer takes the write lock at BEGIN, so two
// writers wait for each other instead of failing half-way). The schema is
// built by the migrations in migrations.go, each applied once, in order, in
// its own transaction, and tracked by PRAGMA user_version.
//
// Crossings are inserted idempotently by their ULID: gates deliver at least
// once, so the same crossing arriving again is counted as a duplicate
// delivery, never stored twice and never an error. Apply writes a whole
// ingest batch (crossings, statuses, rejects) in one transaction so one fsync
// covers hundreds of messages.
package store

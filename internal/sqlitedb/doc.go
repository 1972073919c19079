// Package sqlitedb opens the SQLite databases of both binaries the same way:
// WAL journal, foreign keys, a busy timeout, full fsync on commit (a crossing
// acknowledged as recorded must survive a power cut), immediate write
// transactions, and schema migrations kept in code and tracked by
// PRAGMA user_version.
package sqlitedb

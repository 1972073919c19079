// Package audit is central's append-only, hash-chained log in DIR/audit.db:
// officers' actions, logins, user changes, list imports, config pushes and
// gate enrolments. Each record's hash is SHA-256 over the previous record's
// hash and the record's own canonical encoding, so editing, deleting or
// reordering any record breaks the chain from there on; Verify finds the
// first broken record. SQLite triggers refuse UPDATE and DELETE, so the log
// is also append-only to anyone not editing the file by hand.
package audit

package sqlitedb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrationsApplyOnceAndInOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	m := []string{
		"CREATE TABLE a(x INTEGER)",
		"ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'one')",
	}
	db, err := Open(ctx, path, m)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening must not re-run migration 2 (it would insert a second row).
	db, err = Open(ctx, path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows=%d err=%v, want 1 row", n, err)
	}
	if v, _ := Version(ctx, db); v != 2 {
		t.Fatalf("user_version=%d, want 2", v)
	}
	var mode string
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal_mode=%q, want wal", mode)
	}
	var fk int
	db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Fatal("foreign keys are off")
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	_, err := Open(ctx, path, []string{"CREATE TABLE a(x)", "CREATE TABLE b(y); THIS IS NOT SQL"})
	if err == nil || !strings.Contains(err.Error(), "migration 2") {
		t.Fatalf("err=%v, want a migration 2 error", err)
	}
	db, err := Open(ctx, path, []string{"CREATE TABLE a(x)"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := Version(ctx, db); v != 1 {
		t.Fatalf("user_version=%d after a failed migration 2, want 1", v)
	}
	var n int
	db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name='b'").Scan(&n)
	if n != 0 {
		t.Fatal("table b of the failed migration exists: not rolled back")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path, []string{"CREATE TABLE a(x)", "CREATE TABLE b(x)"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path, []string{"CREATE TABLE a(x)"}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err=%v, want a 'newer schema' error", err)
	}
}

func TestConcurrentOpensApplyEachMigrationOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "odd?name#x", "x.db")
	// Applying either step twice would fail (no IF NOT EXISTS) or double the row.
	m := []string{"CREATE TABLE a(x)", "INSERT INTO a VALUES (1)"}
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			db, err := Open(ctx, path, m)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.QueryRow("SELECT count(*) FROM a").Scan(&n)
	if n != 1 {
		t.Fatalf("%d rows: a migration ran more than once", n)
	}
}

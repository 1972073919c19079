package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/lists"
	"autogate/internal/lists/synth"
	"autogate/internal/sqlitedb"
)

// filledReplica writes a closed replica holding n documents and returns
// its path and the root page of the documents table.
func filledReplica(t testing.TB, n int) (path string, documentsRoot int64) {
	t.Helper()
	r, path := openTemp(t)
	mustApply(t, r, delta(lists.ListDocuments, 0, addOps(synthDocuments(synth.New(9), 0, n), docOp)...))
	if err := r.db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = 'documents'").Scan(&documentsRoot); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatalf("the WAL outlived Close: the damage below would not be where the test puts it")
	}
	return path, documentsRoot
}

// openAndVerify opens path and verifies it; the damage must be reported
// by one of them as a *CorruptError telling what to do.
func openAndVerify(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	r, err := Open(ctx, path)
	if err == nil {
		err = r.Verify(ctx)
		r.Close()
	}
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("damaged file: err = %v, want a *CorruptError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "damaged") || !strings.Contains(msg, "resync") || !strings.Contains(msg, "re-import") {
		t.Fatalf("message %q does not say the replica is damaged and what to do", msg)
	}
	t.Logf("reported: %v", err)
}

func TestTruncatedFileIsReported(t *testing.T) {
	path, _ := filledReplica(t, 20000)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	openAndVerify(t, path)
}

func TestRandomBytesAreReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	junk := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Open of random bytes: err = %v, want a *CorruptError", err)
	}
}

// Another database at the replica's path (the crossings journal, say) is
// refused, not migrated over.
func TestAnotherDatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := sqlitedb.Open(context.Background(), path, []string{"CREATE TABLE crossings (seq INTEGER PRIMARY KEY)"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	openAndVerify(t, path)
}

// SQLite keeps no checksums: Verify finds flips that break the b-tree
// structure, which these are (a child pointer, a cell offset).
func TestBitFlippedPageIsFoundByVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset func(pageSize int64, page []byte) int64 // within the root page
		bit    byte
	}{
		{"right child pointer", func(int64, []byte) int64 { return 8 }, 0x04},
		{"first cell offset", func(int64, []byte) int64 { return 12 }, 0x08},
		{"cell count", func(int64, []byte) int64 { return 4 }, 0x02},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, root := filledReplica(t, 20000)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pageSize := int64(binary.BigEndian.Uint16(b[16:18]))
			start := (root - 1) * pageSize
			if b[start] != 0x02 {
				t.Fatalf("root page of documents has type %#x, want 0x02 (interior index page): make the table larger", b[start])
			}
			b[start+tc.offset(pageSize, b[start:start+pageSize])] ^= tc.bit
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			openAndVerify(t, path)
		})
	}
}

func TestVerifyFindsCountsThatDisagree(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	mustApply(t, r, delta(lists.ListDocuments, 0, addOps(synthDocuments(synth.New(5), 0, 10), docOp)...))
	// A row lost behind the replica's back.
	if _, err := r.db.Exec("DELETE FROM documents WHERE number = (SELECT MIN(number) FROM documents)"); err != nil {
		t.Fatal(err)
	}
	err := r.Verify(ctx)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.What != "documents count" {
		t.Fatalf("Verify = %v, want a *CorruptError about the documents count", err)
	}
}

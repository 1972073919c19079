package replica

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"autogate/internal/identity"
	"autogate/internal/lists"
)

// FuzzOpen opens whatever bytes the file holds: no panic, and either an
// error or a replica whose Verify, lookups and Close work.
func FuzzOpen(f *testing.F) {
	path, _ := filledReplica(f, 300)
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:100])
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte("not a database at all"))
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r, err := Open(ctx, path)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		defer r.Close()
		verr := r.Verify(ctx)
		var ce *CorruptError
		if verr != nil && !errors.As(verr, &ce) {
			t.Fatalf("Verify failed without a *CorruptError: %v", verr)
		}
		r.FindDocument(ctx, "UTO", "L898902C3")
		r.FindPersons(ctx, identity.Prepare(identity.Person{Name: identity.Name{Surname: "ERIKSSON", Given: "ANNA"}}), 0)
		r.Versions(ctx)
		if st := status(t, r, lists.ListVisas); verr == nil && st.Version < 1<<62 {
			// A file that verifies takes a delta.
			v := lists.Visa{ID: "fuzz", DocumentNumber: "X1", IssuingState: "UTO", Kind: lists.KindVisa, ValidFrom: "2026-01-01", ValidUntil: "2026-02-01"}
			if _, err := r.Apply(ctx, full(lists.ListVisas, st.Version+1, visaOp(lists.OpAdd, v))); err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("a verified replica refused a full visas delta: %v", err)
				}
			}
		}
	})
}

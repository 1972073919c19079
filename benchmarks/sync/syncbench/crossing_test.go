package syncbench

import (
	"testing"

	"autogate/internal/wire"
)

// TestCrossingIsValidAndRealisticallySized: the benchmarks must carry what
// a gate sends — a crossing the wire accepts, 3 to 5 KB of JSON.
func TestCrossingIsValidAndRealisticallySized(t *testing.T) {
	c := Crossing("bench-1", 7)
	b := wire.Encode(c)
	if _, err := wire.DecodeCrossing("bench-1", b); err != nil {
		t.Fatal(err)
	}
	if len(b) < 3000 || len(b) > 5000 {
		t.Fatalf("%d bytes of JSON, want 3–5 KB", len(b))
	}
	if Crossing("bench-1", 8).ID == c.ID {
		t.Fatal("two crossings share an id")
	}
}

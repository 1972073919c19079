package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeBatch feeds arbitrary (gate, payload) pairs to DecodeBatch: it
// never panics, refuses with one of the package's typed errors, and what it
// accepts is a batch central may store as is — 1 to MaxBatchCrossings
// crossings, every one valid and of the topic's gate — that decodes the same
// again after a re-encode.
func FuzzDecodeBatch(f *testing.F) {
	c1, c2 := validCrossing(), validCrossing()
	c2.Seq = 2
	f.Add("post-a-01", Encode(CrossingBatch{V: SchemaVersion, Gate: "post-a-01", Crossings: []Crossing{c1, c2}}))
	f.Add("post-a-01", Encode(CrossingBatch{V: SchemaVersion, Gate: "post-a-01", Crossings: []Crossing{c1}}))
	f.Add("post-b-07", Encode(CrossingBatch{V: SchemaVersion, Gate: "post-a-01", Crossings: []Crossing{c1}}))
	f.Add("post-a-01", Encode(CrossingBatch{V: SchemaVersion, Gate: "post-a-01"}))
	f.Add("post-a-01", []byte(`{"v":1,"gate":"post-a-01","crossings":[{"v":2}]}`))
	f.Add("post-a-01", []byte(`{"v":1,"gate":"post-a-01","crossings":[{"v":1,"id":"x"}]}`))
	f.Add("post-a-01", []byte(`{"v":1,"gate":"post-a-01","crossings":{}}`))
	f.Add("post-a-01", []byte(`{"v":1,"gate":"post-a-01","crossings":[null]}`))
	f.Add("post-a-01", []byte(`{"v":1,"gate":"post-a-01","crossings":[]}{}`))
	f.Add("g", []byte(`{"v":2}`))
	f.Add("g", []byte(`[]`))
	f.Add("g", []byte(`{"v":1,"gate":"g","crossings":[`+strings.Repeat(`{},`, 600)+`{}]}`))
	f.Fuzz(func(t *testing.T, gate string, payload []byte) {
		b, err := DecodeBatch(gate, payload)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrUnknownVersion) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		if b.Gate != gate || len(b.Crossings) == 0 || len(b.Crossings) > MaxBatchCrossings {
			t.Fatalf("accepted a batch of %d crossings claiming gate %q on %q's topic", len(b.Crossings), b.Gate, gate)
		}
		for i, c := range b.Crossings {
			if c.V != SchemaVersion || c.Gate != gate || c.Seq <= 0 || !validID(c.ID) {
				t.Fatalf("accepted crossing %d is invalid: %+v", i, c)
			}
		}
		// A decoded time JSON cannot write again (an offset beyond ±24h) is
		// central's "unstorable" case, not a decoder bug.
		again, err := json.Marshal(b)
		if err != nil {
			return
		}
		b2, err := DecodeBatch(gate, again)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return // re-encoding may grow escapes past the limit
			}
			t.Fatalf("accepted batch does not re-decode: %v", err)
		}
		if len(b2.Crossings) != len(b.Crossings) {
			t.Fatalf("re-decoded %d crossings, want %d", len(b2.Crossings), len(b.Crossings))
		}
	})
}

package replica

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

// Checks keep reading while a large delta is applied: each read succeeds
// and sees the lists either before or after the delta, never half of it.
func TestReadsDuringApply(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	g := synth.New(6)
	before := synthDocuments(g, 0, 100)
	mustApply(t, r, delta(lists.ListDocuments, 0, addOps(before, docOp)...))
	big := synthDocuments(g, 100, 40000)

	var applying atomic.Bool
	var duringApply, reads atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				old := before[(i*7+w)%len(before)]
				d, err := r.FindDocument(ctx, old.IssuingState, old.Number)
				if err != nil || d == nil {
					errs <- fmt.Errorf("reading %s during an apply: %v, %v", old.Number, d, err)
					return
				}
				// The last added document appears only with the whole delta.
				last, err := r.FindDocument(ctx, big[len(big)-1].IssuingState, big[len(big)-1].Number)
				var first *lists.Document
				if err == nil {
					first, err = r.FindDocument(ctx, big[0].IssuingState, big[0].Number)
				}
				if err != nil || (last != nil && first == nil) {
					errs <- fmt.Errorf("half a delta visible: last=%v first=%v err=%v", last, first, err)
					return
				}
				reads.Add(1)
				if applying.Load() {
					duringApply.Add(1)
				}
			}
		}()
	}
	applying.Store(true)
	a := mustApply(t, r, delta(lists.ListDocuments, 1, addOps(big, docOp)...))
	applying.Store(false)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if duringApply.Load() == 0 {
		t.Fatalf("no read completed during the %v apply: reads are blocked by the writer", a.Duration)
	}
	t.Logf("%d reads, %d during the %v apply of %d rows", reads.Load(), duringApply.Load(), a.Duration, a.Added)
	if s := status(t, r, lists.ListDocuments); s.Count != 40100 {
		t.Fatalf("count %d after the apply, want 40100", s.Count)
	}
}

// Package ingesttest starts central's ingest for the tests of the packages
// that ride on its connection (command acks, referrals), the way central
// serve does: started, subscribed, and stopped when the test ends.
package ingesttest

import (
	"context"
	"testing"
	"time"

	"autogate/central/internal/ingest"
)

// Start creates, starts and waits until ingest is subscribed (its extra
// subscriptions included); the test's cleanup stops it.
func Start(t testing.TB, cfg ingest.Config) *ingest.Ingest {
	t.Helper()
	in, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in.Stop(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	return in
}

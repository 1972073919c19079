package flow

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/uplink"
	"autogate/internal/wire"
)

// A broker that does not answer must not hold up the lane: the agent's
// referral queue (uplink.Referrals, as gate-agent run wires it) takes the
// referrals, drops the oldest when full, and every crossing finishes.
func TestStalledBrokerDoesNotHoldUpTheLane(t *testing.T) {
	const depth, crossings = 8, 14
	var (
		mu        sync.Mutex
		published [][]byte
	)
	entered := make(chan struct{}, crossings)
	release := make(chan struct{})
	reg := prometheus.NewRegistry()
	q := uplink.NewReferrals(uplink.ReferralOptions{Gate: "g1", Depth: depth, Registry: reg,
		Publish: func(topic string, qos byte, retained bool, payload []byte) error {
			if topic != wire.GateTopic("g1", wire.KindReferrals) || qos != 1 || retained {
				t.Errorf("published on %s qos %d retained %v", topic, qos, retained)
			}
			entered <- struct{}{}
			<-release // the broker does not confirm
			mu.Lock()
			published = append(published, payload)
			mu.Unlock()
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	l := newLane(t, config.Policy{})
	l.flow.opts.Referred = q.Send
	expired := build(t, time.Now().AddDate(0, -2, 0))
	var seqs []int64
	for i := range crossings {
		l.traveller(expired, false)
		c := l.once(t) // returns: the lane was not held up
		if c.Decision != wire.DecisionRefer || c.Door != DoorEntrance {
			t.Fatalf("crossing %d: decision=%s door=%s", i, c.Decision, c.Door)
		}
		seqs = append(seqs, c.Seq)
		if i == 0 {
			<-entered // the first referral is stuck in the broker from here on
		}
	}
	sent := func() float64 { return referralsSent(t, reg, "sent") }
	dropped := referralsSent(t, reg, "dropped")
	if want := float64(crossings - 1 - depth); dropped != want {
		t.Fatalf("dropped %v referrals, want %v (one stuck, %d queued)", dropped, want, depth)
	}
	close(release)
	until(t, "the queue drained", func() bool { return sent() == float64(1+depth) })
	mu.Lock()
	defer mu.Unlock()
	var got []int64
	for _, p := range published {
		r, err := wire.DecodeReferral("g1", p)
		if err != nil {
			t.Fatalf("an invalid referral was published: %v", err)
		}
		got = append(got, r.Crossing.Seq)
	}
	// The first (stuck) and the newest: the oldest waiting were dropped.
	want := append([]int64{seqs[0]}, seqs[crossings-depth:]...)
	if !slices.Equal(got, want) {
		t.Fatalf("published seqs %v, want %v", got, want)
	}
}

// referralsSent reads autogate_gate_referrals_sent_total{result}.
func referralsSent(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "autogate_gate_referrals_sent_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no autogate_gate_referrals_sent_total{result=%q}", result)
	return 0
}

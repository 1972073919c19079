package main

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"autogate/benchmarks/population"
)

// The fault-injection suite: one post (separate broker, every gate's link
// through its own proxy, speed 0, no cameras, small lists) takes waves of
// travellers while, in turn, the broker, central and gate agents are
// SIGKILLed and restarted, links hang and drop, and crossings are delivered
// again twice and shuffled, singly and in batches. A random delay after
// each wave makes gate kills land anywhere in a crossing. At the end
// central's store must equal every gate's SQLite (nothing lost, nothing
// twice) and every traveller fed must have exactly one crossing (see
// Traffic for the rule that re-queues a killed gate's travellers).
//
// `make test` runs a short plan; AUTOGATE_SOAK=1 (`make soak`) a long one.
// AUTOGATE_FAULT_SEED replays a run's faults, gates and delays (the
// processes' own timing is not replayed).

// faultPlan sizes a run.
type faultPlan struct {
	gates      int
	perWave    int           // travellers fed before each fault
	iterations int           // faults injected
	maxDelay   time.Duration // from a wave to its fault, drawn at random
	maxDown    time.Duration // longest a process stays dead or a link cut
	maxPause   time.Duration // longest a link hangs
}

func currentFaultPlan() faultPlan {
	if os.Getenv("AUTOGATE_SOAK") != "" {
		// 340 faults, 214 of them kills (130 gate agents, 42 brokers, 42
		// centrals); ~30 min on 2 cores. Hangs up to 25 s outlast the gates'
		// MQTT keep-alive (10 s + 5 s), so they drop and reconnect.
		return faultPlan{gates: 4, perWave: 10, iterations: 340, maxDelay: 100 * time.Millisecond,
			maxDown: 6 * time.Second, maxPause: 25 * time.Second}
	}
	// 54 faults, 36 of them kills (at least 20 gate agents, brokers and
	// centrals): the issue asks for at least 20 gate SIGKILLs per make test.
	return faultPlan{gates: 3, perWave: 8, iterations: 54, maxDelay: 40 * time.Millisecond,
		maxDown: 1500 * time.Millisecond, maxPause: 1500 * time.Millisecond}
}

// faultSeed is AUTOGATE_FAULT_SEED, or a fresh one.
func faultSeed(t *testing.T) int64 {
	if v := os.Getenv("AUTOGATE_FAULT_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("AUTOGATE_FAULT_SEED=%q: want an integer", v)
		}
		return s
	}
	return time.Now().UnixNano() % 1_000_000_000
}

func TestFaultsLoseNothing(t *testing.T) {
	fp := currentFaultPlan()
	seed := faultSeed(t)
	t.Logf("fault seed %d; plan %+v", seed, fp)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay these faults: AUTOGATE_FAULT_SEED=%d go test -count=1 -run TestFaultsLoseNothing ./benchmarks/post", seed)
		}
	})
	rng := rand.New(rand.NewPCG(uint64(seed), 0xfa17))
	ctx := context.Background()

	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = seed, 0.1
	pop := population.Generate(fp.perWave*fp.iterations, o)
	p := newPost(t, fp.gates, 0, true, func(p *Post) {
		p.Proxies = true
		if _, err := p.BuildLists(ctx, pop, ListOptions{Persons: 500, Documents: 2000, HitShare: 0.05, Seed: seed}, io.Discard); err != nil {
			t.Fatal(err)
		}
	})
	pki, err := p.PKI()
	if err != nil {
		t.Fatal(err)
	}
	if err := population.IssueDocuments(pop, population.Chips{PKI: pki, Faces: [][]byte{syntheticFace()},
		CloneShare: 0.03, TamperShare: 0.03, Seed: seed}); err != nil {
		t.Fatal(err)
	}

	tr := p.NewTraffic()
	chaos := &Chaos{Post: p, Traffic: tr, Rand: rng, MaxDown: fp.maxDown, MaxPause: fp.maxPause, Say: func(l string) { t.Log(l) }, Begin: time.Now()}
	faults := chaos.Schedule(fp.iterations)
	if n := countFaults(faults, FaultKillGate); n < 20 {
		t.Fatalf("the plan kills gate agents only %d times; at least 20 wanted", n)
	}
	for k, f := range faults {
		if err := tr.Feed(ctx, pop[k*fp.perWave:(k+1)*fp.perWave]); err != nil {
			t.Fatalf("feeding wave %d: %v", k, err)
		}
		sleep(ctx, time.Duration(rng.Int64N(int64(fp.maxDelay)+1)))
		if err := chaos.Inject(ctx, f); err != nil {
			t.Fatalf("fault %d (%s): %v", k, f, err)
		}
	}
	if err := tr.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tr.WaitThrough(ctx, 90*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	problems, err := tr.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Error(pr)
	}
	assertExactlyOnce(t, p, pop)
	// Every message was well formed, replays included: central refused none.
	st, err := p.CentralStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.RejectedTotal != 0 {
		t.Errorf("central refused %d messages: %v", st.RejectedTotal, st.RejectedByReason)
	}

	unknown, _ := p.DoorUnknown(ctx)
	t.Logf("%d faults: %s; %d travellers queued again after gate kills; %d crossings finished at restart with door unknown; central absorbed %d duplicate deliveries",
		chaos.Events(), chaos.Counts(), tr.Requeued(), unknown, st.DuplicateDeliveries)
	for i := range p.gates {
		t.Logf("%s link: %+v", p.gates[i].ID, p.Link(i).Stats())
	}
}

func countFaults(faults []Fault, kind Fault) int {
	n := 0
	for _, f := range faults {
		if f == kind {
			n++
		}
	}
	return n
}

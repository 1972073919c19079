package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/benchmarks/population"
	"autogate/internal/credentials"
	"autogate/internal/wire"
)

// Traffic sends travellers to the gates and keeps every one of them
// accounted for while gates are killed.
//
// The rule: a simulated gate's queue lives in its process, so SIGKILL
// loses it, together with the traveller in the lane when their crossing was
// not journalled yet. A traveller is through once some gate's SQLite holds
// a crossing with their document number (a decided crossing counts: the
// restarted agent finishes it with door "unknown" before it opens its
// lane). When a gate restarts, its queue and its lane are empty; every
// traveller sent to it who is not through is queued there again, once.
// Feeding and restarting hold one lock, so nobody is queued twice, and at
// the end each traveller fed has exactly one crossing.
type Traffic struct {
	post *Post

	mu     sync.Mutex
	gateOf map[string]int // document number → the gate they were sent to
	fed    []population.Traveller
	next   int
	// requeued counts travellers queued again after a restart.
	requeued int
}

// NewTraffic starts accounting for the travellers fed through it.
func (s *Post) NewTraffic() *Traffic { return &Traffic{post: s, gateOf: map[string]int{}} }

// Feed queues travellers at the gates, round-robin.
func (tr *Traffic) Feed(ctx context.Context, ts []population.Traveller) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := len(tr.post.gates)
	per := make([][]map[string]any, n)
	for _, t := range ts {
		g := tr.next % n
		tr.next++
		tr.gateOf[t.Fields.DocumentNumber] = g
		tr.fed = append(tr.fed, t)
		per[g] = append(per[g], feedItem(t))
	}
	for g, batch := range per {
		if len(batch) == 0 {
			continue
		}
		if err := tr.post.FeedGate(ctx, g, batch); err != nil {
			return err
		}
	}
	return nil
}

// Fed returns the travellers fed so far.
func (tr *Traffic) Fed() []population.Traveller {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.fed)
}

// Requeued counts the travellers queued again after gate restarts.
func (tr *Traffic) Requeued() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.requeued
}

// requeue queues again at gate i every traveller sent there who is not
// through. The caller holds tr.mu and has just (re)started gate i.
func (tr *Traffic) requeue(ctx context.Context, i int) (int, error) {
	crossed, err := tr.post.crossed(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the gates' crossings to queue %s's travellers again: %w", tr.post.gates[i].ID, err)
	}
	var batch []map[string]any
	for _, t := range tr.fed {
		doc := t.Fields.DocumentNumber
		if tr.gateOf[doc] == i && crossed[doc] == 0 {
			batch = append(batch, feedItem(t))
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}
	if err := tr.post.FeedGate(ctx, i, batch); err != nil {
		return 0, err
	}
	tr.requeued += len(batch)
	return len(batch), nil
}

// Through counts the travellers fed who have a crossing.
func (tr *Traffic) Through(ctx context.Context) (through, fed int, err error) {
	crossed, err := tr.post.crossed(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range tr.Fed() {
		if crossed[t.Fields.DocumentNumber] > 0 {
			through++
		}
		fed++
	}
	return through, fed, nil
}

// WaitThrough waits until every traveller fed has a crossing; it gives up
// when none gets through for stuckAfter. progress (may be nil) sees each
// change.
func (tr *Traffic) WaitThrough(ctx context.Context, stuckAfter time.Duration, progress func(done, total int)) error {
	last, lastChange := -1, time.Now()
	for {
		done, total, err := tr.Through(ctx)
		if err == nil {
			if done != last {
				last, lastChange = done, time.Now()
				if progress != nil {
					progress(done, total)
				}
			}
			if done >= total {
				return nil
			}
		}
		if time.Since(lastChange) > stuckAfter {
			missing, _ := tr.missing(ctx)
			return fmt.Errorf("no traveller got through for %s (%d of %d through; waiting for %s); see the logs in %s",
				stuckAfter, max(last, 0), total, strings.Join(missing, " "), filepath.Join(tr.post.Work, "logs"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// missing names (up to 20) travellers fed without a crossing, with their gate.
func (tr *Traffic) missing(ctx context.Context) ([]string, error) {
	crossed, err := tr.post.crossed(ctx)
	if err != nil {
		return nil, err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, t := range tr.fed {
		doc := t.Fields.DocumentNumber
		if crossed[doc] == 0 && len(out) < 20 {
			out = append(out, doc+"@"+tr.post.gates[tr.gateOf[doc]].ID)
		}
	}
	return out, nil
}

// Check returns what breaks the per-traveller rule: a traveller fed with no
// crossing or with several, and crossings of nobody fed.
func (tr *Traffic) Check(ctx context.Context) ([]string, error) {
	crossed, err := tr.post.crossed(ctx)
	if err != nil {
		return nil, err
	}
	var problems []string
	fed := map[string]bool{}
	for _, t := range tr.Fed() {
		doc := t.Fields.DocumentNumber
		fed[doc] = true
		if n := crossed[doc]; n != 1 {
			problems = append(problems, fmt.Sprintf("traveller %s has %d crossings, want 1", doc, n))
		}
	}
	for doc, n := range crossed {
		if !fed[doc] {
			problems = append(problems, fmt.Sprintf("%d crossings of document %q, which no traveller fed holds", n, doc))
		}
	}
	sort.Strings(problems)
	return problems, nil
}

// crossed counts every gate's crossings per document number.
func (s *Post) crossed(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for i := range s.gates {
		if err := s.eachCrossing(ctx, i, "SELECT COALESCE(json_extract(payload, '$.document.document_number'), '') FROM crossings", func(doc []byte) {
			out[string(doc)]++
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachCrossing runs a one-column query on gate i's SQLite, read-only.
func (s *Post) eachCrossing(ctx context.Context, i int, query string, f func([]byte)) error {
	path := filepath.Join(s.gates[i].Data, "gate.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		f(b)
	}
	return rows.Err()
}

// DoorUnknown counts the crossings a restarted agent finished with door
// outcome "unknown": kills that landed between decision and record.
func (s *Post) DoorUnknown(ctx context.Context) (int, error) {
	n := 0
	for i := range s.gates {
		if err := s.eachCrossing(ctx, i, "SELECT 1 FROM crossings WHERE json_extract(payload, '$.door') = 'unknown'", func([]byte) { n++ }); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Replay connects to the broker as gate i and publishes again up to max of
// the crossings it recorded: each one twice on its crossings topic, and all
// of them once more in batches on its batches topic, every message in a
// shuffled order. Central must store none of them twice. It returns how
// many crossings it replayed.
func (s *Post) Replay(ctx context.Context, i int, rng *mrand.Rand, max int) (int, error) {
	g := s.gates[i]
	var cs []json.RawMessage
	// Only recorded crossings: a decided one's payload is not final yet.
	err := s.eachCrossing(ctx, i, "SELECT payload FROM crossings WHERE state = 'recorded' ORDER BY seq", func(b []byte) {
		cs = append(cs, json.RawMessage(slices.Clone(b)))
	})
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	rng.Shuffle(len(cs), func(a, b int) { cs[a], cs[b] = cs[b], cs[a] })
	cs = cs[:min(max, len(cs))]
	type msg struct {
		topic   string
		payload []byte
	}
	var msgs []msg
	for range 2 {
		for _, c := range cs {
			msgs = append(msgs, msg{wire.GateTopic(g.ID, wire.KindCrossings), c})
		}
	}
	for rest := cs; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(20))
		b := wire.CrossingBatch{V: wire.SchemaVersion, Gate: g.ID}
		for _, c := range rest[:n] {
			var x wire.Crossing
			if err := json.Unmarshal(c, &x); err != nil {
				return 0, fmt.Errorf("%s's stored crossing unreadable: %w", g.ID, err)
			}
			b.Crossings = append(b.Crossings, x)
		}
		rest = rest[n:]
		msgs = append(msgs, msg{wire.GateTopic(g.ID, wire.KindBatches), wire.Encode(b)})
	}
	rng.Shuffle(len(msgs), func(a, b int) { msgs[a], msgs[b] = msgs[b], msgs[a] })

	// Central must be listening, or the broker drops the copies unseen
	// (central's session is clean) and the replay proves nothing.
	if err := waitHTTP(ctx, "http://"+s.HTTP+"/healthz", s.central); err != nil {
		return 0, fmt.Errorf("before replaying %s's crossings: %w", g.ID, err)
	}
	before, err := s.CentralStats(ctx)
	if err != nil {
		return 0, err
	}
	if s.TLS {
		// The broker lets a gate's certificate connect only under the gate's
		// own client id, which takes over the gate's session. The gate's
		// link hangs meanwhile, so it cannot take the session back before
		// the replay is done; then it reconnects through its link.
		if g.link == nil {
			return 0, fmt.Errorf("replaying %s's crossings under TLS needs the link proxies (Post.Proxies)", g.ID)
		}
		g.link.Pause()
		defer g.link.Resume()
	}
	c, err := s.gateClient(i)
	if err != nil {
		return 0, err
	}
	defer c.Disconnect(250)
	for _, m := range msgs {
		t := c.Publish(m.topic, 1, false, m.payload)
		if !t.WaitTimeout(10 * time.Second) {
			return 0, fmt.Errorf("replaying %s's crossings: the broker did not confirm in 10 s", g.ID)
		}
		if t.Error() != nil {
			return 0, fmt.Errorf("replaying %s's crossings: %w", g.ID, t.Error())
		}
	}
	// Each crossing went three times (twice alone, once in a batch): at
	// least two of them are duplicate deliveries central must absorb.
	want := before.DuplicateDeliveries + int64(2*len(cs))
	deadline := time.Now().Add(30 * time.Second)
	after := before
	for {
		if st, err := s.CentralStats(ctx); err == nil {
			after = st
		}
		if after.DuplicateDeliveries >= want {
			return len(cs), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("replayed %d crossings of %s three times each, but central counted %d duplicate deliveries (want ≥ %d) and %d refused messages (%v) in 30 s",
				len(cs), g.ID, after.DuplicateDeliveries-before.DuplicateDeliveries, 2*len(cs), after.RejectedTotal-before.RejectedTotal, after.RejectedByReason)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// CentralStats is central's /api/stats: totals kept in its store, so they
// survive central's restarts.
type CentralStats struct {
	TotalCrossings      int64            `json:"total_crossings"`
	DuplicateDeliveries int64            `json:"duplicate_deliveries"`
	RejectedByReason    map[string]int64 `json:"rejected_by_reason"`
	RejectedTotal       int64            `json:"rejected_total"`
}

// CentralStats asks central for its totals.
func (s *Post) CentralStats(ctx context.Context) (CentralStats, error) {
	var st CentralStats
	err := s.centralJSON(ctx, "/api/stats", &st)
	return st, err
}

// gateClient connects to the broker, not through the link, as gate i: on
// plain TCP beside the gate's own connection (another client id, so
// neither takes the other's session); with TLS with the gate's credentials
// and client id.
func (s *Post) gateClient(i int) (mqtt.Client, error) {
	g := s.gates[i]
	var b [4]byte
	rand.Read(b[:])
	o := mqtt.NewClientOptions().AddBroker(s.brokerURL(s.MQTT)).
		SetClientID("autogate-replay-" + g.ID + "-" + hex.EncodeToString(b[:])).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	if s.TLS {
		creds, err := credentials.Load(s.Credentials(i))
		if err != nil {
			return nil, err
		}
		o.SetClientID(wire.GateClientID(g.ID)).SetTLSConfig(creds.ClientTLS())
	}
	c := mqtt.NewClient(o)
	t := c.Connect()
	if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("connecting to the broker as %s to replay its crossings: %v", g.ID, t.Error())
	}
	return c, nil
}

// Fault is one thing that goes wrong at a post.
type Fault string

// Faults a Chaos injects.
const (
	FaultKillGate    Fault = "kill gate"    // SIGKILL a gate agent, restart it
	FaultKillBroker  Fault = "kill broker"  // SIGKILL the separate broker, restart it
	FaultKillCentral Fault = "kill central" // SIGKILL central, restart it
	FaultPauseLink   Fault = "pause link"   // a gate's link hangs, then flows again
	FaultCutLink     Fault = "cut link"     // a gate's link drops and refuses, then is back
	FaultReplay      Fault = "replay"       // a gate's crossings delivered again, twice, shuffled
)

// Chaos injects faults into a running post, one event at a time; each
// event ends with the post whole again (restarted, resumed, restored).
type Chaos struct {
	Post    *Post
	Traffic *Traffic
	Rand    *mrand.Rand
	// MaxDown bounds how long a process stays dead or a link cut; MaxPause
	// how long a link hangs (0: MaxDown). A hang past the gates' MQTT
	// keep-alive makes them drop and reconnect through it.
	MaxDown, MaxPause time.Duration
	// Say receives one line per event ("chaos: t=12.3s kill gate sim-post-02").
	Say   func(line string)
	Begin time.Time

	mu       sync.Mutex
	counts   map[Fault]int
	laneBusy int // gate kills with a traveller in the lane
}

// Kinds lists the faults this post allows: a broker kill needs a separate
// broker, link faults need the proxies, and so does a replay under TLS.
func (c *Chaos) Kinds() []Fault {
	k := []Fault{FaultKillGate, FaultKillCentral}
	if c.Post.broker != nil {
		k = append(k, FaultKillBroker)
	}
	if c.Post.Proxies {
		k = append(k, FaultPauseLink, FaultCutLink)
	}
	if c.Post.Proxies || !c.Post.TLS {
		k = append(k, FaultReplay)
	}
	return k
}

// weight makes gate kills the most frequent event: they hit the crossing
// itself, at every stage.
func weight(f Fault) int {
	if f == FaultKillGate {
		return 3
	}
	return 1
}

// Pick draws a fault, gate kills three times as likely as the others.
func (c *Chaos) Pick() Fault {
	kinds := c.Kinds()
	total := 0
	for _, k := range kinds {
		total += weight(k)
	}
	r := c.Rand.IntN(total)
	for _, k := range kinds {
		if r -= weight(k); r < 0 {
			return k
		}
	}
	return kinds[0]
}

// Schedule returns n faults in their weighted proportions (each kind at
// least once when n allows), shuffled.
func (c *Chaos) Schedule(n int) []Fault {
	kinds := c.Kinds()
	var out []Fault
	total := 0
	for _, k := range kinds {
		total += weight(k)
	}
	for _, k := range kinds {
		for range max(1, n*weight(k)/total) {
			out = append(out, k)
		}
	}
	for len(out) < n {
		out = append(out, FaultKillGate)
	}
	c.Rand.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

func (c *Chaos) say(format string, args ...any) {
	if c.Say != nil {
		c.Say(fmt.Sprintf("chaos: t=%.1fs ", time.Since(c.Begin).Seconds()) + fmt.Sprintf(format, args...))
	}
}

// sleep waits d, or less when ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Inject runs one event of kind f. When ctx ends the outage is cut short,
// but the restart still happens.
func (c *Chaos) Inject(ctx context.Context, f Fault) error {
	p := c.Post
	down := time.Duration(c.Rand.Int64N(int64(c.MaxDown) + 1))
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[Fault]int{}
	}
	c.counts[f]++
	c.mu.Unlock()
	i := c.Rand.IntN(len(p.gates))
	g := p.gates[i]
	if (f == FaultPauseLink || f == FaultCutLink) && g.link == nil {
		return fmt.Errorf("%s: the post has no link proxies (Post.Proxies)", f)
	}
	if f == FaultKillBroker && p.broker == nil {
		return fmt.Errorf("%s: the broker runs inside central (Post.SeparateBroker)", f)
	}
	switch f {
	case FaultKillGate:
		tr := c.Traffic
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return c.outage(ctx, down, func() string {
			st, _ := p.GateFeed(rctx, i)
			p.KillGate(i, syscall.SIGKILL)
			lane := "empty"
			if st.Admitted > st.Recorded {
				lane = "busy"
				c.mu.Lock()
				c.laneBusy++
				c.mu.Unlock()
			}
			return fmt.Sprintf("kill gate %s (lane %s, %d queued)", g.ID, lane, st.Queued)
		}, func() (string, error) {
			if err := p.StartGate(rctx, i); err != nil {
				return "", err
			}
			n, err := tr.requeue(rctx, i)
			return fmt.Sprintf("restart gate %s, %d queued again", g.ID, n), err
		})
	case FaultKillBroker:
		return c.outage(ctx, down, func() string { p.StopBroker(); return "kill broker" },
			func() (string, error) { return "restart broker", p.StartBroker(rctx) })
	case FaultKillCentral:
		return c.outage(ctx, down, func() string { p.StopCentral(syscall.SIGKILL); return "kill central" },
			func() (string, error) { return "restart central", p.StartCentral(rctx) })
	case FaultPauseLink:
		if c.MaxPause > 0 {
			down = time.Duration(c.Rand.Int64N(int64(c.MaxPause) + 1))
		}
		return c.outage(ctx, down, func() string { g.link.Pause(); return "pause link " + g.ID },
			func() (string, error) { g.link.Resume(); return "resume link " + g.ID, nil })
	case FaultCutLink:
		return c.outage(ctx, down, func() string { g.link.Cut(); return "cut link " + g.ID },
			func() (string, error) { g.link.Restore(); return "restore link " + g.ID, nil })
	case FaultReplay:
		n, err := p.Replay(rctx, i, c.Rand, 50)
		if err != nil {
			return err
		}
		c.say("replay %d crossings of %s (each twice, and in batches, shuffled)", n, g.ID)
	default:
		return fmt.Errorf("unknown fault %q", f)
	}
	return nil
}

// outage breaks something, leaves it broken for down (less when ctx ends)
// and mends it, saying both.
func (c *Chaos) outage(ctx context.Context, down time.Duration, breakIt func() string, mend func() (string, error)) error {
	c.say("%s", breakIt())
	sleep(ctx, down)
	start := time.Now()
	line, err := mend()
	if err != nil {
		return err
	}
	c.say("%s (out %.1fs, back in %.1fs)", line, down.Seconds(), time.Since(start).Seconds())
	return nil
}

// Run injects random faults, about one per every (±50 %), until ctx ends.
func (c *Chaos) Run(ctx context.Context, every time.Duration) error {
	for {
		sleep(ctx, every/2+time.Duration(c.Rand.Int64N(int64(every)+1)))
		if ctx.Err() != nil {
			return nil
		}
		if err := c.Inject(ctx, c.Pick()); err != nil {
			return err
		}
	}
}

// Counts says how many events of each kind ran, and how many gate kills
// found a traveller in the lane: "kill gate=8 (lane busy 5) kill broker=2 …".
func (c *Chaos) Counts() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, k := range []Fault{FaultKillGate, FaultKillBroker, FaultKillCentral, FaultPauseLink, FaultCutLink, FaultReplay} {
		if n := c.counts[k]; n > 0 {
			s := fmt.Sprintf("%s=%d", k, n)
			if k == FaultKillGate {
				s += fmt.Sprintf(" (lane busy %d)", c.laneBusy)
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// Events is the number of events run.
func (c *Chaos) Events() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Heal makes the post whole whatever state it is in: links resumed and
// restored, the broker, central and every gate running (a gate started here
// gets its travellers queued again).
func (tr *Traffic) Heal(ctx context.Context) error {
	s := tr.post
	for _, g := range s.gates {
		if g.link != nil {
			g.link.Resume()
			g.link.Restore()
		}
	}
	var errs []error
	if s.broker != nil && !s.broker.running() {
		errs = append(errs, s.StartBroker(ctx))
	}
	if s.central != nil && !s.central.running() {
		errs = append(errs, s.StartCentral(ctx))
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i, g := range s.gates {
		if g.p.running() {
			continue
		}
		if err := s.StartGate(ctx, i); err != nil {
			errs = append(errs, err)
			continue
		}
		_, err := tr.requeue(ctx, i)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ChaosOptions shape a --chaos run.
type ChaosOptions struct {
	Seed       int64         // 0: from the clock (printed, to replay the faults)
	For        time.Duration // travellers are fed in waves over this long
	Every      time.Duration // mean time between faults
	MaxDown    time.Duration // longest outage of one fault
	StuckAfter time.Duration // give up when no traveller gets through for this long
}

// RunChaos feeds the travellers in waves while a chaos goroutine injects
// faults, until every traveller has crossed; then it stops the chaos, heals
// the post, waits for central to hold every crossing and checks that each
// traveller has exactly one crossing (problems lists who does not).
func (s *Post) RunChaos(ctx context.Context, pop []population.Traveller, o ChaosOptions, out io.Writer) (rep Report, problems []string, err error) {
	seed := o.Seed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000_000
	}
	var outMu sync.Mutex
	say := func(line string) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintln(out, line)
	}
	say(fmt.Sprintf("chaos: seed %d (the same faults again: --chaos-seed %d)", seed, seed))
	tr := s.NewTraffic()
	c := &Chaos{Post: s, Traffic: tr, Rand: mrand.New(mrand.NewPCG(uint64(seed), 0xc4a05)), MaxDown: o.MaxDown, Say: say, Begin: time.Now()}
	runCtx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	chaosCtx, stopChaos := context.WithCancel(runCtx)
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		if err := c.Run(chaosCtx, o.Every); err != nil {
			fail(fmt.Errorf("chaos: %w", err))
		}
	}()
	const waveEvery = 500 * time.Millisecond
	waves := max(1, int(o.For/waveEvery))
	per := max(1, (len(pop)+waves-1)/waves)
	for k := 0; k*per < len(pop); k++ {
		if err := tr.Feed(runCtx, pop[k*per:min(len(pop), (k+1)*per)]); err != nil {
			stopChaos()
			<-chaosDone
			return rep, nil, errors.Join(context.Cause(runCtx), err)
		}
		sleep(runCtx, waveEvery)
	}
	err = tr.WaitThrough(runCtx, o.StuckAfter, nil)
	stopChaos()
	<-chaosDone
	if err != nil {
		return rep, nil, errors.Join(context.Cause(runCtx), err)
	}
	if err := context.Cause(runCtx); err != nil {
		return rep, nil, err
	}
	if err := tr.Heal(ctx); err != nil {
		return rep, nil, fmt.Errorf("healing the post after the chaos: %w", err)
	}
	c.say("stop after %d faults: %s; %d travellers queued again after gate kills", c.Events(), c.Counts(), tr.Requeued())
	if err := tr.WaitThrough(ctx, o.StuckAfter, nil); err != nil {
		return rep, nil, err
	}
	if rep, err = s.waitDelivered(ctx, pop, 2*time.Minute); err != nil {
		return rep, nil, err
	}
	problems, err = tr.Check(ctx)
	return rep, problems, err
}

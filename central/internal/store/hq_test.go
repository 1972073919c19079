package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"autogate/internal/wire"
)

func insert(t testing.TB, s *Store, cs []wire.Crossing) {
	t.Helper()
	if _, _, err := s.InsertCrossings(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
}

func TestThroughputPerGateAndUTCHour(t *testing.T) {
	s, _ := openTemp(t)
	rng := rand.New(rand.NewPCG(7, 11))
	since := t0.Truncate(time.Hour) // 09:00
	// Gates report in their own time zone; hours are UTC.
	east := time.FixedZone("UTC+3", 3*3600)
	type key struct {
		gate, post string
		hour       time.Time
	}
	want := map[key]*HourCount{}
	var cs []wire.Crossing
	for i := range 300 {
		gate := fmt.Sprintf("gate-%d", i%3+1)
		decision := wire.DecisionPass
		if rng.IntN(4) == 0 {
			decision = wire.DecisionRefer
		}
		// From 1 h before the window to 6 h into it.
		c := crossing(gate, int64(i+1), time.Duration(rng.Int64N(int64(7*time.Hour)))-time.Hour, decision)
		if gate == "gate-3" {
			c.Post = "post-south"
			c.StartedAt, c.EndedAt = c.StartedAt.In(east), c.EndedAt.In(east)
		}
		cs = append(cs, c)
		if c.StartedAt.Before(since) {
			continue
		}
		k := key{gate, c.Post, c.StartedAt.UTC().Truncate(time.Hour)}
		if want[k] == nil {
			want[k] = &HourCount{Gate: gate, Post: c.Post, Hour: k.hour}
		}
		want[k].Crossings++
		if decision == wire.DecisionRefer {
			want[k].Refers++
		}
	}
	insert(t, s, cs)

	got, err := s.Throughput(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, h := range got {
		w := want[key{h.Gate, h.Post, h.Hour}]
		if w == nil || *w != h || h.Hour.Location() != time.UTC {
			t.Fatalf("unexpected %+v (want %+v)", h, w)
		}
		total += h.Crossings
	}
	if len(got) != len(want) {
		t.Fatalf("%d gate-hours, want %d", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Hour.Before(got[i-1].Hour) {
			t.Fatalf("not in hour order at %d: %v after %v", i, got[i].Hour, got[i-1].Hour)
		}
	}
	if total < 200 { // the window holds about 6/7 of the 300
		t.Fatalf("only %d crossings counted: the data proves little", total)
	}
	if empty, err := s.Throughput(context.Background(), t0.Add(24*time.Hour)); err != nil || len(empty) != 0 || empty == nil {
		t.Fatalf("future window: %#v err=%v", empty, err)
	}
}

// timed builds a crossing of gate lasting d, with a document stage of 2 s,
// a face stage of face and, when door is set, a door stage of 1 s.
func timed(gate string, seq int64, offset, d, face time.Duration, door bool, deviceMS float64) wire.Crossing {
	c := crossing(gate, seq, offset, wire.DecisionPass)
	c.EndedAt = c.StartedAt.Add(d)
	s := c.StartedAt
	c.Stages = []wire.Stage{
		// The lane's wait before the crossing: never in the stage means.
		{Name: "idle", Start: s.Add(-5 * time.Second), End: s},
		{Name: "document", Start: s, End: s.Add(2 * time.Second)},
		{Name: "face", Start: s.Add(2 * time.Second), End: s.Add(2*time.Second + face)},
	}
	if door {
		c.Stages = append(c.Stages, wire.Stage{Name: "door", Start: s.Add(3 * time.Second), End: s.Add(4 * time.Second)})
	}
	c.DeviceMS, c.SoftwareMS = deviceMS, 200
	return c
}

func TestTimings(t *testing.T) {
	s, _ := openTemp(t)
	var cs []wire.Crossing
	// gate-1: 20 crossings of 1.5·i s (i = 1..20), face stage 0.5·i s,
	// a door stage on even i only, devices 100·i ms; stored shuffled.
	for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(20) {
		i++
		cs = append(cs, timed("gate-1", int64(i), time.Duration(i)*time.Minute,
			time.Duration(i)*1500*time.Millisecond, time.Duration(i)*500*time.Millisecond, i%2 == 0, float64(100*i)))
	}
	// gate-2: five crossings, an odd count.
	for i, d := range []time.Duration{3, 9, 4, 7, 30} {
		cs = append(cs, timed("gate-2", int64(i+1), time.Duration(i)*time.Minute, d*time.Second, time.Second, false, 50))
	}
	// Before the window: ignored, however long.
	cs = append(cs, timed("gate-1", 99, -time.Hour, time.Hour, time.Hour, true, 1e6))
	insert(t, s, cs)

	got, err := s.Timings(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Timing{
		// The post over all 25 crossings, not a sum of its gates: sorted,
		// 1.5, 3, 3, 4, 4.5, 6, 7, 7.5, 9, 9, 10.5, 12, 13.5, ... 28.5, 30, 30.
		{Gate: "", Post: "post-north", N: 25,
			MedianS: 13.5, // the 13th
			P95S:    30,   // nearest rank: the ceil(0.95·25) = 24th
			StageMeanS: map[string]float64{
				"document": 2,
				"face":     (0.5*210 + 5*1) / 25.0,
				"door":     1,
			},
			DeviceMeanS: (100*210 + 50*5) / 25.0 / 1000, SoftwareMeanS: 0.2},
		{Gate: "gate-1", Post: "post-north", N: 20,
			MedianS: (15 + 16.5) / 2, // the 10th and 11th of 1.5, 3, ..., 30
			P95S:    28.5,            // nearest rank: the ceil(0.95·20) = 19th
			StageMeanS: map[string]float64{
				"document": 2,
				"face":     0.5 * 10.5, // 0.5 × mean(1..20)
				"door":     1,          // over the 10 crossings with a door stage
			},
			DeviceMeanS: 100 * 10.5 / 1000, SoftwareMeanS: 0.2},
		{Gate: "gate-2", Post: "post-north", N: 5, MedianS: 7, P95S: 30, // ceil(4.75) = 5th of 3, 4, 7, 9, 30
			StageMeanS: map[string]float64{"document": 2, "face": 1}, DeviceMeanS: 0.05, SoftwareMeanS: 0.2},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Gate != w.Gate || g.Post != w.Post || g.N != w.N || !near(g.MedianS, w.MedianS) || !near(g.P95S, w.P95S) ||
			!near(g.DeviceMeanS, w.DeviceMeanS) || !near(g.SoftwareMeanS, w.SoftwareMeanS) || len(g.StageMeanS) != len(w.StageMeanS) {
			t.Fatalf("timing %d:\n got %+v\nwant %+v", i, g, w)
		}
		for name, m := range w.StageMeanS {
			if !near(g.StageMeanS[name], m) {
				t.Fatalf("%s stage %s: %v, want %v", g.Gate, name, g.StageMeanS[name], m)
			}
		}
	}
	// A single crossing is its own median and p95, for its gate and its post.
	one, err := s.Timings(context.Background(), t0.Add(20*time.Minute))
	if err != nil || len(one) != 2 {
		t.Fatalf("last crossing only: %+v err=%v", one, err)
	}
	for _, o := range one {
		if o.N != 1 || !near(o.MedianS, 30) || !near(o.P95S, 30) {
			t.Fatalf("last crossing only: %+v", one)
		}
	}
	if none, err := s.Timings(context.Background(), t0.Add(time.Hour)); err != nil || len(none) != 0 || none == nil {
		t.Fatalf("empty window: %#v err=%v", none, err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestReferralReasons(t *testing.T) {
	s, _ := openTemp(t)
	refer := func(gate string, seq int64, offset time.Duration, checks ...wire.Check) wire.Crossing {
		c := crossing(gate, seq, offset, wire.DecisionRefer)
		if checks != nil {
			c.Checks = checks
		}
		return c
	}
	pass := wire.Check{Name: "mrz", Result: wire.ResultPass}
	expired := wire.Check{Name: "validity", Result: wire.ResultRefer, Reason: "document_expired"}
	face := wire.Check{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch"}
	watch1 := wire.Check{Name: "watchlist-a", Result: wire.ResultAlert, Reason: "watchlist_hit"}
	watch2 := wire.Check{Name: "watchlist-b", Result: wire.ResultAlert, Reason: "watchlist_hit"}
	var cs []wire.Crossing
	seq := int64(0)
	next := func() int64 { seq++; return seq }
	for range 3 {
		cs = append(cs, refer("gate-1", next(), time.Minute)) // face_mismatch (the helper's)
	}
	cs = append(cs,
		refer("gate-1", next(), time.Minute, expired, face),
		refer("gate-1", next(), time.Minute, watch1, watch2, pass), // one crossing, one reason
		refer("gate-1", next(), time.Minute, pass),                 // referred with every check passed
		refer("gate-1", next(), time.Minute, pass),
		refer("gate-1", next(), -time.Minute, expired), // before the window
		refer("gate-2", next(), time.Minute),
	)
	for range 5 {
		cs = append(cs, crossing("gate-1", next(), time.Minute, wire.DecisionPass))
	}
	south := refer("gate-3", next(), time.Minute, expired)
	south.Post = "post-south"
	cs = append(cs, south)
	insert(t, s, cs)

	got, err := s.ReferralReasons(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReasonCount{
		{"gate-1", "post-north", "face_mismatch", 4},
		{"gate-1", "post-north", ReferReasonUnspecified, 2},
		{"gate-1", "post-north", "document_expired", 1},
		{"gate-1", "post-north", "watchlist_hit", 1},
		{"gate-2", "post-north", "face_mismatch", 1},
		{"gate-3", "post-south", "document_expired", 1},
	}
	sort.SliceStable(want, func(i, j int) bool { return want[i].Post < want[j].Post })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// BenchmarkHQ times the dashboard's three queries over 24 h of a 20-gate
// post: 50 000 crossings of six stages each.
func BenchmarkHQ(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 50000
	var batch []wire.Crossing
	for i := range n {
		decision := wire.DecisionPass
		if rng.IntN(10) == 0 {
			decision = wire.DecisionRefer
		}
		c := crossing(fmt.Sprintf("gate-%02d", i%20), int64(i/20+1), time.Duration(rng.Int64N(int64(24*time.Hour))), decision)
		c.EndedAt = c.StartedAt.Add(time.Duration(8000+rng.IntN(10000)) * time.Millisecond)
		c.Stages = nil
		for j, name := range []string{"presence", "document", "chip", "face", "decision", "door"} {
			st := c.StartedAt.Add(time.Duration(j) * time.Second)
			c.Stages = append(c.Stages, wire.Stage{Name: name, Start: st, End: st.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)})
		}
		batch = append(batch, c)
		if len(batch) == 2000 {
			insert(b, s, batch)
			batch = batch[:0]
		}
	}
	ctx := context.Background()
	for _, q := range []struct {
		name string
		run  func() (int, error)
	}{
		{"Throughput", func() (int, error) { r, err := s.Throughput(ctx, t0); return len(r), err }},
		{"Timings", func() (int, error) { r, err := s.Timings(ctx, t0); return len(r), err }},
		{"ReferralReasons", func() (int, error) { r, err := s.ReferralReasons(ctx, t0); return len(r), err }},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if k, err := q.run(); err != nil || k == 0 {
					b.Fatalf("%d rows, err=%v", k, err)
				}
			}
		})
	}
}

// slowSpans is what encoding/json makes of a stages column.
func slowSpans(col string) ([]stageSpan, error) {
	var stages []wire.Stage
	if err := json.Unmarshal([]byte(col), &stages); err != nil {
		return nil, err
	}
	out := []stageSpan{}
	for _, st := range stages {
		out = append(out, stageSpan{st.Name, st.End.Sub(st.Start).Seconds()})
	}
	return out, nil
}

func TestStageSpansReadsWhatEncodeWrites(t *testing.T) {
	east := time.FixedZone("", -(4*3600 + 30*60))
	start := t0.In(east)
	cases := [][]wire.Stage{
		nil,
		{},
		{{Name: "document", Start: start, End: start.Add(1234567891 * time.Nanosecond)}},
		{{Name: "a\"b\\c<é>", Start: start, End: start.Add(time.Second)}, {Name: "", Start: t0, End: t0}},
		{{Name: "negative", Start: start.Add(time.Second), End: start}, {Name: "zero", Start: time.Time{}, End: t0}},
	}
	for i, stages := range cases {
		row, err := encodeCrossing(wire.Crossing{Stages: stages})
		if err != nil {
			t.Fatal(err)
		}
		got, err := stageSpans(row.stages, []stageSpan{{"stale", 1}})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		want := []stageSpan{}
		for _, st := range stages {
			want = append(want, stageSpan{st.Name, st.End.Sub(st.Start).Seconds()})
		}
		if !reflect.DeepEqual(append([]stageSpan{}, got...), want) {
			t.Fatalf("case %d: %s\n got %+v\nwant %+v", i, row.stages, got, want)
		}
	}
	if _, err := stageSpans(`[{"name":"x","start":"yesterday"`, nil); err == nil {
		t.Fatal("a broken column was read")
	}
}

// FuzzStageSpans: the hand reader of the stages column agrees with
// encoding/json on whatever it accepts, and never panics.
func FuzzStageSpans(f *testing.F) {
	row, _ := encodeCrossing(crossing("g", 1, 0, wire.DecisionPass))
	f.Add(row.stages)
	f.Add(`[]`)
	f.Add(`[{"name":"a","start":"2025-03-14T09:26:53Z","end":"2025-03-14T09:26:54.5+01:00"}]`)
	f.Add(`[{"name":"a\u0041","start":"2025-03-14T09:26:53Z","end":"2025-03-14T09:26:53Z"},{"name":"b","start":"2025-03-14T09:26:53Z","end":"2025-03-14T09:26:53Z"}]`)
	f.Fuzz(func(t *testing.T, col string) {
		got, err := stageSpans(col, nil)
		want, werr := slowSpans(col)
		if werr != nil {
			if err == nil {
				t.Fatalf("read %+v from %q, which encoding/json refuses: %v", got, col, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused what encoding/json reads: %q: %v", col, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %+v, encoding/json %+v", col, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: stage %d %+v, encoding/json %+v", col, i, got[i], want[i])
			}
		}
	})
}

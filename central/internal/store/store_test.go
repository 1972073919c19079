package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"autogate/internal/wire"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// crossing builds a valid crossing of gate at t0+offset.
func crossing(gate string, seq int64, offset time.Duration, decision string) wire.Crossing {
	start := t0.Add(offset)
	c := wire.Crossing{
		V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Post: "post-north", Seq: seq,
		Direction: "entry", StartedAt: start, EndedAt: start.Add(13 * time.Second),
		Decision: decision, Door: "exit",
		Document: wire.Document{
			Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO",
			BirthDate: "1974-08-12", Sex: "F", ExpiryDate: "2032-04-15",
		},
		Checks: []wire.Check{
			{Name: "mrz", Result: wire.ResultPass, DurationMS: 1.5},
			{Name: "face", Result: wire.ResultPass, DurationMS: 80},
		},
		Stages: []wire.Stage{
			{Name: "document", Start: start, End: start.Add(4 * time.Second)},
			{Name: "face", Start: start.Add(4 * time.Second), End: start.Add(9 * time.Second)},
		},
		DeviceMS: 12500, SoftwareMS: 180.25,
	}
	if decision == wire.DecisionRefer {
		c.Door = "entrance"
		c.Checks[1] = wire.Check{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch", Message: "score 0.31", DurationMS: 80}
	}
	return c
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestOpenSetsPragmasAndSchema(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	if s.Path() != filepath.Join(dir, FileName) {
		t.Fatalf("Path = %s", s.Path())
	}
	if _, err := os.Stat(s.Path()); err != nil {
		t.Fatalf("database file: %v", err)
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk, sync, busy int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy < 1000 {
		t.Fatalf("busy_timeout = %d, %v", busy, err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != len(migrations) {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	// The foreign key is enforced: a crossing of an unknown gate is refused
	// by the schema itself.
	_, err = s.db.ExecContext(ctx, `INSERT INTO crossings (id, gate, post, seq, direction, started_at, ended_at, decision, door,
		doc_format, doc_code, doc_issuing_state, doc_number, doc_surname, doc_given_names, doc_nationality,
		doc_birth_date, doc_sex, doc_expiry_date, refer_reasons, checks, stages, device_ms, software_ms, received_at, payload)
		VALUES ('x', 'nope', '', 1, '', '', '', 'pass', '', '', '', '', '', '', '', '', '', '', '', '', '[]', '[]', 0, 0, '', '{}')`)
	if err == nil {
		t.Fatal("crossing of an unknown gate was accepted: foreign keys are off")
	}
}

func TestMigrationsTwiceAreHarmless(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	c := crossing("gate-1", 1, 0, wire.DecisionPass)
	if _, _, err := s.InsertCrossings(ctx, []wire.Crossing{c}); err != nil {
		t.Fatal(err)
	}
	// A second Open of the same file (while the first is open) migrates nothing.
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if v, err := s2.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations))
	}
	n, err := s2.Count(ctx, "")
	if err != nil || n != 1 {
		t.Fatalf("after reopen Count = %d, %v; want the 1 crossing kept", n, err)
	}
}

func TestOpenRefusesAFileThatIsNotSQLite(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("this is not a database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a text file as the database")
	}
	t.Logf("error: %v", err)
}

func TestInsertIsIdempotent(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	c := crossing("gate-1", 1, 0, wire.DecisionPass)
	ins, dup, err := s.InsertCrossings(ctx, []wire.Crossing{c})
	if err != nil || ins != 1 || dup != 0 {
		t.Fatalf("first insert: inserted=%d duplicates=%d err=%v", ins, dup, err)
	}
	ins, dup, err = s.InsertCrossings(ctx, []wire.Crossing{c})
	if err != nil || ins != 0 || dup != 1 {
		t.Fatalf("second insert: inserted=%d duplicates=%d err=%v; want 0, 1", ins, dup, err)
	}
	// The same id twice inside one batch.
	c2 := crossing("gate-1", 2, time.Minute, wire.DecisionRefer)
	ins, dup, err = s.InsertCrossings(ctx, []wire.Crossing{c2, c2})
	if err != nil || ins != 1 || dup != 1 {
		t.Fatalf("batch with a repeat: inserted=%d duplicates=%d err=%v; want 1, 1", ins, dup, err)
	}
	if n, _ := s.Count(ctx, "gate-1"); n != 2 {
		t.Fatalf("Count = %d, want 2 rows", n)
	}
	gates, err := s.Gates(ctx)
	if err != nil || len(gates) != 1 {
		t.Fatalf("Gates = %v, %v", gates, err)
	}
	g := gates[0]
	if g.Crossings != 2 || g.Passes != 1 || g.Refers != 1 || g.Duplicates != 2 || g.LastSeq != 2 || g.Post != "post-north" {
		t.Fatalf("gate counters = %+v", g)
	}
	if !g.LastCrossingAt.Equal(c2.EndedAt) {
		t.Fatalf("LastCrossingAt = %s, want %s", g.LastCrossingAt, c2.EndedAt)
	}
	if g.State != StateUnknown {
		t.Fatalf("State = %q before any status, want %q", g.State, StateUnknown)
	}
}

func TestIDHeldByAnotherGateIsAConflict(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	a := crossing("gate-a", 1, 0, wire.DecisionPass)
	b := a
	b.Gate = "gate-b"
	res, err := s.Apply(ctx, Batch{Crossings: []wire.Crossing{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Outcomes, []Outcome{Inserted, Conflict}) {
		t.Fatalf("outcomes = %v", res.Outcomes)
	}
	got, err := s.Crossings(ctx, Query{})
	if err != nil || len(got) != 1 || got[0].Gate != "gate-a" {
		t.Fatalf("stored = %+v, %v; want only gate-a's", got, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.RejectedByReason[ReasonIDConflict] != 1 {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	if _, _, err := s.InsertCrossings(ctx, []wire.Crossing{b}); err == nil {
		t.Fatal("InsertCrossings of a conflicting id returned no error")
	}
}

func TestUnstorableCrossingDoesNotFailTheBatch(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	good := crossing("gate-1", 1, 0, wire.DecisionPass)
	bad := crossing("gate-1", 2, time.Second, wire.DecisionPass)
	bad.EndedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // JSON cannot encode year 10000
	res, err := s.Apply(ctx, Batch{Crossings: []wire.Crossing{bad, good}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !reflect.DeepEqual(res.Outcomes, []Outcome{Unstorable, Inserted}) {
		t.Fatalf("outcomes = %v", res.Outcomes)
	}
	rs, err := s.Rejects(ctx, 10)
	if err != nil || len(rs) != 1 || rs[0].Reason != ReasonUnstorable || rs[0].Gate != "gate-1" {
		t.Fatalf("rejects = %+v, %v", rs, err)
	}
}

func TestCrossingsRoundTripAndQueries(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var all []wire.Crossing
	for i := range 6 {
		gate := "gate-a"
		if i%2 == 1 {
			gate = "gate-b"
		}
		c := crossing(gate, int64(i+1), time.Duration(i)*time.Hour, wire.DecisionPass)
		all = append(all, c)
		time.Sleep(2 * time.Millisecond) // distinct ULID milliseconds, so id order = creation order
	}
	// Delivered out of order: the store must not care.
	shuffled := []wire.Crossing{all[3], all[0], all[5], all[1], all[4], all[2]}
	if ins, _, err := s.InsertCrossings(ctx, shuffled); err != nil || ins != 6 {
		t.Fatalf("insert: %d, %v", ins, err)
	}

	got, err := s.Crossings(ctx, Query{Order: Asc})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("got %d crossings", len(got))
	}
	for i := range got {
		if !reflect.DeepEqual(normal(got[i]), normal(all[i])) {
			t.Fatalf("crossing %d round trip:\n got %+v\nwant %+v", i, got[i], all[i])
		}
	}

	desc, _ := s.Crossings(ctx, Query{})
	if desc[0].ID != all[5].ID || desc[5].ID != all[0].ID {
		t.Fatalf("default order is not newest first")
	}
	onlyB, _ := s.Crossings(ctx, Query{Gate: "gate-b", Order: Asc})
	if ids(onlyB) != ids([]wire.Crossing{all[1], all[3], all[5]}) {
		t.Fatalf("gate filter: %s", ids(onlyB))
	}
	since, _ := s.Crossings(ctx, Query{Since: t0.Add(4 * time.Hour), Order: Asc})
	if ids(since) != ids(all[4:]) {
		t.Fatalf("since filter: %s", ids(since))
	}
	after, _ := s.Crossings(ctx, Query{AfterID: all[2].ID, Order: Asc, Limit: 2})
	if ids(after) != ids(all[3:5]) {
		t.Fatalf("after-id cursor: %s", ids(after))
	}
	if _, err := s.Crossings(ctx, Query{Limit: MaxLimit + 1}); err == nil {
		t.Fatal("limit above MaxLimit accepted")
	}
	if _, err := s.Crossings(ctx, Query{Order: "sideways"}); err == nil {
		t.Fatal("bad order accepted")
	}

	today, err := s.CountsSince(ctx, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if today["gate-a"].Crossings != 2 || today["gate-b"].Crossings != 2 || today["gate-a"].Passes != 2 {
		t.Fatalf("CountsSince = %+v", today)
	}
	has, err := s.Has(ctx, []string{all[0].ID, wire.NewID()})
	if err != nil || len(has) != 2 || !has[all[0].ID] {
		t.Fatalf("Has = %v, %v", has, err)
	}
	for id, ok := range has {
		if id != all[0].ID && ok {
			t.Fatalf("Has claims an unknown id is stored")
		}
	}
}

// normal strips what JSON cannot carry (monotonic clock, location pointer).
func normal(c wire.Crossing) wire.Crossing {
	c.StartedAt = c.StartedAt.UTC().Round(0)
	c.EndedAt = c.EndedAt.UTC().Round(0)
	for i := range c.Stages {
		c.Stages[i].Start = c.Stages[i].Start.UTC().Round(0)
		c.Stages[i].End = c.Stages[i].End.UTC().Round(0)
	}
	return c
}

func ids(cs []wire.Crossing) string {
	var s string
	for _, c := range cs {
		s += c.ID + " "
	}
	return s
}

func TestStatusUpsertAndLastWill(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	online := wire.Status{V: 1, Gate: "gate-1", Post: "post-south", State: wire.StateOnline, Mode: "normal",
		At: t0, Devices: map[string]string{"camera": "ok", "docreader": "ok"}, OutboxDepth: 7, Version: "1.2.3"}
	if err := s.UpsertStatus(ctx, online); err != nil {
		t.Fatal(err)
	}
	g := onlyGate(t, s)
	if g.State != "online" || g.Mode != "normal" || g.OutboxDepth != 7 || g.Post != "post-south" ||
		g.Version != "1.2.3" || !reflect.DeepEqual(g.Devices, online.Devices) || !g.StatusAt.Equal(t0) || g.StatusReceivedAt.IsZero() {
		t.Fatalf("after online: %+v", g)
	}
	// The last will was composed at connect time: older At, no devices.
	will := wire.Status{V: 1, Gate: "gate-1", State: wire.StateOffline, At: t0.Add(-time.Hour)}
	if err := s.UpsertStatus(ctx, will); err != nil {
		t.Fatal(err)
	}
	g = onlyGate(t, s)
	if g.State != "offline" {
		t.Fatalf("state after will = %q, want offline", g.State)
	}
	if g.Mode != "normal" || g.OutboxDepth != 7 || g.Post != "post-south" || len(g.Devices) != 2 {
		t.Fatalf("will wiped the last known details: %+v", g)
	}
	if p, err := s.GatePost(ctx, "gate-1"); err != nil || p != "post-south" {
		t.Fatalf("GatePost(gate-1) = %q, %v", p, err)
	}
	if p, err := s.GatePost(ctx, "gate-unknown"); err != nil || p != "" {
		t.Fatalf("GatePost of an unknown gate = %q, %v", p, err)
	}
}

func onlyGate(t *testing.T, s *Store) Gate {
	t.Helper()
	gates, err := s.Gates(context.Background())
	if err != nil || len(gates) != 1 {
		t.Fatalf("Gates = %+v, %v", gates, err)
	}
	return gates[0]
}

func TestRejectsArePrunedButTotalsKept(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var rs []Reject
	for range KeepRejects + 5 {
		rs = append(rs, Reject{Topic: "autogate/v1/gates/g/crossings", Gate: "g", Reason: "malformed", Error: "bad", Size: 3})
	}
	rs = append(rs, Reject{Topic: "x", Reason: "bad_topic", Error: "not ours"})
	if err := s.RecordRejects(ctx, rs); err != nil {
		t.Fatal(err)
	}
	kept, err := s.Rejects(ctx, 0)
	if err != nil || len(kept) != KeepRejects {
		t.Fatalf("kept %d rejects, %v; want %d", len(kept), err, KeepRejects)
	}
	if kept[0].Reason != "bad_topic" {
		t.Fatalf("newest reject = %+v", kept[0])
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.RejectedByReason["malformed"] != KeepRejects+5 || st.RejectedByReason["bad_topic"] != 1 || st.RejectedTotal != KeepRejects+6 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestApplyIsAllOrNothing(t *testing.T) {
	s, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Apply(ctx, Batch{Crossings: []wire.Crossing{crossing("gate-1", 1, 0, wire.DecisionPass)}})
	if err == nil {
		t.Fatal("Apply with a cancelled context succeeded")
	}
	if n, _ := s.Count(context.Background(), ""); n != 0 {
		t.Fatalf("a failed Apply left %d rows", n)
	}
}

func TestConcurrentWritersWait(t *testing.T) {
	// Two handles on one file, as two processes would have: immediate
	// transactions and the busy timeout make them queue, not fail.
	s1, dir := openTemp(t)
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ctx := context.Background()
	errs := make(chan error, 2)
	for _, s := range []*Store{s1, s2} {
		go func() {
			for i := range 20 {
				if _, _, err := s.InsertCrossings(ctx, []wire.Crossing{crossing("gate-1", int64(i+1), 0, wire.DecisionPass)}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent insert: %v", err)
		}
	}
	if n, _ := s1.Count(ctx, "gate-1"); n != 40 {
		t.Fatalf("Count = %d, want 40", n)
	}
}

func TestOpenPathWithSpacesAndPercent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data dir %20 #x?y")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.InsertCrossings(context.Background(), []wire.Crossing{crossing("g", 1, 0, wire.DecisionPass)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("database not at the expected path: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("stray files beside the data folder: %v", entries)
	}
}

// TestStatusDetailsAndStaleness: what an online status says beyond its
// state (heartbeat, configuration version, free disk, alarms, list
// versions) is kept, the last will does not wipe it, and a gate is stale
// once it says online but its status is three heartbeats old (ten seconds
// standing in for a gate that does not say).
func TestStatusDetailsAndStaleness(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	st := wire.Status{V: 1, Gate: "gate-1", State: wire.StateOnline, At: t0, HeartbeatS: 5, ConfigVersion: 4,
		DiskFreeBytes: 123 << 20, Alarms: []string{"disk_low: 123 MB free"}, Lists: map[string]int64{"persons": 9}}
	if err := s.UpsertStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	g := onlyGate(t, s)
	if g.HeartbeatS != 5 || g.ConfigVersion != 4 || g.DiskFreeBytes != 123<<20 ||
		!reflect.DeepEqual(g.Alarms, st.Alarms) || !reflect.DeepEqual(g.Lists, st.Lists) {
		t.Fatalf("status details not kept: %+v", g)
	}
	recv := g.StatusReceivedAt
	if g.IsStale(recv.Add(15*time.Second)) || g.DisplayState(recv.Add(15*time.Second)) != wire.StateOnline {
		t.Fatal("stale at exactly three heartbeats")
	}
	if !g.IsStale(recv.Add(16*time.Second)) || g.DisplayState(recv.Add(16*time.Second)) != StateStale {
		t.Fatal("not stale after three heartbeats without a status")
	}
	g.HeartbeatS = 0
	if g.IsStale(recv.Add(29*time.Second)) || !g.IsStale(recv.Add(31*time.Second)) {
		t.Fatal("a gate that gives no heartbeat must be judged on 10 s")
	}

	// The last will keeps the details and is never stale: offline is offline.
	if err := s.UpsertStatus(ctx, wire.Status{V: 1, Gate: "gate-1", State: wire.StateOffline, At: t0}); err != nil {
		t.Fatal(err)
	}
	g = onlyGate(t, s)
	if g.State != wire.StateOffline || g.IsStale(recv.Add(time.Hour)) || g.ConfigVersion != 4 || len(g.Alarms) != 1 {
		t.Fatalf("after the last will: %+v", g)
	}
	// A later online status without alarms clears them.
	st.Alarms = nil
	if err := s.UpsertStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	if g = onlyGate(t, s); g.Alarms == nil || len(g.Alarms) != 0 {
		t.Fatalf("alarms %#v, want an empty list", g.Alarms)
	}
	// A gate known only from its crossings has no status: never stale.
	if _, _, err := s.InsertCrossings(ctx, []wire.Crossing{crossing("gate-2", 1, 0, wire.DecisionPass)}); err != nil {
		t.Fatal(err)
	}
	gates, err := s.Gates(ctx)
	if err != nil || len(gates) != 2 || gates[1].IsStale(time.Now().Add(time.Hour)) || gates[1].Lists == nil {
		t.Fatalf("gates %+v, %v", gates, err)
	}
}

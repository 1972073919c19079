package checks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
	"autogate/internal/mrz"
	"autogate/internal/wire"
)

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fixture is a replica loaded with a few hand-made records.
func fixture(t *testing.T, issued time.Time) *replica.Replica {
	t.Helper()
	ctx := context.Background()
	r, err := replica.Open(ctx, filepath.Join(t.TempDir(), replica.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	persons := []lists.Person{
		{ID: "p1", Surname: "Nguyễn", GivenNames: "Văn Đức", BirthDate: "1980-05-12", Nationality: "VNM", Category: lists.CategoryWanted},
		{ID: "p2", Surname: "Müller", GivenNames: "Hans Peter", BirthDate: "1971-00-00", Nationality: "D", Category: lists.CategoryWatch},
		{ID: "p3", Surname: "Иванов", GivenNames: "Сергей", BirthDate: "1990-03-04", Nationality: "RUS", Category: lists.CategoryEntryBan},
	}
	docs := []lists.Document{
		{Number: "X1234567", IssuingState: "UTO", Type: "P", Reason: lists.ReasonStolen},
		{Number: "L7654321", IssuingState: "UTO", Type: "P", Reason: lists.ReasonLost},
	}
	if _, err := r.Import(ctx, persons, docs, issued); err != nil {
		t.Fatal(err)
	}
	return r
}

func lane(t *testing.T, r *replica.Replica, direction string, edit func(*config.Policy)) Lists {
	t.Helper()
	p := config.DefaultPolicy(direction)
	if edit != nil {
		edit(&p)
	}
	m := NewMonitor(r, 24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if r != nil {
		m.Verify(context.Background())
	}
	return Lists{Replica: r, Monitor: m, Policy: p, Direction: direction}
}

// traveller is an MRZ as the document stage hands it on.
func traveller(surname, given, birth, nationality, number string) flow.Input {
	return flow.Input{Now: now, MRZ: mrz.Document{
		Valid: true, DocumentCode: "P", IssuingState: nationality, DocumentNumber: number,
		Surname: surname, GivenNames: given, BirthDate: birth, Nationality: nationality,
	}}
}

// run runs every check and returns the results by check name.
func run(t *testing.T, l Lists, in flow.Input) map[string]wire.Check {
	t.Helper()
	out := map[string]wire.Check{}
	for _, c := range l.Checks() {
		for _, r := range c.Run(context.Background(), in) {
			if r.DurationMS < 0 {
				t.Errorf("%s: negative duration", r.Name)
			}
			out[r.Name] = r
		}
	}
	return out
}

func expect(t *testing.T, got map[string]wire.Check, check, result, reason string) {
	t.Helper()
	c, ok := got[check]
	if !ok {
		t.Fatalf("no %s check ran; got %v", check, got)
	}
	if c.Result != result || c.Reason != reason {
		t.Fatalf("%s = %s/%q (%s), want %s/%q", check, c.Result, c.Reason, c.Message, result, reason)
	}
}

func TestDocumentList(t *testing.T) {
	l := lane(t, fixture(t, now), "entry", nil)
	got := run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "X1234567"))
	expect(t, got, "document_list", wire.ResultAlert, ReasonDocumentStolen)
	expect(t, got, "lists_replica", wire.ResultPass, "")
	got = run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "L7654321"))
	expect(t, got, "document_list", wire.ResultRefer, ReasonDocumentLost)
	got = run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "L7654322"))
	expect(t, got, "document_list", wire.ResultPass, "")
	// The same number from another issuing state is another document.
	got = run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "X1234567"))
	expect(t, got, "document_list", wire.ResultPass, "")
}

func TestWatchlistActions(t *testing.T) {
	r := fixture(t, now)
	entry, exit := lane(t, r, "entry", nil), lane(t, r, "exit", nil)
	wanted := traveller("NGUYEN", "VAN DUC", "1980-05-12", "VNM", "C0000001")
	got := run(t, entry, wanted)
	expect(t, got, "watchlist", wire.ResultAlert, ReasonWanted)
	if m := got["watchlist"].Message; !strings.Contains(m, "Nguyễn") || got["watchlist"].Scores["name_score"] < 0.85 {
		t.Fatalf("the officer must see the record and the score: %q %v", m, got["watchlist"].Scores)
	}
	// Watch only: admitted, the hit travels with the crossing.
	got = run(t, entry, traveller("MUELLER", "HANS PETER", "1971-08-30", "D", "C0000002"))
	expect(t, got, "watchlist", wire.ResultPass, ReasonWatch)
	// An entry ban refers at entry and only notifies at exit.
	ivanov := traveller("IVANOV", "SERGEI", "1990-03-04", "RUS", "C0000003")
	expect(t, run(t, entry, ivanov), "watchlist", wire.ResultRefer, ReasonEntryBan)
	expect(t, run(t, exit, ivanov), "watchlist", wire.ResultPass, ReasonEntryBan)
	// A near miss: the wanted person's name, born on another day.
	got = run(t, entry, traveller("NGUYEN", "VAN DUC", "1980-11-02", "VNM", "C0000004"))
	expect(t, got, "watchlist", wire.ResultPass, "")
}

func TestMinors(t *testing.T) {
	l := lane(t, fixture(t, now), "entry", nil)
	expect(t, run(t, l, traveller("DOE", "JANE", "2015-02-02", "UTO", "C1")), "minor", wire.ResultRefer, ReasonMinor)
	expect(t, run(t, l, traveller("DOE", "JANE", "2008-11-24", "UTO", "C1")), "minor", wire.ResultPass, "")
	expect(t, run(t, l, traveller("DOE", "JANE", "2008-11-25", "UTO", "C1")), "minor", wire.ResultRefer, ReasonMinor)
	// An unknown day and month count as the youngest possible: 18 only on 31 December.
	expect(t, run(t, l, traveller("DOE", "JANE", "2008-00-00", "UTO", "C1")), "minor", wire.ResultRefer, ReasonMinor)
	expect(t, run(t, l, traveller("DOE", "JANE", "2007-00-00", "UTO", "C1")), "minor", wire.ResultPass, "")
	off := lane(t, fixture(t, now), "entry", func(p *config.Policy) { zero := 0; p.MinorAge = &zero })
	if _, ran := run(t, off, traveller("DOE", "JANE", "2015-02-02", "UTO", "C1"))["minor"]; ran {
		t.Fatal("minor_age = 0 must switch the age rule off")
	}
}

func TestNationality(t *testing.T) {
	l := lane(t, fixture(t, now), "entry", func(p *config.Policy) { p.Nationalities = []string{"UTO", "VNM"} })
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "C1")), "nationality", wire.ResultRefer, ReasonNationality)
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "VNM", "C1")), "nationality", wire.ResultPass, "")
}

func TestVisas(t *testing.T) {
	ctx := context.Background()
	r := fixture(t, now)
	apply(t, r, lists.ListVisas, []lists.Op{
		{Op: lists.OpAdd, Key: "v-valid", Visa: &lists.Visa{ID: "v-valid", DocumentNumber: "A1", IssuingState: "ATL", Kind: lists.KindVisa, ValidFrom: "2026-01-01", ValidUntil: "2027-01-01"}},
		{Op: lists.OpAdd, Key: "v-old", Visa: &lists.Visa{ID: "v-old", DocumentNumber: "A2", IssuingState: "ATL", Kind: lists.KindVisa, ValidFrom: "2024-01-01", ValidUntil: "2025-01-01"}},
		{Op: lists.OpAdd, Key: "v-single", Visa: &lists.Visa{ID: "v-single", DocumentNumber: "A3", IssuingState: "ATL", Kind: lists.KindVisa, ValidFrom: "2026-06-01", ValidUntil: "2027-06-01", Entries: 1}},
	})
	if err := r.RecordMovement(ctx, lists.Movement{ID: "m1", DocumentNumber: "A3", IssuingState: "ATL", Direction: lists.DirectionEntry, At: now.AddDate(0, -2, 0), Gate: "g1"}); err != nil {
		t.Fatal(err)
	}
	l := lane(t, r, "entry", func(p *config.Policy) { p.VisaRequired = []string{"ATL"}; p.Citizens = []string{"UTO"} })
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "A1")), "visa", wire.ResultPass, "")
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "A2")), "visa", wire.ResultRefer, ReasonVisaExpired)
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "A3")), "visa", wire.ResultRefer, ReasonVisaEntriesUsed)
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "ATL", "A4")), "visa", wire.ResultRefer, ReasonVisaMissing)
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "A4")), "visa", wire.ResultPass, "")
}

// apply applies one delta moving list on by one version.
func apply(t *testing.T, r *replica.Replica, list string, ops []lists.Op) {
	t.Helper()
	ctx := context.Background()
	st, err := r.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var from int64
	for _, s := range st {
		if s.List == list {
			from = s.Version
		}
	}
	if _, err := r.Apply(ctx, lists.Delta{V: 1, List: list, From: from, To: from + 1, IssuedAt: now, Ops: ops}); err != nil {
		t.Fatal(err)
	}
}

func TestStayAndSequence(t *testing.T) {
	ctx := context.Background()
	r := fixture(t, now)
	move := func(id, number, dir string, at time.Time) {
		if err := r.RecordMovement(ctx, lists.Movement{ID: id, DocumentNumber: number, IssuingState: "ATL", Direction: dir, At: at, Gate: "g"}); err != nil {
			t.Fatal(err)
		}
	}
	move("m1", "S1", lists.DirectionEntry, now.AddDate(0, 0, -100))
	move("m2", "S2", lists.DirectionEntry, now.AddDate(0, 0, -30))
	move("m3", "S3", lists.DirectionEntry, now.AddDate(0, -6, 0))
	move("m4", "S3", lists.DirectionExit, now.AddDate(0, -5, 0))
	seq := func(p *config.Policy) {
		p.Sequence = "foreigners"
		p.Citizens = []string{"UTO"}
		p.VisaFreeStayDays = 90
	}
	exit, entry := lane(t, r, "exit", seq), lane(t, r, "entry", seq)
	p := func(number, nationality string) flow.Input {
		in := traveller("DOE", "JOHN", "1970-01-01", nationality, number)
		in.MRZ.IssuingState = "ATL"
		return in
	}
	expect(t, run(t, exit, p("S1", "ATL")), "stay", wire.ResultRefer, ReasonOverstay)
	expect(t, run(t, exit, p("S2", "ATL")), "stay", wire.ResultPass, "")
	expect(t, run(t, exit, p("S2", "ATL")), "sequence", wire.ResultPass, "")
	expect(t, run(t, exit, p("S3", "ATL")), "sequence", wire.ResultRefer, ReasonNoEntryRecorded)
	expect(t, run(t, exit, p("S9", "ATL")), "sequence", wire.ResultRefer, ReasonNoEntryRecorded)
	expect(t, run(t, entry, p("S2", "ATL")), "sequence", wire.ResultRefer, ReasonDoubleEntry)
	expect(t, run(t, entry, p("S3", "ATL")), "sequence", wire.ResultPass, "")
	// Citizens are exempt under "foreigners".
	expect(t, run(t, exit, p("S9", "UTO")), "sequence", wire.ResultPass, "")
}

func TestRegistration(t *testing.T) {
	r := fixture(t, now)
	apply(t, r, lists.ListRegistered, []lists.Op{
		{Op: lists.OpAdd, Key: "UTO/B1", Registered: &lists.Registered{DocumentNumber: "B1", IssuingState: "UTO", Programme: "border_pass", ValidUntil: "2027-01-01"}},
		{Op: lists.OpAdd, Key: "UTO/B2", Registered: &lists.Registered{DocumentNumber: "B2", IssuingState: "UTO", Programme: "border_pass", ValidUntil: "2026-01-01"}},
	})
	l := lane(t, r, "entry", func(p *config.Policy) { p.RegistrationRequired = []string{"AC"} })
	pass := func(number string) flow.Input {
		in := traveller("DOE", "JOHN", "1970-01-01", "UTO", number)
		in.MRZ.DocumentCode = "AC"
		return in
	}
	expect(t, run(t, l, pass("B1")), "registration", wire.ResultPass, "")
	expect(t, run(t, l, pass("B2")), "registration", wire.ResultRefer, ReasonNotRegistered)
	expect(t, run(t, l, pass("B3")), "registration", wire.ResultRefer, ReasonNotRegistered)
	// A passport holder needs no registration.
	expect(t, run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "B3")), "registration", wire.ResultPass, "")
}

func TestReferEveryoneWhenTheReplicaIsUnfit(t *testing.T) {
	in := traveller("DOE", "JOHN", "1970-01-01", "UTO", "C1")
	// Stale: the watchlists were issued two days ago; the policy allows one.
	expect(t, run(t, lane(t, fixture(t, now.Add(-48*time.Hour)), "entry", nil), in), "lists_replica", wire.ResultRefer, ReasonReplicaStale)
	// Never loaded.
	r, err := replica.Open(context.Background(), filepath.Join(t.TempDir(), replica.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	expect(t, run(t, lane(t, r, "entry", nil), in), "lists_replica", wire.ResultRefer, ReasonReplicaEmpty)
	// Not verified yet.
	fresh := fixture(t, now)
	m := NewMonitor(fresh, 24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	m.Refresh(context.Background())
	l := Lists{Replica: fresh, Monitor: m, Policy: config.DefaultPolicy("entry"), Direction: "entry"}
	expect(t, run(t, l, in), "lists_replica", wire.ResultRefer, ReasonReplicaUnverified)
	// Damaged: a query failed; the next passing integrity check clears it.
	m.Verify(context.Background())
	expect(t, run(t, l, in), "lists_replica", wire.ResultPass, "")
	// A policy from central that allows less age makes a replica stale.
	older := fixture(t, now.Add(-2*time.Hour))
	m2 := NewMonitor(older, 24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	m2.Verify(context.Background())
	l2 := Lists{Replica: older, Monitor: m2, Policy: config.DefaultPolicy("entry"), Direction: "entry"}
	expect(t, run(t, l2, in), "lists_replica", wire.ResultPass, "")
	m2.SetMaxAge(time.Hour)
	expect(t, run(t, l2, in), "lists_replica", wire.ResultRefer, ReasonReplicaStale)
	m.Damaged(errors.New("database disk image is malformed"))
	expect(t, run(t, l, in), "lists_replica", wire.ResultRefer, ReasonReplicaDamaged)
	m.Verify(context.Background())
	expect(t, run(t, l, in), "lists_replica", wire.ResultPass, "")
	// No replica at all (it could not be opened): only the refer check runs.
	none := lane(t, nil, "entry", nil)
	none.Monitor.Damaged(errors.New("file is not a database"))
	got := run(t, none, in)
	expect(t, got, "lists_replica", wire.ResultRefer, ReasonReplicaDamaged)
	if len(got) != 1 {
		t.Fatalf("without a replica only the refer-everyone check may run, got %v", got)
	}
}

func TestAQueryFailureRefersAndAlarms(t *testing.T) {
	r := fixture(t, now)
	l := lane(t, r, "entry", nil)
	r.Close() // every query now fails
	got := run(t, l, traveller("DOE", "JOHN", "1970-01-01", "UTO", "C1"))
	expect(t, got, "document_list", wire.ResultRefer, ReasonListUnavailable)
	if h := l.Monitor.Health(now); h.OK || h.Reason != ReasonReplicaDamaged {
		t.Fatalf("health after a failed query = %+v, want damaged", h)
	}
}

package replica

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"autogate/internal/lists"
	"autogate/internal/lists/synth"
	"autogate/internal/sqlitedb"
)

func TestOpenFreshFileMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	r, path := openTemp(t)
	v, err := sqlitedb.Version(ctx, r.db)
	if err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
	}
	vs, err := r.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(lists.Names) {
		t.Fatalf("%d lists, want %d", len(vs), len(lists.Names))
	}
	for i, s := range vs {
		if s.List != lists.Names[i] || s.Version != 0 || s.Count != 0 || !s.IssuedAt.IsZero() {
			t.Errorf("fresh list %d = %+v, want %s at version 0, empty", i, s, lists.Names[i])
		}
	}
	if err := r.Verify(ctx); err != nil {
		t.Fatalf("fresh replica fails Verify: %v", err)
	}
	mustApply(t, r, delta(lists.ListDocuments, 0, docOp(lists.OpAdd, lists.Document{IssuingState: "UTO", Number: "L898902C3", Type: "P", Reason: lists.ReasonStolen})))
	r.Close()
	r2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer r2.Close()
	if s := status(t, r2, lists.ListDocuments); s.Version != 1 || s.Count != 1 || !s.IssuedAt.Equal(issued) || s.AppliedAt.IsZero() {
		t.Fatalf("after reopening: %+v, want version 1 with 1 record issued %v", s, issued)
	}
}

func TestApplyDocumentsAddChangeRemove(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	a := lists.Document{IssuingState: "UTO", Number: "L898902C3", Type: "P", Reason: lists.ReasonLost}
	b := lists.Document{IssuingState: "D", Number: "C01X00T47", Type: "ID", Reason: lists.ReasonStolen}
	c := lists.Document{IssuingState: "FRA", Number: "12AB34567", Type: "P", Reason: lists.ReasonRevoked}
	got := mustApply(t, r, delta(lists.ListDocuments, 0, docOp(lists.OpAdd, a), docOp(lists.OpAdd, b), docOp(lists.OpAdd, c)))
	if got.List != lists.ListDocuments || got.From != 0 || got.To != 1 || got.Added != 3 || got.Changed != 0 || got.Removed != 0 || got.Duration <= 0 {
		t.Fatalf("Applied = %+v, want 0→1 with 3 added", got)
	}
	a.Reason = lists.ReasonStolen
	got = mustApply(t, r, delta(lists.ListDocuments, 1, docOp(lists.OpChange, a), docOp(lists.OpRemove, b)))
	if got.From != 1 || got.To != 2 || got.Added != 0 || got.Changed != 1 || got.Removed != 1 {
		t.Fatalf("Applied = %+v, want 1→2 with 1 changed, 1 removed", got)
	}
	for _, want := range []lists.Document{a, c} {
		d, err := r.FindDocument(ctx, want.IssuingState, want.Number)
		if err != nil || d == nil || *d != want {
			t.Errorf("FindDocument(%s) = %+v, %v; want %+v", want.Number, d, err, want)
		}
	}
	if d, err := r.FindDocument(ctx, b.IssuingState, b.Number); d != nil || err != nil {
		t.Errorf("removed document still found: %+v, %v", d, err)
	}
	if s := status(t, r, lists.ListDocuments); s.Version != 2 || s.Count != 2 {
		t.Fatalf("status %+v, want version 2 with 2 records", s)
	}
	mustVerify(t, r)
}

func TestFindDocumentNormalisesTheNumber(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	mustApply(t, r, delta(lists.ListDocuments, 0,
		docOp(lists.OpAdd, lists.Document{IssuingState: "UTO", Number: "L898902C3", Type: "P", Reason: lists.ReasonLost}),
		docOp(lists.OpAdd, lists.Document{IssuingState: "D", Number: "C01X00T47", Type: "ID", Reason: lists.ReasonLost})))
	for _, q := range []struct{ state, number string }{
		{"UTO", "L898902C3"}, {"uto", "l898902c3"}, {" UTO", "L898902C3<"}, {"UTO<", " L898-902 C3 "},
	} {
		d, err := r.FindDocument(ctx, q.state, q.number)
		if err != nil || d == nil {
			t.Errorf("FindDocument(%q, %q) = %v, %v; want the stored document", q.state, q.number, d, err)
			continue
		}
		if d.Number != "L898902C3" || d.IssuingState != "UTO" {
			t.Errorf("FindDocument(%q, %q) returned key %s/%s", q.state, q.number, d.IssuingState, d.Number)
		}
	}
	// The MRZ writes Germany "D<<"; a list typed DEU is canonicalised to D.
	for _, state := range []string{"D", "D<<", "DEU", "d"} {
		if d, err := r.FindDocument(ctx, state, "c01x00t47"); err != nil || d == nil {
			t.Errorf("FindDocument(%q, c01x00t47) = %v, %v; want the German document", state, d, err)
		}
	}
	if d, _ := r.FindDocument(ctx, "D", "L898902C3"); d != nil {
		t.Errorf("another state's document of the same number matched: %+v", d)
	}
	// A remove names the number as central wrote it, normalised the same way.
	mustApply(t, r, delta(lists.ListDocuments, 1, lists.Op{Op: lists.OpRemove, Key: "UTO/L898902C3"}))
	if d, _ := r.FindDocument(ctx, "UTO", "L898902C3"); d != nil {
		t.Errorf("document found after its removal: %+v", d)
	}
}

func TestGapReplayAndFullResync(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	g := synth.New(1)
	docs := synthDocuments(g, 0, 10)
	mustApply(t, r, delta(lists.ListDocuments, 0, addOps(docs[:5], docOp)...))
	mustApply(t, r, delta(lists.ListDocuments, 1, addOps(docs[5:8], docOp)...))

	_, err := r.Apply(ctx, delta(lists.ListDocuments, 0, addOps(docs[8:], docOp)...))
	var replay *ReplayError
	if !errors.As(err, &replay) || replay.Have != 2 || replay.DeltaTo != 1 {
		t.Fatalf("replaying 0→1: err = %v, want *ReplayError{Have: 2, DeltaTo: 1}", err)
	}
	_, err = r.Apply(ctx, delta(lists.ListDocuments, 3, addOps(docs[8:], docOp)...))
	var gap *GapError
	if !errors.As(err, &gap) || gap.List != lists.ListDocuments || gap.Have != 2 || gap.DeltaFrom != 3 {
		t.Fatalf("applying 3→4 on version 2: err = %v, want *GapError{documents, 2, 3}", err)
	}
	if _, err := r.Apply(ctx, full(lists.ListDocuments, 2, addOps(docs[8:], docOp)...)); !errors.As(err, &replay) {
		t.Fatalf("full resync to the version in force: err = %v, want *ReplayError", err)
	}
	if s := status(t, r, lists.ListDocuments); s.Version != 2 || s.Count != 8 {
		t.Fatalf("refused deltas changed the list: %+v", s)
	}

	a := mustApply(t, r, full(lists.ListDocuments, 7, addOps(docs[8:], docOp)...))
	if a.From != 2 || a.To != 7 || a.Added != 2 {
		t.Fatalf("full resync Applied = %+v, want 2→7 with 2 added", a)
	}
	if s := status(t, r, lists.ListDocuments); s.Version != 7 || s.Count != 2 || rowCount(t, r, "documents") != 2 {
		t.Fatalf("after full resync: %+v, %d rows; want version 7 with 2", s, rowCount(t, r, "documents"))
	}
	if d, _ := r.FindDocument(ctx, docs[0].IssuingState, docs[0].Number); d != nil {
		t.Error("a document the full resync left out is still found")
	}
	// The next ordinary delta follows the resync's version.
	mustApply(t, r, delta(lists.ListDocuments, 7, docOp(lists.OpRemove, docs[8])))
	// Other lists are untouched by all this.
	if s := status(t, r, lists.ListPersons); s.Version != 0 {
		t.Fatalf("persons moved to version %d", s.Version)
	}
}

// Each delta below holds good operations and one bad one: nothing of it may stay.
func TestBadOperationRollsBackTheWholeDelta(t *testing.T) {
	ctx := context.Background()
	g := synth.New(2)
	docs := synthDocuments(g, 0, 6)
	visa := func(id string) lists.Visa {
		return lists.Visa{ID: id, DocumentNumber: "X1", IssuingState: "UTO", Kind: lists.KindVisa, ValidFrom: "2026-01-01", ValidUntil: "2026-12-31"}
	}
	reg := func(n string) lists.Registered {
		return lists.Registered{DocumentNumber: n, IssuingState: "UTO", Programme: "border_pass", ValidUntil: "2027-01-01"}
	}
	mov := func(id string) lists.Movement {
		return lists.Movement{ID: id, DocumentNumber: "X1", IssuingState: "UTO", Direction: lists.DirectionEntry, At: issued, Gate: "g1"}
	}
	cases := []struct {
		name  string
		seed  lists.Delta // applied first, 0→1
		bad   lists.Delta // 1→2, must fail
		table string
	}{
		{"documents add existing", delta(lists.ListDocuments, 0, addOps(docs[:3], docOp)...),
			delta(lists.ListDocuments, 1, docOp(lists.OpAdd, docs[3]), docOp(lists.OpRemove, docs[0]), docOp(lists.OpAdd, docs[1]), docOp(lists.OpAdd, docs[4])), "documents"},
		{"documents change missing", delta(lists.ListDocuments, 0, addOps(docs[:3], docOp)...),
			delta(lists.ListDocuments, 1, docOp(lists.OpAdd, docs[3]), docOp(lists.OpChange, docs[5])), "documents"},
		{"documents remove missing", delta(lists.ListDocuments, 0, addOps(docs[:3], docOp)...),
			delta(lists.ListDocuments, 1, docOp(lists.OpRemove, docs[0]), docOp(lists.OpRemove, docs[5])), "documents"},
		{"visas add existing", delta(lists.ListVisas, 0, visaOp(lists.OpAdd, visa("v1"))),
			delta(lists.ListVisas, 1, visaOp(lists.OpAdd, visa("v2")), visaOp(lists.OpAdd, visa("v1"))), "visas"},
		{"visas change missing", delta(lists.ListVisas, 0, visaOp(lists.OpAdd, visa("v1"))),
			delta(lists.ListVisas, 1, visaOp(lists.OpRemove, visa("v1")), visaOp(lists.OpChange, visa("v9"))), "visas"},
		{"registered remove missing", delta(lists.ListRegistered, 0, registeredOp(lists.OpAdd, reg("A1"))),
			delta(lists.ListRegistered, 1, registeredOp(lists.OpAdd, reg("A2")), registeredOp(lists.OpRemove, reg("A9"))), "registered"},
		{"movements add existing", delta(lists.ListMovements, 0, movementOp(lists.OpAdd, mov("m1"))),
			delta(lists.ListMovements, 1, movementOp(lists.OpAdd, mov("m2")), movementOp(lists.OpAdd, mov("m1"))), "movements"},
		{"persons add existing", delta(lists.ListPersons, 0, addOps(synthPersons(g, 0, 3), personOp)...),
			delta(lists.ListPersons, 1, personOp(lists.OpAdd, g.Person(5)), personOp(lists.OpRemove, g.Person(1)), personOp(lists.OpAdd, lists.Person{ID: g.Person(2).ID, Surname: "X", BirthDate: "1970-01-01", Category: lists.CategoryWatch})), "persons"},
		{"persons change missing", delta(lists.ListPersons, 0, addOps(synthPersons(g, 0, 3), personOp)...),
			delta(lists.ListPersons, 1, personOp(lists.OpAdd, g.Person(6)), personOp(lists.OpChange, g.Person(7))), "persons"},
		{"persons remove missing", delta(lists.ListPersons, 0, addOps(synthPersons(g, 0, 3), personOp)...),
			delta(lists.ListPersons, 1, personOp(lists.OpRemove, g.Person(0)), lists.Op{Op: lists.OpRemove, Key: "nobody"}), "persons"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := openTemp(t)
			mustApply(t, r, tc.seed)
			before := snapshot(t, r)
			_, err := r.Apply(ctx, tc.bad)
			var opErr *OpError
			if !errors.As(err, &opErr) || opErr.List != tc.bad.List {
				t.Fatalf("err = %v, want an *OpError of list %s", err, tc.bad.List)
			}
			if after := snapshot(t, r); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused delta changed the replica:\nbefore %v\nafter  %v", before, after)
			}
			if s := status(t, r, tc.bad.List); s.Version != 1 || s.Count != rowCount(t, r, tc.table) {
				t.Fatalf("status %+v after the refused delta, want version 1", s)
			}
			mustVerify(t, r)
		})
	}
}

// snapshot counts the rows of every table and reads the version rows.
func snapshot(t *testing.T, r *Replica) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, table := range []string{"documents", "persons", "person_names", "name_keys", "visas", "registered", "movements"} {
		out[table] = rowCount(t, r, table)
	}
	vs, err := r.Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out["versions"] = vs
	return out
}

func TestVisasAndRegistrationLookups(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	v1 := lists.Visa{ID: "v1", DocumentNumber: "X123", IssuingState: "UTO", Kind: lists.KindVisa, ValidFrom: "2026-05-01", ValidUntil: "2026-06-01", Entries: 1, StayDays: 30}
	v2 := lists.Visa{ID: "v2", DocumentNumber: "X123", IssuingState: "UTO", Kind: lists.KindResidencePermit, ValidFrom: "2025-01-01", ValidUntil: "2030-01-01"}
	v3 := lists.Visa{ID: "v3", DocumentNumber: "X123", IssuingState: "D", Kind: lists.KindVisa, ValidFrom: "2026-01-01", ValidUntil: "2026-02-01"}
	mustApply(t, r, delta(lists.ListVisas, 0, visaOp(lists.OpAdd, v1), visaOp(lists.OpAdd, v2), visaOp(lists.OpAdd, v3)))
	got, err := r.Visas(ctx, "UTO", "x123")
	if err != nil || !reflect.DeepEqual(got, []lists.Visa{v2, v1}) {
		t.Fatalf("Visas = %+v, %v; want v2 then v1", got, err)
	}
	v1.Entries = 2
	mustApply(t, r, delta(lists.ListVisas, 1, visaOp(lists.OpChange, v1), visaOp(lists.OpRemove, v2)))
	if got, _ := r.Visas(ctx, "UTO", "X123"); !reflect.DeepEqual(got, []lists.Visa{v1}) {
		t.Fatalf("Visas after change and remove = %+v, want only v1 with 2 entries", got)
	}
	if got, _ := r.Visas(ctx, "UTO", "NOPE"); len(got) != 0 {
		t.Fatalf("Visas of an unknown document = %+v", got)
	}

	g := lists.Registered{DocumentNumber: "X123", IssuingState: "UTO", Programme: "border_pass", ValidUntil: "2027-01-01"}
	mustApply(t, r, delta(lists.ListRegistered, 0, registeredOp(lists.OpAdd, g)))
	if got, err := r.Registration(ctx, "UTO", "X123"); err != nil || got == nil || *got != g {
		t.Fatalf("Registration = %+v, %v; want %+v", got, err, g)
	}
	g.ValidUntil = "2028-01-01"
	mustApply(t, r, delta(lists.ListRegistered, 1, registeredOp(lists.OpChange, g)))
	if got, _ := r.Registration(ctx, "UTO", "X123"); got == nil || got.ValidUntil != "2028-01-01" {
		t.Fatalf("Registration after change = %+v", got)
	}
	if got, err := r.Registration(ctx, "D", "X123"); got != nil || err != nil {
		t.Fatalf("Registration of another state's document = %+v, %v", got, err)
	}
}

func TestImportUpsertIsIdempotent(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	g := synth.New(3)
	persons := synthPersons(g, 0, 40)
	for i := range persons[:10] {
		persons[i].ID = "" // gets lists.PersonID
	}
	docs := synthDocuments(g, 0, 300)
	for round := int64(1); round <= 2; round++ {
		applied, err := r.Import(ctx, persons, docs, issued)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 2 {
			t.Fatalf("round %d: %d lists applied, want persons and documents", round, len(applied))
		}
		for _, a := range applied {
			n := map[string]int64{lists.ListPersons: 40, lists.ListDocuments: 300}[a.List]
			wantAdded, wantChanged := n, int64(0)
			if round == 2 {
				wantAdded, wantChanged = 0, n
			}
			if a.From != round-1 || a.To != round || a.Added != wantAdded || a.Changed != wantChanged {
				t.Errorf("round %d: %+v, want %d→%d with %d added, %d changed", round, a, round-1, round, wantAdded, wantChanged)
			}
			if s := status(t, r, a.List); s.Version != round || s.Count != n {
				t.Errorf("round %d: %+v, want version %d with %d records", round, s, round, n)
			}
		}
		if rowCount(t, r, "persons") != 40 || rowCount(t, r, "documents") != 300 {
			t.Fatalf("round %d: %d persons, %d documents stored", round, rowCount(t, r, "persons"), rowCount(t, r, "documents"))
		}
	}
	// A changed record in a later import replaces the stored one.
	docs[7].Reason = map[bool]string{true: lists.ReasonLost, false: lists.ReasonRevoked}[docs[7].Reason != lists.ReasonLost]
	applied, err := r.Import(ctx, nil, docs[7:8], issued)
	if err != nil || len(applied) != 1 || applied[0].Changed != 1 || applied[0].To != 3 {
		t.Fatalf("re-importing one changed document: %+v, %v", applied, err)
	}
	if d, _ := r.FindDocument(ctx, docs[7].IssuingState, docs[7].Number); d == nil || d.Reason != docs[7].Reason {
		t.Fatalf("changed document reads %+v, want reason %s", d, docs[7].Reason)
	}
	if s := status(t, r, lists.ListPersons); s.Version != 2 {
		t.Fatalf("persons moved to version %d by an import without persons", s.Version)
	}
	// The same key twice in one import: the later record wins, counted once.
	dup := docs[0]
	dup.Type = "ID"
	applied, err = r.Import(ctx, nil, []lists.Document{docs[0], dup}, issued)
	if err != nil || applied[0].Changed != 1 || applied[0].Added != 0 {
		t.Fatalf("importing one key twice: %+v, %v", applied, err)
	}
	if d, _ := r.FindDocument(ctx, dup.IssuingState, dup.Number); d == nil || d.Type != "ID" {
		t.Fatalf("document imported twice reads %+v, want the later type ID", d)
	}
	mustVerify(t, r)
}

func TestRecordMovementAndMovements(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	t0 := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	mk := func(id string, minutes int, dir string) lists.Movement {
		return lists.Movement{ID: id, DocumentNumber: "X123", IssuingState: "UTO", Direction: dir, At: t0.Add(time.Duration(minutes) * time.Minute), Gate: "g1"}
	}
	central := []lists.Movement{mk("c1", 0, lists.DirectionEntry), mk("c2", 60, lists.DirectionExit)}
	mustApply(t, r, delta(lists.ListMovements, 0, addOps(central, movementOp)...))
	own := mk("own1", 120, lists.DirectionEntry)
	if err := r.RecordMovement(ctx, own); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordMovement(ctx, own); err != nil {
		t.Fatalf("recording the same crossing twice: %v", err)
	}
	got, err := r.Movements(ctx, "UTO", "X123", t0, 0)
	want := []lists.Movement{own, central[1], central[0]}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Movements = %+v, %v\nwant %+v", got, err, want)
	}
	if got, _ := r.Movements(ctx, "UTO", "X123", t0.Add(time.Minute), 1); !reflect.DeepEqual(got, want[:1]) {
		t.Fatalf("Movements since t0+1m, limit 1 = %+v, want the newest only", got)
	}
	if got, _ := r.Movements(ctx, "UTO", "X123", t0.Add(30*time.Minute), 0); len(got) != 2 {
		t.Fatalf("Movements since t0+30m = %+v, want 2", got)
	}
	s := status(t, r, lists.ListMovements)
	if s.Version != 1 || s.Count != 2 || s.Local != 1 {
		t.Fatalf("status after a local movement %+v, want version 1, 2 from central, 1 local", s)
	}
	// Central sends the gate's own crossing back as an add: it becomes central's.
	a := mustApply(t, r, delta(lists.ListMovements, 1, movementOp(lists.OpAdd, own), movementOp(lists.OpAdd, mk("c3", 180, lists.DirectionExit))))
	if a.Added != 1 || a.Changed != 1 {
		t.Fatalf("Applied %+v, want c3 added and the gate's own crossing changed", a)
	}
	if s := status(t, r, lists.ListMovements); s.Count != 4 || s.Local != 0 {
		t.Fatalf("status after central adopted it: %+v, want 4 from central, none local", s)
	}
	mustVerify(t, r)
}

func TestPurgeMovementsThenCentralRemovesThem(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recent := old.AddDate(0, 2, 0)
	// Crossing ids are ULIDs, which carry their time.
	oldID, recentID := crossingID(old, 1), crossingID(recent, 1)
	mk := func(id string, at time.Time) lists.Movement {
		return lists.Movement{ID: id, DocumentNumber: "X1", IssuingState: "UTO", Direction: lists.DirectionEntry, At: at, Gate: "g1"}
	}
	mustApply(t, r, delta(lists.ListMovements, 0, movementOp(lists.OpAdd, mk(oldID, old)), movementOp(lists.OpAdd, mk(recentID, recent))))
	if err := r.RecordMovement(ctx, mk(crossingID(old, 2), old)); err != nil {
		t.Fatal(err)
	}
	n, err := r.PurgeMovements(ctx, old.AddDate(0, 1, 0))
	if err != nil || n != 2 {
		t.Fatalf("PurgeMovements = %d, %v; want 2 deleted", n, err)
	}
	if s := status(t, r, lists.ListMovements); s.Count != 1 || s.Local != 0 {
		t.Fatalf("after purge %+v, want 1 from central", s)
	}
	// Central removes the purged movement later: already done, not an error.
	mustApply(t, r, delta(lists.ListMovements, 1, lists.Op{Op: lists.OpRemove, Key: oldID}))
	// A recent one missing is still an error.
	_, err = r.Apply(ctx, delta(lists.ListMovements, 2, lists.Op{Op: lists.OpRemove, Key: crossingID(recent, 3)}))
	var opErr *OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("removing a recent missing movement: err = %v, want *OpError", err)
	}
	mustVerify(t, r)
}

func TestVersionsCountEveryList(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	g := synth.New(4)
	mustApply(t, r, delta(lists.ListPersons, 0, addOps(synthPersons(g, 0, 7), personOp)...))
	mustApply(t, r, delta(lists.ListDocuments, 0, addOps(synthDocuments(g, 0, 11), docOp)...))
	mustApply(t, r, delta(lists.ListDocuments, 1, addOps(synthDocuments(g, 11, 2), docOp)...))
	mustApply(t, r, delta(lists.ListVisas, 0, visaOp(lists.OpAdd, lists.Visa{ID: "v", DocumentNumber: "1", IssuingState: "D", Kind: lists.KindVisa, ValidFrom: "2026-01-01", ValidUntil: "2026-02-01"})))
	want := map[string][2]int64{
		lists.ListPersons: {1, 7}, lists.ListDocuments: {2, 13}, lists.ListVisas: {1, 1},
		lists.ListRegistered: {0, 0}, lists.ListMovements: {0, 0},
	}
	vs, err := r.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range vs {
		if w := want[s.List]; s.Version != w[0] || s.Count != w[1] {
			t.Errorf("%s: version %d count %d, want %d, %d", s.List, s.Version, s.Count, w[0], w[1])
		}
	}
	size, err := r.Size(ctx)
	if err != nil || size < 4096 {
		t.Fatalf("Size = %d, %v", size, err)
	}
}

// crossingID is a ULID of time at, its random part filled with n.
func crossingID(at time.Time, n byte) string {
	return ulid.MustNew(ulid.Timestamp(at), bytes.NewReader(bytes.Repeat([]byte{n}, 10))).String()
}

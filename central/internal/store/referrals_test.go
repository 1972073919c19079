package store

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"autogate/internal/wire"
)

// jpeg is n bytes that start as a JPEG does, each image told apart by tag.
func jpeg(tag byte, n int) []byte {
	b := bytes.Repeat([]byte{tag}, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF})
	return b
}

// referral builds a gate's referral of a refer crossing at t0+offset, as
// decided: door not yet moved.
func referral(gate, post string, seq int64, offset time.Duration) wire.Referral {
	c := crossing(gate, seq, offset, wire.DecisionRefer)
	c.Post, c.Door = post, ""
	return wire.Referral{V: wire.SchemaVersion, Crossing: c, HeldUntil: c.EndedAt.Add(90 * time.Second),
		ChipPhoto: jpeg('c', 1500), LiveCapture: jpeg('l', 2500)}
}

func put(t *testing.T, s *Store, r wire.Referral, at time.Time) {
	t.Helper()
	isNew, err := s.PutReferral(context.Background(), r, at)
	if err != nil || !isNew {
		t.Fatalf("PutReferral %s: new=%v err=%v", r.Crossing.ID, isNew, err)
	}
}

func mustReferral(t *testing.T, s *Store, id string) Referral {
	t.Helper()
	r, ok, err := s.Referral(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Referral %s: ok=%v err=%v", id, ok, err)
	}
	return r
}

func TestPutReferralStoresAndIsIdempotent(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	w := referral("gate-1", "post-north", 7, 0)
	at := t0.Add(14 * time.Second)
	put(t, s, w, at)

	got := mustReferral(t, s, w.Crossing.ID)
	if got.ID != w.Crossing.ID || got.Gate != "gate-1" || got.Post != "post-north" ||
		!got.ReceivedAt.Equal(at) || !got.HeldUntil.Equal(w.HeldUntil) {
		t.Fatalf("referral %+v", got)
	}
	if !reflect.DeepEqual(got.Crossing, normal(w.Crossing)) {
		t.Fatalf("crossing differs:\n got %+v\nwant %+v", got.Crossing, normal(w.Crossing))
	}
	if !reflect.DeepEqual(got.Images, []string{ImageChipPhoto, ImageLiveCapture}) || got.State != ReferralWaiting ||
		got.Command != nil || got.Door != "" {
		t.Fatalf("images %v state %s command %v door %q", got.Images, got.State, got.Command, got.Door)
	}
	for kind, want := range map[string][]byte{ImageChipPhoto: w.ChipPhoto, ImageLiveCapture: w.LiveCapture} {
		img, ok, err := s.ReferralImage(ctx, w.Crossing.ID, kind)
		if err != nil || !ok || !bytes.Equal(img, want) {
			t.Fatalf("%s: %d bytes ok=%v err=%v", kind, len(img), ok, err)
		}
	}
	if _, ok, err := s.ReferralImage(ctx, w.Crossing.ID, "passport_scan"); ok || err != nil {
		t.Fatalf("unknown kind: ok=%v err=%v", ok, err)
	}
	if _, ok, err := s.Referral(ctx, wire.NewID()); ok || err != nil {
		t.Fatalf("unknown referral: ok=%v err=%v", ok, err)
	}

	// The same referral again, even with other images and a later time,
	// changes nothing.
	again := w
	again.ChipPhoto = jpeg('x', 99)
	isNew, err := s.PutReferral(ctx, again, at.Add(time.Minute))
	if err != nil || isNew {
		t.Fatalf("re-delivery: new=%v err=%v", isNew, err)
	}
	if img, _, _ := s.ReferralImage(ctx, w.Crossing.ID, ImageChipPhoto); !bytes.Equal(img, w.ChipPhoto) {
		t.Fatal("a re-delivery replaced the chip photo")
	}
	if r := mustReferral(t, s, w.Crossing.ID); !r.ReceivedAt.Equal(at) {
		t.Fatalf("a re-delivery moved received_at to %s", r.ReceivedAt)
	}

	// Another gate's referral under the same id is refused, not merged.
	other := referral("gate-9", "post-south", 1, 0)
	other.Crossing.ID = w.Crossing.ID
	if isNew, err := s.PutReferral(ctx, other, at); isNew || !errors.Is(err, ErrReferralConflict) {
		t.Fatalf("id of another gate: new=%v err=%v", isNew, err)
	}
	if r := mustReferral(t, s, w.Crossing.ID); r.Gate != "gate-1" {
		t.Fatalf("conflict overwrote the gate: %s", r.Gate)
	}

	// A referral without images (the gate had none) holds none.
	bare := referral("gate-1", "post-north", 8, time.Minute)
	bare.ChipPhoto, bare.LiveCapture = nil, nil
	put(t, s, bare, at)
	if r := mustReferral(t, s, bare.Crossing.ID); r.Images == nil || len(r.Images) != 0 {
		t.Fatalf("images of a bare referral: %#v", r.Images)
	}
}

func TestReferralStateFollowsCommandsAndRecord(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	w := referral("gate-1", "post-north", 3, 0)
	put(t, s, w, t0)
	id := w.Crossing.ID

	// A command to another crossing or gate-wide does not touch it.
	lock := testCommand("gate-1", wire.ActionLock, t0)
	if err := s.RecordCommand(ctx, lock); err != nil {
		t.Fatal(err)
	}
	// An officer's command, sent but not yet acknowledged: still waiting.
	first := testCommand("gate-1", wire.ActionOpenExit, t0.Add(time.Second))
	first.Crossing = id
	if err := s.RecordCommand(ctx, first); err != nil {
		t.Fatal(err)
	}
	r := mustReferral(t, s, id)
	if r.State != ReferralWaiting || r.Command == nil || r.Command.ID != first.ID || r.Command.Action != wire.ActionOpenExit ||
		r.Command.AckResult != "" || !r.Command.IssuedAt.Equal(first.IssuedAt) {
		t.Fatalf("after the command: state %s command %+v", r.State, r.Command)
	}
	// Refused by the gate: still waiting, the refusal shown.
	if err := s.RecordCommandAck(ctx, wire.CommandAck{V: 1, ID: first.ID, Gate: "gate-1", Result: wire.CommandRefused,
		Reason: "expired", At: t0}, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	r = mustReferral(t, s, id)
	if r.State != ReferralWaiting || r.Command.AckResult != wire.CommandRefused || r.Command.AckReason != "expired" {
		t.Fatalf("after a refusal: state %s command %+v", r.State, r.Command)
	}
	// The crossing record arrives (the gate gave up and returned the
	// traveller): closed, with its door.
	rec := crossing("gate-1", 3, 0, wire.DecisionRefer)
	rec.ID, rec.Door = id, "entrance"
	if _, _, err := s.InsertCrossings(ctx, []wire.Crossing{rec}); err != nil {
		t.Fatal(err)
	}
	r = mustReferral(t, s, id)
	if r.State != ReferralClosed || r.Door != "entrance" {
		t.Fatalf("after the record: state %s door %q", r.State, r.Door)
	}
	// A second command, done: settled, and it is the one shown.
	second := testCommand("gate-1", wire.ActionReturn, t0.Add(3*time.Second))
	second.Crossing = id
	if err := s.RecordCommand(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCommandAck(ctx, wire.CommandAck{V: 1, ID: second.ID, Gate: "gate-1", Result: wire.CommandDone,
		Mode: "normal", At: t0}, t0.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	r = mustReferral(t, s, id)
	if r.State != ReferralSettled || r.Command.ID != second.ID || r.Command.AckResult != wire.CommandDone ||
		!r.Command.AckedAt.Equal(t0.Add(4*time.Second)) || r.Door != "entrance" {
		t.Fatalf("after a done command: state %s door %q command %+v", r.State, r.Door, r.Command)
	}

	// Settled before any record: a done command is enough.
	w2 := referral("gate-1", "post-north", 4, time.Minute)
	put(t, s, w2, t0)
	c := testCommand("gate-1", wire.ActionManualBooth, t0)
	c.Crossing = w2.Crossing.ID
	if err := s.RecordCommand(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCommandAck(ctx, wire.CommandAck{V: 1, ID: c.ID, Gate: "gate-1", Result: wire.CommandDone, At: t0}, t0); err != nil {
		t.Fatal(err)
	}
	if r := mustReferral(t, s, w2.Crossing.ID); r.State != ReferralSettled || r.Door != "" {
		t.Fatalf("done, no record yet: state %s door %q", r.State, r.Door)
	}

	cmds, err := s.CommandsFor(ctx, id)
	if err != nil || len(cmds) != 2 || cmds[0].ID != second.ID || cmds[1].ID != first.ID {
		t.Fatalf("CommandsFor: %+v err=%v", cmds, err)
	}
	if cmds, err := s.CommandsFor(ctx, wire.NewID()); err != nil || len(cmds) != 0 {
		t.Fatalf("CommandsFor an unknown crossing: %+v err=%v", cmds, err)
	}
	if _, err := s.CommandsFor(ctx, ""); err == nil {
		t.Fatal("CommandsFor(\"\") listed the gate-wide commands")
	}
}

func TestReferralsNewestFirstByPost(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	// received_at decides the order, not the crossing's own time; equal
	// received_at falls back to the id, newest first.
	var north []wire.Referral
	for i := range 5 {
		w := referral("gate-1", "post-north", int64(i+1), time.Duration(-i)*time.Minute)
		put(t, s, w, t0.Add(time.Duration(i)*time.Second))
		north = append(north, w)
	}
	tie := referral("gate-2", "post-north", 1, 0)
	put(t, s, tie, t0.Add(4*time.Second)) // same time as north[4]; minted later, so a greater id
	south := referral("gate-3", "post-south", 1, 0)
	put(t, s, south, t0.Add(10*time.Second))

	idsOf := func(rs []Referral) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	got, err := s.Referrals(ctx, ReferralQuery{Post: "post-north"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{tie.Crossing.ID, north[4].Crossing.ID, north[3].Crossing.ID, north[2].Crossing.ID, north[1].Crossing.ID, north[0].Crossing.ID}
	if !reflect.DeepEqual(idsOf(got), want) {
		t.Fatalf("post-north:\n got %v\nwant %v", idsOf(got), want)
	}
	all, err := s.Referrals(ctx, ReferralQuery{Limit: 2})
	if err != nil || !reflect.DeepEqual(idsOf(all), []string{south.Crossing.ID, tie.Crossing.ID}) {
		t.Fatalf("every post, limit 2: %v err=%v", idsOf(all), err)
	}
	since, err := s.Referrals(ctx, ReferralQuery{Post: "post-north", Since: t0.Add(3 * time.Second)})
	if err != nil || !reflect.DeepEqual(idsOf(since), want[:3]) {
		t.Fatalf("since +3s: %v err=%v", idsOf(since), err)
	}
	if rs, err := s.Referrals(ctx, ReferralQuery{Post: "post-east"}); err != nil || len(rs) != 0 || rs == nil {
		t.Fatalf("unknown post: %#v err=%v", rs, err)
	}
	for _, bad := range []int{-1, MaxLimit + 1} {
		if _, err := s.Referrals(ctx, ReferralQuery{Limit: bad}); err == nil {
			t.Fatalf("limit %d accepted", bad)
		}
	}
}

func TestReferralsDefaultLimit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	// One transaction's worth of rows, written directly: 101 PutReferral
	// calls would each wait for an fsync.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 101 {
		w := referral("gate-1", "post-north", int64(i+1), 0)
		if _, err := tx.ExecContext(ctx, `INSERT INTO referrals (id, gate, post, received_at, payload, doc_number, doc_surname, doc_given_names)
			VALUES (?, 'gate-1', 'post-north', ?, ?, '', '', '')`, w.Crossing.ID, formatTime(t0.Add(time.Duration(i)*time.Second)),
			string(wire.Encode(w.Crossing))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Referrals(ctx, ReferralQuery{})
	if err != nil || len(rs) != 100 || !rs[0].ReceivedAt.Equal(t0.Add(100*time.Second)) {
		t.Fatalf("default limit: %d referrals err=%v", len(rs), err)
	}
}

func TestPurgeImagesKeepsTheReferral(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	old := referral("gate-1", "post-north", 1, 0)
	put(t, s, old, t0)
	young := referral("gate-1", "post-north", 2, time.Hour)
	put(t, s, young, t0.Add(time.Hour))

	n, err := s.PurgeImages(ctx, t0.Add(30*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("purge: %d images err=%v; want the 2 of the old referral", n, err)
	}
	r := mustReferral(t, s, old.Crossing.ID)
	if len(r.Images) != 0 {
		t.Fatalf("purged referral still lists images %v", r.Images)
	}
	if _, ok, err := s.ReferralImage(ctx, old.Crossing.ID, ImageChipPhoto); ok || err != nil {
		t.Fatalf("purged chip photo still served: ok=%v err=%v", ok, err)
	}
	// The decision, checks and scores stay.
	if !reflect.DeepEqual(r.Crossing, normal(old.Crossing)) || r.Crossing.Checks[1].Reason != "face_mismatch" {
		t.Fatalf("purge changed the referral's crossing: %+v", r.Crossing)
	}
	if y := mustReferral(t, s, young.Crossing.ID); len(y.Images) != 2 {
		t.Fatalf("young referral lost images: %v", y.Images)
	}
	if n, err := s.PurgeImages(ctx, t0.Add(30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second purge: %d err=%v", n, err)
	}
}

// searchData stores crossings of two posts with known documents.
func searchData(t *testing.T, s *Store) map[string]wire.Crossing {
	t.Helper()
	docs := []struct {
		key, post, number, surname, given string
		offset                            time.Duration
	}{
		{"anna", "post-north", "L898902C3", "ERIKSSON", "ANNA MARIA", 0},
		{"anna-later", "post-north", "L898902C3", "ERIKSSON", "ANNA MARIA", 2 * time.Hour},
		{"lars", "post-north", "L89891X", "LARSSON", "ERIK", time.Hour},
		{"south", "post-south", "L898777", "MARIASSON", "JON", 30 * time.Minute},
		{"pct", "post-north", "Z1234567", "O%BRIEN", "SEAN", 3 * time.Hour},
	}
	out := map[string]wire.Crossing{}
	var cs []wire.Crossing
	for i, d := range docs {
		c := crossing("gate-"+d.post, int64(i+1), d.offset, wire.DecisionPass)
		c.Post = d.post
		c.Document.DocumentNumber, c.Document.Surname, c.Document.GivenNames = d.number, d.surname, d.given
		out[d.key] = c
		cs = append(cs, c)
	}
	if _, _, err := s.InsertCrossings(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSearchCrossings(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	d := searchData(t, s)
	cases := []struct {
		name string
		q    SearchQuery
		want []string // keys, newest first
	}{
		{"whole number", SearchQuery{Text: "L898902C3"}, []string{"anna-later", "anna"}},
		{"number prefix, lower case", SearchQuery{Text: " l8989 "}, []string{"anna-later", "lars", "anna"}},
		{"number prefix across posts", SearchQuery{Text: "L898"}, []string{"anna-later", "lars", "south", "anna"}},
		{"number, one post", SearchQuery{Text: "L898", Post: "post-south"}, []string{"south"}},
		{"number since", SearchQuery{Text: "L898", Since: t0.Add(time.Hour)}, []string{"anna-later", "lars"}},
		{"number limit", SearchQuery{Text: "L898", Limit: 1}, []string{"anna-later"}},
		{"not a number's middle", SearchQuery{Text: "98902"}, nil},
		{"surname part", SearchQuery{Text: "riksso"}, []string{"anna-later", "anna"}},
		{"a word that is a name, not a number", SearchQuery{Text: "erik"}, []string{"anna-later", "lars", "anna"}},
		{"given then surname", SearchQuery{Text: "maria  eriksson"}, []string{"anna-later", "anna"}},
		{"surname then given", SearchQuery{Text: "Eriksson Anna"}, []string{"anna-later", "anna"}},
		{"name across posts", SearchQuery{Text: "maria"}, []string{"anna-later", "south", "anna"}},
		{"name, one post", SearchQuery{Text: "maria", Post: "post-north"}, []string{"anna-later", "anna"}},
		{"wildcard is literal", SearchQuery{Text: "%"}, []string{"pct"}},
		{"underscore is literal", SearchQuery{Text: "_"}, nil},
		{"nobody", SearchQuery{Text: "SMITH"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SearchCrossings(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var want []wire.Crossing
			for _, k := range tc.want {
				want = append(want, d[k])
			}
			if ids(got) != ids(want) {
				t.Fatalf("got %s\nwant %s", ids(got), ids(want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], normal(want[i])) {
					t.Fatalf("crossing %d differs", i)
				}
			}
		})
	}
	for _, bad := range []SearchQuery{{Text: ""}, {Text: "  \t "}, {Text: "x", Limit: -1}, {Text: "x", Limit: MaxLimit + 1}} {
		if _, err := s.SearchCrossings(ctx, bad); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}

func TestSearchDefaultLimit(t *testing.T) {
	s, _ := openTemp(t)
	var cs []wire.Crossing
	for i := range 51 {
		cs = append(cs, crossing("gate-1", int64(i+1), time.Duration(i)*time.Second, wire.DecisionPass))
	}
	if _, _, err := s.InsertCrossings(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	got, err := s.SearchCrossings(context.Background(), SearchQuery{Text: "L898902C3"})
	if err != nil || len(got) != 50 || got[0].ID != cs[50].ID {
		t.Fatalf("default limit: %d crossings err=%v", len(got), err)
	}
}

// The search must stay fast at a million crossings: the number arm goes
// through the doc_number index and a windowed name search through the
// started_at index, never a scan of the whole table.
func TestSearchUsesIndexes(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	plan := func(q SearchQuery) string {
		t.Helper()
		text, args, err := searchStatement(q)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+text, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	for _, tc := range []struct {
		q     SearchQuery
		index []string
	}{
		{SearchQuery{Text: "L898", Since: t0}, []string{"crossings_started_at", "crossings_doc_number"}},
		{SearchQuery{Text: "eriksson", Since: t0, Post: "post-north"}, []string{"crossings_started_at"}},
		{SearchQuery{Text: "L898"}, []string{"crossings_doc_number"}},
	} {
		p := plan(tc.q)
		for _, idx := range tc.index {
			if !strings.Contains(p, idx) {
				t.Errorf("%+v: plan does not use %s:\n%s", tc.q, idx, p)
			}
		}
		if tc.q.Since.IsZero() {
			continue // without a window the name arm must scan
		}
		if strings.Contains(p, "SCAN crossings") {
			t.Errorf("%+v: a full scan of crossings:\n%s", tc.q, p)
		}
	}
}

func TestDocNumberRange(t *testing.T) {
	for text, want := range map[string][2]string{
		"l898": {"L898", "L899"}, "AB9": {"AB9", "AB:"}, "abz": {"ABZ", "AB["},
		"ab": {}, "L89 8": {}, "L-898": {}, "Ł898": {},
	} {
		lo, hi, ok := docNumberRange(text)
		if ok != (want[0] != "") || lo != want[0] || hi != want[1] {
			t.Errorf("%q: [%q, %q) ok=%v; want %v", text, lo, hi, ok, want)
		}
	}
	// Every stored number starting with the prefix sorts inside the range.
	lo, hi, _ := docNumberRange("L89")
	for _, n := range []string{"L89", "L890", "L89Z", "L89<<<<", "L89" + strings.Repeat("Z", 20)} {
		if n < lo || n >= hi {
			t.Errorf("%s outside [%s, %s)", n, lo, hi)
		}
	}
	for _, n := range []string{"L88ZZZ", "L8", "L8A", "L9"} {
		if n >= lo && n < hi {
			t.Errorf("%s inside [%s, %s)", n, lo, hi)
		}
	}
}

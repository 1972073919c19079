package distribute

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"autogate/internal/lists"
	"autogate/internal/lists/synth"
	"autogate/internal/wire"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func docOp(d lists.Document) lists.Op {
	return lists.Op{Op: lists.OpAdd, Key: lists.DocumentKey(d.IssuingState, d.Number), Document: &d}
}

// docDelta is a documents delta adding synthetic documents first..first+n-1,
// without versions (central numbers it).
func docDelta(first, n int) lists.Delta {
	g := synth.New(7)
	d := lists.Delta{V: 1, List: lists.ListDocuments}
	for i := first; i < first+n; i++ {
		d.Ops = append(d.Ops, docOp(g.Document(i)))
	}
	return d
}

// decodeRow verifies a queued update with the public key and decodes its delta.
func decodeRow(t *testing.T, pub ed25519.PublicKey, u Update) lists.Delta {
	t.Helper()
	body, err := wire.Verify(u.Payload, wire.SignedDelta, wire.NewKeyring(pub))
	if err != nil {
		t.Fatalf("%s version %d does not verify: %v", u.List, u.Version, err)
	}
	d, err := lists.DecodeDelta(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s version %d does not decode: %v", u.List, u.Version, err)
	}
	return d
}

func TestVersionsAreAssignedAndContinuous(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	for i, want := range []int64{1, 2} {
		q, err := st.QueueDelta(ctx, key, docDelta(i*10, 3), Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if q.First != want || q.Last != want || q.Ops != 3 {
			t.Fatalf("push %d queued %+v, want version %d with 3 ops", i, q, want)
		}
	}
	// A file that states the versions central would choose is accepted…
	d := docDelta(100, 1)
	d.From, d.To = 2, 3
	if _, err := st.QueueDelta(ctx, key, d, Options{Now: now}); err != nil {
		t.Fatalf("a delta stating the right versions: %v", err)
	}
	// …one that disagrees is refused, saying what central would do.
	d.From, d.To = 1, 2
	_, err := st.QueueDelta(ctx, key, d, Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "latest documents version is 3") || !strings.Contains(err.Error(), "3→4") {
		t.Fatalf("a delta stating stale versions: %v", err)
	}
	// A full delta replaces the list as the next version.
	full := docDelta(200, 2)
	full.Full = true
	if q, err := st.QueueDelta(ctx, key, full, Options{Now: now, Expires: time.Hour}); err != nil || q.First != 4 {
		t.Fatalf("full delta: %+v, %v", q, err)
	}
	if _, err := st.QueueDelta(ctx, key, docDelta(300, 1), Options{Now: now, Expires: time.Second}); err == nil {
		t.Fatal("an expiry of one second was accepted")
	}

	ups, err := st.After(ctx, lists.ListDocuments, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 4 {
		t.Fatalf("%d updates kept, want 4", len(ups))
	}
	for i, u := range ups {
		got := decodeRow(t, pub, u)
		want := int64(i + 1)
		if u.Version != want || got.To != want {
			t.Errorf("row %d: version %d, delta to %d; want %d", i, u.Version, got.To, want)
		}
		if !got.Full && got.From != want-1 {
			t.Errorf("version %d goes from %d", want, got.From)
		}
		if !got.IssuedAt.Equal(now) || got.ExpiresAt.IsZero() || !got.ExpiresAt.After(now) {
			t.Errorf("version %d: issued %s expires %s", want, got.IssuedAt, got.ExpiresAt)
		}
	}
	if last := decodeRow(t, pub, ups[3]); !last.Full || last.From != 0 || !last.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("the full delta came out as %+v", last)
	}
	if first := decodeRow(t, pub, ups[0]); !first.ExpiresAt.Equal(now.Add(DefaultExpires)) {
		t.Errorf("default expiry %s, want %s", first.ExpiresAt, now.Add(DefaultExpires))
	}

	latest, err := st.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if latest[lists.ListDocuments] != 4 || latest[lists.ListPersons] != 0 || latest[wire.ConfigList] != 0 || len(latest) != len(Names) {
		t.Fatalf("latest %v", latest)
	}
}

func TestConfigIsVersionedAndSyntaxChecked(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	policy := "min_validity_days = 30\n[actions]\nwatch = \"refer\"\n"
	for _, want := range []int64{1, 2} {
		q, err := st.QueueConfig(ctx, key, policy, "exit", Options{})
		if err != nil || q.Last != want {
			t.Fatalf("config push: %+v, %v; want version %d", q, err, want)
		}
	}
	ups, err := st.After(ctx, wire.ConfigList, 1)
	if err != nil || len(ups) != 1 {
		t.Fatalf("after 1: %d, %v", len(ups), err)
	}
	body, err := wire.Verify(ups[0].Payload, wire.SignedConfig, wire.NewKeyring(pub))
	if err != nil {
		t.Fatal(err)
	}
	var c wire.ConfigUpdate
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || c.Direction != "exit" || c.Policy != policy || c.ExpiresAt.Sub(c.IssuedAt) != DefaultExpires {
		t.Fatalf("signed config %+v", c)
	}
	for name, bad := range map[string]struct{ policy, direction, want string }{
		"syntax":    {"min_validity_days = = 3", "", "not valid TOML: line 1"},
		"header":    {"[policy]\nmin_validity_days = 3", "", "without the [policy] header"},
		"direction": {"", "sideways", "direction \"sideways\""},
	} {
		if _, err := st.QueueConfig(ctx, key, bad.policy, bad.direction, Options{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, bad.want)
		}
	}
	if latest, _ := st.Latest(ctx); latest[wire.ConfigList] != 2 {
		t.Fatalf("refused pushes moved the config version to %d", latest[wire.ConfigList])
	}
}

func TestLargeDeltaIsSplitIntoConsecutiveVersions(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	if _, err := st.QueueDelta(ctx, key, docDelta(0, 1), Options{}); err != nil {
		t.Fatal(err)
	}
	big := docDelta(1, 12000) // ≈ 1.6 MB of ops: more than two signed messages
	q, err := st.QueueDelta(ctx, key, big, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q.First != 2 || q.Last < 4 || q.Ops != len(big.Ops) {
		t.Fatalf("queued %+v; want versions 2..≥4 with %d ops", q, len(big.Ops))
	}
	ups, err := st.After(ctx, lists.ListDocuments, 1)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	prev := int64(1)
	for _, u := range ups {
		if len(u.Payload) > wire.MaxSignedBytes {
			t.Errorf("version %d is %d bytes, over %d", u.Version, len(u.Payload), wire.MaxSignedBytes)
		}
		d := decodeRow(t, pub, u)
		if d.From != prev || d.To != prev+1 {
			t.Errorf("part goes %d→%d after version %d", d.From, d.To, prev)
		}
		prev = d.To
		for _, op := range d.Ops {
			keys = append(keys, op.Key)
		}
	}
	if prev != q.Last || len(keys) != len(big.Ops) {
		t.Fatalf("parts end at %d with %d ops; want %d with %d", prev, len(keys), q.Last, len(big.Ops))
	}
	for i, op := range big.Ops {
		if keys[i] != op.Key {
			t.Fatalf("op %d of the parts is %s, want %s", i, keys[i], op.Key)
		}
	}

	// A full delta that does not fit one message is refused whole.
	full := docDelta(1, 12000)
	full.Full = true
	_, err = st.QueueDelta(ctx, key, full, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "cannot be split") {
		t.Fatalf("oversized full delta: %v", err)
	}
	if latest, _ := st.Latest(ctx); latest[lists.ListDocuments] != q.Last {
		t.Fatalf("the refused full delta moved the version to %d", latest[lists.ListDocuments])
	}
}

func TestReadDelta(t *testing.T) {
	d, err := ReadDelta(strings.NewReader(`{"list":"documents","ops":[{"op":"remove","key":"FRA/X1"}]}`))
	if err != nil || d.List != lists.ListDocuments || len(d.Ops) != 1 {
		t.Fatalf("%+v, %v", d, err)
	}
	for name, in := range map[string]string{
		"unknown field": `{"list":"documents","ops":[],"gates":["a"]}`,
		"trailing":      `{"list":"documents","ops":[]} {}`,
		"version":       `{"v":2,"list":"documents","ops":[]}`,
		"not json":      `list=documents`,
	} {
		if _, err := ReadDelta(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Central validates what it signs: an invalid op is refused at push.
	st := openStore(t)
	bad := lists.Delta{List: lists.ListDocuments, Ops: []lists.Op{{Op: lists.OpRemove, Key: "not a key"}}}
	if _, err := st.QueueDelta(context.Background(), newKey(t), bad, Options{}); err == nil || !strings.Contains(err.Error(), "op 0") {
		t.Fatalf("invalid op: %v", err)
	}
}

// Gates that imported a list from CSV already hold versions of it: the
// first delta central queues may say where they stand.
func TestFirstDeltaStartsWhereTheGatesStand(t *testing.T) {
	ctx := context.Background()
	st, key := openStore(t), newKey(t)
	d := docDelta(0, 2)
	d.From = 5
	if q, err := st.QueueDelta(ctx, key, d, Options{}); err != nil || q.First != 6 || q.Last != 6 {
		t.Fatalf("first delta from 5: %+v, %v", q, err)
	}
	if q, err := st.QueueDelta(ctx, key, docDelta(10, 1), Options{}); err != nil || q.First != 7 {
		t.Fatalf("the next delta: %+v, %v", q, err)
	}
	// From then on the file must agree with central.
	late := docDelta(20, 1)
	late.From = 3
	if _, err := st.QueueDelta(ctx, key, late, Options{}); err == nil {
		t.Fatal("a delta from 3 was accepted after version 7")
	}
	full := docDelta(30, 1)
	full.Full, full.To = true, 9
	if q, err := openStore(t).QueueDelta(ctx, key, full, Options{}); err != nil || q.First != 9 {
		t.Fatalf("a first full delta to 9: %+v, %v", q, err)
	}
}

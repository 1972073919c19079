package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string) *Log {
	t.Helper()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fill appends n records: actor officer-I, post post-a for odd I.
func fill(t *testing.T, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := 1; i <= n; i++ {
		post := ""
		if i%2 == 1 {
			post = "post-a"
		}
		e, err := l.Append(context.Background(), Entry{Actor: fmt.Sprintf("officer-%d", i), Action: ActionCommand,
			Target: "gate-1", Post: post, Detail: map[string]string{"reason": fmt.Sprintf("r%d", i), "action": "open_exit"}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func verify(t *testing.T, l *Log) Result {
	t.Helper()
	res, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAppendChainsAndLists(t *testing.T) {
	l := openTest(t, t.TempDir())
	ctx := context.Background()
	if res := verify(t, l); res.Records != 0 || res.Broken != nil || res.Head != "" {
		t.Fatalf("empty log: %+v", res)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("X", 3600))
	first, err := l.Append(ctx, Entry{Actor: "cli:root", Action: ActionUserAdd, Target: "alice", At: at})
	if err != nil {
		t.Fatal(err)
	}
	if first.Seq != 1 || first.Prev != "" || len(first.Hash) != 64 || !first.At.Equal(at) || first.At.Location() != time.UTC {
		t.Fatalf("first %+v", first)
	}
	es := fill(t, l, 4)
	if es[0].Seq != 2 || es[0].Prev != first.Hash || es[3].Prev != es[2].Hash {
		t.Fatalf("chain %+v", es)
	}
	res := verify(t, l)
	if res.Broken != nil || res.Records != 5 || res.Head != es[3].Hash {
		t.Fatalf("verify %+v", res)
	}
	got, err := l.Entries(ctx, "", 0, 0)
	if err != nil || len(got) != 5 || got[0].Seq != 5 || got[4].Seq != 1 {
		t.Fatalf("entries %v %v", got, err)
	}
	if got[0].Detail["reason"] != "r4" || got[0].Hash != es[3].Hash || !got[4].At.Equal(at) || got[4].Detail != nil {
		t.Fatalf("read back %+v / %+v", got[0], got[4])
	}
	got, _ = l.Entries(ctx, "post-a", 0, 10)
	if len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 2 {
		t.Fatalf("post-a entries %+v", got)
	}
	got, _ = l.Entries(ctx, "", 4, 2)
	if len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 2 {
		t.Fatalf("page before 4 %+v", got)
	}
	for _, bad := range []Entry{{Action: ActionLogin}, {Actor: "x"}, {Actor: "x", Action: "y", Detail: map[string]string{"k": "\xff"}}} {
		if _, err := l.Append(ctx, bad); err == nil {
			t.Errorf("appended %+v", bad)
		}
	}
}

func TestTriggersRefuseUpdateAndDelete(t *testing.T) {
	l := openTest(t, t.TempDir())
	fill(t, l, 2)
	for _, q := range []string{`UPDATE records SET actor = 'x' WHERE seq = 1`, `DELETE FROM records WHERE seq = 2`} {
		_, err := l.db.Exec(q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if res := verify(t, l); res.Broken != nil || res.Records != 2 {
		t.Fatalf("%+v", res)
	}
}

func TestConcurrentAppendsFromTwoLogsKeepOneChain(t *testing.T) {
	dir := t.TempDir()
	a, b := openTest(t, dir), openTest(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for j := range 25 {
				if _, err := l.Append(context.Background(), Entry{Actor: fmt.Sprintf("w%d", i), Action: ActionLogin, Detail: map[string]string{"n": fmt.Sprint(j)}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res := verify(t, a)
	if res.Broken != nil || res.Records != 100 {
		t.Fatalf("%+v", res)
	}
}

// tamper opens the file as anyone could, drops the triggers and runs q.
func tamper(t *testing.T, l *Log, qs ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", l.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append([]string{`DROP TRIGGER records_no_update`, `DROP TRIGGER records_no_delete`}, qs...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name    string
		queries func(es []Entry) []string
		seq     int64
		reason  string
	}{
		{"detail edited", func([]Entry) []string {
			return []string{`UPDATE records SET detail = '{"action":"open_exit","reason":"forged"}' WHERE seq = 3`}
		}, 3, "hash does not match its content"},
		{"actor edited", func([]Entry) []string { return []string{`UPDATE records SET actor = 'someone' WHERE seq = 5`} }, 5, "hash does not match"},
		{"time edited", func([]Entry) []string {
			return []string{`UPDATE records SET at = '2020-01-01T00:00:00Z' WHERE seq = 1`}
		}, 1, "hash does not match"},
		{"middle record deleted", func([]Entry) []string { return []string{`DELETE FROM records WHERE seq = 4`} }, 4, "record 4 missing"},
		{"first record deleted", func([]Entry) []string { return []string{`DELETE FROM records WHERE seq = 1`} }, 1, "record 1 missing"},
		{"two records' content swapped", func([]Entry) []string {
			return []string{
				`UPDATE records SET seq = 100 WHERE seq = 2`,
				`UPDATE records SET seq = 2 WHERE seq = 3`,
				`UPDATE records SET seq = 3 WHERE seq = 100`,
			}
		}, 2, "hash does not match"},
		{"edited and rehashed: the next record's prev breaks", func(es []Entry) []string {
			c := canonical{Seq: 3, At: es[2].At.Format(time.RFC3339Nano), Actor: "someone", Action: es[2].Action,
				Target: es[2].Target, Post: es[2].Post, Detail: es[2].Detail}
			h, _ := chainHash(es[2].Prev, c)
			return []string{fmt.Sprintf(`UPDATE records SET actor = 'someone', hash = '%s' WHERE seq = 3`, h)}
		}, 4, "prev does not match record 3"},
		{"deleted and the rest renumbered and rehashed from there: the first renumbered breaks", func(es []Entry) []string {
			// The attacker renumbers 5 to 4 and recomputes its hash on
			// its old prev (3's hash is out of reach without redoing all).
			c := canonical{Seq: 4, At: es[4].At.Format(time.RFC3339Nano), Actor: es[4].Actor, Action: es[4].Action,
				Target: es[4].Target, Post: es[4].Post, Detail: es[4].Detail}
			h, _ := chainHash(es[4].Prev, c)
			return []string{`DELETE FROM records WHERE seq = 4`,
				fmt.Sprintf(`UPDATE records SET seq = 4, hash = '%s' WHERE seq = 5`, h)}
		}, 4, "prev does not match record 3"},
		{"detail not JSON", func([]Entry) []string { return []string{`UPDATE records SET detail = 'nope' WHERE seq = 2`} }, 2, "detail is not"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := openTest(t, t.TempDir())
			es := fill(t, l, 6)
			if res := verify(t, l); res.Broken != nil {
				t.Fatalf("before tampering: %+v", res.Broken)
			}
			tamper(t, l, c.queries(es)...)
			res := verify(t, l)
			if res.Broken == nil {
				t.Fatalf("tampering not found: %+v", res)
			}
			if res.Broken.Seq != c.seq || !strings.Contains(res.Broken.Reason, c.reason) {
				t.Fatalf("broken at %d (%s), want %d (%s)", res.Broken.Seq, res.Broken.Reason, c.seq, c.reason)
			}
			if res.Records != c.seq-1 {
				t.Fatalf("records checked %d, want %d", res.Records, c.seq-1)
			}
		})
	}
}

func TestTailTruncationIsNotDetectedByTheChainAlone(t *testing.T) {
	// Documented limit: deleting the newest records leaves a valid chain;
	// only a head hash kept elsewhere shows it.
	l := openTest(t, t.TempDir())
	es := fill(t, l, 4)
	tamper(t, l, `DELETE FROM records WHERE seq = 4`)
	res := verify(t, l)
	if res.Broken != nil || res.Records != 3 || res.Head == es[3].Hash || res.Head != es[2].Hash {
		t.Fatalf("%+v", res)
	}
}

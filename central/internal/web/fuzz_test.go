package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// FuzzParseCrossingsQuery feeds raw query strings to the /api/crossings
// parameter parser: it either refuses them or yields a query the store
// accepts.
func FuzzParseCrossingsQuery(f *testing.F) {
	for _, seed := range []string{
		"", "gate=g1", "limit=10000", "limit=10001", "limit=-1", "order=asc", "order=ASC",
		"since=2025-06-01T08:00:00Z", "since=2025-06-01T08:00:00.123+07:00", "since=01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"since=01arz3ndektsv4rrffq69g5fav", "since=81ARZ3NDEKTSV4RRFFQ69G5FAV", "gate=a%00b", "gate=%2B", "x=1",
		"limit=1&limit=1", "gate=g1&since=2025-06-01T08:00:00Z&limit=5&order=desc", "%zz", ";;&&==",
	} {
		f.Add(seed)
	}
	st, err := store.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http answers such a query with the same parser
		}
		q, err := ParseCrossingsQuery(params)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if q.Limit < 1 || q.Limit > store.MaxLimit || (q.Order != store.Asc && q.Order != store.Desc) {
			t.Fatalf("accepted out-of-range query %+v from %q", q, raw)
		}
		if q.Gate != "" && wire.ValidateGateID(q.Gate) != nil {
			t.Fatalf("accepted invalid gate %q", q.Gate)
		}
		if _, err := st.Crossings(context.Background(), q); err != nil {
			t.Fatalf("store refused accepted query %+v: %v", q, err)
		}
	})
}

// FuzzCSVSafe: any cell a gate or a user could put into an export (alarm,
// reason, device name) comes back from a CSV reader as written, less the
// guard's quote, and never starts with a character a spreadsheet runs.
func FuzzCSVSafe(f *testing.F) {
	for _, seed := range []string{"", "=1+1", "+33", "-", "@x", "\t=x", "\r\n", `"=a"`, "a,b", "watchlist_hit", "\x00", "é=", "'=x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		safe := CSVSafe(cell)
		if safe != "" && strings.ContainsRune("=+-@\t\r", rune(safe[0])) {
			t.Fatalf("CSVSafe(%q) = %q still starts with a formula character", cell, safe)
		}
		if safe != cell && safe != "'"+cell {
			t.Fatalf("CSVSafe(%q) = %q changed more than a leading quote", cell, safe)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{safe, "next"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("cell %q: export does not parse back: %v", safe, err)
		}
		// encoding/csv reads \r\n inside a quoted field as \n.
		want := strings.ReplaceAll(safe, "\r\n", "\n")
		if len(rows) != 1 || len(rows[0]) != 2 || rows[0][0] != want || rows[0][1] != "next" {
			t.Fatalf("cell %q came back as %q", safe, rows)
		}
	})
}

package replica

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"autogate/internal/identity"
	"autogate/internal/lists"
)

// metaIndexScheme fingerprints how package identity prepared and keyed the
// stored names. A build whose identity encodes or keys names differently
// would miss records and could not remove their index rows: the replica
// then rebuilds its name index from the person records when it opens.
const metaIndexScheme = "identity_scheme"

// indexLayout names how this package files names under keys: a later
// layout changes it, and replicas filed the old way are re-indexed.
const indexLayout = "keys/1"

// indexScheme prepares a few probe names, diacritics and partial dates
// included, and hashes their encodings and keys with indexLayout.
func indexScheme() string {
	h := sha256.New()
	h.Write([]byte(indexLayout))
	for _, p := range []identity.Person{
		{Name: identity.Name{Surname: "Müller-Lüdenscheidt", Given: "José María"}, Birth: identity.Date{Year: 1980, Month: 2, Day: 29}, Nationality: "D"},
		{Name: identity.Name{Surname: "NGUYEN", Given: "VAN<ANH"}, Birth: identity.Date{Year: 1975}},
		{Name: identity.Name{Surname: "Øster Ståhl", Given: "Ægir"}},
	} {
		q := identity.Prepare(p)
		fmt.Fprintf(h, "%s\x00%s\x00", q.Encode(), strings.Join(q.Keys(), "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkIndexScheme rebuilds the name index when it was built by another
// identity scheme than this build's.
func (r *Replica) checkIndexScheme(ctx context.Context) error {
	want := indexScheme()
	var have string
	err := r.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", metaIndexScheme).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if have == want {
		return nil
	}
	return r.write(ctx, "rebuilding the name index", func(tx *sql.Tx) error {
		if err := reindexPersons(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", metaIndexScheme, want)
		return err
	})
}

// reindexPersons recomputes every person's names and index rows from the
// stored records, a page of persons at a time.
func reindexPersons(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM name_keys; DELETE FROM person_names;"); err != nil {
		return err
	}
	w, err := newPersonWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	const page = 10000
	for after := int64(0); ; {
		type stored struct {
			pid int64
			p   lists.Person
		}
		var batch []stored
		rows, err := tx.QueryContext(ctx, "SELECT pid, record FROM persons WHERE pid > ? ORDER BY pid LIMIT ?", after, page)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s stored
			var record []byte
			if err := rows.Scan(&s.pid, &record); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(record, &s.p); err != nil {
				rows.Close()
				return &CorruptError{What: "stored person", Err: fmt.Errorf("row %d: %w", s.pid, err)}
			}
			batch = append(batch, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return w.finish()
		}
		persons := make([]lists.Person, len(batch))
		for i, s := range batch {
			persons[i] = s.p
		}
		encoded, err := encodePersons("re-index", persons)
		if err != nil {
			return err
		}
		for i, e := range encoded {
			if err := w.addNames(batch[i].pid, e.id, e.names); err != nil {
				return err
			}
		}
		after = batch[len(batch)-1].pid
	}
}

package replica

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"autogate/internal/identity"
	"autogate/internal/lists"
)

// A person's names get the ids pid<<aliasBits | (alias+1), so that all of
// them are one rowid range of person_names: no index on the person needed.
const (
	aliasBits  = 10
	maxAliases = 1<<aliasBits - 2
)

func nameID(pid int64, alias int) int64 { return pid<<aliasBits | int64(alias+1) }

func nameRange(pid int64) (first, last int64) {
	return pid << aliasBits, pid<<aliasBits | (1<<aliasBits - 1)
}

func splitNameID(id int64) (pid int64, alias int) {
	return id >> aliasBits, int(id&(1<<aliasBits-1)) - 1
}

// keyFlushRows bounds the index rows held in memory before they are
// sorted and written.
const keyFlushRows = 1 << 18

// storedName is one searchable name of a person, the primary (alias -1)
// or an alias, as the index stores it.
type storedName struct {
	alias   int
	year    int
	encoded string   // identity.Prepared.Encode
	keys    []string // identity.Prepared.Keys
}

// personNames prepares the primary name and every alias of p (the costly
// step of storing a person). An alias without a birth date has the
// person's.
func personNames(p lists.Person) ([]storedName, error) {
	if len(p.Aliases) > maxAliases {
		return nil, fmt.Errorf("person %s has %d aliases; the replica holds at most %d", p.ID, len(p.Aliases), maxAliases)
	}
	birth, err := identity.ParseDate(p.BirthDate)
	if err != nil {
		return nil, fmt.Errorf("person %s: birth date %q: %w", p.ID, p.BirthDate, err)
	}
	names := make([]storedName, 0, 1+len(p.Aliases))
	add := func(alias int, surname, given string, d identity.Date) {
		q := identity.Prepare(identity.Person{Name: identity.Name{Surname: surname, Given: given}, Birth: d, Nationality: p.Nationality})
		names = append(names, storedName{alias: alias, year: d.Year, encoded: q.Encode(), keys: q.Keys()})
	}
	add(-1, p.Surname, p.GivenNames, birth)
	for i, a := range p.Aliases {
		d := birth
		if a.BirthDate != "" {
			if d, err = identity.ParseDate(a.BirthDate); err != nil {
				return nil, fmt.Errorf("person %s alias %d: birth date %q: %w", p.ID, i+1, a.BirthDate, err)
			}
		}
		add(i, a.Surname, a.GivenNames, d)
	}
	return names, nil
}

// encodedPerson is a person ready to store: its record and its names.
type encodedPerson struct {
	id     string
	record []byte
	names  []storedName
}

// parallelFrom is the batch size from which encoding is spread over the cores.
const parallelFrom = 256

// encodePersons prepares persons for op (add or change) on every core,
// before the write lock is taken.
func encodePersons(op string, persons []lists.Person) ([]encodedPerson, error) {
	out := make([]encodedPerson, len(persons))
	encode := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			p := persons[i]
			names, err := personNames(p)
			if err != nil {
				return &OpError{List: lists.ListPersons, Op: op, Key: p.ID, Why: err.Error()}
			}
			record, err := json.Marshal(p)
			if err != nil {
				return err
			}
			out[i] = encodedPerson{id: p.ID, record: record, names: names}
		}
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	if len(persons) < parallelFrom || workers == 1 {
		return out, encode(0, len(persons))
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	per := (len(persons) + workers - 1) / workers
	for w := range workers {
		lo, hi := min(w*per, len(persons)), min((w+1)*per, len(persons))
		wg.Go(func() { errs[w] = encode(lo, hi) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// encodeChunk is how many persons encodeAhead prepares at a time.
const encodeChunk = 2048

type encodedChunk struct {
	persons []encodedPerson
	err     error
}

// encodeAhead encodes persons chunk by chunk on other goroutines, one
// chunk ahead of the consumer: the transaction writes one chunk while the
// next is prepared. Closing done stops it.
func encodeAhead(op string, persons []lists.Person, done <-chan struct{}) <-chan encodedChunk {
	out := make(chan encodedChunk, 1)
	go func() {
		defer close(out)
		for chunk := range slices.Chunk(persons, encodeChunk) {
			enc, err := encodePersons(op, chunk)
			select {
			case out <- encodedChunk{enc, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// eachEncoded calls fn for every person encoded ahead, and stops at the
// first error.
func eachEncoded(op string, persons []lists.Person, fn func(encodedPerson) error) error {
	done := make(chan struct{})
	defer close(done)
	for chunk := range encodeAhead(op, persons, done) {
		if chunk.err != nil {
			return chunk.err
		}
		for _, e := range chunk.persons {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// opPersons returns the persons the ops carry.
func opPersons(ops []lists.Op) ([]lists.Person, error) {
	out := make([]lists.Person, len(ops))
	for i, op := range ops {
		if op.Person == nil {
			return nil, missingRecord(lists.ListPersons, op)
		}
		out[i] = *op.Person
	}
	return out, nil
}

type keyRow struct {
	key    string
	year   int
	nameID int64
}

// personWriter adds, changes and removes persons inside one transaction.
type personWriter struct {
	ctx     context.Context
	tx      *sql.Tx
	nextPID int64
	persons *inserter
	names   *inserter
	keys    []keyRow
	// dropKeys are index rows of changed or removed names, deleted in key
	// order (before the pending inserts, which may put some back).
	dropKeys []keyRow
	stmts    map[string]*sql.Stmt
}

var personStatements = map[string]string{
	"pid":       "SELECT pid FROM persons WHERE id = ?",
	"names":     "SELECT name_id, birth_year, prepared FROM person_names WHERE name_id BETWEEN ? AND ?",
	"delNames":  "DELETE FROM person_names WHERE name_id BETWEEN ? AND ?",
	"setRecord": "UPDATE persons SET record = ? WHERE pid = ?",
	"delPerson": "DELETE FROM persons WHERE pid = ?",
}

func newPersonWriter(ctx context.Context, tx *sql.Tx) (*personWriter, error) {
	w := &personWriter{
		ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{},
		persons: newInserter(ctx, tx, lists.ListPersons, "INSERT", "persons", []string{"pid", "id", "record"}, "", true),
		names:   newInserter(ctx, tx, lists.ListPersons, "INSERT", "person_names", []string{"name_id", "birth_year", "prepared"}, "", true),
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(pid), 0) + 1 FROM persons").Scan(&w.nextPID); err != nil {
		return nil, err
	}
	for name, q := range personStatements {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			w.close()
			return nil, err
		}
		w.stmts[name] = st
	}
	return w, nil
}

func (w *personWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// pid returns the row of the person with id, 0 when there is none.
func (w *personWriter) pid(id string) (int64, error) {
	var pid int64
	err := w.stmts["pid"].QueryRowContext(w.ctx, id).Scan(&pid)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return pid, err
}

func (w *personWriter) add(e encodedPerson) error {
	pid := w.nextPID
	w.nextPID++
	if err := w.persons.add(e.id, pid, e.id, e.record); err != nil {
		return err
	}
	return w.addNames(pid, e.id, e.names)
}

func (w *personWriter) addNames(pid int64, id string, names []storedName) error {
	for _, n := range names {
		nid := nameID(pid, n.alias)
		if err := w.names.add(id, nid, n.year, n.encoded); err != nil {
			return err
		}
		for _, k := range n.keys {
			w.keys = append(w.keys, keyRow{key: k, year: n.year, nameID: nid})
		}
	}
	if len(w.keys) >= keyFlushRows {
		return w.flushKeys()
	}
	return nil
}

// change replaces the record of an existing person; found is false when
// there is none.
func (w *personWriter) change(e encodedPerson) (found bool, err error) {
	pid, err := w.pid(e.id)
	if err != nil || pid == 0 {
		return false, err
	}
	if err := w.dropNames(pid); err != nil {
		return true, err
	}
	if _, err := w.stmts["setRecord"].ExecContext(w.ctx, e.record, pid); err != nil {
		return true, err
	}
	return true, w.addNames(pid, e.id, e.names)
}

func (w *personWriter) remove(id string) (found bool, err error) {
	pid, err := w.pid(id)
	if err != nil || pid == 0 {
		return false, err
	}
	if err := w.dropNames(pid); err != nil {
		return true, err
	}
	_, err = w.stmts["delPerson"].ExecContext(w.ctx, pid)
	return true, err
}

// dropNames deletes a person's names and their index rows, recomputing
// the keys each stored name was indexed under.
func (w *personWriter) dropNames(pid int64) error {
	first, last := nameRange(pid)
	rows, err := w.stmts["names"].QueryContext(w.ctx, first, last)
	if err != nil {
		return err
	}
	var old []keyRow
	for rows.Next() {
		var nid int64
		var year int
		var enc string
		if err := rows.Scan(&nid, &year, &enc); err != nil {
			rows.Close()
			return err
		}
		q, err := identity.DecodePrepared(enc)
		if err != nil {
			rows.Close()
			return &CorruptError{What: "stored name", Err: fmt.Errorf("name %d: %w", nid, err)}
		}
		for _, k := range q.Keys() {
			old = append(old, keyRow{key: k, year: year, nameID: nid})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	w.dropKeys = append(w.dropKeys, old...)
	if _, err = w.stmts["delNames"].ExecContext(w.ctx, first, last); err != nil {
		return err
	}
	if len(w.dropKeys) >= keyFlushRows {
		return w.flushKeys()
	}
	return nil
}

// deleteBatch is how many index rows one DELETE removes.
const deleteBatch = 200

// deleteKeys deletes the queued index rows of dropped names, in key order
// and in batches: one statement per row, in random order, was the cost of
// changing and removing persons.
func (w *personWriter) deleteKeys() error {
	sortKeyRows(w.dropKeys)
	for start := 0; start < len(w.dropKeys); start += deleteBatch {
		batch := w.dropKeys[start:min(start+deleteBatch, len(w.dropKeys))]
		args := make([]any, 0, 3*len(batch))
		for _, k := range batch {
			args = append(args, k.key, k.year, k.nameID)
		}
		q := "DELETE FROM name_keys WHERE (key, birth_year, name_id) IN (VALUES " +
			strings.TrimSuffix(strings.Repeat("(?,?,?),", len(batch)), ",") + ")"
		if _, err := w.tx.ExecContext(w.ctx, q, args...); err != nil {
			return err
		}
	}
	w.dropKeys = w.dropKeys[:0]
	return nil
}

func sortKeyRows(rows []keyRow) {
	slices.SortFunc(rows, func(a, b keyRow) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.year, b.year), cmp.Compare(a.nameID, b.nameID))
	})
}

// flushKeys writes the pending index rows in key order.
func (w *personWriter) flushKeys() error {
	if err := w.deleteKeys(); err != nil {
		return err
	}
	sortKeyRows(w.keys)
	// OR IGNORE: a row left by an older index scheme must not fail an apply.
	in := newInserter(w.ctx, w.tx, lists.ListPersons, "INSERT OR IGNORE", "name_keys", []string{"key", "birth_year", "name_id"}, "", false)
	for _, k := range w.keys {
		if err := in.add(k.key, k.key, k.year, k.nameID); err != nil {
			return err
		}
	}
	w.keys = w.keys[:0]
	return in.flush()
}

// finish writes everything still queued.
func (w *personWriter) finish() error {
	if err := w.persons.flush(); err != nil {
		return err
	}
	if err := w.names.flush(); err != nil {
		return err
	}
	return w.flushKeys()
}

// personsList is the persons list's writer.
type personsList struct{}

func (personsList) clear(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM name_keys; DELETE FROM person_names; DELETE FROM persons;")
	return err
}

func (personsList) apply(ctx context.Context, tx *sql.Tx, adds, changes, removes []lists.Op) (counts, error) {
	var c counts
	added, err := opPersons(adds)
	if err != nil {
		return c, err
	}
	changed, err := opPersons(changes)
	if err != nil {
		return c, err
	}
	w, err := newPersonWriter(ctx, tx)
	if err != nil {
		return c, err
	}
	defer w.close()
	missing := func(op, key string) error {
		return &OpError{List: lists.ListPersons, Op: op, Key: key, Why: errMissing}
	}
	for _, op := range removes {
		found, err := w.remove(op.Key)
		if err != nil {
			return c, err
		}
		if !found {
			return c, missing(op.Op, op.Key)
		}
		c.removed++
	}
	err = eachEncoded(lists.OpChange, changed, func(e encodedPerson) error {
		found, err := w.change(e)
		if err == nil && !found {
			err = missing(lists.OpChange, e.id)
		}
		c.changed++
		return err
	})
	if err != nil {
		return c, err
	}
	err = eachEncoded(lists.OpAdd, added, func(e encodedPerson) error {
		c.added++
		return w.add(e)
	})
	if err != nil {
		return c, err
	}
	return c, w.finish()
}

// preparePersonImport gives persons without an ID theirs, validates them
// and keeps the last of each ID.
func preparePersonImport(persons []lists.Person) ([]lists.Person, error) {
	persons = slices.Clone(persons)
	for i := range persons {
		if persons[i].ID == "" {
			persons[i].ID = lists.PersonID(persons[i])
		}
		if err := persons[i].Validate(); err != nil {
			return nil, fmt.Errorf("list replica: import: person %d (%s): %w", i+1, persons[i].ID, err)
		}
	}
	return lastByKey(persons, func(p lists.Person) string { return p.ID }), nil
}

// upsertPersons changes the persons present and adds the others.
func upsertPersons(ctx context.Context, tx *sql.Tx, persons []lists.Person) (counts, error) {
	var c counts
	w, err := newPersonWriter(ctx, tx)
	if err != nil {
		return c, err
	}
	defer w.close()
	err = eachEncoded("import", persons, func(e encodedPerson) error {
		found, err := w.change(e)
		if err != nil || found {
			c.changed++
			return err
		}
		c.added++
		return w.add(e)
	})
	if err != nil {
		return c, err
	}
	return c, w.finish()
}

// PersonHit is a person of interest a search found.
type PersonHit struct {
	Person lists.Person
	Alias  int // -1: the primary name matched best; else the index in Person.Aliases
	Result identity.Result
}

// candidateBudget bounds the names a search takes from whole key lists:
// without it a query of frequent tokens (NGUYEN THI, EL IDRISSI, MOHAMMED)
// would score thousands of names at national scale.
const candidateBudget = 600

// FindPersons returns the persons one of whose names scores at least
// threshold against q (identity.Match), the best name of each, best first.
// Candidates come from the name index, in the birth years
// identity.CandidateYears allows (any year when it returns nil): the whole
// lists of q's keys, shortest first, as long as they stay within
// candidateBudget names together; of the names filed only under q's other
// (common) keys, those sharing all of them (all but one when no list was
// taken whole), two at least. A query with one key in the index takes its
// whole list. The cost of the budget: a name sharing only one common key
// with q, or missing two of q's keys, is not found; such names score below
// the threshold unless their tokens differ by slips that change the keys.
func (r *Replica) FindPersons(ctx context.Context, q identity.Prepared, threshold float64) ([]PersonHit, error) {
	keys := q.Keys()
	if len(keys) == 0 {
		return nil, nil
	}
	s := r.search(ctx, identity.CandidateYears(q.Birth))
	whole, common, err := s.plan(keys)
	if err != nil {
		return nil, classify(r.path, "searching persons", err)
	}
	m := startMatcher(q, threshold)
	seen := map[int64]bool{}
	add := func(nid int64, enc string) {
		if !seen[nid] {
			seen[nid] = true
			m.add(nid, enc)
		}
	}
	if len(whole) > 0 {
		err = s.scan(s.stmts.names, whole, add)
	}
	if err == nil && len(common) > 1 {
		// A hit may miss one of q's keys (a middle name left out, a slip),
		// and a name found here misses the keys taken whole: it shares all
		// common keys, or all but one when none was taken whole; two at
		// least.
		need := len(common)
		if len(whole) == 0 {
			need = max(2, need-1)
		}
		err = s.scan(s.stmts.shared, common, add, need)
	}
	best, merr := m.wait()
	if err != nil {
		return nil, classify(r.path, "searching persons", err)
	}
	if merr != nil {
		return nil, &CorruptError{Path: r.path, What: "stored name", Err: merr}
	}
	return r.hits(ctx, best)
}

// matchBatch is how many candidates the scan hands the matcher at a time.
const matchBatch = 128

type candidate struct {
	nameID   int64
	prepared string
}

// matcher decodes and scores candidates on its own goroutine while the
// scan reads the next ones from SQLite, and keeps each person's best name.
type matcher struct {
	batch []candidate
	in    chan []candidate
	done  chan struct{}
	best  map[int64]PersonHit
	err   error
}

func startMatcher(q identity.Prepared, threshold float64) *matcher {
	m := &matcher{in: make(chan []candidate, 2), done: make(chan struct{}), best: map[int64]PersonHit{}}
	go func() {
		defer close(m.done)
		for batch := range m.in {
			for _, c := range batch {
				if m.err == nil {
					m.err = m.score(q, threshold, c)
				}
			}
		}
	}()
	return m
}

func (m *matcher) add(nameID int64, prepared string) {
	m.batch = append(m.batch, candidate{nameID, prepared})
	if len(m.batch) == matchBatch {
		m.in <- m.batch
		m.batch = make([]candidate, 0, matchBatch)
	}
}

// wait scores what is left and returns the best name of each person.
func (m *matcher) wait() (map[int64]PersonHit, error) {
	if len(m.batch) > 0 {
		m.in <- m.batch
	}
	close(m.in)
	<-m.done
	return m.best, m.err
}

func (m *matcher) score(q identity.Prepared, threshold float64, c candidate) error {
	rec, err := identity.DecodePrepared(c.prepared)
	if err != nil {
		return fmt.Errorf("name %d: %w", c.nameID, err)
	}
	// Most candidates miss: score them without building the reasons.
	if identity.MatchScore(q, rec) < threshold {
		return nil
	}
	res := identity.Match(q, rec)
	pid, alias := splitNameID(c.nameID)
	if prev, ok := m.best[pid]; !ok || res.Score > prev.Result.Score || (res.Score == prev.Result.Score && alias < prev.Alias) {
		m.best[pid] = PersonHit{Alias: alias, Result: res}
	}
	return nil
}

// search binds the name search to the years searched.
type search struct {
	ctx   context.Context
	stmts searchStmts
	years string // JSON array; "" for any year
}

func (r *Replica) search(ctx context.Context, years []int) search {
	if years == nil {
		return search{ctx: ctx, stmts: r.stmts.search[0]}
	}
	y, _ := json.Marshal(years)
	return search{ctx: ctx, stmts: r.stmts.search[1], years: string(y)}
}

func (s search) args(keys []string, more ...any) []any {
	k, _ := json.Marshal(keys)
	args := []any{string(k)}
	if s.years != "" {
		args = append(args, s.years)
	}
	return append(args, more...)
}

// plan parts q's keys present in the index into those whose whole lists
// are taken (shortest first, within candidateBudget names, and always the
// only one) and the common others.
func (s search) plan(keys []string) (whole, common []string, err error) {
	type posting struct {
		key   string
		names int
	}
	var present []posting
	rows, err := s.stmts.postings.QueryContext(s.ctx, s.args(keys)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p posting
		if err := rows.Scan(&p.key, &p.names); err != nil {
			return nil, nil, err
		}
		present = append(present, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(present, func(a, b posting) int { return cmp.Compare(a.names, b.names) })
	total := 0
	for i, p := range present {
		if len(present) == 1 || (i == len(whole) && total+p.names <= candidateBudget) {
			whole = append(whole, p.key)
			total += p.names
		} else {
			common = append(common, p.key)
		}
	}
	return whole, common, nil
}

// scan runs a candidate query and hands each name to fn.
func (s search) scan(st *sql.Stmt, keys []string, fn func(nameID int64, prepared string), more ...any) error {
	rows, err := st.QueryContext(s.ctx, s.args(keys, more...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var nid int64
		var enc string
		if err := rows.Scan(&nid, &enc); err != nil {
			return err
		}
		fn(nid, enc)
	}
	return rows.Err()
}

// hits reads the records of the persons found and sorts them best first.
func (r *Replica) hits(ctx context.Context, best map[int64]PersonHit) ([]PersonHit, error) {
	hits := make([]PersonHit, 0, len(best))
	for pid, h := range best {
		var record []byte
		if err := r.stmts.personRecord.QueryRowContext(ctx, pid).Scan(&record); err != nil {
			return nil, classify(r.path, "reading a person found", err)
		}
		if err := json.Unmarshal(record, &h.Person); err != nil {
			return nil, &CorruptError{Path: r.path, What: "stored person", Err: err}
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b PersonHit) int {
		return cmp.Or(cmp.Compare(b.Result.Score, a.Result.Score), strings.Compare(a.Person.ID, b.Person.ID))
	})
	return hits, nil
}

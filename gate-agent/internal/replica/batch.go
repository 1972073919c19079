package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/mattn/go-sqlite3"

	"autogate/internal/lists"
)

// batchRows is how many rows one multi-row INSERT carries: fewer calls
// into SQLite per row, and far below its limit of 32766 parameters.
const batchRows = 128

// inserter writes rows through multi-row INSERT statements prepared once
// per transaction.
type inserter struct {
	ctx  context.Context
	tx   *sql.Tx
	head string // "INSERT INTO t (a, b) VALUES "
	tail string // an ON CONFLICT clause, or ""
	ncol int
	// strict: every row must insert, else the row that did not is found
	// and reported as an add of a key already in the list.
	strict bool
	list   string

	full   *sql.Stmt
	args   []any
	labels []string // each pending row's key, for errors
	rows   int64    // rows changed by the statements so far
}

func newInserter(ctx context.Context, tx *sql.Tx, list, verb, table string, cols []string, tail string, strict bool) *inserter {
	return &inserter{
		ctx: ctx, tx: tx, list: list, strict: strict, tail: tail, ncol: len(cols),
		head: fmt.Sprintf("%s INTO %s (%s) VALUES ", verb, table, strings.Join(cols, ", ")),
	}
}

func (in *inserter) sql(rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", in.ncol), ", ") + ")"
	return in.head + strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ") + in.tail
}

// add queues one row (its values in column order); label names it in errors.
func (in *inserter) add(label string, vals ...any) error {
	in.args = append(in.args, vals...)
	in.labels = append(in.labels, label)
	if len(in.labels) < batchRows {
		return nil
	}
	if in.full == nil {
		st, err := in.tx.PrepareContext(in.ctx, in.sql(batchRows))
		if err != nil {
			return err
		}
		in.full = st
	}
	return in.run(in.full)
}

// flush writes the queued rows and releases the prepared statement.
func (in *inserter) flush() error {
	defer func() {
		if in.full != nil {
			in.full.Close()
			in.full = nil
		}
	}()
	if len(in.labels) == 0 {
		return nil
	}
	st, err := in.tx.PrepareContext(in.ctx, in.sql(len(in.labels)))
	if err != nil {
		return err
	}
	defer st.Close()
	return in.run(st)
}

func (in *inserter) run(st *sql.Stmt) error {
	n := len(in.labels)
	res, err := st.ExecContext(in.ctx, in.args...)
	if err == nil {
		var changed int64
		changed, err = res.RowsAffected()
		in.rows += changed
		if err == nil && in.strict && changed != int64(n) {
			err = fmt.Errorf("%d of %d rows inserted", changed, n)
		}
	}
	if err != nil && in.strict {
		// A failed statement leaves no row behind: find the culprit row by row.
		err = in.blame(err)
	}
	in.args, in.labels = in.args[:0], in.labels[:0]
	return err
}

// blame inserts the pending rows one by one to name the one that fails.
func (in *inserter) blame(batchErr error) error {
	one, err := in.tx.PrepareContext(in.ctx, in.sql(1))
	if err != nil {
		return batchErr
	}
	defer one.Close()
	for i, label := range in.labels {
		_, err := one.ExecContext(in.ctx, in.args[i*in.ncol:(i+1)*in.ncol]...)
		var se sqlite3.Error
		if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
			return &OpError{List: in.list, Op: lists.OpAdd, Key: label, Why: "the key is already in the list"}
		}
		if err != nil {
			return err
		}
	}
	return batchErr
}

package lists

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The CSV files an officer or an import job loads lists from. The header
// row is required; a UTF-8 byte order mark before it is tolerated. Fields are
// trimmed; names are kept as typed (any script), codes and document numbers
// normalised (NormaliseState, NormaliseDocumentNumber, NormaliseDocumentType,
// lower-case category and reason). Blank lines, and rows whose every field
// is empty, are skipped.
var (
	// PersonsColumns head a persons file, in this order.
	PersonsColumns = []string{"surname", "given_names", "birth_date", "nationality", "category"}
	// PersonsOptionalColumns may follow them, in any order: id (else
	// PersonID is used), aliases ("SURNAME, GIVEN [YYYY-MM-DD]; SURNAME2,
	// GIVEN2", the date only when it differs from the person's) and note.
	PersonsOptionalColumns = []string{"id", "aliases", "note"}
	// DocumentsColumns head a documents file, exactly.
	DocumentsColumns = []string{"document_number", "issuing_state", "document_type", "reason"}
)

// RowError is a bad CSV row: its 1-based line number in the file (the line
// it starts on, for a row with quoted line breaks) and why.
type RowError struct {
	Line int
	Err  string
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Err) }

// ReadPersonsCSV reads a persons CSV. Bad rows (wrong field count, invalid
// field, a person already on an earlier line) are returned as RowErrors and
// skipped; err is for an unreadable file or a wrong header.
func ReadPersonsCSV(r io.Reader) (persons []Person, bad []RowError, err error) {
	return readCSV(r, "person", PersonsColumns, PersonsOptionalColumns, parsePersonRow)
}

// ReadDocumentsCSV reads a documents CSV, as ReadPersonsCSV.
func ReadDocumentsCSV(r io.Reader) (docs []Document, bad []RowError, err error) {
	return readCSV(r, "document", DocumentsColumns, nil, parseDocumentRow)
}

// PersonID is the id of a person read from a CSV row without one: a hash of
// the trimmed, upper-cased names, the birth date and the nationality, so
// importing the same file twice changes nothing. Category, aliases and
// note are left out: a row that only changes them updates the person.
func PersonID(p Person) string {
	h := sha256.New()
	for _, f := range []string{p.Surname, p.GivenNames, p.BirthDate, NormaliseState(p.Nationality)} {
		io.WriteString(h, strings.ToUpper(strings.Join(strings.Fields(f), " ")))
		h.Write([]byte{0}) // no valid field holds NUL: the fields cannot run into each other
	}
	return "csv-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// rowField returns a column's trimmed value, "" for an absent optional one.
type rowField func(column string) string

var utf8BOM = []byte("\xEF\xBB\xBF")

func readCSV[T any](r io.Reader, what string, required, optional []string, parse func(rowField) (T, string, error)) ([]T, []RowError, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, so a short row is a RowError, not the end
	wantHeader := describeHeader(required, optional)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("the file is empty; its first line must be the header %s", wantHeader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the header (want %s): %w", wantHeader, err)
	}
	index, err := headerIndex(head, required, optional)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; want %s", err, wantHeader)
	}
	var (
		out       []T
		bad       []RowError
		firstLine = map[string]int{}
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, bad, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad = append(bad, RowError{Line: pe.StartLine, Err: describeParseError(pe)})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the %s file: %w", what, err)
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if len(rec) != len(head) {
			bad = append(bad, RowError{Line: line, Err: fmt.Sprintf("%d fields; the header has %d", len(rec), len(head))})
			continue
		}
		v, key, err := parse(func(column string) string {
			if i, ok := index[column]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		})
		if err != nil {
			bad = append(bad, RowError{Line: line, Err: err.Error()})
			continue
		}
		if first, dup := firstLine[key]; dup {
			bad = append(bad, RowError{Line: line, Err: fmt.Sprintf("the same %s as line %d (key %q); keep one row", what, first, key)})
			continue
		}
		firstLine[key] = line
		out = append(out, v)
	}
}

func describeHeader(required, optional []string) string {
	s := fmt.Sprintf("%q", strings.Join(required, ","))
	if len(optional) > 0 {
		s += " optionally followed by any of " + strings.Join(optional, ", ")
	}
	return s
}

// headerIndex maps column names to positions: the required columns in
// order, then optional ones in any order, each at most once.
func headerIndex(head, required, optional []string) (map[string]int, error) {
	if len(head) < len(required) || !slices.Equal(head[:len(required)], required) {
		return nil, fmt.Errorf("the header is %q", strings.Join(head, ","))
	}
	index := make(map[string]int, len(head))
	for i, name := range head {
		if _, dup := index[name]; dup {
			return nil, fmt.Errorf("the header names column %q twice", name)
		}
		if i >= len(required) && !slices.Contains(optional, name) {
			return nil, fmt.Errorf("the header has an unknown column %q", name)
		}
		index[name] = i
	}
	return index, nil
}

func describeParseError(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("a quote '\"' inside an unquoted field (line %d, column %d); quote the whole field and double the quote inside", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("a quoted field is not closed, or text follows its closing quote (line %d, column %d)", pe.Line, pe.Column)
	}
	return pe.Err.Error()
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parsePersonRow(field rowField) (Person, string, error) {
	p := Person{
		ID:          field("id"),
		Surname:     field("surname"),
		GivenNames:  field("given_names"),
		BirthDate:   field("birth_date"),
		Nationality: NormaliseState(field("nationality")),
		Category:    strings.ToLower(field("category")),
		Note:        field("note"),
	}
	aliases, err := parseAliases(field("aliases"))
	if err != nil {
		return Person{}, "", err
	}
	p.Aliases = aliases
	if p.ID == "" {
		p.ID = PersonID(p)
	}
	if err := p.Validate(); err != nil {
		return Person{}, "", err
	}
	return p, p.ID, nil
}

func parseDocumentRow(field rowField) (Document, string, error) {
	d := Document{
		Number:       NormaliseDocumentNumber(field("document_number")),
		IssuingState: NormaliseState(field("issuing_state")),
		Type:         NormaliseDocumentType(field("document_type")),
		Reason:       strings.ToLower(field("reason")),
	}
	if err := d.Validate(); err != nil {
		return Document{}, "", err
	}
	return d, DocumentKey(d.IssuingState, d.Number), nil
}

// parseAliases reads "SURNAME, GIVEN [YYYY-MM-DD]; SURNAME2, GIVEN2": the
// given names and the bracketed birth date may be left out.
func parseAliases(s string) ([]Alias, error) {
	var out []Alias
	n := 0
	for entry := range strings.SplitSeq(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		var a Alias
		name := entry
		if strings.HasSuffix(entry, "]") {
			open := strings.LastIndexByte(entry, '[')
			if open < 0 {
				return nil, fmt.Errorf("aliases: entry %d %q has ']' without '['", n, entry)
			}
			name, a.BirthDate = strings.TrimSpace(entry[:open]), strings.TrimSpace(entry[open+1:len(entry)-1])
		}
		if strings.ContainsAny(name, "[]") {
			return nil, fmt.Errorf("aliases: entry %d %q: write a birth date as [YYYY-MM-DD] at the end of the entry", n, entry)
		}
		surname, given, _ := strings.Cut(name, ",")
		a.Surname, a.GivenNames = strings.TrimSpace(surname), strings.TrimSpace(given)
		if a.Surname == "" {
			return nil, fmt.Errorf("aliases: entry %d %q has no surname (write SURNAME, GIVEN NAMES)", n, entry)
		}
		out = append(out, a)
	}
	return out, nil
}

// formatAliases writes what parseAliases reads; names that would not read
// back (a surname with ',', any name with ';', '[' or ']') are refused.
func formatAliases(aliases []Alias) (string, error) {
	var b strings.Builder
	for i, a := range aliases {
		if strings.ContainsAny(a.Surname, ",;[]") || strings.ContainsAny(a.GivenNames, ";[]") {
			return "", fmt.Errorf("aliases[%d] %q, %q cannot be written in the aliases column: names there must not hold ; [ ] (nor , in a surname)", i, a.Surname, a.GivenNames)
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.Surname)
		if a.GivenNames != "" {
			b.WriteString(", " + a.GivenNames)
		}
		if a.BirthDate != "" {
			b.WriteString(" [" + a.BirthDate + "]")
		}
	}
	return b.String(), nil
}

// CSVWriter writes records as a CSV file ReadPersonsCSV or
// ReadDocumentsCSV reads back unchanged, one record at a time, so a
// generator can stream millions. Records are validated first. Call Flush
// at the end: it writes the header even when no record was written.
type CSVWriter[T Person | Document] struct {
	cw      *csv.Writer
	header  []string
	format  func(T) ([]string, error)
	started bool
}

// NewPersonsCSVWriter writes persons with every column, id included.
func NewPersonsCSVWriter(w io.Writer) *CSVWriter[Person] {
	return &CSVWriter[Person]{cw: csv.NewWriter(w), header: slices.Concat(PersonsColumns, PersonsOptionalColumns), format: formatPerson}
}

// NewDocumentsCSVWriter writes documents.
func NewDocumentsCSVWriter(w io.Writer) *CSVWriter[Document] {
	return &CSVWriter[Document]{cw: csv.NewWriter(w), header: DocumentsColumns, format: formatDocument}
}

func formatPerson(p Person) ([]string, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	aliases, err := formatAliases(p.Aliases)
	if err != nil {
		return nil, err
	}
	return []string{p.Surname, p.GivenNames, p.BirthDate, p.Nationality, p.Category, p.ID, aliases, p.Note}, nil
}

func formatDocument(d Document) ([]string, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return []string{d.Number, d.IssuingState, d.Type, d.Reason}, nil
}

func (w *CSVWriter[T]) writeHeader() error {
	if w.started {
		return nil
	}
	w.started = true
	return w.cw.Write(w.header)
}

// Write validates rec and writes its row.
func (w *CSVWriter[T]) Write(rec T) error {
	row, err := w.format(rec)
	if err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	return w.cw.Write(row)
}

// Flush writes what is buffered (and the header, if nothing was written).
func (w *CSVWriter[T]) Flush() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.cw.Flush()
	return w.cw.Error()
}

// WritePersonsCSV writes persons as ReadPersonsCSV reads them back.
func WritePersonsCSV(w io.Writer, persons []Person) error {
	return writeAll(NewPersonsCSVWriter(w), persons, func(p Person) string { return "person " + p.ID })
}

// WriteDocumentsCSV writes documents as ReadDocumentsCSV reads them back.
func WriteDocumentsCSV(w io.Writer, docs []Document) error {
	return writeAll(NewDocumentsCSVWriter(w), docs, func(d Document) string { return "document " + DocumentKey(d.IssuingState, d.Number) })
}

func writeAll[T Person | Document](w *CSVWriter[T], recs []T, name func(T) string) error {
	for i, rec := range recs {
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("%s (row %d): %w", name(rec), i, err)
		}
	}
	return w.Flush()
}

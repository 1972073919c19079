package lists

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// DeltaVersion is the delta schema this build speaks ("v").
const DeltaVersion = 1

// MaxDeltaBytes bounds a delta read from outside.
const MaxDeltaBytes = 64 << 20

// Errors of DecodeDelta, wrapped with detail, so a caller can count them by
// kind.
var (
	ErrDeltaTooLarge  = errors.New("delta too large")
	ErrDeltaMalformed = errors.New("malformed delta")
	ErrDeltaVersion   = errors.New("unknown delta version")
	ErrDeltaInvalid   = errors.New("invalid delta")
)

// DecodeDelta reads and validates a JSON delta (at most MaxDeltaBytes).
// Unknown fields and trailing data are refused.
func DecodeDelta(r io.Reader) (Delta, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDeltaBytes+1))
	if err != nil {
		return Delta{}, fmt.Errorf("reading the delta: %w", err)
	}
	if len(data) > MaxDeltaBytes {
		return Delta{}, fmt.Errorf("%w: more than %d bytes; central must split it into smaller deltas", ErrDeltaTooLarge, MaxDeltaBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Delta
	if err := dec.Decode(&d); err != nil {
		return Delta{}, fmt.Errorf("%w: %v", ErrDeltaMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Delta{}, fmt.Errorf("%w: data after the delta's JSON object", ErrDeltaMalformed)
	}
	if d.V != DeltaVersion {
		return Delta{}, fmt.Errorf("%w: v is %d; this build reads version %d (upgrade the gate, or have central send v %d)", ErrDeltaVersion, d.V, DeltaVersion, DeltaVersion)
	}
	if err := d.Validate(); err != nil {
		return Delta{}, fmt.Errorf("%w: %w", ErrDeltaInvalid, err)
	}
	return d, nil
}

// EncodeDelta validates d and writes it as one JSON object and a newline.
// V may be left 0: it is written as DeltaVersion. A delta DecodeDelta would
// refuse as too large is refused here already.
func EncodeDelta(w io.Writer, d Delta) error {
	if d.V == 0 {
		d.V = DeltaVersion
	}
	if d.V != DeltaVersion {
		return fmt.Errorf("%w: v is %d; this build writes version %d", ErrDeltaVersion, d.V, DeltaVersion)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrDeltaInvalid, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // names stay readable; nothing here is embedded in HTML
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("encoding the delta: %w", err)
	}
	if buf.Len() > MaxDeltaBytes {
		return fmt.Errorf("%w: %d bytes encoded, at most %d; split it into smaller deltas", ErrDeltaTooLarge, buf.Len(), MaxDeltaBytes)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Validate checks a delta: known list, To = From+1 (or Full, From = 0 and
// To ≥ 1), IssuedAt set, every op well formed for its list, keys matching
// their records, no key twice, only adds in a Full delta. Errors name the
// op's index and key.
func (d Delta) Validate() error {
	if !slices.Contains(Names, d.List) {
		return fmt.Errorf("list %q is not one of %s", d.List, strings.Join(Names, ", "))
	}
	if d.Full {
		if d.From != 0 || d.To < 1 {
			return fmt.Errorf("a full delta goes from version 0 to a version ≥ 1; this one goes from %d to %d", d.From, d.To)
		}
	} else if d.From < 0 || d.To != d.From+1 {
		return fmt.Errorf("a delta goes from version N ≥ 0 to N+1; this one goes from %d to %d (send a full delta to jump)", d.From, d.To)
	}
	if d.IssuedAt.IsZero() {
		return errors.New("issued_at is not set")
	}
	seen := make(map[string]int, len(d.Ops))
	for i, op := range d.Ops {
		if err := op.validate(d.List, d.Full); err != nil {
			return fmt.Errorf("op %d (key %q): %w", i, op.Key, err)
		}
		if j, dup := seen[op.Key]; dup {
			return fmt.Errorf("op %d (key %q): the key is already changed by op %d; merge them", i, op.Key, j)
		}
		seen[op.Key] = i
	}
	return nil
}

// RecordKey returns the key of the op's record (for add and change): the
// id of persons, visas and movements, "ISSUING_STATE/NUMBER" of documents
// and registered travellers; "" when the op carries no record.
func (o Op) RecordKey() string {
	switch {
	case o.Person != nil:
		return o.Person.ID
	case o.Document != nil:
		return DocumentKey(o.Document.IssuingState, o.Document.Number)
	case o.Visa != nil:
		return o.Visa.ID
	case o.Registered != nil:
		return DocumentKey(o.Registered.IssuingState, o.Registered.DocumentNumber)
	case o.Movement != nil:
		return o.Movement.ID
	}
	return ""
}

// carried names the record fields the op sets, with the record's validator.
func (o Op) carried() (names []string, validate func() error) {
	add := func(set bool, name string, v func() error) {
		if set {
			names = append(names, name)
			validate = v
		}
	}
	add(o.Person != nil, "person", func() error { return o.Person.Validate() })
	add(o.Document != nil, "document", func() error { return o.Document.Validate() })
	add(o.Visa != nil, "visa", func() error { return o.Visa.Validate() })
	add(o.Registered != nil, "registered", func() error { return o.Registered.Validate() })
	add(o.Movement != nil, "movement", func() error { return o.Movement.Validate() })
	return names, validate
}

// recordField is the op field a list's records travel in.
var recordField = map[string]string{
	ListPersons: "person", ListDocuments: "document", ListVisas: "visa",
	ListRegistered: "registered", ListMovements: "movement",
}

func (o Op) validate(list string, full bool) error {
	names, validateRecord := o.carried()
	want := recordField[list]
	switch o.Op {
	case OpAdd, OpChange:
		if full && o.Op != OpAdd {
			return fmt.Errorf("a full delta holds only %q ops, not %q", OpAdd, o.Op)
		}
		if len(names) != 1 || names[0] != want {
			return fmt.Errorf("%s must carry exactly one %q record in a %s delta; it carries %v", o.Op, want, list, names)
		}
		if err := validateRecord(); err != nil {
			return fmt.Errorf("%s: %w", want, err)
		}
		if k := o.RecordKey(); k != o.Key {
			return fmt.Errorf("the key differs from the record's key %q", k)
		}
	case OpRemove:
		if full {
			return fmt.Errorf("a full delta holds only %q ops, not %q", OpAdd, o.Op)
		}
		if len(names) != 0 {
			return fmt.Errorf("remove carries only the key; drop its %v record", names)
		}
		return checkKey(list, o.Key)
	default:
		return fmt.Errorf("op %q is not one of %s, %s, %s", o.Op, OpAdd, OpChange, OpRemove)
	}
	return nil
}

// checkKey checks the shape of a key of list: an id, or ISSUING_STATE/NUMBER.
func checkKey(list, key string) error {
	if list != ListDocuments && list != ListRegistered {
		return checkID("key", key)
	}
	state, number, ok := strings.Cut(key, "/")
	if !ok {
		return fmt.Errorf("key %q is not ISSUING_STATE/DOCUMENT_NUMBER", key)
	}
	if err := checkState("key's issuing state", state); err != nil {
		return err
	}
	return checkDocumentNumber("key's document number", number)
}

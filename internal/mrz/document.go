package mrz

import (
	"bytes"
	"encoding/json"
)

// Format is an MRZ layout of ICAO Doc 9303.
type Format string

// The five MRZ layouts.
const (
	TD1  Format = "TD1"  // identity cards, 3 lines × 30 (9303-5)
	TD2  Format = "TD2"  // official travel documents, 2 lines × 36 (9303-6)
	TD3  Format = "TD3"  // passports, 2 lines × 44 (9303-4)
	MRVA Format = "MRVA" // visas, 2 lines × 44 (9303-7)
	MRVB Format = "MRVB" // visas, 2 lines × 36 (9303-7)
)

// Formats lists every format, in a stable order.
var Formats = []Format{TD1, TD2, TD3, MRVA, MRVB}

// Document is what Parse read from an MRZ. Fields hold the text as read,
// fillers trimmed, even when a check fails; Valid tells whether every rule of
// Doc 9303 held, and Errors lists each failed rule (never nil).
type Document struct {
	Format       Format `json:"format"`
	DocumentCode string `json:"document_code"`
	IssuingState string `json:"issuing_state"`
	Surname      string `json:"surname"`
	GivenNames   string `json:"given_names"`
	// NameTruncated is set when the name field is full to its last
	// character, which Doc 9303 uses to mark a possibly truncated name.
	NameTruncated bool `json:"name_truncated"`
	// DocumentNumber is the whole number, fillers trimmed; for TD1/TD2
	// numbers longer than 9 characters it includes the continuation held in
	// the optional data. (BAC/PACE key derivation pads numbers shorter than
	// 9 characters back with '<'.)
	DocumentNumber string `json:"document_number"`
	Nationality    string `json:"nationality"`
	BirthDate      string `json:"birth_date"`  // YYYY-MM-DD; "00" for an unknown day or month
	Sex            string `json:"sex"`         // M, F or X (unspecified)
	ExpiryDate     string `json:"expiry_date"` // YYYY-MM-DD
	// OptionalData is the TD3 personal number, the TD1 line-1 / TD2 / MRV
	// optional data (after any document-number continuation), fillers trimmed.
	OptionalData  string   `json:"optional_data"`
	OptionalData2 string   `json:"optional_data_2"` // TD1 line-2 optional data
	Lines         []string `json:"lines"`
	Valid         bool     `json:"valid"`
	Errors        []string `json:"errors"`
}

// MarshalJSON writes lists as [] rather than null, so consumers of the CLI
// and of crossing records need not special-case a zero Document.
func (d Document) MarshalJSON() ([]byte, error) {
	type plain Document // drops this method, avoiding recursion
	p := plain(d)
	if p.Errors == nil {
		p.Errors = []string{}
	}
	if p.Lines == nil {
		p.Lines = []string{}
	}
	// '<' is in every MRZ line: leave it readable unless the caller's
	// encoder asks for HTML escaping (json.Marshal does).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

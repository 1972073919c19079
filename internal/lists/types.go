package lists

import "time"

// The lists. Each is versioned on its own.
const (
	ListPersons    = "persons"
	ListDocuments  = "documents"
	ListVisas      = "visas"
	ListRegistered = "registered"
	ListMovements  = "movements"
)

// Names lists every list, in the order a full resync applies them.
var Names = []string{ListPersons, ListDocuments, ListVisas, ListRegistered, ListMovements}

// Categories of persons of interest.
const (
	CategoryWanted   = "wanted"
	CategoryEntryBan = "entry_ban"
	CategoryExitBan  = "exit_ban"
	CategoryWatch    = "watch"
)

// Categories lists the categories a person record may carry.
var Categories = []string{CategoryWanted, CategoryEntryBan, CategoryExitBan, CategoryWatch}

// Reasons a document is on the documents list.
const (
	ReasonLost    = "lost"
	ReasonStolen  = "stolen"
	ReasonRevoked = "revoked"
)

// DocumentReasons lists the reasons a document record may carry.
var DocumentReasons = []string{ReasonLost, ReasonStolen, ReasonRevoked}

// Kinds of visa records.
const (
	KindVisa            = "visa"
	KindResidencePermit = "residence_permit"
)

// Directions of a movement (same words as a gate's direction).
const (
	DirectionEntry = "entry"
	DirectionExit  = "exit"
)

// Person is a person of interest. Names are held as an officer typed them
// (UTF-8, any script, diacritics included); matching transliterates them.
type Person struct {
	ID         string `json:"id"`
	Surname    string `json:"surname"`
	GivenNames string `json:"given_names"`
	// BirthDate is YYYY-MM-DD with 00 for an unknown month or day, and
	// 0000 for an unknown year.
	BirthDate   string  `json:"birth_date"`
	Nationality string  `json:"nationality"` // ICAO 3-letter code; "" unknown
	Category    string  `json:"category"`
	Aliases     []Alias `json:"aliases,omitempty"`
	Note        string  `json:"note,omitempty"` // for the officer
}

// Alias is another name a person of interest is known under; an empty
// BirthDate means the person's own.
type Alias struct {
	Surname    string `json:"surname"`
	GivenNames string `json:"given_names"`
	BirthDate  string `json:"birth_date,omitempty"`
}

// Document is a lost, stolen or revoked travel document. Its key is
// IssuingState and Number.
type Document struct {
	Number       string `json:"document_number"`
	IssuingState string `json:"issuing_state"`
	Type         string `json:"document_type"` // MRZ document code: "P", "I", "ID", ...
	Reason       string `json:"reason"`
}

// Visa is a visa or residence permit held for a travel document.
type Visa struct {
	ID             string `json:"id"`
	DocumentNumber string `json:"document_number"` // the travel document it is tied to
	IssuingState   string `json:"issuing_state"`   // of that travel document
	Kind           string `json:"kind"`            // visa | residence_permit
	ValidFrom      string `json:"valid_from"`      // YYYY-MM-DD
	ValidUntil     string `json:"valid_until"`     // YYYY-MM-DD, inclusive
	// Entries allowed (0: multiple); StayDays is the permitted stay per
	// entry (0: the whole validity).
	Entries  int `json:"entries"`
	StayDays int `json:"stay_days"`
}

// Registered is a traveller enrolled to use the gates (a border-pass
// holder must be, before a gate admits them).
type Registered struct {
	DocumentNumber string `json:"document_number"`
	IssuingState   string `json:"issuing_state"`
	Programme      string `json:"programme"`   // e.g. "border_pass", "registered_traveller"
	ValidUntil     string `json:"valid_until"` // YYYY-MM-DD, inclusive
}

// Movement is one recorded crossing of a travel document at the gate group.
type Movement struct {
	ID             string    `json:"id"` // the crossing's id
	DocumentNumber string    `json:"document_number"`
	IssuingState   string    `json:"issuing_state"`
	Direction      string    `json:"direction"` // entry | exit
	At             time.Time `json:"at"`
	Gate           string    `json:"gate"`
}

// Operations of a delta.
const (
	OpAdd    = "add"
	OpChange = "change"
	OpRemove = "remove"
)

// Op is one change to a list. Add and change carry the record (the one
// field that matches the delta's list); remove carries only the key.
type Op struct {
	Op string `json:"op"`
	// Key identifies the record: Person.ID, Visa.ID and Movement.ID;
	// "ISSUING_STATE/NUMBER" for documents and registered travellers.
	Key        string      `json:"key"`
	Person     *Person     `json:"person,omitempty"`
	Document   *Document   `json:"document,omitempty"`
	Visa       *Visa       `json:"visa,omitempty"`
	Registered *Registered `json:"registered,omitempty"`
	Movement   *Movement   `json:"movement,omitempty"`
}

// Delta moves one list from version From to version To (= From+1). A
// delta with From = 0 and Full set replaces the whole list (a resync).
type Delta struct {
	V        int       `json:"v"`
	List     string    `json:"list"`
	From     int64     `json:"from"`
	To       int64     `json:"to"`
	Full     bool      `json:"full,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt, set by central when it signs the delta, is when a gate
	// stops accepting it (a recorded delta cannot be replayed later).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Ops       []Op      `json:"ops"`
}

// DocumentKey is the key of a document or registered-traveller record.
func DocumentKey(issuingState, number string) string { return issuingState + "/" + number }

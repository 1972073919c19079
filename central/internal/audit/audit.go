package audit

import (
	"time"
)

// Actions recorded (stable: reports and scripts key on them).
const (
	ActionLogin        = "login"
	ActionLoginFailed  = "login_failed"
	ActionLogout       = "logout"
	ActionUserAdd      = "user_add"
	ActionUserChange   = "user_change" // disable, enable, unlock, password, totp
	ActionCommand      = "command"     // an officer's command to a gate, with its reason
	ActionCommandAck   = "command_ack" // the gate's answer to it
	ActionListsPush    = "lists_push"
	ActionConfigPush   = "config_push"
	ActionGateAdd      = "gate_add"
	ActionImagesPurged = "images_purged"
)

// Entry is one record. Actor is the user name (or "cli:<os user>" for a
// command run on central's host, "central" for central itself); Target
// what was acted on (a gate, a user, a list); Detail the rest.
type Entry struct {
	Seq    int64             `json:"seq"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Post   string            `json:"post,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
	Prev   string            `json:"prev"` // hex SHA-256 of the previous record ("" for the first)
	Hash   string            `json:"hash"` // hex SHA-256 of Prev and this record's canonical encoding
}

// Break names the first record whose chain does not hold.
type Break struct {
	Seq    int64
	Reason string // e.g. "hash does not match its content", "prev does not match record 41", "record 42 missing"
}

// Result of Verify.
type Result struct {
	Records int64  // records checked
	Head    string // hash of the last record
	Broken  *Break // nil when the chain is intact
}

package store

import (
	"context"
	"errors"
	"time"

	"autogate/internal/wire"
)

// ErrNotImplemented is returned by stubs under construction.
var ErrNotImplemented = errors.New("store: not implemented yet")

// Image kinds of a referral.
const (
	ImageChipPhoto   = "chip_photo"
	ImageLiveCapture = "live_capture"
)

// Referral states, as the console shows them.
const (
	ReferralWaiting = "waiting" // the traveller is (or may be) in the lane; no officer has settled it
	ReferralSettled = "settled" // an officer's command settled it (see Command)
	ReferralClosed  = "closed"  // the crossing record arrived without an officer's command
)

// Referral is a referral as central holds it: the gate's notice, its
// images' presence (the images themselves are read one at a time, and
// purged after the retention), the officer's latest command on it and,
// once the crossing record has arrived, its door outcome.
type Referral struct {
	ID         string        `json:"id"` // the crossing's id
	Gate       string        `json:"gate"`
	Post       string        `json:"post"`
	ReceivedAt time.Time     `json:"received_at"`
	HeldUntil  time.Time     `json:"held_until,omitzero"`
	Crossing   wire.Crossing `json:"crossing"` // as decided (the referral's copy)
	Images     []string      `json:"images"`   // kinds still held: ImageChipPhoto, ImageLiveCapture
	// Door is the recorded crossing's door outcome ("" until it arrives).
	Door string `json:"door,omitempty"`
	// Command is the latest officer command naming this crossing, with
	// its ack when the gate answered (nil when none).
	Command *Command `json:"command,omitempty"`
	State   string   `json:"state"` // ReferralWaiting, ReferralSettled, ReferralClosed
}

// ReferralQuery selects referrals, newest first.
type ReferralQuery struct {
	Post  string    // "" = every post
	Since time.Time // received at or after
	Limit int       // 1..MaxLimit; 0 means 100
}

// PutReferral stores a referral and its images (idempotent by crossing id:
// a repeat delivery changes nothing and reports false).
func (s *Store) PutReferral(ctx context.Context, r wire.Referral, receivedAt time.Time) (bool, error) {
	return false, ErrNotImplemented
}

// Referrals returns referrals newest first.
func (s *Store) Referrals(ctx context.Context, q ReferralQuery) ([]Referral, error) {
	return nil, ErrNotImplemented
}

// Referral returns one referral by crossing id.
func (s *Store) Referral(ctx context.Context, id string) (Referral, bool, error) {
	return Referral{}, false, ErrNotImplemented
}

// ReferralImage returns one image (JPEG) of a referral, if still held.
func (s *Store) ReferralImage(ctx context.Context, id, kind string) ([]byte, bool, error) {
	return nil, false, ErrNotImplemented
}

// PurgeImages deletes every referral image received before t and reports
// how many it deleted; the referrals themselves (decision, checks,
// scores) stay.
func (s *Store) PurgeImages(ctx context.Context, before time.Time) (int64, error) {
	return 0, ErrNotImplemented
}

// CommandsFor returns the commands naming a crossing, newest first.
func (s *Store) CommandsFor(ctx context.Context, crossing string) ([]Command, error) {
	return nil, ErrNotImplemented
}

// SearchQuery finds recent crossings by document number or name.
type SearchQuery struct {
	Text  string    // a document number (whole or its start), or part of a surname or given names; case-insensitive
	Post  string    // "" = every post
	Since time.Time // started at or after; zero = any time
	Limit int       // 1..MaxLimit; 0 means 50
}

// SearchCrossings returns matching crossings, newest first.
func (s *Store) SearchCrossings(ctx context.Context, q SearchQuery) ([]wire.Crossing, error) {
	return nil, ErrNotImplemented
}

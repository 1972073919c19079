package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"autogate/benchmarks/population"
	"autogate/internal/wire"
)

// This file drives central's officer console as a script would: the
// referral queue of the officer's post, and the act endpoint that sends a
// signed command to the gate and answers with the gate's ack.

// Referral is one entry of the console's queue (central's store.Referral).
type Referral struct {
	ID         string        `json:"id"`
	Gate       string        `json:"gate"`
	Post       string        `json:"post"`
	ReceivedAt time.Time     `json:"received_at"`
	HeldUntil  time.Time     `json:"held_until"`
	Crossing   wire.Crossing `json:"crossing"`
	Images     []string      `json:"images"`
	Door       string        `json:"door,omitempty"`
	State      string        `json:"state"` // waiting, settled, closed
}

// Referral states.
const (
	ReferralWaiting = "waiting"
	ReferralSettled = "settled"
)

// Queue reads the console's referral queue of the session's post, newest first.
func Queue(ctx context.Context, c *WebClient) ([]Referral, error) {
	var q struct {
		Referrals []Referral `json:"referrals"`
	}
	err := c.GetJSON(ctx, "/console/queue", &q)
	return q.Referrals, err
}

// ActResult is the console's answer to an action: the command sent and
// the gate's ack (Ack.Result "" when it did not answer in time).
type ActResult struct {
	Command wire.Command    `json:"command"`
	Ack     wire.CommandAck `json:"ack"`
	Result  string          `json:"result"`
	Detail  string          `json:"detail"`
}

// Act settles a referral: action open_exit, return or manual_booth with one
// of the console's reasons for it.
func Act(ctx context.Context, c *WebClient, id, action, reason string) (ActResult, error) {
	var res ActResult
	err := c.PostJSON(ctx, "/console/referrals/"+url.PathEscape(id)+"/act",
		map[string]string{"action": action, "reason": reason}, &res)
	return res, err
}

// The console's reasons (central/internal/web/console.go) the simulated
// officer picks from.
const (
	reasonFaceVerified    = "face verified by officer"
	reasonDocsVerified    = "documents verified by officer"
	reasonNotAccepted     = "document not accepted"
	reasonListHit         = "list hit"
	reasonFaceNotVerified = "face not verified"
	reasonFurther         = "further examination needed"
)

// OfficerDecision is what the simulated officer does with a referral.
type OfficerDecision struct{ Action, Reason string }

// decideAsOfficer is the simulated officer: a careful one, who looks at
// the two faces (the plan says whether they are the same person) and at
// the referral's reasons. A genuine traveller referred only for the face
// stage's reasons is let out through the exit; a list hit goes to the
// manual booth; a refused document is returned; a face that is not the
// holder's (impostor, attack) goes to the manual booth; anything else too.
//
// It changes none of the simulator's figures: the gate's decision stays
// "refer" in the crossing record (the officer's command adds an
// officer_override check and decides the door), and wrong decisions are
// counted on the gate's own decision.
func decideAsOfficer(c wire.Crossing, plan map[string]population.Traveller) OfficerDecision {
	reasons := referReasons(c)
	listHit := slices.ContainsFunc(reasons, func(r string) bool {
		return strings.HasPrefix(r, "watchlist_") || r == "document_lost" || r == "document_stolen" || r == "document_revoked"
	})
	bio := len(reasons) > 0 && !slices.ContainsFunc(reasons, func(r string) bool { return !biometric[r] })
	t, known := plan[c.Document.DocumentNumber]
	switch {
	case listHit:
		return OfficerDecision{wire.ActionManualBooth, reasonListHit}
	case bio && known && t.Presentation == population.Genuine && t.Why == "":
		return OfficerDecision{wire.ActionOpenExit, reasonFaceVerified}
	case bio:
		return OfficerDecision{wire.ActionManualBooth, reasonFaceNotVerified}
	case slices.ContainsFunc(reasons, func(r string) bool { return strings.HasPrefix(r, "document_") || r == "mrz_invalid" }) ||
		slices.Contains(reasons, population.WhyClone) || slices.Contains(reasons, population.WhyTamper):
		return OfficerDecision{wire.ActionReturn, reasonNotAccepted}
	}
	return OfficerDecision{wire.ActionManualBooth, reasonFurther}
}

// Officer is the simulated officer at the post's console: it settles each
// held referral after Delay (or just before the gate gives up on it).
type Officer struct {
	Client *WebClient
	Delay  time.Duration
	Plan   map[string]population.Traveller
	Log    io.Writer

	mu      sync.Mutex
	done    map[string]bool
	Actions map[string]int // by action; "no_ack" and "refused" too
}

// Run works the queue until ctx ends.
func (o *Officer) Run(ctx context.Context) {
	o.done = map[string]bool{}
	o.Actions = map[string]int{}
	for ctx.Err() == nil {
		q, err := Queue(ctx, o.Client)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Log, "officer: reading the queue: %v\n", err)
		}
		for _, r := range q {
			if r.State != ReferralWaiting || r.HeldUntil.IsZero() || o.handled(r.ID) {
				continue
			}
			due := r.ReceivedAt.Add(o.Delay)
			if last := r.HeldUntil.Add(-2 * time.Second); last.Before(due) {
				due = last
			}
			if time.Now().Before(due) {
				continue
			}
			o.act(ctx, r)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (o *Officer) handled(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done[id]
}

func (o *Officer) act(ctx context.Context, r Referral) {
	d := decideAsOfficer(r.Crossing, o.Plan)
	res, err := Act(ctx, o.Client, r.ID, d.Action, d.Reason)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[r.ID] = true
	switch {
	case err != nil:
		o.Actions["error"]++
		fmt.Fprintf(o.Log, "officer: %s on %s at %s: %v\n", d.Action, r.ID, r.Gate, err)
	case res.Ack.Result == wire.CommandDone:
		o.Actions[d.Action]++
	case res.Ack.Result == "":
		o.Actions["no_ack"]++
	default:
		o.Actions["refused"]++
	}
}

// Summary is a line of what the officer did.
func (o *Officer) Summary() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return counts(o.Actions)
}

// CommandsFor counts the commands central recorded for a crossing, read
// straight from central's SQLite (what no web page could hide).
func (s *Post) CommandsFor(ctx context.Context, crossing string) (int, error) {
	path := filepath.Join(s.centralData(), "central.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM commands WHERE crossing = ?", crossing).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return n, nil
}

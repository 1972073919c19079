package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"autogate/benchmarks/population"
	"autogate/internal/wire"
)

// newHoldingPost starts the console benchmark's post: 2 gates that hold a
// referred traveller for an officer, TLS on (commands need the PKI).
func newHoldingPost(t *testing.T, speed float64) *Post {
	t.Helper()
	return newPost(t, 2, speed, false, func(p *Post) { p.HoldReferred = time.Minute })
}

// The click→ack benchmark's path, short: three referrals settled through
// the console's act endpoint, each acknowledged by its gate as done, and
// each gate's own record shows the officer's override and the exit door.
func TestConsoleClickToAck(t *testing.T) {
	p := newHoldingPost(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := ConsoleBench{N: 3, Seed: 5}.Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.API) != 3 {
		t.Fatalf("%d acts, want 3", len(res.API))
	}
	for _, s := range res.API {
		if s.Result != wire.CommandDone {
			t.Errorf("act on %s at %s: ack result %q (%s), want done", s.Crossing, s.Gate, s.Result, s.Reason)
		}
	}
	for _, s := range res.API {
		c := waitGateCrossing(t, p, s.Crossing)
		if c.Door != "exit" || !hasOverride(c, wire.ActionOpenExit) {
			t.Errorf("gate record of %s: door %q, checks %+v; want exit and an officer_override open_exit", c.ID, c.Door, c.Checks)
		}
		if c.Decision != wire.DecisionRefer {
			t.Errorf("gate record of %s: decision %q; the officer's override must leave the gate's decision as it was (refer)", c.ID, c.Decision)
		}
	}
	// The figures a person reads: the JSON and the plot.
	dir := t.TempDir()
	if err := writeConsoleBench(dir, res); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(dir + "/console-ack.svg")
	if err != nil {
		t.Fatal(err)
	}
	if err := xmlWellFormed(svg); err != nil {
		t.Fatalf("console-ack.svg: %v", err)
	}
}

// waitGateCrossing waits until a gate has recorded the crossing (the door
// has moved and the record is written after the officer's command).
func waitGateCrossing(t *testing.T, p *Post, id string) wire.Crossing {
	t.Helper()
	var found wire.Crossing
	waitFor(t, "the gate's record of "+id, 60*time.Second, func() bool {
		for i := range p.gates {
			cs, _ := p.GateCrossings(context.Background(), i)
			for _, c := range cs {
				if c.ID == id && c.Door != "" {
					found = c
					return true
				}
			}
		}
		return false
	})
	return found
}

func hasOverride(c wire.Crossing, action string) bool {
	for _, ch := range c.Checks {
		if ch.Name == "officer_override" && ch.Reason == action {
			return true
		}
	}
	return false
}

func xmlWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// The simulated officer lets through only a genuine traveller referred
// for the face stage's reasons alone; list hits and faces that are not the
// holder's go to the manual booth, refused documents back.
func TestSimulatedOfficerDecides(t *testing.T) {
	refer := func(doc string, reasons ...string) wire.Crossing {
		c := wire.Crossing{Decision: wire.DecisionRefer, Document: wire.Document{DocumentNumber: doc}}
		for _, r := range reasons {
			c.Checks = append(c.Checks, wire.Check{Name: "x", Result: wire.ResultRefer, Reason: r})
		}
		return c
	}
	plan := map[string]population.Traveller{
		"GENUINE":  {Presentation: population.Genuine},
		"IMPOSTOR": {Presentation: population.Impostor, Why: population.WhyImpostor},
	}
	cases := []struct {
		c    wire.Crossing
		want OfficerDecision
	}{
		{refer("GENUINE", "low_quality"), OfficerDecision{wire.ActionOpenExit, reasonFaceVerified}},
		{refer("GENUINE", "no_match", "no_face"), OfficerDecision{wire.ActionOpenExit, reasonFaceVerified}},
		{refer("IMPOSTOR", "no_match"), OfficerDecision{wire.ActionManualBooth, reasonFaceNotVerified}},
		{refer("UNKNOWN", "no_match"), OfficerDecision{wire.ActionManualBooth, reasonFaceNotVerified}},
		{refer("GENUINE", "no_match", "watchlist_wanted"), OfficerDecision{wire.ActionManualBooth, reasonListHit}},
		{refer("GENUINE", "document_stolen"), OfficerDecision{wire.ActionManualBooth, reasonListHit}},
		{refer("GENUINE", "document_expired"), OfficerDecision{wire.ActionReturn, reasonNotAccepted}},
		{refer("GENUINE", "low_quality", "chip_authentication_failed"), OfficerDecision{wire.ActionReturn, reasonNotAccepted}},
		{refer("GENUINE", "lane_tailgating"), OfficerDecision{wire.ActionManualBooth, reasonFurther}},
		{refer("GENUINE"), OfficerDecision{wire.ActionManualBooth, reasonFurther}},
	}
	for _, tc := range cases {
		if got := decideAsOfficer(tc.c, plan); got != tc.want {
			t.Errorf("%s %v: %+v, want %+v", tc.c.Document.DocumentNumber, referReasons(tc.c), got, tc.want)
		}
	}
}

// The simulator's accounts: every role, passwords only in a file of mode
// 0600, and every one of them can log in.
func TestPostAccounts(t *testing.T) {
	p := newPost(t, 1, 0, false)
	ctx := context.Background()
	fi, err := os.Stat(p.AccountsFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", p.AccountsFile(), fi.Mode().Perm())
	}
	text, _ := os.ReadFile(p.AccountsFile())
	roles := map[string]bool{}
	for _, a := range p.Accounts {
		roles[a.Role] = true
		if !strings.Contains(string(text), a.Name) || !strings.Contains(string(text), a.Password) {
			t.Errorf("%s lacks %s or their password", p.AccountsFile(), a.Name)
		}
		if _, err := p.Client(ctx, a.Name); err != nil {
			t.Errorf("logging in as %s: %v", a.Name, err)
		}
	}
	for _, r := range []string{"officer", "supervisor", "hq", "admin"} {
		if !roles[r] {
			t.Errorf("no %s account among %+v", r, p.Accounts)
		}
	}
	// A wrong password is refused.
	bad := &WebClient{Base: p.WebURL(), Account: Account{Name: UserHQ, Password: "not-the-password"}}
	if err := bad.Login(ctx); err == nil {
		t.Error("logging in with a wrong password worked")
	}
	// The JSON API is HQ's: the harness reads it through the hq session.
	if _, err := p.CentralStats(ctx); err != nil {
		t.Errorf("reading /api/stats as hq: %v", err)
	}
	officer, err := p.Client(ctx, UserOfficer)
	if err != nil {
		t.Fatal(err)
	}
	var st CentralStats
	if err := officer.GetJSON(ctx, "/api/stats", &st); err == nil {
		t.Error("an officer read /api/stats, which is HQ's and admin's")
	}
}

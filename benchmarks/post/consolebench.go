package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"autogate/benchmarks/population"
	"autogate/internal/wire"
)

// ConsoleBench measures an officer's action at the console, from the click
// (the act request leaving) to the gate's acknowledgement (the act answer,
// which carries it): signing, MQTT over TLS, the gate's checks, the exit
// door opening at the simulated speed, the ack back, and central's answer.
type ConsoleBench struct {
	N             int // referrals settled through the act endpoint
	BrowserClicks int // more, settled by clicks in headless Chromium
	Seed          int64
	Progress      io.Writer // nil: quiet
}

// BenchPost is the post the console benchmark runs on: 2 gates holding
// referred travellers for up to a minute, MQTT over TLS.
func BenchPost(bin, work, root, httpAddr string, speed float64) *Post {
	return &Post{Bin: bin, Work: work, Root: root, Speed: speed, Gates: 2, HTTP: httpAddr, TLS: true, HoldReferred: time.Minute}
}

// AckSample is one settled referral.
type AckSample struct {
	Crossing string  `json:"crossing"`
	Gate     string  `json:"gate"`
	Via      string  `json:"via"` // api or browser
	MS       float64 `json:"ms"`
	Result   string  `json:"result"` // the ack's result: done, refused, or "" (no ack)
	Reason   string  `json:"reason,omitempty"`
	// GateMS is from the command's issue (central's clock) to the ack's
	// time (the gate's clock; one machine here, so one clock): the gate's
	// part and the way there, without central's answer.
	GateMS float64 `json:"gate_ms"`
}

// ConsoleBenchResult is what the benchmark measured.
type ConsoleBenchResult struct {
	Gates   int         `json:"gates"`
	Speed   float64     `json:"speed"`
	API     []AckSample `json:"api"`
	Browser []AckSample `json:"browser"`
	P50MS   float64     `json:"p50_ms"`
	P95MS   float64     `json:"p95_ms"`
	MaxMS   float64     `json:"max_ms"`
	At      string      `json:"at"`
	Note    string      `json:"note"`
}

// ReferredTravellers makes n travellers every gate refers (their document
// expired), with chips from the post's PKI.
func (s *Post) ReferredTravellers(n int, seed int64, photos [][]byte) ([]population.Traveller, error) {
	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = seed, 1
	pop := population.Generate(n, o)
	pki, err := s.PKI()
	if err != nil {
		return nil, err
	}
	if len(photos) == 0 {
		photos = [][]byte{syntheticFace()}
	}
	return pop, population.IssueDocuments(pop, population.Chips{PKI: pki, Faces: photos, Seed: seed})
}

// Run feeds the started post referred travellers and settles each of
// their referrals as sim-officer, timing every act.
func (b ConsoleBench) Run(ctx context.Context, post *Post) (ConsoleBenchResult, error) {
	res := ConsoleBenchResult{Gates: post.Gates, Speed: post.Speed}
	pop, err := post.ReferredTravellers(b.N+b.BrowserClicks, b.Seed, sharedFaces(post.Root))
	if err != nil {
		return res, err
	}
	officer, err := post.Client(ctx, UserOfficer)
	if err != nil {
		return res, err
	}
	if _, err := post.Feed(ctx, pop); err != nil {
		return res, err
	}
	// The browser's clicks first: each waits for its referral in the page.
	if b.BrowserClicks > 0 {
		if res.Browser, err = browserClicks(ctx, post, b.BrowserClicks); err != nil {
			return res, fmt.Errorf("clicks in the browser: %w", err)
		}
	}
	if res.API, err = settleAll(ctx, post, officer, b.N, b.Progress); err != nil {
		return res, err
	}
	var ms []float64
	for _, s := range res.API {
		ms = append(ms, s.MS)
	}
	res.P50MS, res.P95MS, res.MaxMS = quantile(ms, 0.5), quantile(ms, 0.95), quantile(ms, 1)
	res.At = time.Now().UTC().Format(time.RFC3339)
	res.Note = fmt.Sprintf("open_exit on a traveller held in the lane, %d gates on loopback, MQTT over TLS, device speed %g: the gate acknowledges once the exit door is open (600 ms at speed 1)", post.Gates, post.Speed)
	return res, nil
}

// settleAll waits for n held referrals at the officer's console and
// settles each with open_exit as soon as it is there, timing each act.
func settleAll(ctx context.Context, post *Post, officer *WebClient, n int, progress io.Writer) ([]AckSample, error) {
	var out []AckSample
	done := map[string]bool{}
	lastNew := time.Now()
	for len(out) < n {
		q, err := Queue(ctx, officer)
		if err != nil {
			return out, fmt.Errorf("reading the console's queue: %w", err)
		}
		acted := false
		for _, r := range q {
			if r.State != ReferralWaiting || r.HeldUntil.IsZero() || done[r.ID] || len(out) >= n {
				continue
			}
			done[r.ID] = true
			acted = true
			s, err := timeAct(ctx, officer, r, wire.ActionOpenExit, reasonDocsVerified)
			if err != nil {
				return out, err
			}
			out = append(out, s)
			if progress != nil {
				fmt.Fprintf(progress, "click→ack %2d/%d %s %s: %.0f ms %s\n", len(out), n, r.Gate, r.ID, s.MS, s.Result)
			}
		}
		if acted {
			lastNew = time.Now()
		} else if time.Since(lastNew) > 2*time.Minute {
			return out, fmt.Errorf("no new held referral at the console for 2 min (%d of %d settled); see the logs in %s",
				len(out), n, filepath.Join(post.Work, "logs"))
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return out, nil
}

// timeAct sends one act and times it to the answer carrying the gate's ack.
func timeAct(ctx context.Context, c *WebClient, r Referral, action, reason string) (AckSample, error) {
	start := time.Now()
	res, err := Act(ctx, c, r.ID, action, reason)
	elapsed := time.Since(start)
	if err != nil {
		return AckSample{}, fmt.Errorf("%s on referral %s at %s: %w", action, r.ID, r.Gate, err)
	}
	s := AckSample{Crossing: r.ID, Gate: r.Gate, Via: "api", MS: float64(elapsed.Microseconds()) / 1000,
		Result: res.Ack.Result, Reason: res.Ack.Reason}
	if !res.Command.IssuedAt.IsZero() && !res.Ack.At.IsZero() {
		s.GateMS = float64(res.Ack.At.Sub(res.Command.IssuedAt).Microseconds()) / 1000
	}
	return s, nil
}

// consoleBenchMain is `go run ./benchmarks/post --console-bench N`.
func consoleBenchMain(ctx context.Context, post *Post, b ConsoleBench, results string, stdout, stderr io.Writer) int {
	b.Progress = stdout
	fmt.Fprintf(stdout, "console benchmark: %d referrals settled through the act endpoint, %d by clicks in Chromium (work folder %s)\n", b.N, b.BrowserClicks, post.Work)
	defer post.Stop()
	if err := post.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	printLogins(stdout, post)
	res, err := b.Run(ctx, post)
	if err != nil {
		fmt.Fprintln(stderr, "post:", err)
		return 1
	}
	notDone := 0
	for _, s := range append(res.API, res.Browser...) {
		if s.Result != wire.CommandDone {
			notDone++
			fmt.Fprintf(stdout, "not done: %s at %s via %s: result %q %s\n", s.Crossing, s.Gate, s.Via, s.Result, s.Reason)
		}
	}
	for _, s := range res.Browser {
		fmt.Fprintf(stdout, "browser: click → \"acknowledged\" on the page for %s: %.0f ms\n", s.Crossing, s.MS)
	}
	fmt.Fprintf(stdout, "click→ack over %d acts: p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", len(res.API), res.P50MS, res.P95MS, res.MaxMS)
	if err := writeConsoleBench(results, res); err != nil {
		fmt.Fprintln(stderr, "post: writing results:", err)
		return 1
	}
	fmt.Fprintf(stdout, "figures and plot: %s, %s\n", filepath.Join(results, "console-ack.json"), filepath.Join(results, "console-ack.svg"))
	fmt.Fprintf(stdout, "click→ack p95 = %.0f ms (target ≤ 1000 ms)\n", res.P95MS)
	if notDone > 0 || res.P95MS > 1000 {
		return 1
	}
	return 0
}

func writeConsoleBench(dir string, res ConsoleBenchResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "console-ack.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "console-ack.svg"), plotAcks(res), 0o644)
}

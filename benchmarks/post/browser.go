package main

import (
	"autogate/benchmarks/webclient"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"autogate/internal/wire"
)

// ChromiumPath is Debian's Chromium; ErrNoChromium says it is missing.
const ChromiumPath = webclient.ChromiumPath

var ErrNoChromium = webclient.ErrNoChromium

// Browser is one headless Chromium. Each Tab it opens has a browser
// context of its own (cookies included): two tabs are two people.
type Browser struct {
	ctx    context.Context // the first tab's, holding the browser
	cancel []context.CancelFunc
}

// NewBrowser starts headless Chromium.
func NewBrowser(ctx context.Context, profileDir string) (*Browser, error) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return nil, ErrNoChromium
	}
	// The console's cue is a WebAudio beep: let it play unprompted.
	opts := webclient.ChromiumOptions(profileDir, 1366, 768, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, cancel: []context.CancelFunc{cancelBrowser, cancelAlloc}}
	if err := chromedp.Do(bctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return b, nil
}

// Close ends the browser.
func (b *Browser) Close() {
	for _, c := range b.cancel {
		c()
	}
}

// Tab is one browser tab in a browser context of its own.
type Tab struct {
	Ctx    context.Context
	cancel context.CancelFunc
}

// Tab opens a tab, w×h pixels, in a fresh browser context.
func (b *Browser) Tab(w, h int) (*Tab, error) {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t := &Tab{Ctx: ctx, cancel: cancel}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		cancel()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	return t, nil
}

// Close closes the tab and its browser context.
func (t *Tab) Close() { t.cancel() }

// Selectors of central's pages the browser drives (central/internal/web
// templates); kept together so a page change is one edit here.
const (
	selLoginUser     = `input[name="user"]`
	selLoginPassword = `input[name="password"]`
	selLoginSubmit   = `form[action="/login"] button[type="submit"]`
	selLive          = `body[data-live="on"]`
	// A row of the console's queue, by crossing id.
	selQueueRow    = `#queue [data-id=%q]`
	selQueueRowAny = `#queue [data-id][data-state="waiting"]`
	selDetail      = `#detail[data-id=%q]`
	selAction      = `#detail select[name="action"]`
	selReason      = `#detail select[name="reason"]`
	selActSubmit   = `#detail form.act button[type="submit"]`
	selAckDone     = `#detail [data-ack="done"]`
)

// Login logs in through the login form, as a person does: the labelled
// user and password fields, then the submit button, and waits for the
// page it lands on.
func (t *Tab) Login(base string, a Account) error {
	return chromedp.Do(t.Ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(selLoginUser)),
		chromedp.SendKeys(chromedp.CSS(selLoginUser), a.Name),
		chromedp.SendKeys(chromedp.CSS(selLoginPassword), a.Password),
		chromedp.Click(chromedp.CSS(selLoginSubmit)),
		chromedp.WaitNotPresent(chromedp.CSS(selLoginPassword)),
	)
}

// browserClicks logs in to the console as sim-officer and settles k held
// referrals by clicks: select the referral, choose open_exit and a reason,
// submit, and time until the page shows the gate's acknowledgement.
func browserClicks(ctx context.Context, post *Post, k int) ([]AckSample, error) {
	officer, ok := post.Account(UserOfficer)
	if !ok {
		return nil, errors.New("no officer account")
	}
	b, err := NewBrowser(ctx, filepath.Join(post.Work, "chromium-bench"))
	if err != nil {
		return nil, err
	}
	defer b.Close()
	tab, err := b.Tab(1366, 768)
	if err != nil {
		return nil, err
	}
	defer tab.Close()
	if err := tab.Login(post.WebURL(), officer); err != nil {
		return nil, fmt.Errorf("logging in through the form: %w", err)
	}
	if err := chromedp.Do(tab.Ctx, chromedp.Navigate(post.WebURL()+"/console"), chromedp.WaitReady(chromedp.CSS(selLive))); err != nil {
		return nil, fmt.Errorf("opening the console: %w", err)
	}
	var out []AckSample
	done := map[string]bool{}
	for len(out) < k {
		ids, err := chromedp.Run(tab.Ctx, chromedp.Poll[[]string](fmt.Sprintf(
			`(() => { const ids = [...document.querySelectorAll(%q)].map(e => e.dataset.id); return ids.length ? ids : null })()`, selQueueRowAny),
			chromedp.WithPollingTimeout(2*time.Minute)))
		if err != nil {
			return out, fmt.Errorf("waiting for a held referral in the queue: %w", err)
		}
		id := ""
		for _, x := range ids {
			if !done[x] {
				id = x
				break
			}
		}
		if id == "" {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		done[id] = true
		gate, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).dataset.gate || ""`, fmt.Sprintf(selQueueRow, id))))
		s, err := tab.ClickAct(id, wire.ActionOpenExit, reasonDocsVerified)
		if err != nil {
			return out, err
		}
		s.Gate = gate
		out = append(out, s)
	}
	return out, nil
}

// ClickAct opens a referral from the queue, chooses action and reason and
// submits; it times the submit click to the page showing the gate's
// acknowledgement ("done").
func (t *Tab) ClickAct(id, action, reason string) (AckSample, error) {
	ctx, cancel := context.WithTimeout(t.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(selQueueRow, id))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(selDetail, id))),
		chromedp.SetValue(chromedp.CSS(selAction), action),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change", {bubbles: true}))`, selAction)),
		chromedp.SetValue(chromedp.CSS(selReason), reason),
	); err != nil {
		return AckSample{}, fmt.Errorf("opening referral %s and choosing %s: %w", id, action, err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selActSubmit)), chromedp.WaitVisible(chromedp.CSS(selAckDone))); err != nil {
		return AckSample{}, fmt.Errorf("submitting %s on referral %s and waiting for the gate's ack on the page: %w", action, id, err)
	}
	return AckSample{Crossing: id, Via: "browser", MS: float64(time.Since(start).Microseconds()) / 1000, Result: wire.CommandDone}, nil
}

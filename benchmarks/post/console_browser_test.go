package main

import (
	"autogate/benchmarks/webclient"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"autogate/benchmarks/population"
	"autogate/internal/testenv"
	"autogate/internal/wire"
	"autogate/models/face"
)

// The officer's console end to end, in headless Chromium against a real
// central and a real gate agent (simulated devices, MQTT over TLS, signed
// commands): the officer logs in through the form, a referral arrives live
// in the queue, they approve it and see the gate acknowledge it, and the
// gate's record shows the exit door and the officer's override. An officer
// of another post sees none of it; HQ sees the crossing on the dashboard but
// may not act; a forged request without the CSRF token is refused. Each
// refusal is checked in central's own store: no command was recorded.
// Screenshots of the console and the dashboard, at 1366×768 and at tablet
// size, go to benchmarks/results/ for a person to look at.
func TestConsoleInBrowser(t *testing.T) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skip(ErrNoChromium)
	}
	root := testenv.RepoRoot(t)
	faces, lfw := facesAvailable(root)
	p := newPost(t, 1, 10, false, func(p *Post) { p.HoldReferred = time.Minute; p.Faces = faces })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	traveller := referredTraveller(t, p, faces, lfw)
	t.Logf("faces at the gate: %v; the traveller is referred for: %s", faces, traveller.Why)

	b, err := NewBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	officerTab := openTab(t, b, 1366, 768)
	officer, _ := p.Account(UserOfficer)
	must(t, "officer logs in through the form", officerTab.Login(p.WebURL(), officer))
	must(t, "opening the console", chromedp.Do(officerTab.Ctx,
		chromedp.Navigate(p.WebURL()+"/console"),
		chromedp.WaitReady(chromedp.CSS(selLive)),
		chromedp.Evaluate[chromedp.Void](`window.__sameDocument = "yes"`), // gone on any reload
	))

	// The traveller enters the lane; the gate refers and holds them.
	if err := p.FeedGate(ctx, 0, []map[string]any{feedItem(traveller)}); err != nil {
		t.Fatal(err)
	}
	id := referralOf(t, p, traveller)
	must(t, "the referral appears in the queue", chromedp.Do(officerTab.Ctx,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(selQueueRow, id)))))
	if same := evalString(t, officerTab, `window.__sameDocument || "reloaded"`); same != "yes" {
		t.Fatalf("the console reloaded (marker %q): referrals must arrive live", same)
	}
	must(t, "opening the referral", chromedp.Do(officerTab.Ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(selQueueRow, id))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(selDetail, id)))))
	detail := evalString(t, officerTab, `document.querySelector("#detail").innerText`)
	for _, want := range []string{traveller.Fields.DocumentNumber, traveller.Fields.Surname, traveller.Why} {
		if !strings.Contains(detail, want) {
			t.Errorf("the referral's detail lacks %q:\n%s", want, detail)
		}
	}
	images := []string{"chip_photo"}
	if faces {
		images = append(images, "live_capture")
	}
	for _, kind := range images {
		sel := fmt.Sprintf(`#detail img[src$="/image/%s"]`, kind)
		w, err := chromedp.Run(officerTab.Ctx, chromedp.Poll[int](fmt.Sprintf(
			`(() => { const i = document.querySelector(%q); return i && i.complete && i.naturalWidth })()`, sel),
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil || w <= 0 {
			t.Errorf("the %s image (%s) did not load: width %d, %v", kind, sel, w, err)
		}
	}

	// An officer of another post: the queue does not show it, and the
	// referral's detail and images are refused.
	otherTab := openTab(t, b, 1366, 768)
	other, _ := p.Account(UserOtherOfficer)
	must(t, "the other post's officer logs in", otherTab.Login(p.WebURL(), other))
	must(t, "the other post's console", chromedp.Do(otherTab.Ctx,
		chromedp.Navigate(p.WebURL()+"/console"), chromedp.WaitReady(chromedp.CSS(selLive))))
	if html := evalString(t, otherTab, `document.body.innerHTML`); strings.Contains(html, id) || strings.Contains(html, traveller.Fields.DocumentNumber) {
		t.Errorf("an officer of %s sees the referral %s of %s", OtherPost, id, PostName)
	}
	for _, path := range []string{"/console/referrals/" + id, "/console/referrals/" + id + "/image/chip_photo"} {
		if code := fetchStatus(t, otherTab, "GET", path, "", false); code != 403 && code != 404 {
			t.Errorf("GET %s as an officer of %s: %d, want 403 or 404", path, OtherPost, code)
		}
	}
	// They may not act on it either, even with their own valid CSRF token.
	if code := fetchStatus(t, otherTab, "POST", "/console/referrals/"+id+"/act", actBody, true); code != 403 && code != 404 {
		t.Errorf("act as an officer of %s: %d, want 403 or 404", OtherPost, code)
	}

	// HQ reads every post but acts on none: a valid CSRF token does not help.
	hqTab := openTab(t, b, 1366, 768)
	hq, _ := p.Account(UserHQ)
	must(t, "hq logs in", hqTab.Login(p.WebURL(), hq))
	must(t, "the dashboard", chromedp.Do(hqTab.Ctx,
		chromedp.Navigate(p.WebURL()+"/dashboard"), chromedp.WaitReady(chromedp.CSS(selLive))))
	if code := fetchStatus(t, hqTab, "POST", "/console/referrals/"+id+"/act", actBody, true); code != 403 {
		t.Errorf("act as hq with hq's CSRF token: %d, want 403", code)
	}
	// A forged request from the officer's own page, without the token.
	if code := fetchStatus(t, officerTab, "POST", "/console/referrals/"+id+"/act", actBody, false); code != 403 {
		t.Errorf("act without the CSRF token: %d, want 403", code)
	}
	if n := commandsFor(t, p, id); n != 0 {
		t.Fatalf("central recorded %d commands for %s after refused requests, want 0", n, id)
	}

	// The officer approves; the page shows the gate's acknowledgement.
	must(t, "approving", chromedp.Do(officerTab.Ctx,
		chromedp.SetValue(chromedp.CSS(selAction), wire.ActionOpenExit),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change", {bubbles: true}))`, selAction)),
		chromedp.SetValue(chromedp.CSS(selReason), reasonDocsVerified),
		chromedp.Click(chromedp.CSS(selActSubmit)),
		chromedp.WaitVisible(chromedp.CSS(selAckDone))))
	if ack := evalString(t, officerTab, fmt.Sprintf(`document.querySelector(%q).innerText`, selAckDone)); !strings.Contains(ack, "done") {
		t.Errorf("the acknowledgement reads %q, want it to say done", ack)
	}
	c := waitGateCrossing(t, p, id)
	if c.Door != "exit" || !hasOverride(c, wire.ActionOpenExit) {
		t.Errorf("the gate's record: door %q, checks %+v; want exit and an officer_override open_exit", c.Door, c.Checks)
	}
	if n := commandsFor(t, p, id); n != 1 {
		t.Errorf("central recorded %d commands for %s, want the officer's one", n, id)
	}
	if same := evalString(t, officerTab, `window.__sameDocument || "reloaded"`); same != "yes" {
		t.Errorf("the console reloaded (marker %q) while acting", same)
	}

	// HQ sees the crossing on the dashboard once its record is in.
	must(t, "the crossing on the dashboard", chromedp.Do(hqTab.Ctx,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#crossings [data-id=%q]`, id)))))
	// Its 24 h figures refresh at most every 10 s: load them afresh for
	// the screenshots.
	must(t, "the dashboard again", chromedp.Do(hqTab.Ctx,
		chromedp.Navigate(p.WebURL()+"/dashboard"), chromedp.WaitReady(chromedp.CSS(selLive))))

	for _, page := range []struct {
		name string
		tab  *Tab
	}{{"console", officerTab}, {"dashboard", hqTab}} {
		if bad := evalStrings(t, page.tab, unlabelledControls); len(bad) > 0 {
			t.Errorf("%s: controls without a label: %s", page.name, strings.Join(bad, "; "))
		}
		screenshots(t, root, page.name, page.tab)
	}
}

// actBody approves the referral, as the console's form would.
var actBody = fmt.Sprintf(`{"action":%q,"reason":%q}`, wire.ActionOpenExit, reasonDocsVerified)

// unlabelledControls lists the page's controls that have no label: a
// label[for], a wrapping label, aria-label or aria-labelledby (a button's
// own text is its label too).
const unlabelledControls = `[...document.querySelectorAll("input, select, button, textarea")]
	.filter(el => el.type !== "hidden")
	.filter(el => !((el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
		el.closest("label") ||
		(el.getAttribute("aria-label") || "").trim() ||
		el.getAttribute("aria-labelledby") ||
		(el.tagName === "BUTTON" && el.innerText.trim())))
	.map(el => el.outerHTML.slice(0, 120))`

// screenshots writes the page at 1366×768 and at tablet size (768×1024)
// to benchmarks/results/, checking that neither scrolls sideways.
func screenshots(t *testing.T, root, name string, tab *Tab) {
	t.Helper()
	dir := filepath.Join(root, "benchmarks", "results")
	for _, size := range []struct {
		suffix string
		w, h   int
	}{{"1366x768", 1366, 768}, {"tablet", 768, 1024}} {
		must(t, "resizing to "+size.suffix, chromedp.Do(tab.Ctx, chromedp.EmulateViewport(int64(size.w), int64(size.h)), chromedp.Sleep(300*time.Millisecond)))
		if over := evalString(t, tab, `String(document.documentElement.scrollWidth - window.innerWidth)`); over != "0" && !strings.HasPrefix(over, "-") {
			t.Errorf("%s at %s scrolls sideways by %s px", name, size.suffix, over)
		}
		png, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100)) // 100: PNG (below, JPEG)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, size.suffix))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}

// facesAvailable reports whether the gates can run the face stage here:
// the models made and the shared LFW photos present.
func facesAvailable(root string) (bool, string) {
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(ModelsDir(root), f)); err != nil {
			return false, ""
		}
	}
	lfw := filepath.Join(sharedTestdata(root), "faces", "lfw")
	if _, err := os.Stat(lfw); err != nil {
		return false, ""
	}
	return true, lfw
}

// referredTraveller is one traveller the gate refers: with faces, an
// impostor (the chip's portrait and the live face differ: both images
// exist); without, one whose document has expired.
func referredTraveller(t *testing.T, p *Post, faces bool, lfw string) population.Traveller {
	t.Helper()
	if !faces {
		pop, err := p.ReferredTravellers(1, 21, sharedFaces(p.Root))
		if err != nil {
			t.Fatal(err)
		}
		return pop[0]
	}
	pop := faceTravellers(t, p, 1, 21, &population.Faces{Dir: lfw, ImpostorShare: 1, MinQuality: 0.5})
	if pop[0].Presentation != population.Impostor {
		t.Fatalf("the traveller is %s, want an impostor", pop[0].Presentation)
	}
	return pop[0]
}

// referralOf waits for the traveller's referral at central (the officer's
// queue as JSON) and returns its crossing id.
func referralOf(t *testing.T, p *Post, tr population.Traveller) string {
	t.Helper()
	c, err := p.Client(context.Background(), UserOfficer)
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	waitFor(t, "the referral at central", 90*time.Second, func() bool {
		q, err := Queue(context.Background(), c)
		if err != nil {
			t.Logf("reading the queue: %v", err)
			time.Sleep(time.Second)
			return false
		}
		for _, r := range q {
			if r.Crossing.Document.DocumentNumber == tr.Fields.DocumentNumber {
				if r.HeldUntil.IsZero() {
					t.Fatalf("referral %s is not held for an officer", r.ID)
				}
				id = r.ID
				return true
			}
		}
		time.Sleep(200 * time.Millisecond)
		return false
	})
	return id
}

func openTab(t *testing.T, b *Browser, w, h int) *Tab {
	t.Helper()
	tab, err := b.Tab(w, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.Close)
	return tab
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func evalString(t *testing.T, tab *Tab, js string) string {
	t.Helper()
	s, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return s
}

func evalStrings(t *testing.T, tab *Tab, js string) []string {
	t.Helper()
	s, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return s
}

// fetchStatus sends a request from the page (its cookies, its origin) and
// returns the status; withCSRF adds the page's own CSRF token (from the
// logout form every page has).
func fetchStatus(t *testing.T, tab *Tab, method, path, body string, withCSRF bool) int {
	t.Helper()
	js := fmt.Sprintf(`(async () => {
		const headers = {"Content-Type": "application/json", "Accept": "application/json"};
		if (%t) headers[%q] = document.querySelector('input[name="csrf"]').value;
		const init = {method: %q, headers, credentials: "same-origin"};
		if (%q !== "") init.body = %q;
		return (await fetch(%q, init)).status;
	})()`, withCSRF, webclient.CSRFHeader, method, body, body, path)
	code, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s %s from the page: %v", method, path, err)
	}
	return code
}

func commandsFor(t *testing.T, p *Post, crossing string) int {
	t.Helper()
	n, err := p.CommandsFor(context.Background(), crossing)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return n
}

package main

import (
	"autogate/benchmarks/webclient"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"autogate/internal/wire"
)

// TestDashboardLiveInBrowser loads the dashboard of a real `central serve`
// (embedded broker) in headless Chromium and checks, without reloading the
// page, that a gate's status, its crossing and its last will appear live.
func TestDashboardLiveInBrowser(t *testing.T) {
	if _, err := os.Stat(webclient.ChromiumPath); err != nil {
		t.Skip("chromium not installed: `make test` installs it (apt package chromium)")
	}
	mqttAddr, httpAddr := freeAddr(t), freeAddr(t)
	dataDir := t.TempDir()
	password := addWebUser(t, dataDir, "hq-browser", "hq", "")
	c := startCentral(t, "serve", "--mqtt-listen", mqttAddr, "--http", httpAddr, "--data", dataDir)
	c.waitLog(t, "central serving")
	waitHealthy(t, httpAddr)

	opts := webclient.ChromiumOptions(t.TempDir(), 1400, 900)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	do("logging in through the form",
		chromedp.Navigate("http://"+httpAddr+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user"]`), "hq-browser"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name="password"]`)),
	)
	do("loading the dashboard",
		chromedp.Navigate("http://"+httpAddr+"/dashboard"),
		chromedp.WaitReady(chromedp.CSS(`body[data-live="on"]`)),          // the event stream is open
		chromedp.Evaluate[chromedp.Void](`window.__sameDocument = "yes"`), // vanishes on any reload
	)

	gateID := "browser-" + strings.ToLower(wire.NewID()[20:])
	g := connectGate(t, mqttAddr, gateID)
	online := wire.Status{V: 1, Gate: gateID, Post: "post-river", State: wire.StateOnline, Mode: "normal",
		At: time.Now().UTC(), Devices: map[string]string{"camera": "ok", "docreader": "ok", "fingerprint": "degraded"}, OutboxDepth: 1}
	if tok := g.client.Publish(wire.GateTopic(gateID, wire.KindStatus), 1, true, wire.Encode(online)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publishing status: %v", tok.Error())
	}
	gateRow := fmt.Sprintf(`#gates tr[data-gate=%q]`, gateID)
	do("gate shown online", chromedp.WaitVisible(chromedp.CSS(gateRow+`[data-state="online"]`)))

	crossing := crossingOf(gateID, 1, wire.DecisionRefer)
	g.sendUntilAcked(t, crossing)
	row := fmt.Sprintf(`#crossings tr[data-id=%q]`, crossing.ID)
	do("crossing shown", chromedp.WaitVisible(chromedp.CSS(row)))
	rowText := text(row)
	for _, want := range []string{gateID, "UTO", "passport (TD3)", "•••2C3", "refer", "face_mismatch", "13.2", "187"} {
		if !strings.Contains(rowText, want) {
			t.Errorf("crossing row %q lacks %q", rowText, want)
		}
	}
	if strings.Contains(rowText, "L898902C3") || strings.Contains(rowText, "ERIKSSON") {
		t.Errorf("crossing row shows the full document number or the name: %q", rowText)
	}
	do("gate counters updated", chromedp.WaitVisible(chromedp.CSS(gateRow+` td.num`)))
	if gateText := text(gateRow); !strings.Contains(gateText, "fingerprint: degraded") {
		t.Errorf("gate row %q does not show the degraded device", gateText)
	}

	g.dropConnection() // the broker publishes the gate's last will
	do("gate shown offline", chromedp.WaitVisible(chromedp.CSS(gateRow+`[data-state="offline"]`)))

	same, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__sameDocument || "reloaded"`))
	if err != nil {
		t.Fatal(err)
	}
	if same != "yes" {
		t.Fatalf("the page reloaded (marker %q): updates must arrive without a reload", same)
	}

	if dir := os.Getenv("AUTOGATE_SCREENSHOT_DIR"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "central-dashboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	cancelBrowser()
	if code := c.stop(t); code != 0 {
		t.Fatalf("central serve exit status %d after SIGTERM, want 0", code)
	}
}

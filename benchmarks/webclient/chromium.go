package webclient

import (
	"errors"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium (`make test-deps` installs it).
const ChromiumPath = "/usr/bin/chromium"

// ErrNoChromium says Chromium is missing.
var ErrNoChromium = errors.New("chromium not installed at " + ChromiumPath + ": `make test-deps` installs it (apt package chromium)")

// ChromiumOptions start headless Chromium in a fresh profile folder with a
// window of width×height. Background networking, component updates, sync
// and QUIC are off: on a closed network Chromium's own connections would
// otherwise fail by the dozen at every start.
func ChromiumOptions(profileDir string, width, height int, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profileDir),
		chromedp.WindowSize(width, height),
	)
	return append(opts, extra...)
}

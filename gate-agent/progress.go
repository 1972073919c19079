package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// newBar returns a progress bar on stderr when it is a terminal (nil
// otherwise: logs and pipes get no control characters).
func newBar(stderr io.Writer, max int64, description string, bytes bool) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100e6)}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return progressbar.NewOptions64(max, opts...)
}

// progressReader shows the progress of reading f on stderr's terminal.
func progressReader(f *os.File, description string, stderr io.Writer) io.Reader {
	st, err := f.Stat()
	if err != nil {
		return f
	}
	bar := newBar(stderr, st.Size(), description, true)
	if bar == nil {
		return f
	}
	r := progressbar.NewReader(f, bar)
	return &r
}

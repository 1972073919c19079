package diskwatch

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const mib = 1 << 20

// TestThresholds walks the free space down through the warning and alarm
// thresholds and back up: each crossing is logged once (not at every
// read), the alarm string and the metrics follow the level.
func TestThresholds(t *testing.T) {
	var logs bytes.Buffer
	free := int64(5000 * mib)
	reg := prometheus.NewRegistry()
	w := New(Options{Dir: "/data/gate", Warn: 1024 * mib, Alarm: 200 * mib, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Free:   func(string) (int64, error) { return free, nil }})
	step := func(mb int64) {
		free = mb * mib
		w.Check()
	}
	count := func(s string) int { return strings.Count(logs.String(), s) }

	step(5000)
	if logs.Len() != 0 || w.Alarm() != "" || w.Free() != 5000*mib {
		t.Fatalf("plenty of space: logs %q alarm %q free %d", logs.String(), w.Alarm(), w.Free())
	}
	step(900)
	step(800)
	step(700)
	if n := count("level=WARN"); n != 1 {
		t.Fatalf("%d warnings below the warning threshold, want 1 per crossing:\n%s", n, logs.String())
	}
	if w.Alarm() != "" || testutil.ToFloat64(w.mLow) != 0 {
		t.Fatal("alarm raised above the alarm threshold")
	}
	step(150)
	step(120)
	if n := count("level=ERROR"); n != 1 || count("ALARM") != 1 {
		t.Fatalf("want one ALARM below the alarm threshold:\n%s", logs.String())
	}
	want := "disk_low: 120 MB free on /data/gate, below 200 MB — free space or the gate will soon refuse travellers"
	if a := w.Alarm(); a != want {
		t.Fatalf("alarm %q, want %q", a, want)
	}
	if testutil.ToFloat64(w.mLow) != 1 || testutil.ToFloat64(w.mFree) != 120*mib {
		t.Fatalf("metrics low=%v free=%v", testutil.ToFloat64(w.mLow), testutil.ToFloat64(w.mFree))
	}
	step(600) // back above the alarm, still below the warning
	if w.Alarm() != "" || testutil.ToFloat64(w.mLow) != 0 {
		t.Fatal("alarm kept after space was freed")
	}
	step(2000)
	step(300) // a second crossing of the warning threshold warns again
	if n := count("level=WARN"); n != 3 {
		t.Fatalf("%d warnings, want 3 (crossing, alarm over, second crossing):\n%s", n, logs.String())
	}
	if n := count("level=INFO"); n != 1 {
		t.Fatalf("%d recoveries logged, want 1:\n%s", n, logs.String())
	}
}

// TestFailedReadKeepsLastFigure: statfs failing (folder removed, I/O
// error) is logged and changes nothing.
func TestFailedReadKeepsLastFigure(t *testing.T) {
	var logs bytes.Buffer
	fail := false
	w := New(Options{Dir: "d", Warn: 10 * mib, Alarm: 5 * mib, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Free: func(string) (int64, error) {
			if fail {
				return 0, errors.New("input/output error")
			}
			return 1 * mib, nil
		}})
	w.Check()
	fail = true
	w.Check()
	if w.Free() != 1*mib || w.Alarm() == "" {
		t.Fatalf("free %d alarm %q after a failed read, want the last figure kept", w.Free(), w.Alarm())
	}
	if !strings.Contains(logs.String(), "input/output error") {
		t.Fatalf("failed read not logged:\n%s", logs.String())
	}
}

// TestRunReadsTheRealDisk runs the watcher on a real folder: statfs gives
// a positive figure, and Run reads again at every interval.
func TestRunReadsTheRealDisk(t *testing.T) {
	dir := t.TempDir()
	real, err := Statfs(dir)
	if err != nil || real <= 0 {
		t.Fatalf("statfs %s: %d, %v", dir, real, err)
	}
	if _, err := Statfs(dir + "/missing"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("statfs of a missing folder: %v, want an error naming it", err)
	}
	var mu sync.Mutex
	reads := 0
	w := New(Options{Dir: dir, Warn: 2, Alarm: 1, Interval: 10 * time.Millisecond,
		Free: func(d string) (int64, error) {
			mu.Lock()
			reads++
			mu.Unlock()
			return Statfs(d)
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := reads
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads in 10 s at a 10 ms interval", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w.Free() <= 0 || w.Alarm() != "" {
		t.Fatalf("free %d alarm %q on a real disk", w.Free(), w.Alarm())
	}
}

package diskwatch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// DefaultInterval is how often the free space is read when Options.Interval is 0.
const DefaultInterval = 5 * time.Second

// Options configure a Watcher.
type Options struct {
	Dir   string // the gate's data folder
	Warn  int64  // bytes: below, a warning is logged
	Alarm int64  // bytes: below, an alarm is raised
	// Interval between reads (DefaultInterval when 0).
	Interval time.Duration
	// Free reads the free bytes of dir's disk; nil means statfs (the space
	// an unprivileged process may use). Tests replace it.
	Free     func(dir string) (int64, error)
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Levels of free space.
const (
	levelOK = iota
	levelWarn
	levelAlarm
)

// Watcher reads the free space and keeps the alarm.
type Watcher struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	free  int64
	level int
	read  bool // at least one read succeeded

	mFree prometheus.Gauge
	mLow  prometheus.Gauge
}

// New prepares a watcher; Run (or Check) reads the disk.
func New(opts Options) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Free == nil {
		opts.Free = Statfs
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	f := promauto.With(opts.Registry)
	return &Watcher{
		opts: opts,
		log:  opts.Logger.With("component", "diskwatch", "dir", opts.Dir),
		mFree: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_disk_free_bytes",
			Help: "Free space on the disk of the gate's data folder."}),
		mLow: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_disk_low",
			Help: "1 while the free space is below agent.disk_alarm_mb: the gate will soon refuse travellers it cannot record."}),
	}
}

// Statfs returns the bytes of dir's file system available to this process.
func Statfs(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("reading the free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Run checks at once and then every Interval until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		w.Check()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Check reads the free space once, logs a change of level and updates the
// metrics. A failed read keeps the last figure and is logged.
func (w *Watcher) Check() {
	free, err := w.opts.Free(w.opts.Dir)
	if err != nil {
		w.log.Warn("cannot read the free disk space; the disk alarm is not watched until it can", "err", err)
		return
	}
	level := levelOK
	switch {
	case free < w.opts.Alarm:
		level = levelAlarm
	case free < w.opts.Warn:
		level = levelWarn
	}
	w.mu.Lock()
	prev, first := w.level, !w.read
	w.free, w.level, w.read = free, level, true
	w.mu.Unlock()

	w.mFree.Set(float64(free))
	if level == levelAlarm {
		w.mLow.Set(1)
	} else {
		w.mLow.Set(0)
	}
	if level == prev && !first {
		return
	}
	switch {
	case level == levelAlarm:
		w.log.Error("ALARM "+alarmText(free, w.opts.Dir, w.opts.Alarm), "free_mb", mb(free), "alarm_mb", mb(w.opts.Alarm))
	case level == levelWarn && (prev == levelOK || first):
		w.log.Warn("disk space is getting low: free space on the data folder's disk", "free_mb", mb(free), "warn_mb", mb(w.opts.Warn))
	case level == levelWarn:
		w.log.Warn("disk alarm over, space still low", "free_mb", mb(free), "warn_mb", mb(w.opts.Warn))
	case !first:
		w.log.Info("disk space back above the warning threshold", "free_mb", mb(free), "warn_mb", mb(w.opts.Warn))
	}
}

// Free is the free space last read (0 before any read).
func (w *Watcher) Free() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.free
}

// Alarm is the alarm for the gate's status while the free space is below
// the alarm threshold, "" otherwise.
func (w *Watcher) Alarm() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.level != levelAlarm {
		return ""
	}
	return alarmText(w.free, w.opts.Dir, w.opts.Alarm)
}

func alarmText(free int64, dir string, alarm int64) string {
	return fmt.Sprintf("disk_low: %d MB free on %s, below %d MB — free space or the gate will soon refuse travellers",
		mb(free), dir, mb(alarm))
}

func mb(b int64) int64 { return b >> 20 }

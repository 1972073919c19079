package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
)

// Health is the replica's fitness to decide on, as a crossing sees it.
type Health struct {
	OK bool
	// Reason is the stable code of why the gate refers everyone ("" when
	// OK), Message the words for the officer and the alarm.
	Reason, Message string
	// Versions are the list versions in force.
	Versions map[string]int64
}

// Monitor watches the replica: its integrity (checked at start and every
// period), the age of its watchlists and any damage a query runs into. Until
// the first integrity check has passed the gate refers everyone: it never
// decides on a replica it has not verified.
type Monitor struct {
	r      *replica.Replica
	maxAge atomic.Int64 // time.Duration; central's policy may change it
	every  time.Duration
	log    *slog.Logger

	mu       sync.Mutex
	verified bool
	damage   error
	statuses []replica.ListStatus
	alarm    string // the reason last alarmed, to log each change once

	mReferAll prometheus.Gauge
	mAge      prometheus.Gauge
	mVersion  *prometheus.GaugeVec
	mVerify   prometheus.Histogram
}

// NewMonitor watches r; maxAge is the policy's maximum replica age, every
// the integrity check period.
func NewMonitor(r *replica.Replica, maxAge, every time.Duration, log *slog.Logger, reg prometheus.Registerer) *Monitor {
	f := promauto.With(reg)
	m := &Monitor{
		r: r, every: every, log: log,
		mReferAll: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_gate_refer_all",
			Help: "1 while the gate refers every traveller because its list replica is stale, damaged or unverified."}),
		mAge: f.NewGauge(prometheus.GaugeOpts{Name: "autogate_replica_age_seconds",
			Help: "Age of the oldest watchlist in the replica (since central issued it)."}),
		mVersion: f.NewGaugeVec(prometheus.GaugeOpts{Name: "autogate_replica_list_version",
			Help: "Version in force of each list of the replica."}, []string{"list"}),
		mVerify: f.NewHistogram(prometheus.HistogramOpts{Name: "autogate_replica_verify_seconds",
			Help: "Duration of the replica's integrity check.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)}),
	}
	m.SetMaxAge(maxAge)
	return m
}

// SetMaxAge changes the replica age beyond which the gate refers everyone
// (a policy from central). The integrity check period stays what the gate
// started with.
func (m *Monitor) SetMaxAge(d time.Duration) { m.maxAge.Store(int64(d)) }

// Run verifies the replica now (unless a check already passed) and every
// period, and re-reads the versions in force every few seconds, until ctx
// ends.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	verified := m.verified
	m.mu.Unlock()
	if !verified {
		m.Verify(ctx)
	}
	verify := time.NewTicker(m.every)
	defer verify.Stop()
	refresh := time.NewTicker(5 * time.Second)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-verify.C:
			m.Verify(ctx)
		case <-refresh.C:
			m.Refresh(ctx)
		}
	}
}

// Verify runs the integrity check and records its outcome.
func (m *Monitor) Verify(ctx context.Context) {
	if m.r == nil {
		return // no replica: damaged since it failed to open
	}
	start := time.Now()
	err := m.r.Verify(ctx)
	if ctx.Err() != nil {
		return
	}
	m.mVerify.Observe(time.Since(start).Seconds())
	m.mu.Lock()
	if err != nil {
		m.damage = err
	} else {
		m.verified = true
		m.damage = nil
	}
	m.mu.Unlock()
	if err == nil {
		m.log.Info("list replica verified", "seconds", time.Since(start).Seconds())
	}
	m.Refresh(ctx)
}

// Refresh re-reads the versions in force (after a delta or an import).
func (m *Monitor) Refresh(ctx context.Context) {
	if m.r == nil {
		m.Health(time.Now())
		return
	}
	st, err := m.r.Versions(ctx)
	if err != nil {
		m.Damaged(err)
		return
	}
	m.mu.Lock()
	m.statuses = st
	m.mu.Unlock()
	for _, s := range st {
		m.mVersion.WithLabelValues(s.List).Set(float64(s.Version))
	}
	m.Health(time.Now())
}

// Damaged records a replica error met by a check: a query that fails is
// treated as damage until the next integrity check passes.
func (m *Monitor) Damaged(err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	m.mu.Lock()
	m.damage = err
	m.mu.Unlock()
}

// watchlists are the lists whose age decides whether the replica is current.
var watchlists = []string{lists.ListPersons, lists.ListDocuments}

// Health reports whether crossings may be decided on the replica at now,
// raising (and clearing) the alarm as that changes.
func (m *Monitor) Health(now time.Time) Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := Health{OK: true, Versions: map[string]int64{}}
	oldest := now
	for _, s := range m.statuses {
		h.Versions[s.List] = s.Version
	}
	for _, name := range watchlists {
		s := m.status(name)
		if s.Version == 0 {
			h = Health{Reason: ReasonReplicaEmpty, Message: fmt.Sprintf("the %s list has never been loaded: import it (gate-agent checks import) or let central sync it", name), Versions: h.Versions}
			break
		}
		oldest = minTime(oldest, s.IssuedAt)
	}
	age := now.Sub(oldest)
	m.mAge.Set(age.Seconds())
	switch {
	case m.damage != nil:
		h = Health{Reason: ReasonReplicaDamaged, Message: fmt.Sprintf("the list replica is damaged (%v): re-import the lists or resync from central", m.damage), Versions: h.Versions}
	case !m.verified:
		h = Health{Reason: ReasonReplicaUnverified, Message: "the list replica's integrity check has not passed yet", Versions: h.Versions}
	case h.OK && age > time.Duration(m.maxAge.Load()):
		h = Health{Reason: ReasonReplicaStale, Message: fmt.Sprintf("the watchlists were issued %s ago, more than the %s the policy allows: check the link to central", age.Round(time.Minute), time.Duration(m.maxAge.Load())), Versions: h.Versions}
	}
	if h.Reason != m.alarm {
		if h.Reason != "" {
			m.log.Error("ALARM: refer-everyone mode: the gate admits no one until the lists are fit", "reason", h.Reason, "detail", h.Message)
		} else {
			m.log.Info("list replica fit again: refer-everyone mode ended", "versions", h.Versions)
		}
		m.alarm = h.Reason
	}
	if h.OK {
		m.mReferAll.Set(0)
	} else {
		m.mReferAll.Set(1)
	}
	return h
}

func (m *Monitor) status(list string) replica.ListStatus {
	for _, s := range m.statuses {
		if s.List == list {
			return s
		}
	}
	return replica.ListStatus{List: list}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

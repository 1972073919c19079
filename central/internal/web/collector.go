package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// GateCollector exports the gates table at scrape time, so alerts can ask
// "which gates are down" and "whose outbox is growing" without a dashboard.
type GateCollector struct {
	store     *store.Store
	log       *slog.Logger
	up        *prometheus.Desc
	outbox    *prometheus.Desc
	crossings *prometheus.Desc
	lastSeen  *prometheus.Desc
	diskFree  *prometheus.Desc
	states    *prometheus.Desc
	// Now is the clock staleness is judged by; tests replace it.
	Now func() time.Time
}

// NewGateCollector reads gates from st on every scrape.
func NewGateCollector(st *store.Store, log *slog.Logger) *GateCollector {
	if log == nil {
		log = slog.Default()
	}
	labels := []string{"gate", "post"}
	return &GateCollector{
		store: st, log: log,
		up: prometheus.NewDesc("autogate_central_gate_up",
			"1 when the gate's last status is online and recent, 0 when offline, stale or never seen.", labels, nil),
		outbox: prometheus.NewDesc("autogate_central_gate_outbox_depth",
			"Crossings waiting in the gate's outbox, as of its last status.", labels, nil),
		crossings: prometheus.NewDesc("autogate_central_gate_crossings_total",
			"Crossings of the gate stored at central.", labels, nil),
		lastSeen: prometheus.NewDesc("autogate_central_gate_last_status_timestamp_seconds",
			"When central last received the gate's status (Unix time).", labels, nil),
		diskFree: prometheus.NewDesc("autogate_central_gate_disk_free_bytes",
			"Free space on the gate's data disk, as of its last status.", labels, nil),
		states: prometheus.NewDesc("autogate_central_gates",
			"Gates by state: online, offline (or never seen), stale (says online, no status for three heartbeats).", []string{"state"}, nil),
		Now: time.Now,
	}
}

// Describe implements prometheus.Collector.
func (c *GateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.outbox
	ch <- c.crossings
	ch <- c.lastSeen
	ch <- c.diskFree
	ch <- c.states
}

// Collect implements prometheus.Collector.
func (c *GateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gates, err := c.store.Gates(ctx)
	if err != nil {
		c.log.Error("metrics: reading gates", "error", err)
		ch <- prometheus.NewInvalidMetric(c.up, err)
		return
	}
	now := c.Now()
	states := map[string]float64{wire.StateOnline: 0, wire.StateOffline: 0, store.StateStale: 0}
	for _, g := range gates {
		state := g.DisplayState(now)
		up := 0.0
		switch state {
		case wire.StateOnline, store.StateStale:
			states[state]++
			if state == wire.StateOnline {
				up = 1
			}
		default:
			states[wire.StateOffline]++
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, g.ID, g.Post)
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(g.OutboxDepth), g.ID, g.Post)
		ch <- prometheus.MustNewConstMetric(c.crossings, prometheus.CounterValue, float64(g.Crossings), g.ID, g.Post)
		if !g.StatusReceivedAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastSeen, prometheus.GaugeValue, float64(g.StatusReceivedAt.UnixNano())/1e9, g.ID, g.Post)
		}
		if g.DiskFreeBytes > 0 {
			ch <- prometheus.MustNewConstMetric(c.diskFree, prometheus.GaugeValue, float64(g.DiskFreeBytes), g.ID, g.Post)
		}
	}
	for state, n := range states {
		ch <- prometheus.MustNewConstMetric(c.states, prometheus.GaugeValue, n, state)
	}
}

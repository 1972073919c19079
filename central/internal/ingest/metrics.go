package ingest

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

type metrics struct {
	received      *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	stored        prometheus.Counter
	duplicates    prometheus.Counter
	acked         prometheus.Counter
	ackFailures   prometheus.Counter
	storeErrors   prometheus.Counter
	batchSize     prometheus.Histogram
	txCrossings   prometheus.Histogram
	commitSeconds prometheus.Histogram
	connected     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "autogate", "central"
	m := &metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_received_total",
			Help: "Gate messages accepted by ingest, by kind (crossings, batches, status).",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rejected_messages_total",
			Help: "Gate messages refused by ingest, by reason; never acknowledged.",
		}, []string{"reason"}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "crossings_stored_total",
			Help: "Crossings newly stored.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "duplicate_deliveries_total",
			Help: "Crossings delivered again after they were stored (normal under at-least-once delivery).",
		}),
		acked: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "crossings_acked_total",
			Help: "Crossing ids acknowledged to their gate after commit.",
		}),
		ackFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "ack_publish_failures_total",
			Help: "Ack messages the broker did not take; the gate resends and is acked again.",
		}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "store_errors_total",
			Help: "Batches that could not be committed after retries.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "ingest_batch_messages",
			Help:    "Messages per store transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		txCrossings: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "ingest_batch_crossings",
			Help:    "Crossings per store transaction (single messages and gate batches together).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024},
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "ingest_commit_seconds",
			Help:    "Time to write and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "mqtt_connected",
			Help: "1 while ingest is connected to the MQTT broker.",
		}),
	}
	// Every reason shows up as 0 from the start, so alerts can use rate().
	for _, r := range append(append([]string{}, Reasons...), store.ReasonIDConflict, store.ReasonUnstorable) {
		m.rejected.WithLabelValues(r)
	}
	m.received.WithLabelValues(wire.KindCrossings)
	m.received.WithLabelValues(wire.KindBatches)
	m.received.WithLabelValues(wire.KindStatus)
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.received, m.rejected, m.stored, m.duplicates, m.acked,
		m.ackFailures, m.storeErrors, m.batchSize, m.txCrossings, m.commitSeconds, m.connected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("ingest: registering metrics: %w", err)
		}
	}
	return m, nil
}

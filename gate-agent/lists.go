package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/gate-agent/internal/checks"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

// gateLists is the gate's list replica with its health monitor and checks.
type gateLists struct {
	checks.Lists
	log *slog.Logger
}

// openLists opens the replica in the data folder. A replica that cannot
// be opened does not stop the gate: it runs in refer-everyone mode, with an
// alarm, recording every crossing, until the lists are re-imported.
func openLists(ctx context.Context, g *config.Gate, log *slog.Logger, reg prometheus.Registerer) (*gateLists, error) {
	path := filepath.Join(g.DataDir(), replica.FileName)
	maxAge := time.Duration(g.Policy.MaxReplicaAgeH) * time.Hour
	every := time.Duration(g.Policy.IntegrityCheckH) * time.Hour
	l := &gateLists{log: log}
	l.Policy, l.Direction = g.Policy, g.Gate.Direction
	r, err := replica.Open(ctx, path)
	if err != nil {
		log.Error("ALARM: the list replica cannot be opened: every traveller will be referred", "path", path, "err", err)
		l.Monitor = checks.NewMonitor(nil, maxAge, every, log, reg)
		l.Monitor.Damaged(err)
		return l, nil
	}
	l.Replica = r
	l.Monitor = checks.NewMonitor(r, maxAge, every, log, reg)
	return l, nil
}

// Recorded journals a traveller who went through the gate as a movement of
// the gate group, for the sequence and stay rules.
func (l *gateLists) Recorded(ctx context.Context, c wire.Crossing) {
	if l.Replica == nil || c.Door != flow.DoorExit || c.Document.DocumentNumber == "" {
		return
	}
	m := lists.Movement{ID: c.ID, DocumentNumber: c.Document.DocumentNumber, IssuingState: c.Document.IssuingState,
		Direction: c.Direction, At: c.EndedAt, Gate: c.Gate}
	if err := l.Replica.RecordMovement(context.WithoutCancel(ctx), m); err != nil {
		l.log.Error("cannot journal the movement: the sequence rule will not know of it", "crossing", c.ID, "err", err)
		l.Monitor.Damaged(err)
	}
}

// Close closes the replica.
func (l *gateLists) Close() error {
	if l.Replica == nil {
		return nil
	}
	return l.Replica.Close()
}

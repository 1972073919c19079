package updates

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
	"autogate/internal/wire"
)

// issued is when the test updates were issued; the gate's clock reads an
// hour later unless a test moves it.
var issued = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const gateID = "gate-t1"

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func keyring(k ed25519.PrivateKey) wire.Keyring {
	return wire.NewKeyring(k.Public().(ed25519.PublicKey))
}

func sign(t testing.TB, k ed25519.PrivateKey, kind string, body any) []byte {
	t.Helper()
	b, err := wire.Sign(k, kind, body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// docDelta adds synthetic documents first..first+n-1, from version from.
func docDelta(from int64, first, n int) lists.Delta {
	g := synth.New(3)
	d := lists.Delta{V: 1, List: lists.ListDocuments, From: from, To: from + 1, IssuedAt: issued, ExpiresAt: issued.Add(7 * 24 * time.Hour)}
	for i := first; i < first+n; i++ {
		doc := g.Document(i)
		d.Ops = append(d.Ops, lists.Op{Op: lists.OpAdd, Key: lists.DocumentKey(doc.IssuingState, doc.Number), Document: &doc})
	}
	return d
}

func configUpdate(version int64, direction, policy string) wire.ConfigUpdate {
	return wire.ConfigUpdate{V: wire.SchemaVersion, Version: version, Direction: direction, Policy: policy,
		IssuedAt: issued, ExpiresAt: issued.Add(7 * 24 * time.Hour)}
}

// gate is an Updates over a real replica, with a clock the test moves and
// the resync requests and applied policies it produced recorded.
type gate struct {
	*Updates
	replica *replica.Replica
	dir     string
	reg     *prometheus.Registry

	mu       sync.Mutex
	now      time.Time
	resyncs  []wire.ResyncRequest
	policies []config.Policy
	applied  []replica.Applied
}

type gateOpts struct {
	keys    wire.Keyring
	dir     string // data folder; "" a new one
	replica *replica.Replica
	noRep   bool
}

func newGate(t testing.TB, o gateOpts) *gate {
	t.Helper()
	g := &gate{dir: o.dir, reg: prometheus.NewRegistry(), now: issued.Add(time.Hour), replica: o.replica}
	if g.dir == "" {
		g.dir = t.TempDir()
	}
	if g.replica == nil && !o.noRep {
		r, err := replica.Open(context.Background(), filepath.Join(g.dir, replica.FileName))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		g.replica = r
	}
	u, err := New(Options{
		Gate: gateID, Direction: "entry", DataDir: g.dir, Keyring: o.keys, Replica: g.replica,
		Publish: func(topic string, _ byte, _ bool, payload []byte) error {
			if topic != wire.GateTopic(gateID, wire.KindResync) {
				t.Errorf("published on %s", topic)
			}
			r, err := wire.DecodeResync(gateID, payload)
			if err != nil {
				t.Errorf("published a bad resync request: %v", err)
			}
			g.mu.Lock()
			g.resyncs = append(g.resyncs, r)
			g.mu.Unlock()
			return nil
		},
		Apply: func(p config.Policy) error {
			g.mu.Lock()
			g.policies = append(g.policies, p)
			g.mu.Unlock()
			return nil
		},
		Applied: func(a replica.Applied) {
			g.mu.Lock()
			g.applied = append(g.applied, a)
			g.mu.Unlock()
		},
		Logger: testLogger(), Registry: g.reg,
		Now: func() time.Time {
			g.mu.Lock()
			defer g.mu.Unlock()
			return g.now
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Updates = u
	return g
}

func (g *gate) advance(d time.Duration) {
	g.mu.Lock()
	g.now = g.now.Add(d)
	g.mu.Unlock()
}

// deliver hands one message to the gate as the worker would.
func (g *gate) deliver(topic string, payload []byte) {
	g.process(context.Background(), topic, payload)
}

func (g *gate) version(t testing.TB, list string) int64 {
	t.Helper()
	vs, err := g.replica.Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.List == list {
			return v.Version
		}
	}
	t.Fatalf("no list %s", list)
	return 0
}

func (g *gate) rejected(reason string) float64 {
	return testutil.ToFloat64(g.mRejected.WithLabelValues(reason))
}

func (g *gate) resyncRequests() []wire.ResyncRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]wire.ResyncRequest(nil), g.resyncs...)
}

func (g *gate) appliedPolicies() []config.Policy {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]config.Policy(nil), g.policies...)
}

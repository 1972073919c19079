package updates

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/replica"
	"autogate/gate-agent/internal/store"
	"autogate/gate-agent/internal/uplink"
	"autogate/internal/credentials"
	"autogate/internal/lists"
	"autogate/internal/testenv"
	"autogate/internal/wire"
)

// The end-to-end test runs central as the operator does — the built
// binary: `central serve` publishing, `central lists push` and `central
// config push` queueing — with a real MQTT broker, and the gate's side
// in-process: the real uplink carrying this package's subscriptions, a
// real replica. (Go's internal rule keeps central's packages out of the
// gate's tests, hence the binary.)

func buildCentral(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is not on PATH: cannot build central for the end-to-end test")
	}
	bin := filepath.Join(t.TempDir(), "central")
	cmd := exec.Command("go", "build", "-o", bin, "./central")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building central: %v\n%s", err, out)
	}
	return bin
}

// writeSigningKey puts central's signing key where pki.LoadSigningKey
// reads it (PKCS#8 PEM in <data>/pki/signing.key).
func writeSigningKey(t *testing.T, dataDir string, key ed25519.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "signing.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func startMochi(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	srv := mochi.New(&mochi.Options{InlineClient: true})
	srv.AddHook(new(auth.AllowHook), nil)
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "tcp://" + addr
}

// syncBuffer collects a process's output for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServe(t *testing.T, bin, dataDir string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"serve", "--data", dataDir, "--http", "127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("central serve said:\n%s", out)
		}
	})
	return out
}

func runCentral(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("central %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// liveGate is the gate's network side: uplink + updates, until stopped.
type liveGate struct {
	upd      *Updates
	reg      *prometheus.Registry
	stop     func()
	mu       sync.Mutex
	policies []config.Policy
}

func startGate(t *testing.T, brokerURL string, tlsConf *tls.Config, dir string, st *store.Store, rep *replica.Replica, keys wire.Keyring) *liveGate {
	t.Helper()
	g := &liveGate{reg: prometheus.NewRegistry()}
	var up *uplink.Uplink
	upd, err := New(Options{
		Gate: gateID, Direction: "entry", DataDir: dir, Keyring: keys, Replica: rep,
		Publish: func(topic string, qos byte, retained bool, payload []byte) error {
			return up.Publish(topic, qos, retained, payload)
		},
		Apply: func(p config.Policy) error {
			g.mu.Lock()
			g.policies = append(g.policies, p)
			g.mu.Unlock()
			return nil
		},
		GapWait: 200 * time.Millisecond, ResyncEvery: 500 * time.Millisecond,
		Logger: testLogger(), Registry: g.reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := upd.LoadConfig(); err != nil {
		t.Fatal(err)
	}
	g.upd = upd
	up = uplink.New(uplink.Options{
		Broker: brokerURL, TLS: tlsConf, Gate: gateID, AckTimeout: 2 * time.Second, MaxInflight: 8, Heartbeat: time.Second,
		ConnectTimeout: 5 * time.Second, Subscriptions: upd.Handlers(), Logger: testLogger(), Registry: g.reg,
	}, st)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); upd.Run(ctx) }()
	go func() { defer wg.Done(); up.Run(ctx) }()
	g.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(g.stop)
	return g
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeDelta(t *testing.T, dir, name string, d lists.Delta) string {
	t.Helper()
	d.From, d.To, d.IssuedAt, d.ExpiresAt = 0, 0, time.Time{}, time.Time{} // central numbers and dates it
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, wire.Encode(d), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestEndToEndPushCatchUpAfterDisconnection: central with its signing key
// only, an external broker in clear text.
func TestEndToEndPushCatchUpAfterDisconnection(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs central")
	}
	bin := buildCentral(t)
	brokerURL := startMochi(t)
	key := newKey(t)
	centralDir := t.TempDir()
	writeSigningKey(t, centralDir, key)
	startServe(t, bin, centralDir, "--broker", brokerURL)
	pushAndCatchUp(t, bin, centralDir, brokerURL, nil, keyring(key))
}

// TestEndToEndWithFleetPKI: as deployed — `central pki init`, the gate
// enrolled with `central gate add`, its credentials bundle giving the TLS
// identity and central's keys, the embedded broker speaking TLS and
// enforcing the gates' ACL on every topic of the exchange.
func TestEndToEndWithFleetPKI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs central")
	}
	bin := buildCentral(t)
	centralDir := t.TempDir()
	runCentral(t, bin, "pki", "init", "--data", centralDir)
	bundlePath := filepath.Join(t.TempDir(), gateID+".pem")
	runCentral(t, bin, "gate", "add", gateID, "--data", centralDir, "--out", bundlePath)
	bundle, err := credentials.Load(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startServe(t, bin, centralDir, "--mqtt-listen", addr)
	pushAndCatchUp(t, bin, centralDir, "tls://"+addr, bundle.ClientTLS(), bundle.Keyring)
}

// pushAndCatchUp pushes a delta to a connected gate, then two deltas and a
// configuration while it is away, and checks it catches up when back.
func pushAndCatchUp(t *testing.T, bin, centralDir, brokerURL string, tlsConf *tls.Config, keys wire.Keyring) {
	ctx := context.Background()
	gateDir, files := t.TempDir(), t.TempDir()
	st, err := store.Open(ctx, gateDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rep, err := replica.Open(ctx, filepath.Join(gateDir, replica.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close() })
	docs := func() int64 {
		vs, err := rep.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return vs[1].Version
	}

	g := startGate(t, brokerURL, tlsConf, gateDir, st, rep, keys)
	out := runCentral(t, bin, "lists", "push", writeDelta(t, files, "d1.json", docDelta(0, 0, 3)), "--data", centralDir)
	if strings.TrimSpace(out) != "queued list=documents versions=1..1 ops=3" {
		t.Fatalf("lists push printed %q", out)
	}
	waitFor(t, "the gate to apply documents version 1", func() bool { return docs() == 1 })

	// The gate goes away; central publishes two deltas and a configuration meanwhile.
	g.stop()
	runCentral(t, bin, "lists", "push", "--data", centralDir, writeDelta(t, files, "d2.json", docDelta(0, 3, 1)))
	runCentral(t, bin, "lists", "push", writeDelta(t, files, "d3.json", docDelta(0, 4, 2)), "--data", centralDir)
	policy := filepath.Join(files, "policy.toml")
	os.WriteFile(policy, []byte("min_validity_days = 45\n"), 0o600)
	if out := runCentral(t, bin, "config", "push", policy, "--data", centralDir, "--direction", "entry"); strings.TrimSpace(out) != "queued config version=1" {
		t.Fatalf("config push printed %q", out)
	}
	waitFor(t, "central to publish everything", func() bool {
		return publishedAll(runCentral(t, bin, "lists", "status", "--data", centralDir))
	})
	if docs() != 1 {
		t.Fatalf("the disconnected gate moved to %d", docs())
	}

	// Back: the retained fleet versions show it behind; it asks and catches up.
	g2 := startGate(t, brokerURL, tlsConf, gateDir, st, rep, keys)
	waitFor(t, "the gate to catch up to documents 3 and config 1", func() bool { return docs() == 3 && g2.upd.ConfigVersion() == 1 })
	if n := testutil.ToFloat64(g2.upd.mResync.WithLabelValues(lists.ListDocuments)); n < 1 {
		t.Fatal("caught up without asking for a resync")
	}
	g2.mu.Lock()
	defer g2.mu.Unlock()
	if len(g2.policies) != 1 || g2.policies[0].MinValidityDays != 45 {
		t.Fatalf("policies applied %+v", g2.policies)
	}
	for _, reason := range []string{"bad_signature", "unknown_key", "expired", "invalid"} {
		if n := testutil.ToFloat64(g2.upd.mRejected.WithLabelValues(reason)); n != 0 {
			t.Errorf("%v updates refused as %s", n, reason)
		}
	}
}

// publishedAll reads `central lists status`: every row's UNPUBLISHED is 0.
func publishedAll(status string) bool {
	lines := strings.Split(strings.TrimSpace(status), "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 4 || f[3] != "0" {
			return false
		}
	}
	return len(lines) > 1
}

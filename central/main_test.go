package main

import (
	"autogate/benchmarks/webclient"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/internal/wire"
)

// The test binary doubles as the central binary: started with this variable
// set, it runs main() instead of the tests, so process tests need no build.
const asBinaryEnv = "AUTOGATE_CENTRAL_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runInProcess(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		args   []string
		code   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
	}{
		{nil, exitUsage, "", "Usage:"},
		{[]string{"bogus"}, exitUsage, "", `unknown command "bogus"`},
		{[]string{"help"}, exitOK, "broker", ""},
		{[]string{"--help"}, exitOK, "serve", ""},
		{[]string{"help", "serve"}, exitOK, "--mqtt-listen", ""},
		{[]string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"serve", "--help"}, exitOK, "--data DIR", ""},
		{[]string{"serve", "-h"}, exitOK, "--broker URL", ""},
		{[]string{"broker", "--help"}, exitOK, "--listen ADDR", ""},
		{[]string{"serve", "--nope"}, exitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"serve", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"serve", "--mqtt-listen", "127.0.0.1:1", "--broker", "tcp://127.0.0.1:2"}, exitUsage, "", "not both"},
		{[]string{"serve", "--broker", "http://127.0.0.1:2"}, exitUsage, "", "want tcp://host:port"},
		{[]string{"serve", "--broker", "wss://127.0.0.1:2"}, exitUsage, "", "not supported"},
		{[]string{"serve", "--broker", "tcp://127.0.0.1"}, exitUsage, "", "both host and port"},
		{[]string{"serve", "--http", "8080"}, exitUsage, "", "--http"},
		{[]string{"serve", "--mqtt-listen", "localhost"}, exitUsage, "", "--mqtt-listen"},
		{[]string{"serve", "--data", ""}, exitUsage, "", "--data"},
		{[]string{"broker", "--listen", "nowhere"}, exitUsage, "", "--listen"},
		{[]string{"broker", "now"}, exitUsage, "", "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runInProcess(t, ctx, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("want stdout ∋ %q, stderr ∋ %q\nstdout: %s\nstderr: %s", tc.stdout, tc.stderr, stdout, stderr)
			}
		})
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPortInUseNamesPortAndFlag(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().String()
	ctx := context.Background()
	cases := []struct {
		args []string
		flag string
	}{
		{[]string{"serve", "--data", t.TempDir(), "--http", freeAddr(t), "--mqtt-listen", taken}, "--mqtt-listen"},
		{[]string{"serve", "--data", t.TempDir(), "--http", taken, "--mqtt-listen", freeAddr(t)}, "--http"},
		{[]string{"broker", "--listen", taken}, "--listen"},
	}
	for _, tc := range cases {
		code, _, stderr := runInProcess(t, ctx, tc.args...)
		if code != exitError {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitError)
		}
		if !strings.Contains(stderr, taken) || !strings.Contains(stderr, tc.flag) || !strings.Contains(stderr, "in use") {
			t.Errorf("%v: error does not name port %s and flag %s:\n%s", tc.args, taken, tc.flag, stderr)
		}
	}
}

func TestServeRefusesUnusableDataDir(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runInProcess(t, context.Background(), "serve", "--data", file+"/sub", "--http", freeAddr(t), "--mqtt-listen", freeAddr(t))
	if code != exitError || !strings.Contains(stderr, "--data") || !strings.Contains(stderr, file) {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// --- processes ---

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// startCentral runs `central ARGS...` as a separate process.
func startCentral(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	p := &proc{name: "central " + strings.Join(args, " "), cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", p.name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.name, p.stderr.String())
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s of SIGTERM", p.name)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

func (p *proc) waitLog(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.stderr.String(), substr) {
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before logging %q", p.name, p.err, substr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %q within 15s", p.name, substr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitHealthy(t *testing.T, httpAddr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("central on %s not healthy within 20s (last: %v)", httpAddr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testGate is a paho client playing a gate.
type testGate struct {
	id     string
	client mqtt.Client
	acked  chan string
	connMu sync.Mutex
	conn   net.Conn
}

// connectGate connects as gate id with a retained last will "offline",
// subscribed to its acks.
func connectGate(t *testing.T, brokerAddr, id string) *testGate {
	t.Helper()
	g := &testGate{id: id, acked: make(chan string, 100)}
	will := wire.Encode(wire.Status{V: 1, Gate: id, State: wire.StateOffline, At: time.Now().UTC()})
	opts := mqtt.NewClientOptions().AddBroker("tcp://"+brokerAddr).SetClientID("gate-"+id).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(200*time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetBinaryWill(wire.GateTopic(id, wire.KindStatus), will, 1, true).
		SetCustomOpenConnectionFn(func(uri *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
			c, err := net.DialTimeout("tcp", uri.Host, 5*time.Second)
			g.connMu.Lock()
			g.conn = c
			g.connMu.Unlock()
			return c, err
		}).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe(wire.GateTopic(id, wire.KindAcks), 1, func(_ mqtt.Client, m mqtt.Message) {
				a, err := wire.DecodeAck(m.Payload())
				if err != nil {
					return
				}
				for _, x := range a.IDs {
					g.acked <- x
				}
			}).Wait()
		})
	g.client = mqtt.NewClient(opts)
	if tok := g.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("gate %s: connecting to %s: %v", id, brokerAddr, tok.Error())
	}
	t.Cleanup(func() { g.client.Disconnect(100) })
	return g
}

// sendUntilAcked publishes c, as a gate does, until central acknowledges it.
func (g *testGate) sendUntilAcked(t *testing.T, c wire.Crossing) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		g.client.Publish(wire.GateTopic(g.id, wire.KindCrossings), 1, false, wire.Encode(c))
		timeout := time.After(time.Second)
	wait:
		for {
			select {
			case id := <-g.acked:
				if id == c.ID {
					return
				}
			case <-timeout:
				break wait
			}
		}
	}
	t.Fatalf("crossing %s of gate %s never acknowledged", c.ID, g.id)
}

// dropConnection cuts the TCP connection without an MQTT DISCONNECT, as a
// gate losing power or network would: the broker then publishes its will.
func (g *testGate) dropConnection() {
	g.connMu.Lock()
	defer g.connMu.Unlock()
	if g.conn != nil {
		g.conn.Close()
	}
}

func crossingOf(gate string, seq int64, decision string) wire.Crossing {
	start := time.Now().UTC().Add(-14 * time.Second).Truncate(time.Millisecond)
	c := wire.Crossing{
		V: 1, ID: wire.NewID(), Gate: gate, Post: "post-river", Seq: seq, Direction: "entry",
		StartedAt: start, EndedAt: start.Add(13200 * time.Millisecond), Decision: decision, Door: "exit",
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F", ExpiryDate: "2032-04-15"},
		Checks:     []wire.Check{{Name: "mrz", Result: wire.ResultPass, DurationMS: 2}},
		DeviceMS:   13000,
		SoftwareMS: 187,
	}
	if decision == wire.DecisionRefer {
		c.Door = "entrance"
		c.Checks = append(c.Checks, wire.Check{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch", DurationMS: 90})
	}
	return c
}

// addWebUser adds a web account to the data folder with `central user
// add` (the test binary as central, the password on standard input, as a
// script gives it) and returns its password.
func addWebUser(t *testing.T, dataDir, name, role, post string) string {
	t.Helper()
	password := "pw-" + strings.ToLower(wire.NewID())
	args := []string{"user", "add", name, "--role", role, "--data", dataDir}
	if post != "" {
		args = append(args, "--post", post)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("central %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return password
}

// apiCrossingIDs lists a gate's crossings through the JSON API, logged in
// as a script does.
func apiCrossingIDs(t *testing.T, httpAddr, name, password, gate string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	web := &webclient.Client{Base: "http://" + httpAddr, Account: webclient.Account{Name: name, Password: password}}
	if err := web.Login(ctx); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Crossings []wire.Crossing `json:"crossings"`
	}
	if err := web.GetJSON(ctx, fmt.Sprintf("/api/crossings?gate=%s&limit=1000", gate), &body); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, c := range body.Crossings {
		out[c.ID] = true
	}
	return out
}

// TestServeSurvivesBrokerRestart runs `central broker` and `central serve
// --broker` as processes, restarts the broker process under the running
// central, and checks crossings from before and after are stored and acked,
// and that SIGTERM stops both with exit status 0.
func TestServeSurvivesBrokerRestart(t *testing.T) {
	mqttAddr, httpAddr := freeAddr(t), freeAddr(t)
	b := startCentral(t, "broker", "--listen", mqttAddr)
	b.waitLog(t, "MQTT broker listening")
	dataDir := t.TempDir()
	password := addWebUser(t, dataDir, "hq-test", "hq", "")
	c := startCentral(t, "serve", "--broker", "tcp://"+mqttAddr, "--http", httpAddr, "--data", dataDir)
	c.waitLog(t, "central serving")
	if !strings.Contains(c.stderr.String(), "dashboard=http://"+httpAddr+"/") {
		t.Errorf("start log does not give the dashboard URL:\n%s", c.stderr.String())
	}
	waitHealthy(t, httpAddr)

	gateID := "restart-" + strings.ToLower(wire.NewID()[20:])
	g := connectGate(t, mqttAddr, gateID)
	before := crossingOf(gateID, 1, wire.DecisionPass)
	g.sendUntilAcked(t, before)

	if code := b.stop(t); code != 0 {
		t.Fatalf("broker exit status %d after SIGTERM, want 0", code)
	}
	// Central notices and reports unhealthy while the broker is away.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("healthz still 200 with the broker stopped")
		}
		time.Sleep(50 * time.Millisecond)
	}

	b2 := startCentral(t, "broker", "--listen", mqttAddr)
	b2.waitLog(t, "MQTT broker listening")
	waitHealthy(t, httpAddr)
	after := crossingOf(gateID, 2, wire.DecisionRefer)
	g.sendUntilAcked(t, after)

	// The JSON API is HQ's: without a session it answers 401.
	res, err := http.Get("http://" + httpAddr + "/api/crossings")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/crossings without a session: %s, want 401", res.Status)
	}
	ids := apiCrossingIDs(t, httpAddr, "hq-test", password, gateID)
	if len(ids) != 2 || !ids[before.ID] || !ids[after.ID] {
		t.Fatalf("API lists %v, want both crossings", ids)
	}
	res, err = http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`autogate_central_crossings_stored_total 2`,
		`autogate_central_mqtt_connected 1`,
		`autogate_central_rejected_messages_total{reason="malformed"} 0`,
		fmt.Sprintf(`autogate_central_gate_crossings_total{gate=%q,post="post-river"} 2`, gateID),
		`go_goroutines`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if code := c.stop(t); code != 0 {
		t.Fatalf("central serve exit status %d after SIGTERM, want 0", code)
	}
	if !strings.Contains(c.stderr.String(), "central stopped") {
		t.Errorf("no clean-stop log:\n%s", c.stderr.String())
	}
	if code := b2.stop(t); code != 0 {
		t.Fatalf("broker exit status %d, want 0", code)
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/central/internal/pki"
	"autogate/internal/credentials"
	"autogate/internal/wire"
)

func TestPKIAndGateAddCLI(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "central")
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"pki"}, exitUsage, "", "central pki init"},
		{[]string{"pki", "nope"}, exitUsage, "", `unknown subcommand "nope"`},
		{[]string{"pki", "init", "--help"}, exitOK, "--host NAME", ""},
		{[]string{"pki", "mosquitto", "--help"}, exitOK, "--listen HOST:PORT", ""},
		{[]string{"gate", "add", "--help"}, exitOK, "--reissue", ""},
		{[]string{"pki", "init", "--data", data, "--host", "bad host"}, exitUsage, "", "--host"},
		{[]string{"serve", "--data", data, "--broker", "ssl://127.0.0.1:2"}, exitError, "", "central pki init --data " + data},
		{[]string{"serve", "--data", data, "--broker", "wss://127.0.0.1:2"}, exitUsage, "", "not supported"},
		{[]string{"gate", "add", "g1", "--data", data}, exitError, "", "central pki init"},
		{[]string{"pki", "init", "--data", data, "--host", "central.example"}, exitOK, filepath.Join(data, "pki", "ca.pem"), ""},
		{[]string{"pki", "init", "--data", data}, exitError, "", "already exists"},
		{[]string{"gate", "add", "--data", data}, exitUsage, "", "the gate id comes first"},
		{[]string{"gate", "add", "bad/id", "--data", data}, exitUsage, "", "not allowed"},
		{[]string{"gate", "add", "g1", "--data", data}, exitOK, `broker = "tls://central.example:8883"`, ""},
		{[]string{"gate", "add", "g1", "--data", data}, exitError, "", "--reissue"},
		{[]string{"gate", "add", "g1", "--data", data, "--reissue"}, exitOK, "refuses the previous certificate", ""},
		{[]string{"pki", "mosquitto", "--data", data}, exitUsage, "", "--out DIR is required"},
		{[]string{"pki", "mosquitto", "--data", data, "--out", filepath.Join(data, "mq"), "--listen", "127.0.0.1:8883"}, exitOK, "mosquitto -c " + filepath.Join(data, "mq", "mosquitto.conf"), ""},
	} {
		code, stdout, stderr := runInProcess(t, ctx, c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("central %s: exit %d (want %d)\nstdout (want ∋ %q):\n%s\nstderr (want ∋ %q):\n%s", strings.Join(c.args, " "), code, c.code, c.stdout, stdout, c.stderr, stderr)
		}
	}
	code, stdout, _ := runInProcess(t, ctx, "gate", "add", "g2", "--data", data)
	bundle := pki.DefaultBundlePath(data, "g2")
	if code != exitOK || !strings.Contains(stdout, "Credentials bundle: "+bundle) || !strings.Contains(stdout, `credentials = "g2.pem"`) {
		t.Fatalf("gate add g2: exit %d\n%s", code, stdout)
	}
	if b, err := credentials.Load(bundle); err != nil || b.GateID != "g2" {
		t.Fatalf("the printed bundle: %v", err)
	}
}

func TestMQTTSecurityWithoutPKIWarns(t *testing.T) {
	var buf bytes.Buffer
	sec, err := loadMQTTSecurity(t.TempDir(), "", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil || sec.serverTLS != nil || brokerAuth(sec) != nil || sec.scheme() != "tcp" {
		t.Fatalf("no PKI: %+v, %v", sec, err)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "accepts anyone") {
		t.Fatalf("no loud warning:\n%s", buf.String())
	}
	if _, err := loadMQTTSecurity(t.TempDir(), "tls://central.example:8883", slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "central pki init") {
		t.Fatalf("tls:// broker without a PKI: %v", err)
	}
}

// TestServeWithPKI runs `central serve` as a process on a data folder with
// a PKI: its embedded broker speaks TLS, its own ingest connects with
// central's certificate (healthz needs the subscription), a gate with its
// bundle delivers a crossing and gets the ack, and a client without TLS is
// refused and counted in /metrics.
func TestServeWithPKI(t *testing.T) {
	data := t.TempDir()
	if _, err := pki.Init(data, pki.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	gateID := "tls-gate-1"
	path, err := pki.AddGate(data, gateID, pki.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := credentials.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	mqttAddr, httpAddr := freeAddr(t), freeAddr(t)
	c := startCentral(t, "serve", "--data", data, "--http", httpAddr, "--mqtt-listen", mqttAddr)
	c.waitLog(t, "central serving")
	waitHealthy(t, httpAddr)
	if strings.Contains(c.stderr.String(), "SECURITY") {
		t.Errorf("security warning with a PKI:\n%s", c.stderr.String())
	}

	acked := make(chan string, 10)
	o := mqtt.NewClientOptions().AddBroker("tls://" + mqttAddr).SetClientID(wire.GateClientID(gateID)).
		SetTLSConfig(creds.ClientTLS()).SetAutoReconnect(false).SetProtocolVersion(4)
	gate := mqtt.NewClient(o)
	if tok := gate.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("gate over TLS: %v", tok.Error())
	}
	defer gate.Disconnect(50)
	if tok := gate.Subscribe(wire.GateTopic(gateID, wire.KindAcks), 1, func(_ mqtt.Client, m mqtt.Message) {
		if a, err := wire.DecodeAck(m.Payload()); err == nil {
			for _, id := range a.IDs {
				acked <- id
			}
		}
	}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cr := crossingOf(gateID, 1, wire.DecisionPass)
	if tok := gate.Publish(wire.GateTopic(gateID, wire.KindCrossings), 1, false, wire.Encode(cr)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	select {
	case id := <-acked:
		if id != cr.ID {
			t.Fatalf("acked %s, want %s", id, cr.ID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("central did not acknowledge the gate's crossing over TLS")
	}

	plain := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID(wire.GateClientID(gateID)).
		SetAutoReconnect(false).SetProtocolVersion(4).SetConnectTimeout(5 * time.Second))
	if tok := plain.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		plain.Disconnect(0)
		t.Fatal("a plain TCP client connected to the TLS broker")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), `autogate_broker_denied_total{reason="tls_handshake"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not count the refused plain client:\n%s", grepLines(string(body), "autogate_broker_denied_total"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

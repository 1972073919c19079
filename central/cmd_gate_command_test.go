package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/central/internal/broker"
	"autogate/central/internal/pki"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// commandPost is a data folder with a signing key, an embedded broker and
// a gate that answers each verified command with result/reason.
func commandPost(t *testing.T, gate, result, reason string) (dataDir, brokerURL string) {
	t.Helper()
	dataDir = t.TempDir()
	key, err := pki.NewSigningKey(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	brokerURL = "tcp://" + b.Addr()
	if gate == "" {
		return dataDir, brokerURL
	}
	keys := wire.NewKeyring(key.Public().(ed25519.PublicKey))
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("autogate-gate-" + gate))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("gate connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe(wire.GateTopic(gate, wire.KindCommands), 1, func(c mqtt.Client, m mqtt.Message) {
		var cmd wire.Command
		body, err := wire.Verify(m.Payload(), wire.SignedCommand, keys)
		if err != nil || json.Unmarshal(body, &cmd) != nil || cmd.Gate != gate {
			t.Errorf("the CLI sent what a gate cannot verify: %v", err)
			return
		}
		ack := wire.CommandAck{V: 1, ID: cmd.ID, Gate: gate, Result: result, Reason: reason, Mode: "locked", At: time.Now()}
		if reason != "" {
			ack.Detail = "nobody is held in the lane"
		}
		c.Publish(wire.GateTopic(gate, wire.KindCommandAcks), 1, false, wire.Encode(ack))
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("gate subscribe: %v", tok.Error())
	}
	return dataDir, brokerURL
}

func TestGateCommandDone(t *testing.T) {
	data, url := commandPost(t, "post-a-01", wire.CommandDone, "")
	code, out, errOut := runInProcess(t, context.Background(), "gate", "command", "post-a-01", "lock",
		"--reason", "incident in hall B", "--officer", "O-17", "--data", data, "--broker", url)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	m := regexp.MustCompile(`^command id=([0-9A-Z]{26}) gate=post-a-01 action=lock result=done mode=locked acked_ms=\d+\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output %q", out)
	}
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, ok, err := st.Command(context.Background(), m[1])
	if err != nil || !ok || rec.Officer != "O-17" || rec.Reason != "incident in hall B" || rec.AckResult != wire.CommandDone {
		t.Fatalf("central's record %+v ok=%v err=%v", rec, ok, err)
	}
}

func TestGateCommandRefused(t *testing.T) {
	data, url := commandPost(t, "g2", wire.CommandRefused, "not_applicable")
	code, out, _ := runInProcess(t, context.Background(), "gate", "command", "g2", "open_exit",
		"--reason", "checked at the desk", "--data", data, "--broker", url)
	if code != exitError || !strings.Contains(out, "result=refused reason=not_applicable detail=\"nobody is held in the lane\"") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestGateCommandNoAnswer(t *testing.T) {
	data, url := commandPost(t, "", "", "")
	code, out, errOut := runInProcess(t, context.Background(), "gate", "command", "g9", "unlock",
		"--reason", "end of incident", "--timeout", "200ms", "--data", data, "--broker", url)
	if code != exitError || out != "" || !strings.Contains(errOut, "no acknowledgement from gate g9 within 200ms: is it online?") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestGateCommandErrors(t *testing.T) {
	ctx := context.Background()
	noKey := t.TempDir()
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"g1"}, exitUsage, "want the gate id and the action"},
		{[]string{"g1", "lock"}, exitUsage, "--reason is required"},
		{[]string{"g1", "explode", "--reason", "r"}, exitUsage, `action "explode"`},
		{[]string{"g/1", "lock", "--reason", "r"}, exitUsage, "not allowed"},
		{[]string{"g1", "lock", "--reason", "r", "--ttl", "1h"}, exitUsage, "--ttl 1h0m0s"},
		{[]string{"g1", "lock", "--reason", "r", "--timeout", "0s"}, exitUsage, "--timeout"},
		{[]string{"g1", "lock", "--reason", "r", "--broker", "http://x"}, exitUsage, "--broker"},
		{[]string{"g1", "lock", "--bogus"}, exitUsage, "bogus"},
		{[]string{"g1", "lock", "--reason", "r", "--data", noKey}, exitError, "central pki init"},
	} {
		code, _, errOut := runInProcess(t, ctx, append([]string{"gate", "command"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%v: exit %d stderr %q, want %d with %q", tc.args, code, errOut, tc.code, tc.stderr)
		}
	}
	code, out, _ := runInProcess(t, ctx, "gate", "command", "--help")
	if code != exitOK || !strings.Contains(out, "open_exit") || !strings.Contains(out, "--crossing ULID") {
		t.Fatalf("--help: exit %d %q", code, out)
	}
}

func TestGateCommandBadCrossing(t *testing.T) {
	data, url := commandPost(t, "", "", "")
	code, _, errOut := runInProcess(t, context.Background(), "gate", "command", "g1", "open_exit",
		"--reason", "r", "--crossing", "not-a-ulid", "--data", data, "--broker", url)
	if code != exitUsage || !strings.Contains(errOut, "not-a-ulid") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

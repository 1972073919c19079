package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/audit"
	"autogate/central/internal/broker"
	gatecmd "autogate/central/internal/commands"
	"autogate/central/internal/pki"
	"autogate/central/internal/store"
	"autogate/internal/wire"
)

const gateCommandHelp = `Usage: central gate command ID ACTION --reason TEXT [--officer NAME] [--crossing ULID]
       [--ttl 10s] [--timeout 5s] [--data DIR] [--broker URL]

Sends gate ID an officer's command, signed with central's key
(DIR/pki/signing.key), and waits for the gate's acknowledgement. ACTION:

  open_exit  let the referred traveller held in the lane out through the exit
  return     send the traveller held in the lane back through the entrance
  lock       admit no more travellers (the crossing under way finishes)
  unlock     admit travellers again

A gate holds a referred traveller for an officer only when its gate file
sets [central] hold_referred_s; --crossing names the referral the command
settles, and the gate refuses it if another traveller is in the lane.

The command runs at most once and only until --ttl after it is issued (the
gate allows a few seconds of clock difference): a copy replayed later is
refused. It is recorded in central's store under DIR with the gate's
answer. Without --broker it goes through the broker 'central serve' runs
on its default address.

Prints one line, e.g.
  command id=01J… gate=post-a-01 action=lock result=done mode=locked acked_ms=12
(refusals add reason= and detail=). Exit status: 0 when the gate did it,
1 when it refused or did not answer within --timeout, 2 on a usage error.
`

type gateCommandConfig struct {
	dataDir, brokerURL        string
	reason, officer, crossing string
	ttl, timeout              time.Duration
	gate, action              string
}

func runGateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "gate command"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var cfg gateCommandConfig
	fs.StringVar(&cfg.reason, "reason", "", "`TEXT` why the officer sends it (required; kept with the command and the crossing)")
	fs.StringVar(&cfg.officer, "officer", "", "`NAME` or badge of the officer")
	fs.StringVar(&cfg.crossing, "crossing", "", "`ULID` of the referred crossing the command settles (open_exit, return, manual_booth)")
	fs.DurationVar(&cfg.ttl, "ttl", gatecmd.DefaultTTL, "`DURATION` the command stays valid after it is issued (at most 5m)")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "`DURATION` to wait for the gate's acknowledgement")
	fs.StringVar(&cfg.dataDir, "data", defaultDataDir, "central's data `DIR` (signing key, PKI, store)")
	fs.StringVar(&cfg.brokerURL, "broker", "", "MQTT broker `URL` (default tls://"+broker.DefaultTLSListen+" when DIR has a PKI, else tcp://"+broker.DefaultListen+")")
	// ID and ACTION come first, flags after them.
	var pos []string
	for len(args) > 0 && len(pos) < 2 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if code, done := parseFlags(fs, args, gateCommandHelp, stdout, stderr); done {
		return code
	}
	if len(pos) != 2 {
		return usageError(stderr, name, "want the gate id and the action first: central gate command ID ACTION --reason TEXT")
	}
	cfg.gate, cfg.action = pos[0], pos[1]
	if err := cfg.check(); err != nil {
		return usageError(stderr, name, "%v", err)
	}
	ack, cmd, ms, err := sendGateCommand(ctx, cfg)
	auditCommand(cfg, cmd, ack, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "central %s: %v\n", name, err)
		return exitError
	}
	line := fmt.Sprintf("command id=%s gate=%s action=%s result=%s", cmd.ID, cmd.Gate, cmd.Action, ack.Result)
	if ack.Result != wire.CommandDone {
		line += fmt.Sprintf(" reason=%s detail=%q", ack.Reason, ack.Detail)
	}
	fmt.Fprintf(stdout, "%s mode=%s acked_ms=%d\n", line, ack.Mode, ms)
	if ack.Result != wire.CommandDone {
		return exitError
	}
	return exitOK
}

// auditCommand records a command that was sent (cmd.ID set) and, when it
// came, the gate's acknowledgement.
func auditCommand(cfg gateCommandConfig, cmd wire.Command, ack wire.CommandAck, stderr io.Writer) {
	if cmd.ID == "" {
		return
	}
	auditDone(cfg.dataDir, "gate command", audit.Entry{Action: audit.ActionCommand, Target: cmd.Gate, Detail: map[string]string{
		"id": cmd.ID, "action": cmd.Action, "reason": cmd.Reason, "crossing": cmd.Crossing, "officer": cmd.Officer}}, stderr)
	if ack.Result != "" {
		auditDone(cfg.dataDir, "gate command", audit.Entry{Action: audit.ActionCommandAck, Target: cmd.Gate, Detail: map[string]string{
			"id": cmd.ID, "result": ack.Result, "reason": ack.Reason, "detail": ack.Detail, "mode": ack.Mode}}, stderr)
	}
}

// check validates the command line before anything is read or sent.
func (cfg *gateCommandConfig) check() error {
	if err := wire.ValidateGateID(cfg.gate); err != nil {
		return err
	}
	if !wire.IsAction(cfg.action) {
		return fmt.Errorf("action %q: want one of %s", cfg.action, strings.Join(wire.Actions, ", "))
	}
	if cfg.crossing != "" {
		if _, err := ulid.ParseStrict(cfg.crossing); err != nil || cfg.crossing != strings.ToUpper(cfg.crossing) {
			return fmt.Errorf("--crossing %q: want the crossing's id, a ULID in capitals (as the dashboard shows it)", cfg.crossing)
		}
	}
	if strings.TrimSpace(cfg.reason) == "" {
		return errors.New("--reason is required: say why (it is kept with the command)")
	}
	if cfg.ttl <= 0 || cfg.ttl > gatecmd.MaxTTL {
		return fmt.Errorf("--ttl %s: want more than 0 and at most %s", cfg.ttl, gatecmd.MaxTTL)
	}
	if cfg.timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive", cfg.timeout)
	}
	if cfg.dataDir == "" {
		return errors.New("--data must name central's data folder")
	}
	if cfg.brokerURL != "" {
		if err := checkBrokerURL(cfg.brokerURL); err != nil {
			return fmt.Errorf("--broker: %v", err)
		}
	}
	return nil
}

// sendGateCommand connects to the broker as central, sends the command and
// waits for its ack; it returns the round trip in milliseconds.
func sendGateCommand(ctx context.Context, cfg gateCommandConfig) (wire.CommandAck, wire.Command, int64, error) {
	key, err := pki.LoadSigningKey(cfg.dataDir)
	if err != nil {
		return wire.CommandAck{}, wire.Command{}, 0, err
	}
	brokerURL, tlsCfg, err := commandBroker(cfg)
	if err != nil {
		return wire.CommandAck{}, wire.Command{}, 0, err
	}
	st, err := store.Open(cfg.dataDir)
	if err != nil {
		return wire.CommandAck{}, wire.Command{}, 0, err
	}
	defer st.Close()

	var b [6]byte
	rand.Read(b[:])
	client := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).
		SetClientID("autogate-central-cmd-" + hex.EncodeToString(b[:])).
		SetTLSConfig(tlsCfg).SetCleanSession(true).SetConnectTimeout(cfg.timeout))
	if tok := client.Connect(); !tok.WaitTimeout(cfg.timeout) || tok.Error() != nil {
		return wire.CommandAck{}, wire.Command{}, 0, fmt.Errorf("cannot connect to the MQTT broker %s: %v (is central serve running? give its broker with --broker)", brokerURL, tokenErr(tok))
	}
	defer client.Disconnect(250)
	publish := func(topic string, qos byte, retained bool, payload []byte) error {
		tok := client.Publish(topic, qos, retained, payload)
		if !tok.WaitTimeout(cfg.timeout) {
			return fmt.Errorf("the broker did not take the command within %s", cfg.timeout)
		}
		return tok.Error()
	}
	sender, err := gatecmd.NewSender(gatecmd.Options{Key: key, Publish: publish, Store: st,
		Logger: newLogger(io.Discard), Registry: prometheus.NewRegistry()})
	if err != nil {
		return wire.CommandAck{}, wire.Command{}, 0, err
	}
	// Listening before sending: a fast gate must not answer into the void.
	ackTopic := wire.GateTopic(cfg.gate, wire.KindCommandAcks)
	if tok := client.Subscribe(ackTopic, 1, sender.HandleAck); !tok.WaitTimeout(cfg.timeout) || tok.Error() != nil {
		return wire.CommandAck{}, wire.Command{}, 0, fmt.Errorf("cannot subscribe to %s: %v (the broker's ACL must let central read it)", ackTopic, tokenErr(tok))
	}
	start := time.Now()
	cmd, err := sender.Send(ctx, cfg.gate, cfg.action, cfg.reason, cfg.officer, cfg.crossing, cfg.ttl)
	if err != nil {
		return wire.CommandAck{}, wire.Command{}, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	ack, err := sender.WaitAck(wctx, cmd.ID)
	if errors.Is(err, gatecmd.ErrNoAck) {
		return wire.CommandAck{}, cmd, 0, fmt.Errorf("no acknowledgement from gate %s within %s: is it online? (command %s stays valid until %s; a late answer is recorded by central serve)",
			cfg.gate, cfg.timeout, cmd.ID, cmd.ExpiresAt.Format(time.RFC3339))
	}
	if err != nil {
		return wire.CommandAck{}, cmd, 0, err
	}
	return ack, cmd, time.Since(start).Milliseconds(), nil
}

// commandBroker picks the broker URL (the default follows the data
// folder: TLS once it has a PKI) and, for a TLS broker, central's client
// certificate.
func commandBroker(cfg gateCommandConfig) (string, *tls.Config, error) {
	raw := cfg.brokerURL
	if raw == "" {
		has, err := pki.Present(cfg.dataDir)
		if err != nil {
			return "", nil, err
		}
		raw = "tcp://" + broker.DefaultListen
		if has {
			raw = "tls://" + broker.DefaultTLSListen
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("--broker %q: %v", raw, err)
	}
	switch u.Scheme {
	case "tls", "ssl", "mqtts":
		tlsCfg, err := pki.CentralClientTLS(cfg.dataDir)
		if err != nil {
			return "", nil, fmt.Errorf("central's client certificate for %s: %w", raw, err)
		}
		return raw, tlsCfg, nil
	}
	return raw, nil, nil
}

func tokenErr(tok mqtt.Token) error {
	if err := tok.Error(); err != nil {
		return err
	}
	return errors.New("timed out")
}

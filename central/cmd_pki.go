package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"

	"autogate/central/internal/broker"
	"autogate/central/internal/pki"
)

const pkiHelp = `Usage:
  central pki init [--data DIR] [--host NAME]...
  central pki mosquitto --out DIR [--data DIR] [--listen HOST:PORT]

init       creates the fleet PKI in DIR/pki: the CA, the MQTT broker's TLS
           certificate, central's own client certificate and the key that
           signs list deltas, configurations and commands. From then on the
           broker admits only clients with a certificate of this CA, and a
           gate only on its own topics. It refuses to replace an existing PKI.
mosquitto  writes a Mosquitto 2.x configuration and ACL enforcing the same
           rules, for running an external broker instead of the embedded one.

Run 'central pki SUBCOMMAND --help' for the flags of each.
`

const pkiInitHelp = `Usage: central pki init [--data DIR] [--host NAME]...

Creates the fleet PKI in DIR/pki (ECDSA P-256 CA valid 10 years; the broker's
and central's certificates; the Ed25519 signing key). The broker certificate
names localhost, 127.0.0.1 and ::1, plus every --host: give each DNS name or
IP address gates use to reach the broker. Refuses to touch an existing PKI.
`

const pkiMosquittoHelp = `Usage: central pki mosquitto --out DIR [--data DIR] [--listen HOST:PORT]

Writes into --out a Mosquitto 2.x configuration (mosquitto.conf), the ACL
(acl) and copies of the CA and broker certificate and key: one TLS listener
on --listen that requires a client certificate of the fleet CA and takes its
name as the user name, and the same topic rules as the embedded broker.
Files already in --out are replaced.
`

func runPKI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pkiHelp)
		return exitUsage
	}
	switch args[0] {
	case "init":
		return runPKIInit(args[1:], stdout, stderr)
	case "mosquitto":
		return runPKIMosquitto(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, pkiHelp)
		return exitOK
	}
	fmt.Fprintf(stderr, "central pki: unknown subcommand %q\n\n%s", args[0], pkiHelp)
	return exitUsage
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runPKIInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pki init", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "`DIR` of central's data; the PKI goes into DIR/pki")
	var hosts stringList
	fs.Var(&hosts, "host", "`NAME` (DNS name or IP address) gates use to reach the broker; repeat for several")
	if code, done := parseFlags(fs, args, pkiInitHelp, stdout, stderr); done {
		return code
	}
	if *dataDir == "" {
		return usageError(stderr, "pki init", "--data must name a folder")
	}
	rep, err := pki.Init(*dataDir, pki.InitOptions{Hosts: hosts})
	if err != nil {
		fmt.Fprintf(stderr, "central pki init: %v\n", err)
		if errors.Is(err, pki.ErrBadHost) {
			return exitUsage
		}
		return exitError
	}
	p := func(name string) string { return filepath.Join(rep.Dir, name) }
	fmt.Fprintf(stdout, "Created the fleet PKI in %s:\n", rep.Dir)
	for _, l := range [][2]string{
		{pki.CAFile, "the fleet CA certificate (valid until " + rep.CANotAfter.UTC().Format("2006-01-02") + ")"},
		{pki.CAKeyFile, "the CA's private key: whoever holds it can enrol gates; keep a copy offline"},
		{pki.BrokerFile + ", .key", "the MQTT broker's certificate and key, for " + strings.Join(rep.Hosts, ", ")},
		{pki.CentralFile + ", .key", "central's own client certificate and key (name " + broker.CentralIdentity + ")"},
		{pki.SigningKeyFile + ", .pub", "the key that signs list deltas, configurations and commands (key id " + rep.SigningKeyID + ")"},
		{pki.GatesDir + "/", "one record per enrolled gate, and its bundle until you take it away"},
	} {
		fmt.Fprintf(stdout, "  %-18s %s\n", l[0], l[1])
	}
	fmt.Fprintf(stdout, "\nThe CA certificate is %s.\n", p(pki.CAFile))
	fmt.Fprintf(stdout, "Next:\n")
	fmt.Fprintf(stdout, "  central gate add GATE-ID --data %s     enrol each gate: writes the one file to copy onto it\n", *dataDir)
	fmt.Fprintf(stdout, "  central serve --data %s --mqtt-listen 0.0.0.0:8883\n", *dataDir)
	fmt.Fprintf(stdout, "      the embedded broker now speaks TLS and admits only certificates of this CA\n")
	fmt.Fprintf(stdout, "  or, with Mosquitto: central pki mosquitto --data %s --out DIR\n", *dataDir)
	return exitOK
}

func runPKIMosquitto(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pki mosquitto", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "`DIR` of central's data, holding the PKI")
	out := fs.String("out", "", "`DIR` to write mosquitto.conf, acl and the broker's certificates into (required)")
	listen := fs.String("listen", pki.DefaultMosquittoListen, "`HOST:PORT` Mosquitto listens on; an empty HOST means every interface")
	if code, done := parseFlags(fs, args, pkiMosquittoHelp, stdout, stderr); done {
		return code
	}
	if *out == "" {
		return usageError(stderr, "pki mosquitto", "--out DIR is required")
	}
	if err := checkHostPort(*listen); err != nil {
		return usageError(stderr, "pki mosquitto", "--listen: %v", err)
	}
	files, err := pki.WriteMosquitto(*dataDir, *out, *listen)
	if err != nil {
		fmt.Fprintf(stderr, "central pki mosquitto: %v\n", err)
		if errors.Is(err, pki.ErrNoPKI) {
			fmt.Fprintf(stderr, "(the data folder is set with --data)\n")
		}
		return exitError
	}
	fmt.Fprintln(stdout, "Wrote:")
	for _, f := range files {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	conf := files[len(files)-1]
	fmt.Fprintf(stdout, "\nMosquitto must be able to read these files as the user it runs as (usually\nmosquitto: chown mosquitto %s).\n", filepath.Join(filepath.Dir(conf), pki.BrokerKeyFile))
	fmt.Fprintf(stdout, "Start it:            mosquitto -c %s\n", conf)
	fmt.Fprintf(stdout, "Point central at it: central serve --data %s --broker tls://HOST:%s\n", *dataDir, portOf(*listen))
	fmt.Fprintf(stdout, "Enrolling gates changes nothing here: Mosquitto knows a gate by its certificate.\n")
	return exitOK
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// mqttSecurity is how central's embedded broker and its own MQTT clients
// use the fleet PKI of the data folder.
type mqttSecurity struct {
	serverTLS *tls.Config      // the embedded broker's; nil without a PKI
	auth      *broker.CertAuth // the embedded broker's; nil without a PKI
	clientTLS *tls.Config      // central's client side; nil over plain TCP
}

// isTLSBroker says whether a broker URL asks for TLS.
func isTLSBroker(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "tls" || u.Scheme == "ssl" || u.Scheme == "mqtts")
}

// loadMQTTSecurity prepares TLS for the embedded broker (brokerURL "") or
// for central's connection to an external one, from the PKI in dataDir.
// Without a PKI the embedded broker runs open, loudly logged.
func loadMQTTSecurity(dataDir, brokerURL string, log *slog.Logger) (*mqttSecurity, error) {
	present, err := pki.Present(dataDir)
	if err != nil {
		return nil, err
	}
	sec := &mqttSecurity{}
	if brokerURL != "" {
		switch {
		case isTLSBroker(brokerURL) && !present:
			return nil, checkBrokerPKI(dataDir, brokerURL)
		case isTLSBroker(brokerURL):
			sec.clientTLS, err = pki.CentralClientTLS(dataDir)
			return sec, err
		case present:
			log.Warn("SECURITY: central talks to the external MQTT broker in clear text, unauthenticated; configure it with 'central pki mosquitto' and use --broker tls://HOST:8883", "broker", brokerURL)
		default:
			log.Warn("SECURITY: MQTT without TLS or client certificates; run 'central pki init' and use a broker configured by 'central pki mosquitto'", "broker", brokerURL)
		}
		return sec, nil
	}
	if !present {
		log.Warn("SECURITY: the MQTT broker accepts anyone: any client can pose as any gate. Run 'central pki init' to require gate certificates", "data", dataDir)
		return sec, nil
	}
	if sec.serverTLS, err = pki.ServerTLS(dataDir); err != nil {
		return nil, err
	}
	if sec.clientTLS, err = pki.CentralClientTLS(dataDir); err != nil {
		return nil, err
	}
	// Central dials its own broker, whatever address it listens on: the
	// broker certificate always names localhost.
	sec.clientTLS.ServerName = "localhost"
	sec.auth = broker.NewCertAuth(log, nil)
	sec.auth.Enrolled = pki.EnrolledCheck(dataDir)
	return sec, nil
}

// checkBrokerPKI refuses a TLS broker URL when the data folder holds no
// PKI to take central's client certificate from.
func checkBrokerPKI(dataDir, brokerURL string) error {
	if !isTLSBroker(brokerURL) {
		return nil
	}
	if ok, err := pki.Present(dataDir); err != nil || ok {
		return err
	}
	return fmt.Errorf("--broker %s speaks TLS, and central needs its client certificate from the fleet PKI, which %s does not hold: run 'central pki init --data %s' (or give the right --data)", brokerURL, dataDir, dataDir)
}

// brokerDefaultListen is the embedded broker's address when none is given:
// MQTT's TLS port once there is a PKI.
func brokerDefaultListen(dataDir string) string {
	if ok, _ := pki.Present(dataDir); ok {
		return broker.DefaultTLSListen
	}
	return broker.DefaultListen
}

// scheme is the URL scheme for central's clients of the embedded broker.
func (s *mqttSecurity) scheme() string {
	if s.serverTLS != nil {
		return "tls"
	}
	return "tcp"
}

// brokerAuth is the embedded broker's hook: nil (allow all) without a PKI.
// A typed nil *CertAuth must not reach broker.Options.Auth as a non-nil
// interface.
func brokerAuth(s *mqttSecurity) mochi.Hook {
	if s.auth == nil {
		return nil
	}
	return s.auth
}

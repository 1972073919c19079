package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"autogate/central/internal/broker"
)

const brokerHelp = `Usage: central broker [--listen ADDR] [--data DIR]

Runs only the embedded MQTT broker (mochi-mqtt), for deployments that run
the broker apart from 'central serve --broker URL'. When DIR holds the fleet
PKI ('central pki init') it speaks TLS (default --listen 127.0.0.1:8883) and
admits only certificates of the fleet CA, each gate on its own topics only;
without one, every client may connect and use every topic.
Stops cleanly on SIGINT or SIGTERM.
`

func runBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	listen := fs.String("listen", broker.DefaultListen, "`ADDR` (host:port) the MQTT broker listens on; "+broker.DefaultTLSListen+" once DIR holds a PKI")
	dataDir := fs.String("data", defaultDataDir, "`DIR` of central's data, whose PKI (DIR/pki) the broker uses")
	if code, done := parseFlags(fs, args, brokerHelp, stdout, stderr); done {
		return code
	}
	listenSet := false
	fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
	if !listenSet {
		*listen = brokerDefaultListen(*dataDir)
	}
	if err := checkHostPort(*listen); err != nil {
		return usageError(stderr, "broker", "--listen: %v", err)
	}
	log := newLogger(stderr)
	sec, err := loadMQTTSecurity(*dataDir, "", log)
	if err != nil {
		fmt.Fprintf(stderr, "central broker: %v\n", err)
		return exitError
	}
	b, err := broker.Start(broker.Options{Listen: *listen, Logger: log, TLS: sec.serverTLS, Auth: brokerAuth(sec)})
	if err != nil {
		fmt.Fprintf(stderr, "central broker: %v\n", listenError("MQTT", *listen, "--listen", "", err))
		return exitError
	}
	log.Info("MQTT broker listening", "address", b.Addr(), "url", b.URL())
	<-ctx.Done()
	log.Info("stopping MQTT broker")
	if err := b.Close(); err != nil {
		log.Error("stopping MQTT broker", "error", err)
		return exitError
	}
	log.Info("MQTT broker stopped")
	return exitOK
}

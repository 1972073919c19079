package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"autogate/central/internal/broker"
)

const brokerHelp = `Usage: central broker [--listen ADDR]

Runs only the embedded MQTT broker (mochi-mqtt), for deployments that run
the broker apart from 'central serve --broker URL'. Every client may connect
and use every topic for now: per-gate credentials, TLS and ACLs come later.
Stops cleanly on SIGINT or SIGTERM.
`

func runBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	listen := fs.String("listen", broker.DefaultListen, "`ADDR` (host:port) the MQTT broker listens on")
	if code, done := parseFlags(fs, args, brokerHelp, stdout, stderr); done {
		return code
	}
	if err := checkHostPort(*listen); err != nil {
		return usageError(stderr, "broker", "--listen: %v", err)
	}
	log := newLogger(stderr)
	b, err := broker.Start(broker.Options{Listen: *listen, Logger: log})
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

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"autogate/central/internal/audit"
	"autogate/central/internal/pki"
	"autogate/internal/wire"
)

const gateAddHelp = `Usage: central gate add ID [--data DIR] [--out FILE] [--reissue]

Enrols gate ID: issues its client certificate (name ID, valid 3 years) from
the fleet CA in DIR/pki and writes its credentials bundle, the one file to
copy onto the gate: the CA certificate, the gate's certificate and private
key, and central's signing public key. The broker then lets this gate, and
only it, publish and read the topics of gate ID.

A gate already enrolled is refused; --reissue gives it a new certificate and
key (lost bundle, certificate about to expire) and replaces its bundle.
`

func runGateAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("gate add", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "`DIR` of central's data, holding the PKI")
	out := fs.String("out", "", "`FILE` to write the credentials bundle to (default DIR/pki/gates/ID.pem)")
	reissue := fs.Bool("reissue", false, "issue a new certificate and key for a gate already enrolled")
	if code, done := parseFlags(fs, args, gateAddHelp, stdout, stderr); done {
		return code
	}
	if id == "" {
		return usageError(stderr, "gate add", "the gate id comes first: central gate add ID [--data DIR]")
	}
	if err := wire.ValidateGateID(id); err != nil {
		return usageError(stderr, "gate add", "%v", err)
	}
	path, err := pki.AddGate(*dataDir, id, pki.AddOptions{Out: *out, Reissue: *reissue})
	if err != nil {
		fmt.Fprintf(stderr, "central gate add: %v\n", err)
		return exitError
	}
	gates, err := pki.Gates(*dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "central gate add: %v\n", err)
		return exitError
	}
	auditDone(*dataDir, "gate add", audit.Entry{Action: audit.ActionGateAdd, Target: id,
		Detail: map[string]string{"reissue": fmt.Sprint(*reissue)}}, stderr)
	verb := "Enrolled"
	if *reissue {
		verb = "Reissued the certificate of"
	}
	fmt.Fprintf(stdout, "%s gate %s (certificate valid until %s).\n", verb, id, gates[id].NotAfter.UTC().Format("2006-01-02"))
	fmt.Fprintf(stdout, "Credentials bundle: %s\n\n", path)
	fmt.Fprintf(stdout, "It holds the gate's private key. Copy it onto the gate, readable by the gate\nagent only (chmod 600), delete it here, and put in the gate file:\n\n")
	fmt.Fprintf(stdout, "  [central]\n  broker = \"tls://%s\"\n  credentials = \"%s\"   # relative to the gate file's folder\n", net.JoinHostPort(gateFacingHost(*dataDir), "8883"), filepath.Base(path))
	if *reissue {
		fmt.Fprintf(stdout, "\nCentral's embedded broker refuses the previous certificate from now on; an external\nMosquitto accepts it until it expires, so destroy the old bundle.\n")
	}
	return exitOK
}

// gateFacingHost is the first name of the broker certificate that is not
// this machine's loopback, for the gate file line; HOST when there is none.
func gateFacingHost(dataDir string) string {
	hosts, err := pki.BrokerHosts(dataDir)
	if err != nil {
		return "HOST"
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return h
		}
	}
	return "HOST"
}

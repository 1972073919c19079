// Command gate-agent is the edge agent of one self-service e-gate: it drives
// the gate's devices, checks the traveller, opens the door or refers, records
// every crossing in SQLite and syncs it to central over MQTT.
//
//	gate-agent run --config firmware-config/gates/GATE.toml
//	gate-agent config check FILE
//	gate-agent mrz LINE1 LINE2 [LINE3]
//	gate-agent chip read --mrz LINE1 --mrz LINE2 [--reader NAME] [--trust DIR]
//	gate-agent trust list DIR
//	gate-agent sod verify FILE --trust DIR
//	gate-agent face verify A B | --pairs FILE.csv
//	gate-agent checks import|person|document|apply|status|verify|generate --db FILE ...
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `gate-agent — the edge agent of an autogate e-gate

Usage:
  gate-agent run --config FILE [--data DIR]   run the gate (devices, checks, doors, sync)
  gate-agent config check FILE...             validate gate files; names every bad field
  gate-agent mrz LINE1 LINE2 [LINE3]          parse and verify an MRZ, print JSON
  gate-agent chip read --mrz L1 --mrz L2 ...  read and verify a document's chip through PC/SC
  gate-agent trust list DIR                   list the CSCAs of the master lists and certificates in DIR
  gate-agent sod verify FILE --trust DIR      verify a stand-alone EF.SOD
  gate-agent face verify A B                  compare two face images, print JSON (or --pairs FILE.csv)
  gate-agent checks import --db FILE ...       load persons/documents CSVs into the list replica
  gate-agent checks person|document ...       search the replica as the gate does, print JSON hits
  gate-agent checks apply|status|verify|generate  deltas, versions, integrity, synthetic lists
  gate-agent version                          print the build version

Run 'gate-agent COMMAND --help' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "config":
		if len(args) < 2 || args[1] != "check" {
			fmt.Fprintln(stderr, "usage: gate-agent config check FILE...")
			return 2
		}
		return cmdConfigCheck(args[2:], stdout, stderr)
	case "mrz":
		return cmdMRZ(args[1:], stdout, stderr)
	case "chip":
		return cmdChip(args[1:], stdout, stderr)
	case "trust":
		return cmdTrust(args[1:], stdout, stderr)
	case "sod":
		return cmdSOD(args[1:], stdout, stderr)
	case "face":
		return cmdFace(args[1:], stdout, stderr)
	case "checks":
		return cmdChecks(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gate-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

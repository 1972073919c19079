package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"autogate/internal/mrz"
)

const mrzUsage = `usage: gate-agent mrz LINE1 LINE2 [LINE3]

Parses and verifies an ICAO 9303 machine-readable zone (TD1, TD2, TD3, MRV-A,
MRV-B) and prints the result as one JSON object. Quote each line: '<' is a
shell redirection.

Example:
  gate-agent mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' \
                 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'

Exit status: 0 valid, 1 invalid (the JSON "errors" say why), 2 usage error.
`

// cmdMRZ implements "gate-agent mrz": the lines go to mrz.Parse unchanged
// (no trimming or case folding, so what is printed is what the reader sent).
func cmdMRZ(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		// No MRZ line starts with '-', so anything that does is a flag.
		if strings.HasPrefix(a, "-") {
			if a != "-h" && a != "--help" && a != "-help" {
				fmt.Fprintf(stderr, "gate-agent mrz: unknown flag %q\n\n", a)
			}
			fmt.Fprint(stderr, mrzUsage)
			return 2
		}
	}
	if len(args) != 2 && len(args) != 3 {
		fmt.Fprintf(stderr, "gate-agent mrz: got %d line arguments; an MRZ has 2 or 3 lines\n\n%s", len(args), mrzUsage)
		return 2
	}
	d := mrz.Parse(args, time.Now())
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep '<' readable in the echoed lines
	if err := enc.Encode(d); err != nil {
		fmt.Fprintf(stderr, "gate-agent mrz: writing the result: %v\n", err)
		return 1
	}
	if !d.Valid {
		return 1
	}
	return 0
}

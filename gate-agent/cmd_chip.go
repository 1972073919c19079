package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/inspect"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/mrz"
)

const chipUsage = `usage: gate-agent chip read --mrz LINE1 --mrz LINE2 [--mrz LINE3] [--reader NAME] [--trust DIR] [--timeout D]

Reads a travel document's chip through PC/SC (pcscd): PACE, or BAC when the
chip offers no PACE; Chip Authentication or Active Authentication when the
chip offers them; Passive Authentication against the CSCAs in --trust; DG1
compared with the printed MRZ. Prints one JSON object: the access protocol,
every step with ok/reason and its time, DG1, the face image's format and size.

Exit status: 0 every step passed, 1 the document failed a step or could not be
read, 2 usage error.
`

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// chipOutput is the JSON "chip read" prints.
type chipOutput struct {
	OK       bool               `json:"ok"`
	Reader   string             `json:"reader,omitempty"`
	Access   string             `json:"access"`
	Steps    []inspect.Step     `json:"steps"`
	PA       *stepSummary       `json:"pa"`
	CA       *stepSummary       `json:"ca"`
	AA       *stepSummary       `json:"aa"`
	MRZMatch *stepSummary       `json:"mrz_match"`
	DG1      *mrz.Document      `json:"dg1,omitempty"`
	Face     *inspect.Face      `json:"face,omitempty"`
	TimingMS map[string]float64 `json:"timings_ms"`
	Error    string             `json:"error,omitempty"`
}

// stepSummary is one verification's outcome: "ok", "failed" or "not run".
type stepSummary struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

func summarise(r *inspect.Result, name string) *stepSummary {
	s, ok := r.Step(name)
	switch {
	case !ok:
		return &stepSummary{Result: "not run"}
	case s.Skipped:
		return &stepSummary{Result: "not offered", Reason: s.Detail}
	case s.OK:
		return &stepSummary{Result: "ok"}
	}
	return &stepSummary{Result: "failed", Reason: s.Reason}
}

func cmdChip(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "read" {
		if len(args) > 0 && !isHelp(args[0]) {
			fmt.Fprintf(stderr, "gate-agent chip: unknown subcommand %q\n\n", args[0])
		}
		fmt.Fprint(stderr, chipUsage)
		return 2
	}
	fs := flag.NewFlagSet("chip read", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var lines multiFlag
	fs.Var(&lines, "mrz", "an MRZ line, in order (2 or 3 times)")
	reader := fs.String("reader", "", "PC/SC reader name, or part of it (default: the first reader)")
	trustDir := fs.String("trust", "", "folder of master lists, CSCA certificates and CRLs")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long (waiting for the card included)")
	if err := fs.Parse(args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "gate-agent chip read: %v\n\n", err)
		}
		fmt.Fprint(stderr, chipUsage)
		return 2
	}
	if len(lines) < 2 || len(lines) > 3 || fs.NArg() > 0 {
		fmt.Fprint(stderr, chipUsage)
		return 2
	}
	printed := mrz.Parse(lines, time.Now())
	out := chipOutput{TimingMS: map[string]float64{}}
	emit := func(code int) int {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return code
	}
	if !printed.Valid {
		out.Error = "the printed MRZ does not verify: " + strings.Join(printed.Errors, "; ")
		return emit(1)
	}
	store := trust.NewStore()
	if *trustDir != "" {
		s, rep, err := trust.LoadDir(*trustDir)
		if err != nil {
			out.Error = "trust store: " + err.Error()
			return emit(1)
		}
		store = s
		fmt.Fprintln(stderr, rep.Summary())
	} else {
		fmt.Fprintln(stderr, "no --trust folder: Passive Authentication cannot pass")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rd := chipreader.NewPCSC(*reader)
	defer rd.Close()
	start := time.Now()
	chip, err := rd.Connect(ctx)
	if err != nil {
		out.Error = fmt.Sprintf("no chip on reader %q: %v", *reader, err)
		return emit(1)
	}
	defer chip.Close()
	out.Reader = rd.Health().Detail
	out.TimingMS["connect"] = float64(time.Since(start).Microseconds()) / 1000
	r := inspect.Read(ctx, chip, inspect.Options{Printed: printed, Trust: store})
	out.OK, out.Access, out.Steps, out.DG1, out.Face = r.OK, r.Access, r.Steps, r.DG1, r.Face
	out.PA, out.CA, out.AA, out.MRZMatch = summarise(r, inspect.StepPA), summarise(r, inspect.StepCA),
		summarise(r, inspect.StepAA), summarise(r, inspect.StepMRZMatch)
	for _, s := range r.Steps {
		out.TimingMS[s.Name] = s.MS
	}
	out.TimingMS["total"] = r.MS
	if !r.OK {
		return emit(1)
	}
	return emit(0)
}

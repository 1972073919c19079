package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"autogate/drivers/emrtd/passive"
	"autogate/drivers/emrtd/sod"
	"autogate/drivers/emrtd/trust"
)

const sodUsage = `usage: gate-agent sod verify FILE --trust DIR [--at YYYY-MM-DD]

Checks a stand-alone EF.SOD: its signature with the embedded document
signer certificate, and that certificate's chain to a CSCA of the trust
store in DIR (master lists, CSCA certificates, CRLs; see "gate-agent trust
list"). Prints one JSON object: signature and chain ("ok" or the reason),
the document signer and CSCA, the hash algorithm and the data group hashes
the SOD holds.

  --trust DIR         the trust store folder (required)
  --at YYYY-MM-DD     check as of that day (UTC); default now. The document
                      signer is judged at the SOD's signing time when it
                      carries one, else at this date.

Exit status: 0 signature and chain ok, 1 otherwise, 2 usage error.
`

// sodReport is the JSON printed by "sod verify".
type sodReport struct {
	File             string            `json:"file"`
	Signature        string            `json:"signature"`
	SignatureDetail  string            `json:"signature_detail,omitempty"`
	Chain            string            `json:"chain"`
	ChainDetail      string            `json:"chain_detail,omitempty"`
	DSSubject        string            `json:"ds_subject,omitempty"`
	DSSerial         string            `json:"ds_serial,omitempty"`
	DSNotBefore      string            `json:"ds_not_before,omitempty"`
	DSNotAfter       string            `json:"ds_not_after,omitempty"`
	DSExpiredNow     bool              `json:"ds_expired_now"`
	DSValidAtSigning bool              `json:"ds_valid_at_signing"`
	CSCASubject      string            `json:"csca_subject,omitempty"`
	Revocation       string            `json:"revocation,omitempty"`
	SigningTime      string            `json:"signing_time,omitempty"`
	CheckedAt        string            `json:"checked_at"`
	HashAlgorithm    string            `json:"hash_algorithm,omitempty"`
	LDSVersion       string            `json:"lds_version,omitempty"`
	DGHashes         map[string]string `json:"dg_hashes,omitempty"`
}

// cmdSOD implements "gate-agent sod verify FILE --trust DIR [--at DAY]".
func cmdSOD(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && !isHelp(args[0]) {
			fmt.Fprintf(stderr, "gate-agent sod: unknown subcommand %q\n\n", args[0])
		}
		fmt.Fprint(stderr, sodUsage)
		return 2
	}
	fs := flag.NewFlagSet("gate-agent sod verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	trustDir := fs.String("trust", "", "")
	atFlag := fs.String("at", "", "")
	files, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "gate-agent sod verify: %v\n\n", err)
		}
		fmt.Fprint(stderr, sodUsage)
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "gate-agent sod verify: got %d files, want one EF.SOD\n\n%s", len(files), sodUsage)
		return 2
	}
	if *trustDir == "" {
		fmt.Fprintf(stderr, "gate-agent sod verify: --trust DIR is required\n\n%s", sodUsage)
		return 2
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		at, err = time.Parse(time.DateOnly, *atFlag)
		if err != nil {
			fmt.Fprintf(stderr, "gate-agent sod verify: --at %q: want a date like 2026-06-01\n\n%s", *atFlag, sodUsage)
			return 2
		}
	}

	raw, err := readSOD(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent sod verify: %v\n", err)
		return 1
	}
	store, rep, err := trust.LoadDir(*trustDir)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent sod verify: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "trust store %s: %s\n", rep.Dir, rep.Summary())
	for _, ml := range rep.MasterLists {
		if !ml.Verified() {
			fmt.Fprintf(stderr, "  warning: master list %s loaded unverified: %s\n", ml.Source, ml.Problem)
		}
	}

	// A stand-alone SOD: no data groups to hash, so none is required.
	r := passive.VerifyWithOptions(raw, nil, store, at, passive.Options{RequiredDataGroups: []int{}})
	out := buildSODReport(files[0], r, at)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "gate-agent sod verify: writing the result: %v\n", err)
		return 1
	}
	if out.Signature != "ok" || out.Chain != "ok" {
		return 1
	}
	return 0
}

func readSOD(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > sod.MaxSize {
		return nil, fmt.Errorf("%s: %d bytes, an EF.SOD is at most %d: is this the right file?", path, fi.Size(), sod.MaxSize)
	}
	return os.ReadFile(path)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("sod verify FILE --trust DIR").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func stepOutcome(r passive.Result, name string) (string, string) {
	s, ok := r.Step(name, 0)
	if !ok {
		return "not_checked", ""
	}
	if s.Status == passive.Pass {
		return "ok", s.Detail
	}
	if s.Status == passive.NotChecked {
		if p, _ := r.Step(passive.StepSODParse, 0); p.Status == passive.Fail {
			return p.Reason, p.Detail // the SOD did not parse: say why
		}
	}
	return s.Reason, s.Detail
}

func buildSODReport(file string, r passive.Result, at time.Time) sodReport {
	out := sodReport{File: file, CheckedAt: at.Format(time.RFC3339)}
	out.Signature, out.SignatureDetail = stepOutcome(r, passive.StepSignature)
	out.Chain, out.ChainDetail = stepOutcome(r, passive.StepChain)
	if ds := r.DocumentSigner; ds != nil {
		out.DSSubject = ds.Subject.String()
		out.DSSerial = ds.SerialNumber.String()
		out.DSNotBefore = ds.NotBefore.Format(time.RFC3339)
		out.DSNotAfter = ds.NotAfter.Format(time.RFC3339)
		out.DSExpiredNow = r.Chain.DSExpiredNow
		out.DSValidAtSigning = r.Chain.DSValidAtSigning
	}
	if r.Chain.CSCA != nil {
		out.CSCASubject = r.Chain.CSCA.Cert.Subject.String()
		out.Revocation = r.Chain.Revocation
	}
	if s := r.SOD; s != nil {
		out.HashAlgorithm = s.HashAlgorithm.Name()
		if s.Hash != 0 {
			out.HashAlgorithm = s.Hash.String()
		}
		if s.LDSVersion != "" {
			out.LDSVersion = s.LDSVersion
			if len(s.LDSVersion) == 4 {
				out.LDSVersion = strings.TrimLeft(s.LDSVersion[:2], "0") + "." + strings.TrimLeft(s.LDSVersion[2:], "0")
			}
		}
		out.DGHashes = map[string]string{}
		for n, h := range s.DataGroupHashes {
			out.DGHashes[strconv.Itoa(n)] = hex.EncodeToString(h)
		}
		if t, ok := s.SigningTime(); ok {
			out.SigningTime = t.Format(time.RFC3339)
		}
	}
	return out
}

package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"autogate/drivers/emrtd/trust"
)

const trustUsage = `usage: gate-agent trust list DIR

Loads the CSCA trust store from DIR: every master list (.ml), CSCA
certificate (.cer, .crt, .der, .pem) and CRL (.crl) in it, not in its
subfolders. Prints one JSON object per CSCA on stdout (country, subject,
not_before, not_after, serial, ski, source, key) and a summary on stderr:
counts, and each master list whose signature could not be verified, and why.
A master list is verified against the stand-alone CSCA certificates in DIR:
put its signer's CSCA certificate beside it.

Exit status: 0 loaded, 1 errors (folder unreadable, no CSCA, a file that
could not be read), 2 usage error.
`

// trustEntry is one line of "trust list".
type trustEntry struct {
	Country     string   `json:"country"`
	Subject     string   `json:"subject"`
	NotBefore   string   `json:"not_before"`
	NotAfter    string   `json:"not_after"`
	Serial      string   `json:"serial"`
	SKI         string   `json:"ski"`
	Source      string   `json:"source"`
	Sources     []string `json:"sources,omitempty"` // when several files hold it
	Key         string   `json:"key"`
	KeyUsable   bool     `json:"key_usable"`
	Link        bool     `json:"link"`
	ParsedBy    string   `json:"parsed_by"`
	Fingerprint string   `json:"sha256"`
}

// cmdTrust implements "gate-agent trust list DIR".
func cmdTrust(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "list" {
		if len(args) > 0 && !isHelp(args[0]) {
			fmt.Fprintf(stderr, "gate-agent trust: unknown subcommand %q\n\n", args[0])
		}
		fmt.Fprint(stderr, trustUsage)
		return 2
	}
	args = args[1:]
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			if !isHelp(a) {
				fmt.Fprintf(stderr, "gate-agent trust list: unknown flag %q\n\n", a)
			}
			fmt.Fprint(stderr, trustUsage)
			return 2
		}
	}
	if len(args) != 1 {
		fmt.Fprintf(stderr, "gate-agent trust list: got %d arguments, want one folder\n\n%s", len(args), trustUsage)
		return 2
	}
	store, rep, err := trust.LoadDir(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent trust list: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, c := range store.CSCAs() {
		e := trustEntry{
			Country:     c.Country,
			Subject:     c.Cert.Subject.String(),
			NotBefore:   c.Cert.NotBefore.Format(time.RFC3339),
			NotAfter:    c.Cert.NotAfter.Format(time.RFC3339),
			Serial:      c.Cert.SerialNumber.String(),
			SKI:         hex.EncodeToString(c.Cert.KeyIdentifier()),
			Source:      c.Sources[0],
			Key:         c.Cert.KeyDescription,
			KeyUsable:   c.Cert.PublicKey != nil,
			Link:        c.Link,
			ParsedBy:    "crypto/x509",
			Fingerprint: c.Fingerprint(),
		}
		if len(c.Sources) > 1 {
			e.Sources = c.Sources
		}
		if c.Cert.StdlibError != "" {
			e.ParsedBy = "lenient"
		}
		if err := enc.Encode(e); err != nil {
			fmt.Fprintf(stderr, "gate-agent trust list: writing the list: %v\n", err)
			return 1
		}
	}
	writeTrustSummary(stderr, rep)
	if store.Len() == 0 {
		fmt.Fprintf(stderr, "gate-agent trust list: no CSCA certificate in %s: add master lists (.ml) or CSCA certificates\n", args[0])
		return 1
	}
	if len(rep.Skipped) > 0 {
		return 1
	}
	return 0
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// writeTrustSummary tells the operator what was loaded and what was not.
func writeTrustSummary(w io.Writer, rep *trust.LoadReport) {
	fmt.Fprintf(w, "trust store %s: %s\n", rep.Dir, rep.Summary())
	for _, ml := range rep.MasterLists {
		switch {
		case ml.Verified():
			fmt.Fprintf(w, "  master list %s: %d CSCAs (%d new), signed by %q under CSCA %q: verified\n",
				ml.Source, ml.Certificates, ml.Added, ml.Signer, ml.SignerCSCA)
		default:
			fmt.Fprintf(w, "  master list %s: %d CSCAs (%d new) loaded UNVERIFIED: %s\n", ml.Source, ml.Certificates, ml.Added, ml.Problem)
		}
		for _, u := range ml.Unreadable {
			fmt.Fprintf(w, "    unreadable: %s\n", u)
		}
		for _, n := range ml.NotCSCA {
			fmt.Fprintf(w, "    refused: %s\n", n)
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.Source, s.Reason)
	}
}

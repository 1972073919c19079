package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/drivers/emrtd/issuer"
	"autogate/internal/testenv"
)

// runTrustList calls cmdTrust and decodes stdout, one JSON object a line.
func runTrustList(t *testing.T, args ...string) (code int, lines []map[string]any, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = cmdTrust(args, &o, &e)
	sc := bufio.NewScanner(&o)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %v\n%s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	return code, lines, e.String()
}

func TestTrustListSharedMasterLists(t *testing.T) {
	dir := testenv.SharedTestdata(t, "emrtd/gmrtd")
	code, lines, stderr := runTrustList(t, "list", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if len(lines) != 627 {
		t.Errorf("%d CSCAs listed, want 627", len(lines))
	}
	countries := map[string]bool{}
	vietnam := false
	for _, l := range lines {
		for _, k := range []string{"country", "subject", "not_before", "not_after", "serial", "ski", "source", "key"} {
			if v, ok := l[k].(string); !ok || v == "" {
				t.Fatalf("line lacks %q: %v", k, l)
			}
		}
		countries[l["country"].(string)] = true
		if l["country"] == "VN" && strings.Contains(l["subject"].(string), "CSCA ePassport Vietnam") {
			vietnam = true
		}
	}
	if !vietnam || len(countries) != 129 {
		t.Errorf("Vietnamese CSCA listed: %v; %d countries, want 129", vietnam, len(countries))
	}
	for _, want := range []string{"627 CSCA certificates", "2 master lists (2 verified)", "DE_ML_2026-05-28-08-28-45.ml: 588 CSCAs", "verified"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

func TestTrustListReportsAnUnverifiedList(t *testing.T) {
	src := testenv.SharedTestdata(t, "emrtd/gmrtd/NL_ML_2026-07-22.ml")
	dir := t.TempDir()
	if err := os.Symlink(src, filepath.Join(dir, "nl.ml")); err != nil {
		t.Fatal(err)
	}
	code, lines, stderr := runTrustList(t, "list", dir)
	if code != 0 || len(lines) < 400 {
		t.Fatalf("exit %d, %d lines\n%s", code, len(lines), stderr)
	}
	if !strings.Contains(stderr, "UNVERIFIED") || !strings.Contains(stderr, "CSCA NL") {
		t.Errorf("the summary must say the list is unverified and which CSCA is missing:\n%s", stderr)
	}
}

func TestTrustListTestPKIFolder(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{Country: "VN", Key: issuer.BrainpoolP256r1, ExplicitParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	code, lines, stderr := runTrustList(t, "list", dir)
	if code != 0 || len(lines) != 1 {
		t.Fatalf("exit %d, %d lines\n%s", code, len(lines), stderr)
	}
	l := lines[0]
	if l["country"] != "VN" || l["key"] != "ECDSA brainpoolP256r1 (explicit parameters)" || l["source"] != "csca.pem" || l["parsed_by"] != "lenient" {
		t.Errorf("line %v", l)
	}
}

func TestTrustListErrorsAndUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"show"}, {"list"}, {"list", "a", "b"}, {"list", "--verbose", "x"}} {
		if code, _, stderr := runTrustList(t, args...); code != 2 || !strings.Contains(stderr, "usage: gate-agent trust list DIR") {
			t.Errorf("%v: exit %d, want 2 with usage\n%s", args, code, stderr)
		}
	}
	if code, _, stderr := runTrustList(t, "list", filepath.Join(t.TempDir(), "absent")); code != 1 || !strings.Contains(stderr, "absent") {
		t.Errorf("missing folder: exit %d\n%s", code, stderr)
	}
	empty := t.TempDir()
	if code, _, stderr := runTrustList(t, "list", empty); code != 1 || !strings.Contains(stderr, "no CSCA certificate") {
		t.Errorf("empty folder: exit %d\n%s", code, stderr)
	}
	// A folder with a good CSCA and a damaged file: the CSCA is listed,
	// the damage is named, the exit status says something was wrong.
	p, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.cer"), []byte("\x30\x82\x01\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, lines, stderr := runTrustList(t, "list", dir)
	if code != 1 || len(lines) != 1 || !strings.Contains(stderr, "skipped broken.cer") {
		t.Errorf("damaged file: exit %d, %d lines\n%s", code, len(lines), stderr)
	}
}

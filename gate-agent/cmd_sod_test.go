package main

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod"
	"autogate/internal/testenv"
)

func runSODVerify(t *testing.T, args ...string) (code int, out map[string]any, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = cmdSOD(append([]string{"verify"}, args...), &o, &e)
	if o.Len() > 0 {
		dec := json.NewDecoder(&o)
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, o.String())
		}
		if dec.More() {
			t.Fatal("stdout holds more than one JSON value")
		}
	}
	return code, out, e.String()
}

func TestSODVerifyRealDocuments(t *testing.T) {
	trustDir := testenv.SharedTestdata(t, "emrtd/gmrtd")
	cases := []struct {
		country, at, csca, hash string
	}{
		{"AT", "2026-06-01", "CN=CSCA-AUSTRIA,OU=BMI,O=GV,C=AT", "SHA-256"},
		{"DE", "2023-03-01", "CN=csca-germany,OU=bsi,O=bund,C=DE", "SHA-384"},
		{"RU", "2026-06-01", "CN=CSCA-Russia,OU=UZIS,O=FSUE STC Atlas,L=Moscow,ST=Russia,C=RU,1.2.840.113549.1.9.1=#0c1063616d61696c407374636e65742e7275", "SHA-1"},
	}
	for _, tc := range cases {
		t.Run(tc.country, func(t *testing.T) {
			file := filepath.Join(trustDir, "EF.SOD_"+tc.country+".bin")
			// FILE after the flags here, before them in the next case.
			code, out, stderr := runSODVerify(t, "--trust", trustDir, "--at", tc.at, file)
			if code != 0 {
				t.Fatalf("exit %d: %v\n%s", code, out, stderr)
			}
			if out["signature"] != "ok" || out["chain"] != "ok" || out["csca_subject"] != tc.csca || out["hash_algorithm"] != tc.hash {
				t.Errorf("result %v", out)
			}
			if s, _ := out["ds_subject"].(string); !strings.Contains(s, "C="+tc.country) {
				t.Errorf("ds_subject %q", s)
			}
			// The printed DG hashes are those of the SOD.
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := sod.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			hashes, _ := out["dg_hashes"].(map[string]any)
			if len(hashes) != len(parsed.DataGroupHashes) {
				t.Fatalf("dg_hashes %v", hashes)
			}
			for n, h := range parsed.DataGroupHashes {
				if hashes[strconv.Itoa(n)] != hex.EncodeToString(h) {
					t.Errorf("DG%d hash printed %v", n, hashes[strconv.Itoa(n)])
				}
			}
		})
	}
	// DE checked before its CSCA existed: the chain fails, exit 1.
	code, out, _ := runSODVerify(t, filepath.Join(trustDir, "EF.SOD_DE.bin"), "--trust", trustDir, "--at", "2021-04-01")
	if code != 1 || out["signature"] != "ok" || out["chain"] != "csca_not_yet_valid" {
		t.Errorf("DE in 2021: exit %d %v", code, out)
	}
}

func TestSODVerifyRefusesForgeries(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{Key: issuer.BrainpoolP256r1})
	if err != nil {
		t.Fatal(err)
	}
	trustDir := t.TempDir()
	if err := p.Save(trustDir); err != nil {
		t.Fatal(err)
	}
	dgs := map[int][]byte{1: []byte("\x61\x03abc"), 2: []byte("\x75\x03def")}
	write := func(name string, o issuer.SODOptions) string {
		b, err := issuer.SignSODWith(dgs, crypto.SHA256, p.DocumentSigners[0], o)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if code, out, stderr := runSODVerify(t, write("good.bin", issuer.SODOptions{}), "--trust", trustDir); code != 0 || out["chain"] != "ok" {
		t.Fatalf("genuine SOD: exit %d %v\n%s", code, out, stderr)
	}
	if code, out, _ := runSODVerify(t, write("flipped.bin", issuer.SODOptions{FlipSignatureBit: true}), "--trust", trustDir); code != 1 || out["signature"] != "signature_invalid" {
		t.Errorf("flipped signature: exit %d %v", code, out)
	}
	stranger, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	strangerDir := t.TempDir()
	if err := stranger.Save(strangerDir); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runSODVerify(t, write("good.bin", issuer.SODOptions{}), "--trust", strangerDir); code != 1 || out["signature"] != "ok" || out["chain"] != "ds_not_chaining" {
		t.Errorf("unknown CSCA: exit %d %v", code, out)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.bin")
	if err := os.WriteFile(garbage, []byte("\x77\x03\x30\x01\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runSODVerify(t, garbage, "--trust", trustDir); code != 1 || out["signature"] != "sod_malformed" || out["chain"] != "sod_malformed" {
		t.Errorf("garbage: exit %d %v", code, out)
	}
}

func TestSODVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sod.bin")
	if err := os.WriteFile(file, []byte{0x77}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{},                // no file
		{file},            // no --trust
		{file, "--trust"}, // flag without value
		{file, "--trust", dir, "--at", "01/06/2026"},
		{file, "other.bin", "--trust", dir},
		{file, "--trust", dir, "--verbose"},
	} {
		if code, _, stderr := runSODVerify(t, args...); code != 2 || !strings.Contains(stderr, "usage: gate-agent sod verify") {
			t.Errorf("%v: exit %d, want 2 with usage\n%s", args, code, stderr)
		}
	}
	var o, e bytes.Buffer
	if code := cmdSOD([]string{"check"}, &o, &e); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	if code, _, stderr := runSODVerify(t, filepath.Join(dir, "absent.bin"), "--trust", dir); code != 1 || !strings.Contains(stderr, "absent.bin") {
		t.Errorf("missing file: exit %d\n%s", code, stderr)
	}
}

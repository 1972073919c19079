package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// runMRZ calls cmdMRZ with buffers and decodes stdout when it is JSON.
func runMRZ(t *testing.T, args ...string) (code int, out map[string]any, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = cmdMRZ(args, &o, &e)
	stdout, stderr = o.String(), e.String()
	if o.Len() > 0 {
		dec := json.NewDecoder(strings.NewReader(stdout))
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		if dec.More() {
			t.Fatalf("stdout holds more than one JSON value")
		}
	}
	return code, out, stdout, stderr
}

var mrzKeys = []string{"valid", "format", "document_code", "issuing_state", "surname", "given_names", "document_number",
	"nationality", "birth_date", "sex", "expiry_date", "optional_data", "errors"}

func TestCmdMRZValid(t *testing.T) {
	code, out, stdout, stderr := runMRZ(t,
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (stderr %q, out %v)", code, stderr, out)
	}
	if !strings.Contains(stdout, `"P<UTOERIKSSON<<ANNA<MARIA`) {
		t.Errorf("stdout does not echo the lines with a readable '<':\n%s", stdout)
	}
	for _, k := range mrzKeys {
		if _, ok := out[k]; !ok {
			t.Errorf("JSON lacks key %q: %v", k, out)
		}
	}
	want := map[string]any{
		"valid": true, "format": "TD3", "document_code": "P", "issuing_state": "UTO", "surname": "ERIKSSON",
		"given_names": "ANNA MARIA", "document_number": "L898902C3", "nationality": "UTO", "birth_date": "1974-08-12",
		"sex": "F", "expiry_date": "2012-04-15", "optional_data": "ZE184226B",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %#v, want %#v", k, out[k], v)
		}
	}
	if errs, ok := out["errors"].([]any); !ok || len(errs) != 0 {
		t.Errorf("errors = %#v, want []", out["errors"])
	}
}

func TestCmdMRZThreeLines(t *testing.T) {
	code, out, _, _ := runMRZ(t,
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
	if code != 0 || out["format"] != "TD1" || out["document_number"] != "D23145890" {
		t.Errorf("exit %d, out %v; want a valid TD1", code, out)
	}
}

func TestCmdMRZInvalid(t *testing.T) {
	// Birth-date check digit 2 → 3.
	code, out, _, _ := runMRZ(t,
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408123F1204159ZE184226B<<<<<10")
	if code != 1 || out["valid"] != false {
		t.Fatalf("exit %d, valid %v; want 1 and false", code, out["valid"])
	}
	errs, _ := out["errors"].([]any)
	var names []string
	for _, e := range errs {
		s, _ := e.(string)
		names = append(names, s)
	}
	joined := strings.Join(names, "\n")
	if !strings.Contains(joined, "birth_date: check digit is 3, computed 2") || !strings.Contains(joined, "composite:") {
		t.Errorf("errors %q; want the birth_date and composite check digits named", names)
	}

	// A malformed MRZ still yields one JSON object with every key.
	code, out, _, _ = runMRZ(t, "hello", "world")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, k := range mrzKeys {
		if _, ok := out[k]; !ok {
			t.Errorf("JSON for a malformed MRZ lacks key %q", k)
		}
	}
	if errs, _ := out["errors"].([]any); len(errs) == 0 {
		t.Errorf("errors %v; want the bad characters and lengths reported", out["errors"])
	}
}

func TestCmdMRZUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"},
		{"a", "b", "c", "d"},
		{"-h"},
		{"--help"},
		{"--json", "a", "b"},
	} {
		code, _, stdout, stderr := runMRZ(t, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "usage: gate-agent mrz LINE1 LINE2 [LINE3]") {
			t.Errorf("args %q: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr only", args, code, stdout, stderr)
		}
	}
}

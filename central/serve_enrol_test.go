package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"autogate/central/internal/audit"
	"autogate/internal/credentials"
)

// TestEnrolGateFromTheWeb: the admin page's enrolment gives a bundle the
// gate accepts, leaves no copy of its key on central, is audited under the
// admin's name, and refuses a second enrolment unless it reissues.
func TestEnrolGateFromTheWeb(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code, _, errOut := runInProcess(t, ctx, "pki", "init", "--data", dir); code != exitOK {
		t.Fatalf("pki init: %s", errOut)
	}
	log, err := audit.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()

	bundle, err := enrolGate(ctx, dir, log, "root", "lane-07", false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := credentials.Parse(bundle)
	if err != nil {
		t.Fatalf("the gate would refuse its bundle: %v", err)
	}
	if b.GateID != "lane-07" {
		t.Fatalf("bundle for gate %q", b.GateID)
	}
	// No file holding the key is left under the data folder.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(p); len(data) > 0 && string(data) == string(bundle) {
				t.Errorf("the bundle is still on central's disk: %s", p)
			}
		}
		return nil
	})
	if _, err := enrolGate(ctx, dir, log, "root", "lane-07", false); err == nil {
		t.Fatal("a second enrolment of lane-07 without reissue was accepted")
	}
	again, err := enrolGate(ctx, dir, log, "root", "lane-07", true)
	if err != nil || string(again) == string(bundle) {
		t.Fatalf("reissue: err=%v, same bundle=%v", err, string(again) == string(bundle))
	}
	es, err := log.Entries(ctx, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Action != audit.ActionGateAdd || es[0].Actor != "root" || es[0].Target != "lane-07" || es[0].Detail["reissue"] != "true" {
		t.Fatalf("audit: %+v", es)
	}
}

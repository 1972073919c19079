package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"autogate/central/internal/audit"
	"autogate/central/internal/pki"
	"autogate/internal/wire"
)

func TestAuditVerifyContract(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// No audit.db: intact, 0 records, and verify does not create one.
	code, out, _ := runInProcess(t, ctx, "audit", "verify", "--data", dir)
	if code != exitOK || !strings.HasPrefix(out, "audit log intact: 0 records") {
		t.Fatalf("empty: exit %d, %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.FileName)); !os.IsNotExist(err) {
		t.Fatalf("verify created audit.db: %v", err)
	}
	for _, name := range []string{"ann", "ben", "cy"} {
		if code, _, errOut := runWithPassword(t, testPassword, "user", "add", name, "--role", "admin", "--data", dir); code != exitOK {
			t.Fatal(errOut)
		}
	}
	code, out, _ = runInProcess(t, ctx, "audit", "verify", "--data", dir)
	m := regexp.MustCompile(`^audit log intact: 3 records, head ([0-9a-f]{64})\n$`).FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("intact: exit %d, %q", code, out)
	}
	if es := auditRecords(t, dir); es[0].Hash != m[1] {
		t.Fatalf("head %s, newest record's hash %s", m[1], es[0].Hash)
	}

	// Tampered by hand: the triggers dropped, record 2's target edited.
	db, err := sql.Open("sqlite3", filepath.Join(dir, audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER records_no_update`, `UPDATE records SET target = 'mallory' WHERE seq = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, errOut := runInProcess(t, ctx, "audit", "verify", "--data", dir)
	if code != exitError || out != "audit log broken at record 2: hash does not match its content\n" || !strings.Contains(errOut, "records 1..1 hold") {
		t.Fatalf("tampered: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The same through the built binary, as an operator runs it.
	code, out, _ = centralWithStdin(t, nil, "audit", "verify", "--data", dir)
	if code != exitError || !strings.HasPrefix(out, "audit log broken at record 2:") {
		t.Fatalf("binary: exit %d, %q", code, out)
	}
}

func TestAuditList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code, out, _ := runInProcess(t, ctx, "audit", "list", "--data", dir); code != exitOK || strings.Count(out, "\n") != 1 {
		t.Fatalf("empty list: %d %q", code, out)
	}
	for _, args := range [][]string{
		{"ann", "--role", "officer", "--post", "p1"},
		{"ben", "--role", "officer", "--post", "p2"},
		{"cy", "--role", "supervisor", "--post", "p1"},
	} {
		if code, _, errOut := runWithPassword(t, testPassword, append([]string{"user", "add", "--data", dir}, args...)...); code != exitOK {
			t.Fatal(errOut)
		}
	}
	code, out, _ := runInProcess(t, ctx, "audit", "list", "--data", dir, "--post", "p1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 3 || !regexp.MustCompile(`^3\s+\S+\s+cli\S*\s+user_add\s+cy\s+p1\s+role=supervisor totp=off$`).MatchString(lines[1]) ||
		!strings.HasPrefix(lines[2], "1 ") {
		t.Fatalf("list --post p1: exit %d\n%s", code, out)
	}
	code, out, _ = runInProcess(t, ctx, "audit", "list", "--data", dir, "--limit", "1")
	if lines = strings.Split(strings.TrimSpace(out), "\n"); code != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[1], "3 ") {
		t.Fatalf("list --limit 1: exit %d\n%s", code, out)
	}
	if code, _, errOut := runInProcess(t, ctx, "audit", "list", "--limit", "0", "--data", dir); code != exitUsage || !strings.Contains(errOut, "--limit") {
		t.Fatalf("--limit 0: %d %s", code, errOut)
	}
	for _, args := range [][]string{{"audit", "verify", "--help"}, {"audit", "list", "--help"}, {"help", "audit"}} {
		if code, out, _ := runInProcess(t, ctx, args...); code != exitOK || !strings.Contains(out, "central audit verify [--data DIR]") {
			t.Errorf("%v: %d\n%s", args, code, out)
		}
	}
}

// TestPushesAndEnrolmentsAreAudited: lists push, config push, gate add and
// gate command each leave their record.
func TestPushesAndEnrolmentsAreAudited(t *testing.T) {
	ctx := context.Background()
	data, url := commandPost(t, "post-a-01", wire.CommandDone, "")
	enrol := t.TempDir()
	if _, err := pki.Init(enrol, pki.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	delta := filepath.Join(files, "d.json")
	os.WriteFile(delta, []byte(`{"v":1,"list":"documents","ops":[
		{"op":"add","key":"UTO/L898902C3","document":{"document_number":"L898902C3","issuing_state":"UTO","document_type":"P","reason":"stolen"}}]}`), 0o600)
	policy := filepath.Join(files, "policy.toml")
	os.WriteFile(policy, []byte("min_validity_days = 90\n"), 0o600)
	for _, args := range [][]string{
		{"lists", "push", delta, "--data", data},
		{"config", "push", policy, "--data", data, "--direction", "exit"},
		{"gate", "add", "post-a-02", "--data", enrol, "--out", filepath.Join(files, "g.pem")},
		{"gate", "command", "post-a-01", "lock", "--reason", "drill", "--officer", "O-1", "--data", data, "--broker", url},
	} {
		if code, out, errOut := runInProcess(t, ctx, args...); code != exitOK || strings.Contains(errOut, "warning") {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	// gate add writes the audit log of its own data folder.
	if es := auditRecords(t, enrol); len(es) != 1 || es[0].Action != audit.ActionGateAdd || es[0].Target != "post-a-02" ||
		es[0].Detail["reissue"] != "false" {
		t.Errorf("gate add: %+v", es)
	}
	es := auditRecords(t, data)
	if len(es) != 4 {
		t.Fatalf("%d records: %+v", len(es), es)
	}
	// Oldest first from here.
	want := []struct {
		action, target string
		detail         map[string]string
	}{
		{audit.ActionListsPush, "documents", map[string]string{"list": "documents", "from": "0", "to": "1", "ops": "1"}},
		{audit.ActionConfigPush, "config", map[string]string{"version": "1", "direction": "exit"}},
		{audit.ActionCommand, "post-a-01", map[string]string{"action": "lock", "reason": "drill", "officer": "O-1"}},
		{audit.ActionCommandAck, "post-a-01", map[string]string{"result": "done", "mode": "locked"}},
	}
	for i, w := range want {
		e := es[len(es)-1-i]
		if e.Action != w.action || e.Target != w.target || !strings.HasPrefix(e.Actor, "cli") {
			t.Errorf("record %d: %+v, want %s on %s", i+1, e, w.action, w.target)
		}
		for k, v := range w.detail {
			if e.Detail[k] != v {
				t.Errorf("record %d (%s): detail %s=%q, want %q", i+1, e.Action, k, e.Detail[k], v)
			}
		}
	}
	if es[0].Detail["id"] == "" || es[0].Detail["id"] != es[1].Detail["id"] {
		t.Errorf("the ack does not name the command: %v / %v", es[0].Detail, es[1].Detail)
	}
}

// TestAuditFailureDoesNotUndoAPush: an audit log that cannot be written
// leaves the push done, with a warning saying so.
func TestAuditFailureDoesNotUndoAPush(t *testing.T) {
	ctx := context.Background()
	dir, files := t.TempDir(), t.TempDir()
	if _, err := pki.NewSigningKey(dir); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, audit.FileName), 0o700) // a folder where the database should be
	delta := filepath.Join(files, "d.json")
	os.WriteFile(delta, []byte(`{"v":1,"list":"documents","ops":[]}`), 0o600)
	code, out, errOut := runInProcess(t, ctx, "lists", "push", delta, "--data", dir)
	if code != exitOK || !strings.HasPrefix(out, "queued list=documents versions=1..1") ||
		!strings.Contains(errOut, "warning: done, but not recorded in the audit log") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runInProcess(t, ctx, "lists", "status", "--data", dir); code != exitOK || !regexp.MustCompile(`(?m)^documents\s+1\s`).MatchString(out) {
		t.Fatalf("the push is gone: %s", out)
	}
}

package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Officers' commands from central's CLI reach a running gate of the post
// over TLS, signed with central's key, and come back acknowledged: central's
// sender and the gate's handler joined, as neither package's own tests can.
func TestOfficerCommandsReachTheGate(t *testing.T) {
	p := newPost(t, 1, 60, false)
	command := func(args ...string) (string, int) {
		t.Helper()
		full := append([]string{"gate", "command", GateID(0)}, args...)
		full = append(full, "--data", p.centralData(), "--broker", p.brokerURL(p.MQTT), "--timeout", "10s")
		out, err := exec.Command(filepath.Join(p.Bin, "central"), full...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	// The gate subscribes once connected; a command sent before that is
	// never answered, so wait for a first answer.
	var out string
	var code int
	waitFor(t, "the gate to answer a lock", 30*time.Second, func() bool {
		out, code = command("lock", "--reason", "maintenance", "--officer", "test")
		return code == 0
	})
	if !strings.Contains(out, "result=done") || !strings.Contains(out, "mode=locked") {
		t.Fatalf("lock: %s", out)
	}
	if out, code = command("open_exit", "--reason", "approved"); code != 1 || !strings.Contains(out, "reason=not_applicable") {
		t.Fatalf("open_exit with nobody held: exit %d, %s", code, out)
	}
	if out, code = command("unlock", "--reason", "done"); code != 0 || !strings.Contains(out, "mode=normal") {
		t.Fatalf("unlock: exit %d, %s", code, out)
	}
	// Unlocked, the gate serves travellers again.
	pop := travellers(t, p, 2, 11)
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the travellers through", 60*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
}

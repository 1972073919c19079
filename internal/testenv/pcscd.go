package testenv

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Paths of Debian's pcscd and of vsmartcard's virtual reader driver.
const (
	pcscdBinary  = "/usr/sbin/pcscd"
	pcscdSocket  = "/run/pcscd/pcscd.comm"
	vpcdDriver   = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	pcscdLockDir = "/tmp"
)

// PCSCD makes sure pcscd runs with vsmartcard's virtual reader for the test,
// starting it when it is not running (and stopping it again afterwards).
// Tests of several packages may need it at once: a file lock makes them take
// turns, since each virtual slot holds one card. It skips the test, saying
// what to install, when pcscd or vpcd is missing.
func PCSCD(t testing.TB) {
	t.Helper()
	for _, p := range []string{pcscdBinary, vpcdDriver} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s not found: `make test` installs Debian's pcscd and vsmartcard-vpcd (apt-get install pcscd vsmartcard-vpcd)", p)
		}
	}
	lock, err := os.OpenFile(pcscdLockDir+"/autogate-pcscd.lock", os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); lock.Close() })
	if pcscdAnswers() {
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("pcscd is not running and only root may start it here: start pcscd (systemctl start pcscd) to run this test")
	}
	cmd := exec.Command(pcscdBinary, "--foreground")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting pcscd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !pcscdAnswers() {
		if time.Now().After(deadline) {
			t.Fatal("pcscd started but its socket does not answer after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pcscdAnswers() bool {
	c, err := net.DialTimeout("unix", pcscdSocket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

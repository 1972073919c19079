package pki

import (
	"crypto/tls"
	"net"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/central/internal/broker"
	"autogate/central/internal/broker/brokertest"
	"autogate/internal/credentials"
	"autogate/internal/wire"
)

func TestMosquittoACLIsGeneratedFromTheRules(t *testing.T) {
	acl := string(mosquittoACL())
	for _, r := range broker.GateRules() {
		if !strings.Contains(acl, "\npattern "+r.Access+" "+r.Topic+"\n") {
			t.Errorf("acl lacks gate rule %v:\n%s", r, acl)
		}
	}
	if !strings.Contains(acl, "\nuser @central\ntopic readwrite autogate/v1/#\n") {
		t.Errorf("acl lacks central's rule:\n%s", acl)
	}
	if n := strings.Count(acl, "\npattern "); n != len(wire.GatePublishKinds)+len(wire.GateSubscribeKinds)+1 {
		t.Errorf("%d pattern lines, want one per gate kind plus the fleet:\n%s", n, acl)
	}
}

func TestWriteMosquittoRefusesBadListen(t *testing.T) {
	dir, _ := initPKI(t)
	for _, l := range []string{"8883", "host:", "host:99999", "host:x"} {
		if _, err := WriteMosquitto(dir, t.TempDir(), l); err == nil {
			t.Errorf("listen %q accepted", l)
		}
	}
}

// mosquittoBinary finds Mosquitto, or skips.
func mosquittoBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	const p = "/usr/sbin/mosquitto" // Debian's place, often not on a user's PATH
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Skip("mosquitto is not installed (apt-get install mosquitto): the external-broker configuration is not tested")
	return ""
}

// TestMosquittoEnforcesTheFleetRules runs a real Mosquitto on the
// configuration 'central pki mosquitto' writes and repeats the embedded
// broker's allowed and denied cases against it.
func TestMosquittoEnforcesTheFleetRules(t *testing.T) {
	bin := mosquittoBinary(t)
	dir, _ := initPKI(t)
	for _, g := range []string{"gate-a", "gate-b"} {
		if _, err := AddGate(dir, g, AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	out := filepath.Join(t.TempDir(), "mosquitto")
	files, err := WriteMosquitto(dir, out, addr)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(out, MosquittoConf)
	if len(files) != 5 || files[len(files)-1] != conf {
		t.Fatalf("WriteMosquitto wrote %v", files)
	}
	if os.Geteuid() == 0 {
		// Started as root, Mosquitto switches to the user "mosquitto",
		// which cannot read this test's private temporary folder.
		f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("user root\n")
		f.Close()
	}
	cmd := exec.Command(bin, "-c", conf)
	var logs brokertest.LockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mosquitto output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("mosquitto exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto not listening on %s within 10s\n%s", addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	url := "tls://" + addr
	gateTLS := func(g string) *tls.Config {
		b, err := credentials.Load(DefaultBundlePath(dir, g))
		if err != nil {
			t.Fatal(err)
		}
		return b.ClientTLS()
	}
	centralTLS, err := CentralClientTLS(dir)
	if err != nil {
		t.Fatal(err)
	}

	// (a) no client certificate: refused.
	noCert := gateTLS("gate-a")
	noCert.Certificates = nil
	if c, err := brokertest.Dial(url, wire.GateClientID("gate-a"), noCert); err == nil {
		c.Disconnect(0)
		t.Fatal("mosquitto let a client without a certificate in")
	}

	in := brokertest.NewInbox()
	central := brokertest.MustDial(t, url, "autogate-central-test", centralTLS)
	if codes := brokertest.Subscribe(t, central, in.Handler, wire.AllGates(wire.KindCrossings)); codes[wire.AllGates(wire.KindCrossings)] != 1 {
		t.Fatalf("central's subscription answered %v", codes)
	}

	// (e) gate-a subscribes to its own commands and the fleet topics, and
	// receives what central publishes there.
	gateIn := brokertest.NewInbox()
	a := brokertest.MustDial(t, url, wire.GateClientID("gate-a"), gateTLS("gate-a"))
	own := []string{wire.GateTopic("gate-a", wire.KindCommands), wire.FleetFilter}
	for f, code := range brokertest.Subscribe(t, a, gateIn.Handler, own...) {
		if code != 1 {
			t.Errorf("gate-a's subscription to %s answered 0x%02x, want QoS 1", f, code)
		}
	}
	// (b) nor gate-b's commands. Mosquitto's acl_file grants every
	// subscription and applies "read" when it delivers (the embedded broker
	// refuses the subscription itself), so what is checked is delivery:
	// central publishes for gate-b first, then for gate-a; gate-a, subscribed
	// to everything it asked for, gets its own message and never gate-b's.
	brokertest.Subscribe(t, a, gateIn.Handler, wire.GateTopic("gate-b", wire.KindCommands), wire.AllGates(wire.KindCommands), wire.Root+"/#")
	brokertest.Publish(t, central, wire.GateTopic("gate-b", wire.KindCommands), "for b only")
	brokertest.Publish(t, central, wire.GateTopic("gate-a", wire.KindCommands), "open")
	brokertest.Publish(t, central, wire.FleetUpdates, "delta")
	gateIn.Wait(t, wire.GateTopic("gate-a", wire.KindCommands), "open")
	gateIn.Wait(t, wire.FleetUpdates, "delta")
	if gateIn.Count(wire.GateTopic("gate-b", wire.KindCommands)) != 0 {
		t.Fatal("gate-a received gate-b's command")
	}

	// (b) gate-a forging a crossing of gate-b, then one of its own: the
	// second arrives, the first never does. Mosquitto handles one
	// connection's packets in order, and central's subscription covers
	// both topics, so the forged one would have arrived first.
	a.Publish(wire.GateTopic("gate-b", wire.KindCrossings), 1, false, "forged").WaitTimeout(5 * time.Second)
	brokertest.Publish(t, a, wire.GateTopic("gate-a", wire.KindCrossings), "marker")
	in.Wait(t, wire.GateTopic("gate-a", wire.KindCrossings), "marker")
	if in.Count(wire.GateTopic("gate-b", wire.KindCrossings)) != 0 {
		t.Fatal("central received gate-a's forged crossing for gate-b")
	}
	b := brokertest.MustDial(t, url, wire.GateClientID("gate-b"), gateTLS("gate-b"))

	// A last will on gate-b's status: Mosquitto accepts the connection (the
	// embedded broker refuses it) but must not publish the will. The will is
	// sent when Mosquitto logs the dropped connection, in the same pass of
	// its single-threaded loop, before it reads gate-b's later status.
	statusIn := brokertest.NewInbox()
	brokertest.Subscribe(t, central, statusIn.Handler, wire.AllGates(wire.KindStatus))
	var raw net.Conn
	w, err := brokertest.Dial(url, wire.GateClientID("gate-a"), gateTLS("gate-a"), func(o *mqtt.ClientOptions) {
		o.SetBinaryWill(wire.GateTopic("gate-b", wire.KindStatus), []byte("forged will"), 1, false)
		o.SetCustomOpenConnectionFn(func(u *neturl.URL, o mqtt.ClientOptions) (net.Conn, error) {
			c, err := tls.Dial("tcp", u.Host, o.TLSConfig)
			raw = c
			return c, err
		})
	})
	if err != nil {
		t.Fatalf("gate-a with a will: %v", err)
	}
	raw.Close() // no DISCONNECT: the will is due
	waitLog(t, &logs, "Client "+wire.GateClientID("gate-a")+" closed its connection")
	w.Disconnect(0)
	brokertest.Publish(t, b, wire.GateTopic("gate-b", wire.KindStatus), "online")
	statusIn.Wait(t, wire.GateTopic("gate-b", wire.KindStatus), "online")
	if got := statusIn.All(wire.GateTopic("gate-b", wire.KindStatus)); len(got) != 1 {
		t.Fatalf("gate-b's status at central: %q (gate-a's will got through)", got)
	}

	// gate-b's own crossing does arrive.
	brokertest.Publish(t, b, wire.GateTopic("gate-b", wire.KindCrossings), "genuine")
	in.Wait(t, wire.GateTopic("gate-b", wire.KindCrossings), "genuine")
	if got := in.All(wire.GateTopic("gate-b", wire.KindCrossings)); len(got) != 1 {
		t.Fatalf("gate-b's crossings at central: %q", got)
	}
}

func waitLog(t *testing.T, l *brokertest.LockedBuffer, substr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(l.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not log %q", substr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

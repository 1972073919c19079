package broker_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"autogate/central/internal/broker"
	"autogate/central/internal/broker/brokertest"
	"autogate/central/internal/pki"
	"autogate/internal/credentials"
	"autogate/internal/wire"
)

// These tests run the embedded broker with the fleet PKI's real TLS and
// CertAuth, and real paho clients playing central and gates.

type fleet struct {
	dir  string
	b    *broker.Broker
	reg  *prometheus.Registry
	logs *brokertest.LockedBuffer
}

func startFleet(t *testing.T, gates ...string) *fleet {
	t.Helper()
	f := &fleet{dir: t.TempDir(), reg: prometheus.NewRegistry(), logs: &brokertest.LockedBuffer{}}
	if _, err := pki.Init(f.dir, pki.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range gates {
		if _, err := pki.AddGate(f.dir, g, pki.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	srvTLS, err := pki.ServerTLS(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	auth := broker.NewCertAuth(log, f.reg)
	auth.Enrolled = pki.EnrolledCheck(f.dir) // as central serve wires it
	f.b, err = broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: log, TLS: srvTLS, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.b.Close() })
	if !strings.HasPrefix(f.b.URL(), "tls://") {
		t.Fatalf("URL %q of a TLS broker", f.b.URL())
	}
	return f
}

func (f *fleet) gateTLS(t *testing.T, gate string) *tls.Config {
	t.Helper()
	b, err := credentials.Load(pki.DefaultBundlePath(f.dir, gate))
	if err != nil {
		t.Fatal(err)
	}
	return b.ClientTLS()
}

func (f *fleet) centralTLS(t *testing.T) *tls.Config {
	t.Helper()
	c, err := pki.CentralClientTLS(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// denied reads autogate_broker_denied_total{reason}.
func (f *fleet) denied(t *testing.T, reason string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "autogate_broker_denied_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no autogate_broker_denied_total{reason=%q}", reason)
	return 0
}

// waitDenied waits until the broker has counted want denials of reason.
// The broker counts a denial before it answers or drops the packet, but a
// refused handshake is counted on the broker's side after the client has
// already given up, hence the wait.
func (f *fleet) waitDenied(t *testing.T, reason string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.denied(t, reason) < want {
		if time.Now().After(deadline) {
			t.Fatalf("denied{reason=%q} = %v, want %v\nlogs:\n%s", reason, f.denied(t, reason), want, f.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := f.denied(t, reason); got != want {
		t.Fatalf("denied{reason=%q} = %v, want %v", reason, got, want)
	}
}

const refused = 0x80

func TestGateUsesOwnTopicsAndCentralReceives(t *testing.T) {
	f := startFleet(t, "gate-a")
	in := brokertest.NewInbox()
	central := brokertest.MustDial(t, f.b.URL(), "autogate-central-test", f.centralTLS(t))
	codes := brokertest.Subscribe(t, central, in.Handler, wire.AllGates(wire.KindCrossings), wire.AllGates(wire.KindStatus))
	for filter, code := range codes {
		if code == refused {
			t.Fatalf("central refused %s", filter)
		}
	}

	gateIn := brokertest.NewInbox()
	ownStatus := wire.GateTopic("gate-a", wire.KindStatus)
	gate := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"), func(o *mqtt.ClientOptions) {
		o.SetBinaryWill(ownStatus, []byte("offline"), 1, true) // its own status: allowed
	})
	own := []string{wire.GateTopic("gate-a", wire.KindCommands), wire.GateTopic("gate-a", wire.KindAcks), wire.GateTopic("gate-a", wire.KindUpdates), wire.FleetFilter}
	for filter, code := range brokertest.Subscribe(t, gate, gateIn.Handler, own...) {
		if code != 1 {
			t.Errorf("gate's subscription to %s answered 0x%02x, want QoS 1", filter, code)
		}
	}
	for _, k := range wire.GatePublishKinds {
		brokertest.Publish(t, gate, wire.GateTopic("gate-a", k), "from gate-a "+k)
	}
	in.Wait(t, wire.GateTopic("gate-a", wire.KindCrossings), "from gate-a crossings")
	in.Wait(t, ownStatus, "from gate-a status")

	brokertest.Publish(t, central, wire.GateTopic("gate-a", wire.KindCommands), "open")
	brokertest.Publish(t, central, wire.FleetUpdates, "delta")
	gateIn.Wait(t, wire.GateTopic("gate-a", wire.KindCommands), "open")
	gateIn.Wait(t, wire.FleetUpdates, "delta")

	for _, r := range []string{broker.DenyNoCertificate, broker.DenyPublish, broker.DenySubscribe, broker.DenyClientID, broker.DenyWill} {
		if n := f.denied(t, r); n != 0 {
			t.Errorf("denied{reason=%q} = %v in the allowed case\nlogs:\n%s", r, n, f.logs.String())
		}
	}
}

func TestGateCannotSpeakForAnotherGate(t *testing.T) {
	f := startFleet(t, "gate-a", "gate-b")
	in := brokertest.NewInbox()
	central := brokertest.MustDial(t, f.b.URL(), "autogate-central-test", f.centralTLS(t))
	brokertest.Subscribe(t, central, in.Handler, wire.AllGates(wire.KindCrossings))

	// gate-a subscribing to gate-b's commands, or to everyone's with a
	// wildcard, or to the whole tree: each filter refused.
	a := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"))
	foreign := []string{wire.GateTopic("gate-b", wire.KindCommands), wire.AllGates(wire.KindCommands), wire.Root + "/#", "#", wire.GateTopic("gate-a", wire.KindCrossings)}
	for filter, code := range brokertest.Subscribe(t, a, brokertest.NewInbox().Handler, foreign...) {
		if code != refused {
			t.Errorf("gate-a subscribing to %s answered 0x%02x, want 0x80", filter, code)
		}
	}
	f.waitDenied(t, broker.DenySubscribe, float64(len(foreign)))

	// gate-a publishing a crossing as gate-b: refused (MQTT 3.1.1 has no
	// negative PUBACK: the broker drops the connection) and never delivered.
	lost := make(chan struct{})
	a2 := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"), func(o *mqtt.ClientOptions) {
		o.SetConnectionLostHandler(func(mqtt.Client, error) { close(lost) })
	})
	a2.Publish(wire.GateTopic("gate-b", wire.KindCrossings), 1, false, "forged")
	f.waitDenied(t, broker.DenyPublish, 1)
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Error("the broker kept the connection of a gate that published for another")
	}
	// The denial is decided before any delivery, so the count above means
	// the forged message is already dropped; a later legitimate message
	// arriving proves central's subscription works.
	b := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-b"), f.gateTLS(t, "gate-b"))
	brokertest.Publish(t, b, wire.GateTopic("gate-b", wire.KindCrossings), "genuine")
	in.Wait(t, wire.GateTopic("gate-b", wire.KindCrossings), "genuine")
	if in.Has(wire.GateTopic("gate-b", wire.KindCrossings), "forged") {
		t.Fatal("central received gate-a's forged crossing for gate-b")
	}

	// A gate may not publish what only central sends.
	a3 := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"))
	a3.Publish(wire.GateTopic("gate-a", wire.KindCommands), 1, false, "self-command")
	f.waitDenied(t, broker.DenyPublish, 2)

	logs := f.logs.String()
	for _, want := range []string{"reason=acl_publish", "cn=gate-a", "topic=" + wire.GateTopic("gate-b", wire.KindCrossings), "reason=acl_subscribe", "client=" + wire.GateClientID("gate-a")} {
		if !strings.Contains(logs, want) {
			t.Errorf("denial logs lack %q:\n%s", want, logs)
		}
	}
}

func TestNoOrForeignCertificateIsRefused(t *testing.T) {
	f := startFleet(t, "gate-a")
	ca := x509.NewCertPool()
	caCert, err := credentials.Load(pki.DefaultBundlePath(f.dir, "gate-a"))
	if err != nil {
		t.Fatal(err)
	}
	ca.AddCert(caCert.CACert)

	// (a) TLS, trusting the broker, but no client certificate.
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-a"), &tls.Config{RootCAs: ca, MinVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("a client without a certificate connected")
	}
	f.waitDenied(t, broker.DenyNoCertificate, 1)

	// (c) a self-signed certificate naming a real gate.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "gate-a"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	self := &tls.Config{RootCAs: ca, MinVersion: tls.VersionTLS12}
	alwaysPresent(self, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-a"), self); err == nil {
		t.Fatal("a self-signed certificate named gate-a connected")
	}
	f.waitDenied(t, broker.DenyBadCertificate, 1)

	// (c') a certificate for gate-a from another fleet's CA.
	other := t.TempDir()
	if _, err := pki.Init(other, pki.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pki.AddGate(other, "gate-a", pki.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	foreign, err := credentials.Load(pki.DefaultBundlePath(other, "gate-a"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: ca, MinVersion: tls.VersionTLS12} // it trusts our broker; our broker must not trust it
	alwaysPresent(cfg, foreign.Cert)
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-a"), cfg); err == nil {
		t.Fatal("another fleet's certificate for gate-a connected")
	}
	f.waitDenied(t, broker.DenyBadCertificate, 2)

	// Plain MQTT on the TLS port.
	if _, err := brokertest.Dial("tcp://"+f.b.Addr(), wire.GateClientID("gate-a"), nil); err == nil {
		t.Fatal("a plain TCP client connected to the TLS listener")
	}
	f.waitDenied(t, broker.DenyTLSHandshake, 1)

	if logs := f.logs.String(); !strings.Contains(logs, "reason=no_certificate") || !strings.Contains(logs, "reason=bad_certificate") {
		t.Errorf("handshake denials not logged:\n%s", logs)
	}
}

// alwaysPresent makes the client send cert even when the broker's list of
// acceptable CAs does not name its issuer, as an attacker's client would
// (crypto/tls would otherwise send no certificate at all).
func alwaysPresent(cfg *tls.Config, cert tls.Certificate) {
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
}

func TestClientIDAndWillMustBeTheGatesOwn(t *testing.T) {
	f := startFleet(t, "gate-a", "gate-b")
	in := brokertest.NewInbox()
	central := brokertest.MustDial(t, f.b.URL(), "autogate-central-test", f.centralTLS(t))
	brokertest.Subscribe(t, central, in.Handler, wire.AllGates(wire.KindStatus), wire.AllGates(wire.KindCrossings))

	b := brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-b"), f.gateTLS(t, "gate-b"))

	// (d) gate-a's certificate under gate-b's client id: refused, and
	// gate-b's session is not taken over.
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-b"), f.gateTLS(t, "gate-a")); err == nil {
		t.Fatal("gate-a connected with gate-b's client id")
	}
	f.waitDenied(t, broker.DenyClientID, 1)
	brokertest.Publish(t, b, wire.GateTopic("gate-b", wire.KindCrossings), "still here")
	in.Wait(t, wire.GateTopic("gate-b", wire.KindCrossings), "still here")

	// Any other id for a gate, and a gate's id for central, are refused too.
	if _, err := brokertest.Dial(f.b.URL(), "gate-a", f.gateTLS(t, "gate-a")); err == nil {
		t.Fatal("gate-a connected under a client id not its own")
	}
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-b"), f.centralTLS(t)); err == nil {
		t.Fatal("central's certificate connected under a gate's client id")
	}
	f.waitDenied(t, broker.DenyClientID, 3)

	// A last will on gate-b's status from gate-a: refused at connect
	// (mochi publishes wills without an ACL check).
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"), func(o *mqtt.ClientOptions) {
		o.SetBinaryWill(wire.GateTopic("gate-b", wire.KindStatus), []byte(`{"state":"offline"}`), 1, true)
	}); err == nil {
		t.Fatal("gate-a connected with a last will on gate-b's status")
	}
	f.waitDenied(t, broker.DenyWill, 1)
	if in.Count(wire.GateTopic("gate-b", wire.KindStatus)) != 0 {
		t.Fatal("a will reached gate-b's status")
	}
}

func TestReissueRetiresTheOldCertificate(t *testing.T) {
	f := startFleet(t, "gate-a", "gate-b")
	old := f.gateTLS(t, "gate-a")
	brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), old).Disconnect(0)

	if _, err := pki.AddGate(f.dir, "gate-a", pki.AddOptions{Reissue: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-a"), old); err == nil {
		t.Fatal("gate-a's certificate from before the reissue still connects")
	}
	f.waitDenied(t, broker.DenyNotEnrolled, 1)
	brokertest.MustDial(t, f.b.URL(), wire.GateClientID("gate-a"), f.gateTLS(t, "gate-a"))

	// A gate whose record is removed is shut out.
	bTLS := f.gateTLS(t, "gate-b")
	if err := os.Remove(pki.GateCertPath(f.dir, "gate-b")); err != nil {
		t.Fatal(err)
	}
	if _, err := brokertest.Dial(f.b.URL(), wire.GateClientID("gate-b"), bTLS); err == nil {
		t.Fatal("a gate without an enrolment record connected")
	}
	f.waitDenied(t, broker.DenyNotEnrolled, 2)
	if logs := f.logs.String(); !strings.Contains(logs, "reissued") || !strings.Contains(logs, "no enrolment record") {
		t.Errorf("not_enrolled denials do not say why:\n%s", logs)
	}
}

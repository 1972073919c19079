package broker

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"autogate/central/internal/broker/brokertest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, listen string) *Broker {
	t.Helper()
	b, err := Start(Options{Listen: listen, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func connect(t *testing.T, brokerURL, id string, opts ...func(*mqtt.ClientOptions)) mqtt.Client {
	t.Helper()
	return brokertest.MustDial(t, brokerURL, id, nil, opts...)
}

func TestRetainedStatusAndLastWill(t *testing.T) {
	b := start(t, "127.0.0.1:0")
	if _, port, _ := net.SplitHostPort(b.Addr()); port == "0" || port == "" {
		t.Fatalf("Addr %q has no real port", b.Addr())
	}
	if !strings.HasPrefix(b.URL(), "tcp://127.0.0.1:") {
		t.Fatalf("URL %q", b.URL())
	}
	const status = "autogate/v1/gates/g/status"

	// A gate with a retained will publishes a retained "online".
	var conn net.Conn
	gate := connect(t, b.URL(), "gate", func(o *mqtt.ClientOptions) {
		o.SetBinaryWill(status, []byte("offline"), 1, true)
		o.SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
			c, err := net.Dial("tcp", u.Host)
			conn = c
			return c, err
		})
	})
	if tok := gate.Publish(status, 1, true, "online"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	// A later subscriber gets the retained status.
	in := brokertest.NewInbox()
	central := connect(t, b.URL(), "central")
	if tok := central.Subscribe("autogate/v1/gates/+/status", 1, in.Handler); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	in.Wait(t, status, "online")
	if n := b.Clients(); n != 2 {
		t.Fatalf("Clients = %d, want 2", n)
	}

	// The gate vanishes without DISCONNECT: the broker publishes its will.
	conn.Close()
	in.Wait(t, status, "offline")
}

func TestOversizedPacketIsRefused(t *testing.T) {
	b := start(t, "127.0.0.1:0")
	in := brokertest.NewInbox()
	sub := connect(t, b.URL(), "sub")
	if tok := sub.Subscribe("big/#", 1, in.Handler); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	lost := make(chan struct{}, 1)
	pub := connect(t, b.URL(), "pub", func(o *mqtt.ClientOptions) {
		o.SetConnectionLostHandler(func(mqtt.Client, error) { lost <- struct{}{} })
	})
	pub.Publish("big/one", 1, false, bytes.Repeat([]byte("x"), MaxPacketBytes+1))
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("broker kept a client that sent a packet over MaxPacketBytes")
	}
	// Within the limit (and over wire.MaxMessageBytes) still passes, so
	// ingest can refuse and count it.
	pub2 := connect(t, b.URL(), "pub2")
	okSize := strings.Repeat("y", MaxPacketBytes/2)
	if tok := pub2.Publish("big/two", 1, false, okSize); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	in.Wait(t, "big/two", okSize)
	if in.Count("big/one") != 0 {
		t.Fatal("oversized message was delivered")
	}
}

func TestRestartOnSamePortAndCloseTwice(t *testing.T) {
	b, err := Start(Options{Listen: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	b2 := start(t, addr)
	connect(t, b2.URL(), "after-restart")
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(Options{Listen: l.Addr().String(), Logger: quiet()})
	if err == nil {
		t.Fatal("started on a busy port")
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("error %v: want EADDRINUSE naming %s", err, l.Addr())
	}
}

func TestQuietHandlerRewordsMochisEmptyWarnings(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(quietHandler{slog.NewTextHandler(&buf, nil)}).With("component", "mqtt-broker")
	log.Warn("", "error", "EOF")
	log.Warn("client store quota reached", "client", "x")
	out := buf.String()
	if !strings.Contains(out, `level=INFO msg="client connection ended" component=mqtt-broker error=EOF`) {
		t.Errorf("empty warning not reworded:\n%s", out)
	}
	if !strings.Contains(out, `level=WARN msg="client store quota reached"`) {
		t.Errorf("real warning lost:\n%s", out)
	}
	buf.Reset()
	errOnly := slog.New(quietHandler{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})})
	errOnly.Warn("", "error", "EOF")
	errOnly.Warn("real warning")
	if buf.Len() != 0 {
		t.Errorf("handler at level error let through:\n%s", buf.String())
	}
}

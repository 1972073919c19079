package faultnet

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// echoServer answers every connection with what it reads.
func echoServer(t *testing.T) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(c, c); c.Close() }()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Listen(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads it back within the deadline.
func roundTrip(c net.Conn, msg []byte, within time.Duration) ([]byte, error) {
	c.SetDeadline(time.Now().Add(within))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return got, err
}

// echoLink is a proxy to an echo server, and a client connection through
// it that has carried msg both ways.
func echoLink(t *testing.T, msg string) (*Proxy, net.Conn) {
	t.Helper()
	target, _ := echoServer(t)
	p := newProxy(t, target)
	c := dial(t, p)
	wantEcho(t, c, msg)
	return p, c
}

// wantEcho sends msg through c and wants it back.
func wantEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if got, err := roundTrip(c, []byte(msg), 10*time.Second); err != nil || string(got) != msg {
		t.Fatalf("echo of %q: %q, %v", msg, got, err)
	}
}

// wantClosed fails unless c ends (EOF or reset) within 10 s.
func wantClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on %s: %v, want it closed", what, err)
	}
}

func waitStats(t *testing.T, p *Proxy, what string, ok func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(p.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s: %+v", what, p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestForwardsBothWaysAndCounts(t *testing.T) {
	p, c := echoLink(t, "hello gate")
	waitStats(t, p, "the byte counters", func(s Stats) bool { return s.BytesUp == 10 && s.BytesDown == 10 })
	if s := p.Stats(); s.Accepted != 1 || s.Active != 1 {
		t.Fatalf("stats %+v, want one accepted, active connection", s)
	}
	c.Close()
	waitStats(t, p, "the connection to end", func(s Stats) bool { return s.Active == 0 })
}

// A large transfer survives pauses at arbitrary points: nothing is lost,
// duplicated or reordered.
func TestPausesLoseNoBytes(t *testing.T) {
	target, _ := echoServer(t)
	p := newProxy(t, target)
	c := dial(t, p)
	want := make([]byte, 4<<20)
	rand.Read(want)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		errc <- err
	}()
	stop := make(chan struct{})
	toggled := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				p.Resume()
				toggled <- n
				return
			default:
			}
			p.Pause()
			time.Sleep(time.Millisecond)
			p.Resume()
			n++
			time.Sleep(time.Millisecond)
		}
	}()
	got := make([]byte, len(want))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.ReadFull(c, got)
	close(stop)
	n := <-toggled
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the echo differs from what was sent")
	}
	if n == 0 {
		t.Fatal("the transfer never met a pause")
	}
	t.Logf("4 MiB through %d pauses", n)
}

// A paused link holds the bytes and keeps the connection; Resume delivers
// them.
func TestPauseHoldsBytesUntilResume(t *testing.T) {
	p, c := echoLink(t, "warm")
	p.Pause()
	if !p.Paused() {
		t.Fatal("Paused() false after Pause")
	}
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %q (%v) through a paused link, want nothing", buf[:n], err)
	}
	// A new connection is accepted but hangs too.
	c2 := dial(t, p)
	c2.Write([]byte("late"))
	c2.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c2.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %q (%v) on a connection made while paused, want nothing", buf[:n], err)
	}
	waitStats(t, p, "both connections open", func(s Stats) bool { return s.Active == 2 })
	if s := p.Stats(); s.BytesUp != 4 || s.BytesDown != 4 {
		t.Fatalf("while paused: %+v, want only the warm-up bytes forwarded", s)
	}
	p.Resume()
	for _, cc := range []struct {
		c    net.Conn
		want string
	}{{c, "held"}, {c2, "late"}} {
		cc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(cc.c, buf); err != nil || string(buf) != cc.want {
			t.Fatalf("after Resume read %q, %v; want %q", buf, err, cc.want)
		}
	}
}

// Cut resets open connections (paused ones too) and refuses new ones
// until Restore.
func TestCutResetsAndRefusesUntilRestore(t *testing.T) {
	p, c := echoLink(t, "ping")
	p.Pause()
	p.Cut()
	wantClosed(t, c, "a cut connection")
	waitStats(t, p, "the cut connection to end", func(s Stats) bool { return s.Active == 0 && s.Cut == 1 })
	p.Resume()
	// The reset may already meet the dial, or the first read.
	if c2, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second); err == nil {
		defer c2.Close()
		c2.Write([]byte("x"))
		wantClosed(t, c2, "a connection to a cut link")
	}
	waitStats(t, p, "a refused connection", func(s Stats) bool { return s.Refused >= 1 })
	if !p.IsCut() {
		t.Fatal("IsCut() false after Cut")
	}
	p.Restore()
	wantEcho(t, dial(t, p), "back")
}

// A target that is down closes the client's connection and is counted; the
// proxy forwards again once the target is back on the same address.
func TestTargetDownAndBack(t *testing.T) {
	target, stop := echoServer(t)
	p := newProxy(t, target)
	stop()
	c := dial(t, p)
	wantClosed(t, c, "a connection while the target is down")
	waitStats(t, p, "the dial error", func(s Stats) bool { return s.DialErrors == 1 })
	ln, err := net.Listen("tcp", target)
	if err != nil {
		t.Skipf("cannot listen on %s again to bring the target back: %v", target, err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	wantEcho(t, dial(t, p), "again")
}

// Close ends every connection, even a paused one, and stops listening.
func TestCloseEndsEverything(t *testing.T) {
	target, _ := echoServer(t)
	p, err := Listen(target)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	wantEcho(t, c, "hi")
	p.Pause()
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung on a paused connection")
	}
	wantClosed(t, c, "a connection after Close")
	if c2, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c2.Close()
		t.Fatal("the proxy still accepts after Close")
	}
	if p.Close() != nil {
		t.Fatal("a second Close failed")
	}
}

func TestListenRefusesABadTarget(t *testing.T) {
	if _, err := Listen("no-port"); err == nil {
		t.Fatal("Listen accepted a target without a port")
	}
}

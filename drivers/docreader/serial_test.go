package docreader

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

// The tests below run the real Serial driver against the PTY simulator:
// real bytes through a real pseudo-terminal, opened and configured through
// tarm/serial like a hardware port.

// testSpeed runs the simulated reader 20× faster than real time: 75 ms to
// read a document, frames still trickling out in chunks at the line's pace.
const testSpeed = 20

// logBuffer collects a driver's log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func testOptions(logs *logBuffer) Options {
	return Options{
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ReopenMin: 20 * time.Millisecond,
		ReopenMax: 200 * time.Millisecond,
	}
}

// serialPair starts the simulator of a shipped profile and the real driver
// on its port.
func serialPair(t *testing.T, profile string, opts ...func(*Options)) (*PTYSim, *Serial, *logBuffer) {
	t.Helper()
	p := testenv.ShippedProfile(t, profile)
	sim, err := NewPTYSim(p, testSpeed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	logs := &logBuffer{}
	o := testOptions(logs)
	for _, f := range opts {
		f(&o)
	}
	rd, err := NewSerial(p, sim.Path(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	if h := rd.Health(); h.State != device.StateOK {
		t.Fatalf("health after start = %+v", h)
	}
	return sim, rd, logs
}

func readWithin(t *testing.T, rd *Serial, d time.Duration) (Document, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return rd.Read(ctx)
}

func mustRead(t *testing.T, rd *Serial, want []string) {
	t.Helper()
	doc, err := readWithin(t, rd, 5*time.Second)
	if err != nil {
		t.Fatalf("Read = %v, want %q", err, want)
	}
	if !slices.Equal(doc.Lines, want) {
		t.Fatalf("Read = %q, want %q", doc.Lines, want)
	}
}

// waitFor polls cond until it holds; the test fails after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var bothFramings = []string{"sim-rte6701", "sim-access-is-ocr"}

func TestSerialReadsEveryFraming(t *testing.T) {
	for _, profile := range bothFramings {
		t.Run(profile, func(t *testing.T) {
			sim, rd, _ := serialPair(t, profile)
			start := time.Now()
			sim.Present(specimenTD3)
			sim.Present(specimenTD1)
			mustRead(t, rd, specimenTD3)
			mustRead(t, rd, specimenTD1)
			// Two documents at place+read = 1.5 s each, 20× faster.
			if took := time.Since(start); took < 2*1500*time.Millisecond/testSpeed {
				t.Errorf("two documents read in %v: the reader's timing was not applied", took)
			}
			if st := rd.Stats(); st.Documents != 2 || len(st.Dropped) != 0 || st.GarbageBytes != 0 {
				t.Errorf("stats %+v, want 2 documents and nothing dropped", st)
			}
			// The simulator counts a document sent after its last byte is
			// written, which can be after the reader has decoded it.
			waitFor(t, "the simulator to count both documents sent", func() bool { return sim.Sent() == 2 && sim.Pending() == 0 })
		})
	}
}

func TestSerialFrameSplitAcrossWrites(t *testing.T) {
	sim, rd, _ := serialPair(t, "sim-rte6701")
	// Three writes with pauses shorter than the 100 ms inter-byte timeout.
	sim.Garbage(rteSpecimen[:7])
	time.Sleep(40 * time.Millisecond)
	sim.Garbage(rteSpecimen[7:60])
	time.Sleep(40 * time.Millisecond)
	sim.Garbage(rteSpecimen[60:])
	mustRead(t, rd, specimenTD3)
	if st := rd.Stats(); len(st.Dropped) != 0 {
		t.Errorf("a frame split across writes was dropped: %+v", st)
	}
}

func TestSerialGarbageBeforeAndBetweenFrames(t *testing.T) {
	noise := []byte("\x00\xff\x7f~ line noise at power-up \r\n")
	for _, profile := range bothFramings {
		t.Run(profile, func(t *testing.T) {
			sim, rd, logs := serialPair(t, profile)
			sim.Garbage(noise)
			sim.Present(specimenTD3)
			sim.Garbage(noise)
			sim.Present(specimenTD1)
			mustRead(t, rd, specimenTD3)
			mustRead(t, rd, specimenTD1)
			if st := rd.Stats(); st.GarbageBytes != 2*len(noise) || st.Documents != 2 {
				t.Errorf("stats %+v, want %d garbage bytes and 2 documents", st, 2*len(noise))
			}
			if !strings.Contains(logs.String(), "bytes outside any frame skipped") {
				t.Errorf("garbage not logged:\n%s", logs)
			}
			if h := rd.Health(); h.State != device.StateOK {
				t.Errorf("garbage alone changed the health: %+v", h)
			}
		})
	}
}

func TestSerialDropsBadFrames(t *testing.T) {
	badBCC := bytes.Clone(rteSpecimen)
	badBCC[len(badBCC)-1] ^= 0xff
	badLength := bytes.Clone(rteSpecimen)
	badLength[1] -= 2
	badTrailer := bytes.Clone(accessSpecimen)
	badTrailer[len(badTrailer)-1] = 0x1f
	for _, c := range []struct {
		profile string
		frame   []byte
		reason  DropReason
	}{
		{"sim-rte6701", badBCC, DropChecksum},
		{"sim-rte6701", badLength, DropLength},
		{"sim-access-is-ocr", badTrailer, DropMalformed},
	} {
		t.Run(string(c.reason), func(t *testing.T) {
			sim, rd, logs := serialPair(t, c.profile)
			sim.Garbage(c.frame)
			waitFor(t, "the bad frame to be dropped", func() bool { return rd.Stats().Dropped[c.reason] == 1 })
			h := rd.Health()
			if h.State != device.StateDegraded || !strings.Contains(h.Detail, string(c.reason)) {
				t.Errorf("health after a bad frame = %+v, want degraded naming %s", h, c.reason)
			}
			if !strings.Contains(logs.String(), "frame dropped") {
				t.Errorf("drop not logged:\n%s", logs)
			}
			// Nothing was delivered for it; the next good frame is, and
			// the reader is healthy again.
			if doc, err := readWithin(t, rd, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Read after a bad frame = %q, %v; want nothing", doc.Lines, err)
			}
			want := specimenTD3
			if c.profile == "sim-access-is-ocr" {
				want = specimenTD1
			}
			sim.Present(want)
			mustRead(t, rd, want)
			if h := rd.Health(); h.State != device.StateOK {
				t.Errorf("health after a good frame = %+v", h)
			}
		})
	}
}

func TestSerialPartialFrameTimesOut(t *testing.T) {
	for _, profile := range bothFramings {
		t.Run(profile, func(t *testing.T) {
			sim, rd, _ := serialPair(t, profile)
			sim.PartialFrame()
			waitFor(t, "the cut frame to be dropped", func() bool { return rd.Stats().Dropped[DropIncomplete] == 1 })
			if h := rd.Health(); h.State != device.StateFailed || !strings.Contains(h.Detail, "stopped answering in the middle of a frame") {
				t.Errorf("health after a cut frame = %+v", h)
			}
			_, err := readWithin(t, rd, 100*time.Millisecond)
			if !errors.Is(err, device.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "docreader sim-") {
				t.Errorf("Read from a reader that stopped mid-frame = %v, want ErrTimeout naming the device", err)
			}
			sim.Present(specimenTD1)
			mustRead(t, rd, specimenTD1)
			if h := rd.Health(); h.State != device.StateOK {
				t.Errorf("health after the next good frame = %+v", h)
			}
		})
	}
}

func TestSerialStalledReader(t *testing.T) {
	sim, rd, _ := serialPair(t, "sim-rte6701")
	sim.Stall(true)
	sim.Present(specimenTD3)
	_, err := readWithin(t, rd, time.Second)
	if !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("Read from a stalled reader = %v, want ErrTimeout", err)
	}
	if h := rd.Health(); h.State != device.StateFailed {
		t.Errorf("health of a stalled reader = %+v", h)
	}
	sim.Stall(false)
	mustRead(t, rd, specimenTD3)
	if h := rd.Health(); h.State != device.StateOK {
		t.Errorf("health once answering again = %+v", h)
	}
}

func TestSerialUnplugReplug(t *testing.T) {
	for _, profile := range bothFramings {
		t.Run(profile, func(t *testing.T) {
			sim, rd, logs := serialPair(t, profile)
			sim.Present(specimenTD3)
			mustRead(t, rd, specimenTD3)

			sim.Unplug()
			waitFor(t, "the driver to see the unplug", func() bool { return rd.Health().State == device.StateDisconnected })
			if _, err := readWithin(t, rd, time.Second); !errors.Is(err, device.ErrDisconnected) || !strings.Contains(err.Error(), "check its cable") {
				t.Errorf("Read while unplugged = %v, want ErrDisconnected with advice", err)
			}
			// A traveller places a document meanwhile; the reader sends it
			// once it is back.
			sim.Present(specimenTD1)
			failures := rd.Stats().OpenFailures
			time.Sleep(700 * time.Millisecond)
			// Backoff 20, 40, 80, 160, 200, 200 ms: about 5 attempts in
			// 700 ms, where retrying every 20 ms would make 35.
			if n := rd.Stats().OpenFailures - failures; n < 3 || n > 10 {
				t.Errorf("%d reopen attempts in 700 ms, want exponential backoff (3–10)", n)
			}
			if h := rd.Health(); h.State != device.StateDisconnected || !strings.Contains(h.Detail, "retrying in") {
				t.Errorf("health while unplugged = %+v", h)
			}

			if err := sim.Replug(); err != nil {
				t.Fatal(err)
			}
			// Within one backoff step (≤ 200 ms) the driver reopens the port.
			waitFor(t, "the driver to reopen the port", func() bool { return rd.Health().State == device.StateOK })
			mustRead(t, rd, specimenTD1)
			if st := rd.Stats(); st.Reconnects != 1 || st.Documents != 2 {
				t.Errorf("stats %+v, want 1 reconnect, 2 documents", st)
			}
			if !strings.Contains(logs.String(), "serial port lost") || !strings.Contains(logs.String(), "reader back") {
				t.Errorf("loss and return not logged:\n%s", logs)
			}
		})
	}
}

func TestSerialStartsDisconnected(t *testing.T) {
	p := testenv.ShippedProfile(t, "sim-rte6701")
	sim, err := NewPTYSim(p, testSpeed)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.Unplug()
	logs := &logBuffer{}
	rd, err := NewSerial(p, sim.Path(), testOptions(logs))
	if err != nil {
		t.Fatalf("NewSerial on an absent port = %v; want a driver that waits for it", err)
	}
	defer rd.Close()
	if h := rd.Health(); h.State != device.StateDisconnected || !strings.Contains(h.Detail, "cannot open serial port "+sim.Path()) {
		t.Errorf("health with the port absent = %+v", h)
	}
	if _, err := readWithin(t, rd, time.Second); !errors.Is(err, device.ErrDisconnected) {
		t.Errorf("Read with the port absent = %v", err)
	}
	if !strings.Contains(logs.String(), "check devices.docreader.port") {
		t.Errorf("open failure not logged with advice:\n%s", logs)
	}
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the driver to open the port", func() bool { return rd.Health().State == device.StateOK })
	sim.Present(specimenTD3)
	mustRead(t, rd, specimenTD3)
}

func TestSerialBarcodeFramesIgnored(t *testing.T) {
	sim, rd, logs := serialPair(t, "sim-access-is-ocr")
	sim.Garbage(slices.Concat([]byte{0x1e, 0x02, 'Q'}, []byte("M1ERIKSSON/ANNA"), []byte{0x03, 0x1f}))
	sim.Present(specimenTD1)
	mustRead(t, rd, specimenTD1)
	if st := rd.Stats(); st.Barcodes != 1 || st.Documents != 1 {
		t.Errorf("stats %+v, want 1 barcode ignored, 1 document", st)
	}
	if !strings.Contains(logs.String(), "barcode frame ignored") {
		t.Errorf("barcode not logged:\n%s", logs)
	}
}

func TestSerialQueueKeepsNewest(t *testing.T) {
	sim, rd, logs := serialPair(t, "sim-rte6701", func(o *Options) { o.QueueLength = 2 })
	docs := [][]string{specimenTD3, specimenTD1, {"P<UTO"}}
	for _, d := range docs {
		sim.Present(d)
	}
	waitFor(t, "three documents", func() bool { return rd.Stats().Documents == 3 })
	mustRead(t, rd, specimenTD1)
	mustRead(t, rd, []string{"P<UTO"})
	if !strings.Contains(logs.String(), "document discarded") {
		t.Errorf("discarded document not logged:\n%s", logs)
	}
}

func TestSerialCloseUnblocksReads(t *testing.T) {
	_, rd, _ := serialPair(t, "sim-rte6701")
	errs := make(chan error, 1)
	go func() {
		_, err := rd.Read(context.Background())
		errs <- err
	}()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v", took)
	}
	if err := <-errs; !errors.Is(err, device.ErrClosed) {
		t.Errorf("waiting Read after Close = %v", err)
	}
	if _, err := rd.Read(context.Background()); !errors.Is(err, device.ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}
	if h := rd.Health(); h.State != device.StateFailed || h.Detail != "driver closed" {
		t.Errorf("health after Close = %+v", h)
	}
	if err := rd.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestSerialMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	sim, rd, _ := serialPair(t, "sim-rte6701", func(o *Options) { o.Registerer = reg })
	sim.Garbage([]byte("noise"))
	sim.Present(specimenTD3)
	mustRead(t, rd, specimenTD3)
	if got := testutil.ToFloat64(rd.metrics.frames.WithLabelValues("document")); got != 1 {
		t.Errorf("documents metric = %v", got)
	}
	if got := testutil.ToFloat64(rd.metrics.garbage); got != 5 {
		t.Errorf("garbage bytes metric = %v", got)
	}
	if got := testutil.ToFloat64(rd.metrics.up); got != 1 {
		t.Errorf("usable metric = %v", got)
	}
	// A second driver on the same registry is refused, not a panic.
	p := testenv.ShippedProfile(t, "sim-rte6701")
	if _, err := NewSerial(p, sim.Path(), Options{Registerer: reg}); err == nil {
		t.Error("second driver registered the same metrics")
	}
}

func TestNewSerialRefusesBadInput(t *testing.T) {
	opts := testOptions(&logBuffer{})
	if _, err := NewSerial(testenv.ShippedProfile(t, "sim-docreader"), "/nonexistent", opts); err == nil || !strings.Contains(err.Error(), `driver "sim" does not use a serial port`) {
		t.Errorf("sim profile: %v", err)
	}
	if _, err := NewSerial(testenv.ShippedProfile(t, "rte6701"), "", opts); err == nil || !strings.Contains(err.Error(), "set devices.docreader.port") {
		t.Errorf("no port: %v", err)
	}
	p := testenv.ShippedProfile(t, "rte6701")
	p.Settings = map[string]any{"framing": "rte-native", "baud": int64(9600), "handshake": true}
	if _, err := NewSerial(p, "/nonexistent", opts); err == nil || !strings.Contains(err.Error(), "settings.handshake: unknown setting") {
		t.Errorf("unknown setting: %v", err)
	}
	if _, err := NewPTYSim(testenv.ShippedProfile(t, "rte6701"), 1); err == nil || !strings.Contains(err.Error(), `driver = "serial-sim"`) {
		t.Errorf("PTY simulator for a real reader's profile: %v", err)
	}
	if _, err := NewPTYSim(testenv.ShippedProfile(t, "sim-rte6701"), -1); err == nil {
		t.Error("negative speed accepted")
	}
}

func TestBackoffDoublesWithinBounds(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	var got []time.Duration
	d := time.Duration(0)
	for range 6 {
		d = nextBackoff(d, lo, hi)
		got = append(got, d)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
}

func TestPTYSimSendsWhatTheReaderWould(t *testing.T) {
	sim, rd, _ := serialPair(t, "sim-rte6701")
	simLogs := &logBuffer{}
	sim.SetLogger(slog.New(slog.NewTextHandler(simLogs, nil)))
	// A control character is no OCR output: the simulator refuses it.
	sim.Present([]string{"P<UTO\x00", specimenTD3[1]})
	// The RTE6701 cuts lines over 44 characters from the right and keeps
	// the bottom three lines.
	sim.Present([]string{specimenTD3[0] + "XX", specimenTD3[1]})
	sim.Present([]string{"TOP", specimenTD1[0], specimenTD1[1], specimenTD1[2]})
	mustRead(t, rd, specimenTD3)
	mustRead(t, rd, specimenTD1)
	if !strings.Contains(simLogs.String(), "document dropped: a reader could not have sent it") {
		t.Errorf("unsendable document not logged:\n%s", simLogs)
	}
	// The simulator counts a document once its write returns, which may be
	// after the reader has it.
	deadline := time.Now().Add(2 * time.Second)
	for sim.Sent() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sim.Sent() != 2 {
		t.Errorf("simulator sent %d documents, want 2", sim.Sent())
	}
}

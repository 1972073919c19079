package docreader

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

// ICAO Doc 9303 part 4, appendix: the TD3 specimen passport of Anna Maria
// Eriksson, Utopia.
var specimenTD3 = []string{
	"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
	"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
}

// ICAO Doc 9303 part 5: the TD1 specimen identity card.
var specimenTD1 = []string{
	"I<UTOD231458907<<<<<<<<<<<<<<<",
	"7408122F1204159UTO<<<<<<<<<<<6",
	"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
}

func newSim(t *testing.T, speed device.Speed) (*Sim, time.Duration) {
	t.Helper()
	p := testenv.ShippedProfile(t, "sim-docreader")
	s, err := NewSim(p, speed)
	if err != nil {
		t.Fatal(err)
	}
	return s, p.Delay("place_ms") + p.Delay("read_ms")
}

func TestReadTakesPlaceAndReadTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, readTime := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		s.Present(specimenTD3)
		doc, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(doc.Lines, specimenTD3) {
			t.Errorf("read %q, want %q", doc.Lines, specimenTD3)
		}
		if got := time.Since(start); got != readTime || !doc.At.Equal(start.Add(readTime)) {
			t.Errorf("read took %v (At %v), want place+read = %v", got, doc.At.Sub(start), readTime)
		}
		if s.Pending() != 0 || s.DocumentsRead() != 1 {
			t.Errorf("after one read: pending %d, read %d", s.Pending(), s.DocumentsRead())
		}

		// At speed 10 the same read takes a tenth of the time.
		fast, _ := newSim(t, 10)
		defer fast.Close()
		start = time.Now()
		fast.Present(specimenTD1)
		if _, err := fast.Read(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != readTime/10 {
			t.Errorf("read at speed 10 took %v, want %v", got, readTime/10)
		}
	})
}

func TestReadWaitsForDocumentAndKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, readTime := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		go func() {
			time.Sleep(5 * time.Second) // the traveller takes their time
			s.Present(specimenTD3)
			s.Present(specimenTD1)
		}()
		type result struct {
			doc Document
			err error
		}
		results := make(chan result, 2)
		for range 2 {
			go func() {
				doc, err := s.Read(context.Background())
				results <- result{doc, err}
			}()
		}
		first, second := <-results, <-results
		if first.err != nil || second.err != nil {
			t.Fatal(first.err, second.err)
		}
		if !slices.Equal(first.doc.Lines, specimenTD3) || !slices.Equal(second.doc.Lines, specimenTD1) {
			t.Errorf("documents read out of order: %q then %q", first.doc.Lines, second.doc.Lines)
		}
		// One reader window: the second document is read after the first.
		if got, want := second.doc.At.Sub(start), 5*time.Second+2*readTime; got != want {
			t.Errorf("second document read at %v, want %v", got, want)
		}
	})
}

func TestPresentCopiesLines(t *testing.T) {
	s, _ := newSim(t, 0)
	defer s.Close()
	lines := slices.Clone(specimenTD3)
	s.Present(lines)
	lines[0] = "tampered"
	doc, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Lines[0] != specimenTD3[0] {
		t.Errorf("the document changed after Present: %q", doc.Lines)
	}
}

func TestSpeedZeroAndHighSpeed(t *testing.T) {
	for _, speed := range []device.Speed{0, 1000} {
		s, _ := newSim(t, speed)
		start := time.Now()
		for i := range 20 {
			s.Present([]string{strings.Repeat("<", i)})
		}
		for i := range 20 {
			doc, err := s.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if doc.Lines[0] != strings.Repeat("<", i) {
				t.Fatalf("speed %v: read %d out of order: %q", speed, i, doc.Lines)
			}
		}
		// 20 reads are 30 s at speed 1; generous bounds for a noisy machine.
		if limit := 5 * time.Second; time.Since(start) > limit {
			t.Errorf("speed %v: 20 reads took %v, want < %v", speed, time.Since(start), limit)
		}
		s.Close()
	}
}

func TestConcurrentPresentAndRead(t *testing.T) {
	s, _ := newSim(t, 0)
	defer s.Close()
	const n = 200
	var wg sync.WaitGroup
	got := make(chan string, n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.Present([]string{strings.Repeat("X", i)})
		}()
		go func() {
			defer wg.Done()
			doc, err := s.Read(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got <- doc.Lines[0]
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for l := range got {
		if seen[l] {
			t.Errorf("document %q read twice", l)
		}
		seen[l] = true
	}
	if len(seen) != n || s.Pending() != 0 {
		t.Errorf("read %d distinct documents, %d pending; want %d, 0", len(seen), s.Pending(), n)
	}
}

func TestUnplugDuringReadKeepsDocument(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, readTime := newSim(t, 1)
		defer s.Close()
		s.Present(specimenTD3)
		go func() {
			time.Sleep(readTime / 2)
			s.Unplug()
		}()
		_, err := s.Read(context.Background())
		if !errors.Is(err, device.ErrDisconnected) || !strings.Contains(err.Error(), "docreader sim-docreader") {
			t.Fatalf("Read during Unplug = %v, want ErrDisconnected naming the device", err)
		}
		if h := s.Health(); h.State != device.StateDisconnected {
			t.Errorf("health while unplugged = %+v", h)
		}
		if _, err := s.Read(context.Background()); !errors.Is(err, device.ErrDisconnected) {
			t.Errorf("Read while unplugged = %v", err)
		}
		if s.Pending() != 1 {
			t.Fatalf("document lost by the unplug: pending %d", s.Pending())
		}
		s.Replug()
		if h := s.Health(); h.State != device.StateOK {
			t.Errorf("health after Replug = %+v", h)
		}
		doc, err := s.Read(context.Background())
		if err != nil || !slices.Equal(doc.Lines, specimenTD3) {
			t.Errorf("Read after Replug = %q, %v", doc.Lines, err)
		}
	})
}

func TestStallTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		s.Present(specimenTD3)
		s.Stall(true)
		if h := s.Health(); h.State != device.StateFailed {
			t.Errorf("health while stalled = %+v", h)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.Read(ctx)
		if !errors.Is(err, device.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Read from a stalled reader = %v, want ErrTimeout", err)
		}
		s.Stall(false)
		if _, err := s.Read(context.Background()); err != nil {
			t.Errorf("Read after the stall = %v", err)
		}
	})
}

func TestNoDocumentIsNotADeviceTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Read(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, device.ErrTimeout) {
			t.Errorf("Read with nothing presented = %v, want the deadline alone", err)
		}
		if h := s.Health(); h.State != device.StateOK {
			t.Errorf("an idle reader's health = %+v", h)
		}
	})
}

func TestCloseUnblocksReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := s.Read(context.Background())
				errs <- err
			}()
		}
		synctest.Wait()
		s.Close()
		for range 2 {
			if err := <-errs; !errors.Is(err, device.ErrClosed) {
				t.Errorf("waiting Read after Close = %v, want ErrClosed", err)
			}
		}
		s.Present(specimenTD3)
		if _, err := s.Read(context.Background()); !errors.Is(err, device.ErrClosed) {
			t.Errorf("Read after Close = %v", err)
		}
		if s.Pending() != 0 {
			t.Error("Present after Close queued a document")
		}
	})
}

func TestNewSimRefusesOtherProfiles(t *testing.T) {
	if _, err := NewSim(testenv.ShippedProfile(t, "sim-camera"), 1); err == nil || !strings.Contains(err.Error(), "describes a camera, not a docreader") {
		t.Errorf("camera profile: %v", err)
	}
	p := testenv.ShippedProfile(t, "sim-docreader")
	p.Settings = map[string]any{"baud": int64(9600)}
	if _, err := NewSim(p, 1); err == nil || !strings.Contains(err.Error(), "settings.baud: unknown setting") {
		t.Errorf("unknown setting: %v", err)
	}
	if _, err := NewSim(testenv.ShippedProfile(t, "sim-docreader"), -1); err == nil {
		t.Error("negative speed accepted")
	}
}

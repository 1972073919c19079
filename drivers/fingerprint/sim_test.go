package fingerprint

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

func newSim(t *testing.T, speed device.Speed) (*Sim, time.Duration) {
	t.Helper()
	p := testenv.ShippedProfile(t, "sim-fingerprint")
	s, err := NewSim(p, speed)
	if err != nil {
		t.Fatal(err)
	}
	return s, p.Delay("capture_ms")
}

// finger is a synthetic finger image: vertical ridges, different per seed.
func finger(seed uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 32, 40))
	for y := range 40 {
		for x := range 32 {
			img.Pix[y*img.Stride+x] = uint8(x*8) ^ seed
		}
	}
	return img
}

func TestCaptureWaitsForFinger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, captureTime := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		go func() {
			time.Sleep(3 * time.Second)
			s.Place(finger(1))
		}()
		imp, err := s.Capture(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := imp.At.Sub(start); got != 3*time.Second+captureTime {
			t.Errorf("impression at %v, want finger at 3s + capture %v", got, captureTime)
		}
		if !bytes.Equal(imp.Image.Pix, finger(1).Pix) {
			t.Error("impression is not the placed finger")
		}
		if s.FingerPlaced() {
			t.Error("finger still on the scanner after capture")
		}

		// The finger was lifted: the next capture waits for a new one.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.Capture(ctx); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, device.ErrTimeout) {
			t.Errorf("Capture with no finger = %v, want the deadline alone", err)
		}
		s.Place(finger(2))
		start = time.Now()
		imp, err = s.Capture(context.Background())
		if err != nil || time.Since(start) != captureTime || !bytes.Equal(imp.Image.Pix, finger(2).Pix) {
			t.Errorf("capture of a waiting finger: %v after %v", err, time.Since(start))
		}
		if s.Captures() != 2 {
			t.Errorf("Captures() = %d, want 2", s.Captures())
		}
	})
}

func TestFingerLiftedDuringCapture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, captureTime := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		s.Place(finger(1))
		go func() {
			time.Sleep(captureTime / 2)
			s.Place(nil) // lifted too early
			time.Sleep(5 * time.Second)
			s.Place(finger(3))
		}()
		imp, err := s.Capture(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(imp.Image.Pix, finger(3).Pix) {
			t.Error("captured the lifted finger")
		}
		if want := captureTime/2 + 5*time.Second + captureTime; time.Since(start) != want {
			t.Errorf("capture finished at %v, want %v", time.Since(start), want)
		}
	})
}

func TestPlaceCopiesImage(t *testing.T) {
	s, _ := newSim(t, 0)
	defer s.Close()
	img := finger(7)
	s.Place(img)
	img.Pix[0] ^= 0xff
	imp, err := s.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if imp.Image.Pix[0] != finger(7).Pix[0] {
		t.Error("impression changed with the caller's image after Place")
	}
	// A sub-image (stride wider than the rectangle) is copied as it looks.
	sub := finger(9).SubImage(image.Rect(4, 5, 20, 30)).(*image.Gray)
	s.Place(sub)
	imp, err = s.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if imp.Image.Bounds() != sub.Bounds() || imp.Image.GrayAt(10, 10) != sub.GrayAt(10, 10) || imp.Image.GrayAt(19, 29) != sub.GrayAt(19, 29) {
		t.Error("sub-image copied wrongly")
	}
	s.Place(&image.Gray{}) // an empty image is no finger
	if s.FingerPlaced() {
		t.Error("an empty image counts as a finger")
	}
}

func TestRealFingerprints(t *testing.T) {
	dir := testenv.SharedTestdata(t, "fingerprints/pyfnprint_png")
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) < 2 {
		t.Skipf("%s holds fewer than 2 fingerprints (set AUTOGATE_TESTDATA to the full shared test data): skipping the real-fingerprint check", dir)
	}
	s, _ := newSim(t, 1000)
	defer s.Close()
	for _, f := range files[:2] {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		gray := image.NewGray(img.Bounds())
		draw.Draw(gray, gray.Rect, img, img.Bounds().Min, draw.Src)
		s.Place(gray)
		imp, err := s.Capture(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(imp.Image.Pix, gray.Pix) || imp.Image.Rect != gray.Rect {
			t.Errorf("%s: impression differs from the placed image", filepath.Base(f))
		}
	}
}

func TestSpeedZeroAndHighSpeed(t *testing.T) {
	for _, speed := range []device.Speed{0, 1000} {
		s, _ := newSim(t, speed)
		start := time.Now()
		var last time.Time
		for i := range 20 {
			s.Place(finger(uint8(i)))
			imp, err := s.Capture(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if imp.Image.Pix[1] != finger(uint8(i)).Pix[1] || imp.At.Before(last) {
				t.Fatalf("speed %v: capture %d wrong or out of order", speed, i)
			}
			last = imp.At
		}
		// 20 captures are 20 s at speed 1; generous bound for a noisy machine.
		if time.Since(start) > 5*time.Second {
			t.Errorf("speed %v: 20 captures took %v", speed, time.Since(start))
		}
		s.Close()
	}
}

func TestFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, captureTime := newSim(t, 1)
		defer s.Close()
		s.Place(finger(1))
		go func() {
			time.Sleep(captureTime / 2)
			s.Unplug()
		}()
		_, err := s.Capture(context.Background())
		if !errors.Is(err, device.ErrDisconnected) || !strings.Contains(err.Error(), "fingerprint sim-fingerprint: capture") {
			t.Fatalf("Capture across Unplug = %v", err)
		}
		if h := s.Health(); h.State != device.StateDisconnected {
			t.Errorf("health = %+v", h)
		}
		s.Replug()
		if !s.FingerPlaced() {
			t.Fatal("the finger vanished with the unplug")
		}

		s.Stall(true)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := s.Capture(ctx); !errors.Is(err, device.ErrTimeout) {
			t.Errorf("Capture from a stalled scanner = %v, want ErrTimeout", err)
		}
		s.Stall(false)
		if _, err := s.Capture(context.Background()); err != nil {
			t.Errorf("Capture after the stall = %v", err)
		}

		errs := make(chan error)
		go func() {
			_, err := s.Capture(context.Background())
			errs <- err
		}()
		synctest.Wait()
		s.Close()
		if err := <-errs; !errors.Is(err, device.ErrClosed) {
			t.Errorf("waiting Capture after Close = %v, want ErrClosed", err)
		}
	})
}

func TestNewSimRefusesOtherProfiles(t *testing.T) {
	if _, err := NewSim(testenv.ShippedProfile(t, "sim-gatectl"), 1); err == nil || !strings.Contains(err.Error(), "not a fingerprint") {
		t.Errorf("gatectl profile: %v", err)
	}
	p := testenv.ShippedProfile(t, "sim-fingerprint")
	p.Settings = map[string]any{"security_level": int64(3)}
	if _, err := NewSim(p, 1); err == nil || !strings.Contains(err.Error(), "settings.security_level") {
		t.Errorf("unknown setting: %v", err)
	}
}

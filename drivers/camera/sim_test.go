package camera

import (
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

type timing struct{ warmup, frame time.Duration }

func newSim(t *testing.T, speed device.Speed) (*Sim, timing) {
	t.Helper()
	p := testenv.ShippedProfile(t, "sim-camera")
	s, err := NewSim(p, speed)
	if err != nil {
		t.Fatal(err)
	}
	return s, timing{p.Delay("warmup_ms"), p.Delay("frame_ms")}
}

func solid(v uint8) image.Image {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func TestCaptureHonoursWarmupAndFrameInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		frames, err := s.Capture(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(frames) != 3 {
			t.Fatalf("got %d frames, want 3", len(frames))
		}
		for i, f := range frames {
			if want := start.Add(tm.warmup + time.Duration(i+1)*tm.frame); !f.At.Equal(want) {
				t.Errorf("frame %d at %v, want %v (warm-up, then one per interval)", i, f.At.Sub(start), want.Sub(start))
			}
		}
		// With nothing shown: the empty grey scene at the profile's size,
		// as RGBA after its trip through mediadevices.
		g, ok := frames[0].Image.(*image.RGBA)
		if !ok || g.Bounds() != image.Rect(0, 0, 640, 480) || g.RGBAAt(320, 240) != (color.RGBA{emptySceneGrey, emptySceneGrey, emptySceneGrey, 255}) {
			t.Errorf("empty scene = %T %v", frames[0].Image, frames[0].Image.Bounds())
		}

		// A warm camera does not warm up again.
		start = time.Now()
		if _, err := s.Capture(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 2*tm.frame {
			t.Errorf("second capture of 2 frames took %v, want %v", got, 2*tm.frame)
		}
		if s.Frames() != 5 {
			t.Errorf("Frames() = %d, want 5", s.Frames())
		}
	})
}

func TestShowCyclesImages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		a, b := solid(10), solid(200)
		s.Show([]image.Image{a, nil, b})
		frames, err := s.Capture(context.Background(), 5)
		if err != nil {
			t.Fatal(err)
		}
		want := []image.Image{a, b, a, b, a}
		for i, f := range frames {
			if d := meanAbsDiff(f.Image, want[i]); d > 0 {
				t.Errorf("frame %d shows %v, want %v", i, f.Image.At(0, 0), want[i].At(0, 0))
			}
		}
		if frames[0].Image == frames[2].Image {
			t.Error("two frames share one image: each frame must be a copy of its own")
		}
		s.Show(nil)
		frames, err = s.Capture(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if r, _, _, _ := frames[0].Image.At(0, 0).RGBA(); r>>8 != emptySceneGrey {
			t.Errorf("after Show(nil) the camera sees %v, want the empty scene", frames[0].Image.At(0, 0))
		}
	})
}

func TestShowsRealFaces(t *testing.T) {
	dir := testenv.SharedTestdata(t, "faces/deepface")
	faces, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(faces) < 2 {
		t.Skipf("%s holds fewer than 2 faces (set AUTOGATE_TESTDATA to the full shared test data): skipping the real-face check", dir)
	}
	var imgs []image.Image
	for _, f := range faces[:2] {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		imgs = append(imgs, img)
	}
	s, _ := newSim(t, 0)
	defer s.Close()
	s.Show(imgs)
	frames, err := s.Capture(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		// YUYV halves the chroma resolution: a real face survives it
		// within a level or two on average.
		if d := meanAbsDiff(f.Image, imgs[i%2]); d > 2 || f.Image.Bounds().Size() != imgs[i%2].Bounds().Size() {
			t.Errorf("frame %d differs from face %d by %.2f levels on average (size %v)", i, i%2, d, f.Image.Bounds())
		}
		if d := meanAbsDiff(f.Image, imgs[(i+1)%2]); d < 10 {
			t.Errorf("frame %d is as close to face %d as to face %d (%.2f)", i, (i+1)%2, i%2, d)
		}
	}
}

func TestConcurrentCapturesShareOneStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		start := time.Now()
		done := make(chan []Frame, 2)
		for range 2 {
			go func() {
				frames, err := s.Capture(context.Background(), 2)
				if err != nil {
					t.Error(err)
				}
				done <- frames
			}()
		}
		a, b := <-done, <-done
		if !b[0].At.After(a[1].At) {
			t.Errorf("captures interleaved: %v %v", a, b)
		}
		if got := time.Since(start); got != tm.warmup+4*tm.frame {
			t.Errorf("two captures of 2 took %v, want %v", got, tm.warmup+4*tm.frame)
		}
	})
}

func TestSpeedZeroAndHighSpeed(t *testing.T) {
	for _, speed := range []device.Speed{0, 1000} {
		s, _ := newSim(t, speed)
		start := time.Now()
		frames, err := s.Capture(context.Background(), MaxFrames)
		if err != nil || len(frames) != MaxFrames {
			t.Fatalf("speed %v: %d frames, %v", speed, len(frames), err)
		}
		for i := 1; i < len(frames); i++ {
			if frames[i].At.Before(frames[i-1].At) {
				t.Fatalf("speed %v: frame %d earlier than frame %d", speed, i, i-1)
			}
		}
		// 300 frames are 11 s at speed 1; generous bound for a noisy machine.
		if time.Since(start) > 5*time.Second {
			t.Errorf("speed %v: capture took %v", speed, time.Since(start))
		}
		s.Close()
	}
}

func TestCaptureRefusesBadFrameCount(t *testing.T) {
	s, _ := newSim(t, 1)
	defer s.Close()
	for _, n := range []int{0, -1, MaxFrames + 1} {
		if _, err := s.Capture(context.Background(), n); err == nil || !strings.Contains(err.Error(), "camera sim-camera: capture") {
			t.Errorf("Capture(%d) = %v, want an error naming the camera", n, err)
		}
	}
}

func TestReplugWarmsUpAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, tm := newSim(t, 1)
		defer s.Close()
		if _, err := s.Capture(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(tm.warmup / 2)
			s.Unplug()
		}()
		// Unplugged in the middle of a long capture.
		_, err := s.Capture(context.Background(), 100)
		if !errors.Is(err, device.ErrDisconnected) {
			t.Fatalf("Capture across Unplug = %v, want ErrDisconnected", err)
		}
		if h := s.Health(); h.State != device.StateDisconnected {
			t.Errorf("health = %+v", h)
		}
		s.Replug()
		start := time.Now()
		if _, err := s.Capture(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != tm.warmup+tm.frame {
			t.Errorf("first capture after Replug took %v, want warm-up + a frame = %v", got, tm.warmup+tm.frame)
		}
	})
}

func TestStallTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		defer s.Close()
		s.Stall(true)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := s.Capture(ctx, 1); !errors.Is(err, device.ErrTimeout) {
			t.Errorf("Capture from a stalled camera = %v, want ErrTimeout", err)
		}
		if h := s.Health(); h.Usable() {
			t.Errorf("stalled camera health = %+v", h)
		}
		s.Stall(false)
		if _, err := s.Capture(context.Background(), 1); err != nil {
			t.Errorf("Capture after the stall = %v", err)
		}
	})
}

func TestCloseUnblocksCapture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSim(t, 1)
		errs := make(chan error)
		go func() {
			_, err := s.Capture(context.Background(), MaxFrames)
			errs <- err
		}()
		time.Sleep(2 * time.Second)
		s.Close()
		if err := <-errs; !errors.Is(err, device.ErrClosed) {
			t.Errorf("Capture across Close = %v, want ErrClosed", err)
		}
	})
}

func TestNewSimRefusesBadProfiles(t *testing.T) {
	p := testenv.ShippedProfile(t, "sim-camera")
	p.Device.Kind = device.KindGateCtl
	if _, err := NewSim(p, 1); err == nil {
		t.Error("gatectl profile accepted")
	}
	for setting, want := range map[string]any{
		"width":        int64(0),
		"height":       "tall",
		"exposure":     int64(5),
		"pixel_format": "RGB24",
	} {
		p := testenv.ShippedProfile(t, "sim-camera")
		p.Settings[setting] = want
		if _, err := NewSim(p, 1); err == nil || !strings.Contains(err.Error(), "settings."+setting) {
			t.Errorf("settings.%s = %v: %v", setting, want, err)
		}
	}
}

// meanAbsDiff is the mean absolute difference of a and b over their R, G
// and B channels, in levels 0–255; +Inf when their sizes differ.
func meanAbsDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return math.Inf(1)
	}
	var sum float64
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			sum += math.Abs(float64(r1>>8)-float64(r2>>8)) + math.Abs(float64(g1>>8)-float64(g2>>8)) + math.Abs(float64(b1>>8)-float64(b2>>8))
		}
	}
	return sum / float64(3*ab.Dx()*ab.Dy())
}

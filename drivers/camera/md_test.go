package camera

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"

	"autogate/drivers/device"
	"autogate/internal/testenv"
)

// palette is a chart of known colours: primaries, secondaries, greys and
// skin tones, each a 16×16 patch, on an odd-sized image (so the even-size
// padding is exercised too).
func palette() (*image.RGBA, []color.RGBA) {
	colours := []color.RGBA{
		{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255},
		{255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 255},
		{0, 0, 0, 255}, {255, 255, 255, 255}, {128, 128, 128, 255},
		{224, 172, 105, 255}, {141, 85, 36, 255}, {255, 219, 172, 255},
		{198, 134, 66, 255}, {60, 46, 40, 255}, {30, 90, 160, 255},
	}
	img := image.NewRGBA(image.Rect(0, 0, 16*len(colours)+1, 17))
	for i, c := range colours {
		draw.Draw(img, image.Rect(16*i, 0, 16*i+16, 17), image.NewUniform(c), image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(16*len(colours), 0, 16*len(colours)+1, 17), image.NewUniform(colours[len(colours)-1]), image.Point{}, draw.Src)
	return img, colours
}

// checkPalette compares each patch's interior (away from chroma bleeding
// at patch edges) with its colour; tol is in levels.
func checkPalette(t *testing.T, what string, got image.Image, colours []color.RGBA, tol int) {
	t.Helper()
	if got.Bounds().Dx() != 16*len(colours)+1 || got.Bounds().Dy() != 17 {
		t.Fatalf("%s: size %v, want %d×17", what, got.Bounds(), 16*len(colours)+1)
	}
	b := got.Bounds()
	for i, want := range colours {
		worst := 0
		for y := 4; y < 13; y++ {
			for x := 16*i + 4; x < 16*i+12; x++ {
				r, g, bl, _ := got.At(b.Min.X+x, b.Min.Y+y).RGBA()
				for k, v := range []int{int(r >> 8), int(g >> 8), int(bl >> 8)} {
					w := int([]uint8{want.R, want.G, want.B}[k])
					worst = max(worst, v-w, w-v)
				}
			}
		}
		if worst > tol {
			t.Errorf("%s: patch %d %v off by up to %d levels (tolerance %d)", what, i, want, worst, tol)
		}
	}
}

// TestColourFidelity sends a colour chart through the simulator in every
// pixel format it offers (mediadevices decodes each; Capture converts to
// RGBA) and through mediadevices' own I420 conversion.
func TestColourFidelity(t *testing.T) {
	chart, colours := palette()
	// YUV at 8 bits rounds each channel; JPEG adds its quantisation.
	tolerance := map[frame.Format]int{frame.FormatYUYV: 3, frame.FormatI420: 3, frame.FormatMJPEG: 8}
	for _, f := range simFormats {
		t.Run(string(f), func(t *testing.T) {
			p := testenv.ShippedProfile(t, "sim-camera")
			p.Settings["pixel_format"] = strings.ToLower(string(f))
			s, err := NewSim(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Show([]image.Image{chart})
			frames, err := s.Capture(context.Background(), 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, fr := range frames {
				if _, ok := fr.Image.(*image.RGBA); !ok {
					t.Fatalf("frame is %T, want *image.RGBA", fr.Image)
				}
				checkPalette(t, string(f), fr.Image, colours, tolerance[f])
			}
		})
	}
	t.Run("mediadevices ToI420", func(t *testing.T) {
		even := image.NewRGBA(image.Rect(0, 0, 16*len(colours), 18))
		draw.Draw(even, even.Rect, chart, image.Point{}, draw.Src)
		r := video.ToI420(video.ReaderFunc(func() (image.Image, func(), error) { return even, func() {}, nil }))
		img, _, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if y, ok := img.(*image.YCbCr); !ok || y.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("ToI420 gave %T", img)
		}
		out := toRGBA(img)
		padded := image.NewRGBA(image.Rect(0, 0, 16*len(colours)+1, 17))
		draw.Draw(padded, padded.Rect, out, image.Point{}, draw.Src)
		checkPalette(t, "I420", padded, colours, 3)
	})
}

func TestSimIsAMediadevicesCamera(t *testing.T) {
	a, _ := newSim(t, 0)
	b, _ := newSim(t, 0)
	defer b.Close()
	if a.Label() == b.Label() || !strings.HasPrefix(a.Label(), SimLabelPrefix) {
		t.Fatalf("labels %q and %q: want distinct, prefixed %q", a.Label(), b.Label(), SimLabelPrefix)
	}
	labels := func() []string {
		var out []string
		for _, d := range mediadevices.EnumerateDevices() {
			if d.Kind == mediadevices.VideoInput {
				out = append(out, d.Label)
			}
		}
		return out
	}
	if l := labels(); !slices.Contains(l, a.Label()) || !slices.Contains(l, b.Label()) {
		t.Errorf("mediadevices lists %q, want both simulators", l)
	}
	// Different scenes in front of the two: each reads its own.
	a.Show([]image.Image{solid(30)})
	b.Show([]image.Image{solid(220)})
	fa, err := a.Capture(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Capture(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if meanAbsDiff(fa[0].Image, solid(30)) != 0 || meanAbsDiff(fb[0].Image, solid(220)) != 0 {
		t.Errorf("simulators crossed: %v %v", fa[0].Image.At(0, 0), fb[0].Image.At(0, 0))
	}
	a.Close()
	if slices.Contains(labels(), a.Label()) {
		t.Error("a closed simulator is still listed by mediadevices")
	}
	if _, err := a.Capture(context.Background(), 1); !errors.Is(err, device.ErrClosed) {
		t.Errorf("Capture after Close = %v, want ErrClosed", err)
	}
	// A rescan for V4L2 cameras drops every video driver; ours come back.
	rescan(func() {})
	if !slices.Contains(labels(), b.Label()) {
		t.Error("the simulator is gone after a rescan")
	}
}

func TestV4L2(t *testing.T) {
	p, err := device.LoadProfile(filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices", "v4l2-camera.toml"))
	if err != nil {
		t.Fatal(err)
	}
	videos, _ := filepath.Glob("/dev/video*")
	cam, err := NewV4L2(p, nil)
	if len(videos) == 0 {
		// No camera on this machine: the driver must say so, and what to check.
		if err == nil {
			cam.Close()
			t.Fatal("NewV4L2 succeeded without any /dev/video* device")
		}
		for _, want := range []string{"camera v4l2-camera: no camera found", "check that the camera is plugged in", "/dev/video"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if !errors.Is(err, device.ErrDisconnected) {
			t.Errorf("error %v does not wrap ErrDisconnected", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%d video devices present (%s) but NewV4L2 = %v", len(videos), strings.Join(videos, ", "), err)
	}
	defer cam.Close()
	frames, err := cam.Capture(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if _, ok := f.Image.(*image.RGBA); !ok || f.Image.Bounds().Empty() {
			t.Errorf("frame %d: %T %v", i, f.Image, f.Image.Bounds())
		}
		if i > 0 && !f.At.After(frames[i-1].At) {
			t.Errorf("frame %d not after frame %d", i, i-1)
		}
	}
	if h := cam.Health(); h.State != device.StateOK {
		t.Errorf("health %+v", h)
	}
}

func TestV4L2RefusesBadProfiles(t *testing.T) {
	base := func() device.Profile {
		p, err := device.LoadProfile(filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices", "v4l2-camera.toml"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sim := testenv.ShippedProfile(t, "sim-camera")
	if _, err := NewV4L2(sim, nil); err == nil || !strings.Contains(err.Error(), `driver = "v4l2"`) {
		t.Errorf("sim profile: %v", err)
	}
	for key, v := range map[string]any{"width": int64(-1), "height": "tall", "device": int64(0), "zoom": int64(2)} {
		p := base()
		p.Settings[key] = v
		if _, err := NewV4L2(p, nil); err == nil || !strings.Contains(err.Error(), "settings."+key) {
			t.Errorf("settings.%s = %v: %v", key, v, err)
		}
	}
}

// FuzzDecodeFrame feeds arbitrary wire bytes, as a camera could send them,
// through mediadevices' decoders and the RGBA conversion: a bad frame must
// be an error, never a crash.
func FuzzDecodeFrame(f *testing.F) {
	// Small seeds: the fuzzer's minimiser takes ages over big frames.
	small := image.NewRGBA(image.Rect(0, 0, 6, 4))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 37)
	}
	for _, format := range simFormats {
		raw, w, h, err := encodeFrame(small, format)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint8(slices.Index(simFormats, format)), uint16(w), uint16(h))
	}
	f.Add([]byte{}, uint8(0), uint16(0), uint16(0))
	f.Add([]byte{1, 2, 3}, uint8(1), uint16(3), uint16(1))
	formats := []frame.Format{frame.FormatYUYV, frame.FormatI420, frame.FormatMJPEG, frame.FormatNV12, frame.FormatNV21, frame.FormatUYVY}
	f.Fuzz(func(t *testing.T, raw []byte, fi uint8, w, h uint16) {
		format := formats[int(fi)%len(formats)]
		if int(w)*int(h) > 1<<20 {
			return // bounded so a run explores bytes, not allocation sizes
		}
		img, err := decodeFrame(raw, format, int(w), int(h))
		if err != nil {
			return
		}
		out := toRGBA(img)
		if out.Bounds() != img.Bounds() {
			t.Fatalf("RGBA %v from a %v frame", out.Bounds(), img.Bounds())
		}
	})
}

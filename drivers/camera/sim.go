package camera

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"autogate/drivers/device"
	"autogate/drivers/device/devsim"
)

// MaxFrames bounds one Capture: ten seconds of video at 30 fps, far more
// than face capture needs, so a bad n cannot exhaust memory.
const MaxFrames = 300

// emptySceneGrey is the level of the empty scene: mid-grey, like an
// evenly lit lane wall.
const emptySceneGrey = 128

// SimLabelPrefix starts the mediadevices label of every simulated camera.
const SimLabelPrefix = "autogate-sim-camera:"

// simSeq numbers simulators, so each registers under its own label.
var simSeq atomic.Uint64

// Sim is a simulated camera. The control side plays what stands in front
// of it with Show.
//
// It is a mediadevices video driver: it registers itself with
// mediadevices' driver manager, and Capture reads its frames back through
// GetUserMedia's video track, exactly as it would a V4L2 camera's. On the
// way the simulator sends each picture in the profile's pixel format
// (settings.pixel_format: YUYV, I420 or MJPEG, as UVC cameras do) and
// mediadevices' decoder for that format turns it back into an image, so
// the agent sees what a real camera would give it, chroma subsampling and
// all.
type Sim struct {
	core     *devsim.Core
	warmup   time.Duration // at speed 1
	interval time.Duration // frame interval at speed 1
	format   frame.Format  // the simulated wire format
	label    string        // mediadevices label
	empty    *image.Gray   // the empty scene
	shown    []image.Image // what the camera sees; frames cycle through it
	sent     []image.Image // shown[i] as it comes off the wire, once sent
	emptyOut image.Image   // the empty scene as it comes off the wire
	next     int           // index in shown of the next frame
	warm     bool          // the stream is up and settled
	warmGen  int           // stream restarts, so a stale warm-up is ignored
	busy     bool          // a Capture holds the stream
	ctx      context.Context
	frames   int // frames delivered
	stream   *mdStream
}

var _ Camera = (*Sim)(nil)

// NewSim returns a simulated camera timed by profile p (kind "camera",
// driver "sim") at the given speed. The stream starts now: the first frame
// comes warmup_ms (scaled) later.
func NewSim(p device.Profile, speed device.Speed) (*Sim, error) {
	core, err := devsim.New(device.KindCamera, p, speed)
	if err != nil {
		return nil, err
	}
	if err := devsim.CheckSettings(p, "width", "height", "pixel_format"); err != nil {
		return nil, err
	}
	w, err := devsim.SettingInt(p, "width", 640, 1, 8192)
	if err != nil {
		return nil, err
	}
	h, err := devsim.SettingInt(p, "height", 480, 1, 8192)
	if err != nil {
		return nil, err
	}
	format := frame.Format(frame.FormatYUYV)
	if v, ok := p.Settings["pixel_format"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, fmt.Errorf("camera simulator: profile %s: settings.pixel_format: must be a string (got %v)", p.Name(), v)
		}
		if format, err = parseFormat(s); err != nil {
			return nil, fmt.Errorf("camera simulator: profile %s: settings.pixel_format: %w", p.Name(), err)
		}
	}
	empty := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(empty, empty.Rect, image.NewUniform(color.Gray{Y: emptySceneGrey}), image.Point{}, draw.Src)
	s := &Sim{
		core: core, warmup: p.Delay("warmup_ms"), interval: p.Delay("frame_ms"), format: format, empty: empty,
		label: fmt.Sprintf("%s%s#%d", SimLabelPrefix, p.Name(), simSeq.Add(1)),
	}
	fps := float32(0)
	if s.interval > 0 {
		fps = float32(time.Second) / float32(s.interval)
	}
	adapter := &simDriver{s: s, media: prop.Media{Video: prop.Video{Width: w, Height: h, FrameFormat: format, FrameRate: fps}}}
	if err := register(adapter, driver.Info{Label: s.label, DeviceType: driver.Camera, Priority: driver.PriorityLow, Name: "autogate camera simulator " + p.Name()}); err != nil {
		return nil, err
	}
	id, err := deviceID(s.label)
	if err == nil {
		s.stream, err = openStream(id, videoConstraints{})
	}
	if err != nil {
		unregister(s.label)
		core.Close()
		return nil, fmt.Errorf("%s: opening the simulator through mediadevices: %w", core.Name(), err)
	}
	core.OnLinkUp(s.startStream)
	core.Lock()
	s.startStream()
	core.Unlock()
	return s, nil
}

// Label is the simulator's label among mediadevices' devices.
func (s *Sim) Label() string { return s.label }

// startStream (re)starts the stream: frames are usable after the warm-up
// (lock held).
func (s *Sim) startStream() {
	s.warm = false
	s.warmGen++
	gen := s.warmGen
	s.core.After(s.warmup, func() {
		if gen == s.warmGen {
			s.warm = true
		}
	})
}

// Capture waits for the warm-up if the stream has just started, then
// returns n frames, one per frame interval, read through mediadevices.
// Captures are served one at a time. Frames are *image.RGBA.
func (s *Sim) Capture(ctx context.Context, n int) ([]Frame, error) {
	if n < 1 || n > MaxFrames {
		return nil, s.core.Errorf("capture: asked for %d frames; ask for 1 to %d", n, MaxFrames)
	}
	s.core.Lock()
	if err := s.core.Await(ctx, "capture: waiting for the camera to warm up", func() bool { return s.warm && !s.busy }); err != nil {
		s.core.Unlock()
		return nil, err
	}
	// The driver's reader, called by mediadevices, has no context of its
	// own: it waits under the holder's.
	s.busy, s.ctx = true, ctx
	s.core.Unlock()
	defer func() {
		s.core.Lock()
		s.busy, s.ctx = false, nil
		s.core.Notify()
		s.core.Unlock()
	}()
	frames := make([]Frame, 0, n)
	for range n {
		f, err := s.stream.read()
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	s.core.Lock()
	s.frames += n
	s.core.Unlock()
	return frames, nil
}

// readFrame is the driver's side of the stream: it waits one frame
// interval (and a warm-up after a restart), then sends what the camera
// sees.
func (s *Sim) readFrame() (image.Image, func(), error) {
	s.core.Lock()
	defer s.core.Unlock()
	ctx := s.ctx
	if ctx == nil {
		// Only Capture reads; a stray read must not block forever.
		return nil, func() {}, s.core.Errorf("capture: frame read outside a capture")
	}
	if err := s.core.Await(ctx, "capture: waiting for the camera to warm up", func() bool { return s.warm }); err != nil {
		return nil, func() {}, err
	}
	if err := s.core.Pause(ctx, "capture: waiting for the next frame", s.interval); err != nil {
		return nil, func() {}, err
	}
	img, err := s.scene()
	if err != nil {
		return nil, func() {}, s.core.Errorf("capture: %w", err)
	}
	return img, func() {}, nil
}

// scene is what the camera sends at this frame, as decoded off the wire
// (lock held). Each picture is sent once and reused: the images given to
// Show do not change.
func (s *Sim) scene() (image.Image, error) {
	if len(s.shown) == 0 {
		if s.emptyOut == nil {
			img, err := s.send(s.empty)
			if err != nil {
				return nil, err
			}
			s.emptyOut = img
		}
		return s.emptyOut, nil
	}
	i := s.next % len(s.shown)
	s.next = (s.next + 1) % len(s.shown)
	if s.sent[i] == nil {
		img, err := s.send(s.shown[i])
		if err != nil {
			return nil, err
		}
		s.sent[i] = img
	}
	return s.sent[i], nil
}

// send encodes img in the simulator's pixel format and decodes it with
// mediadevices' decoder, cropping the even-size padding off again.
func (s *Sim) send(img image.Image) (image.Image, error) {
	raw, w, h, err := encodeFrame(img, s.format)
	if err != nil {
		return nil, err
	}
	out, err := decodeFrame(raw, s.format, w, h)
	if err != nil {
		return nil, err
	}
	size := image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy())
	if out.Bounds() != size {
		sub, ok := out.(interface {
			SubImage(image.Rectangle) image.Image
		})
		if !ok {
			return nil, fmt.Errorf("decoded %s frame %T cannot be cropped", s.format, out)
		}
		out = sub.SubImage(size)
	}
	return out, nil
}

// Show sets what the camera sees: successive frames cycle through imgs,
// from the first. Nil or empty shows the empty grey scene; nil entries are
// dropped. The images themselves are not copied and must not change.
func (s *Sim) Show(imgs []image.Image) {
	s.core.Lock()
	defer s.core.Unlock()
	s.shown = slices.DeleteFunc(slices.Clone(imgs), func(img image.Image) bool { return img == nil })
	s.sent = make([]image.Image, len(s.shown))
	s.next = 0
}

// Frames is the number of frames delivered so far.
func (s *Sim) Frames() int {
	s.core.Lock()
	defer s.core.Unlock()
	return s.frames
}

// Health reports the camera's health.
func (s *Sim) Health() device.Health { return s.core.Health() }

// Close releases the camera and takes it off mediadevices' device list;
// waiting Captures return device.ErrClosed.
func (s *Sim) Close() error {
	err := s.core.Close()
	if s.stream != nil {
		s.stream.close()
	}
	unregister(s.label)
	return err
}

// Unplug simulates the camera's cable being pulled: Captures fail with
// device.ErrDisconnected until Replug, after which the camera warms up again.
func (s *Sim) Unplug() { s.core.Unplug() }

// Replug plugs the camera back in; its stream restarts with a warm-up.
func (s *Sim) Replug() { s.core.Replug() }

// Stall makes the camera stop answering (true) or answer again (false);
// like a re-plugged one, a camera that answers again warms up again.
func (s *Sim) Stall(on bool) { s.core.Stall(on) }

// simDriver is the simulator as mediadevices sees it: a driver.Adapter and
// driver.VideoRecorder. Opening and closing it do nothing: the simulated
// device lives as long as its Sim, and mediadevices opens and closes
// drivers just to read their properties.
type simDriver struct {
	s     *Sim
	media prop.Media
}

func (d *simDriver) Open() error              { return nil }
func (d *simDriver) Close() error             { return nil }
func (d *simDriver) Properties() []prop.Media { return []prop.Media{d.media} }

func (d *simDriver) VideoRecord(prop.Media) (video.Reader, error) {
	return video.ReaderFunc(d.s.readFrame), nil
}

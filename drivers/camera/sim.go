package camera

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/device/devsim"
)

// MaxFrames bounds one Capture: ten seconds of video at 30 fps, far more
// than face capture needs, so a bad n cannot exhaust memory.
const MaxFrames = 300

// emptySceneGrey is the level of the empty scene: mid-grey, like an
// evenly lit lane wall.
const emptySceneGrey = 128

// Sim is a simulated camera. The control side plays what stands in front
// of it with Show.
type Sim struct {
	core     *devsim.Core
	warmup   time.Duration // at speed 1
	interval time.Duration // frame interval at speed 1
	empty    *image.Gray   // the empty scene
	shown    []image.Image // what the camera sees; frames cycle through it
	next     int           // index in shown of the next frame
	warm     bool          // the stream is up and settled
	warmGen  int           // stream restarts, so a stale warm-up is ignored
	busy     bool          // a Capture holds the stream
	frames   int           // frames delivered
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
	if err := devsim.CheckSettings(p, "width", "height"); err != nil {
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
	empty := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(empty, empty.Rect, image.NewUniform(color.Gray{Y: emptySceneGrey}), image.Point{}, draw.Src)
	s := &Sim{core: core, warmup: p.Delay("warmup_ms"), interval: p.Delay("frame_ms"), empty: empty}
	core.OnLinkUp(s.startStream)
	core.Lock()
	s.startStream()
	core.Unlock()
	return s, nil
}

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
// returns n frames, one per frame interval. Captures are served one at a
// time.
func (s *Sim) Capture(ctx context.Context, n int) ([]Frame, error) {
	if n < 1 || n > MaxFrames {
		return nil, s.core.Errorf("capture: asked for %d frames; ask for 1 to %d", n, MaxFrames)
	}
	s.core.Lock()
	defer s.core.Unlock()
	if err := s.core.Await(ctx, "capture: waiting for the camera to warm up", func() bool { return s.warm && !s.busy }); err != nil {
		return nil, err
	}
	s.busy = true
	defer func() {
		s.busy = false
		s.core.Notify()
	}()
	frames := make([]Frame, 0, n)
	for range n {
		if err := s.core.Pause(ctx, "capture: waiting for the next frame", s.interval); err != nil {
			return nil, err
		}
		frames = append(frames, Frame{Image: s.scene(), At: time.Now()})
	}
	s.frames += n
	return frames, nil
}

// scene is what the camera sees at this frame (lock held).
func (s *Sim) scene() image.Image {
	if len(s.shown) == 0 {
		return s.empty
	}
	img := s.shown[s.next%len(s.shown)]
	s.next = (s.next + 1) % len(s.shown)
	return img
}

// Show sets what the camera sees: successive frames cycle through imgs,
// from the first. Nil or empty shows the empty grey scene; nil entries are
// dropped. The images themselves are not copied and must not change.
func (s *Sim) Show(imgs []image.Image) {
	s.core.Lock()
	defer s.core.Unlock()
	s.shown = slices.DeleteFunc(slices.Clone(imgs), func(img image.Image) bool { return img == nil })
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

// Close releases the camera; waiting Captures return device.ErrClosed.
func (s *Sim) Close() error { return s.core.Close() }

// Unplug simulates the camera's cable being pulled: Captures fail with
// device.ErrDisconnected until Replug, after which the camera warms up again.
func (s *Sim) Unplug() { s.core.Unplug() }

// Replug plugs the camera back in; its stream restarts with a warm-up.
func (s *Sim) Replug() { s.core.Replug() }

// Stall makes the camera stop answering (true) or answer again (false);
// like a re-plugged one, a camera that answers again warms up again.
func (s *Sim) Stall(on bool) { s.core.Stall(on) }

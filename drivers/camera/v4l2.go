package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	mdcamera "github.com/pion/mediadevices/pkg/driver/camera"

	"autogate/drivers/device"
)

// V4L2 is a real face camera (USB/UVC) on Linux, driven through V4L2 by
// pion/mediadevices' camera driver and read through GetUserMedia like the
// simulator. Profile: kind "camera", driver "v4l2"; timing warmup_ms (frames
// of the first warmup_ms after the stream starts are dropped, while
// auto-exposure settles) and frame_ms (the frame interval asked for);
// settings device (part of the camera's V4L2 label, e.g. its
// /dev/v4l/by-id name or "video0"; "" takes the first camera that opens),
// width and height (the frame size asked for; 0 lets the camera choose).
type V4L2 struct {
	name   string // "camera v4l2-camera", the prefix of every error
	want   string // settings.device
	c      videoConstraints
	warmup time.Duration
	log    *slog.Logger

	// sem admits one reader of the stream at a time: a Capture, or the
	// reads a cancelled Capture left running (a V4L2 read cannot be
	// interrupted; it ends within the driver's read timeout).
	sem chan struct{}

	mu      sync.Mutex
	stream  *mdStream // nil until opened, and after a failure
	label   string    // the open camera's mediadevices label
	started time.Time // when the stream was opened
	closed  bool
	health  device.Health
}

var _ Camera = (*V4L2)(nil)

// NewV4L2 opens the camera profile p names. It fails when no such camera
// is plugged in.
func NewV4L2(p device.Profile, log *slog.Logger) (*V4L2, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("camera: invalid profile:\n%w", err)
	}
	if p.Device.Kind != device.KindCamera || p.Device.Driver != device.DriverV4L2 {
		return nil, fmt.Errorf("camera: profile %s is a %s profile for driver %q; a V4L2 camera needs kind = %q and driver = %q",
			p.Name(), p.Device.Kind, p.Device.Driver, device.KindCamera, device.DriverV4L2)
	}
	if log == nil {
		log = slog.Default()
	}
	v := &V4L2{name: "camera " + p.Name(), warmup: p.Delay("warmup_ms"), log: log, sem: make(chan struct{}, 1)}
	var err error
	if v.want, v.c, err = v4l2Settings(p); err != nil {
		return nil, err
	}
	if ms := p.Timing["frame_ms"]; ms > 0 {
		v.c.fps = 1000 / float32(ms)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.open(); err != nil {
		return nil, err
	}
	return v, nil
}

// v4l2Settings reads and checks the profile's [settings].
func v4l2Settings(p device.Profile) (string, videoConstraints, error) {
	var errs []error
	var want string
	var c videoConstraints
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("camera: profile %s: settings.%s: "+format, append([]any{p.Name(), key}, args...)...))
	}
	size := func(key string) int {
		v, ok := p.Settings[key]
		if !ok {
			return 0
		}
		n, isInt := v.(int64)
		if !isInt || n < 0 || n > 8192 {
			bad(key, "must be an integer from 0 (the camera chooses) to 8192 (got %v)", v)
			return 0
		}
		return int(n)
	}
	for k, v := range p.Settings {
		switch k {
		case "device":
			s, ok := v.(string)
			if !ok {
				bad(k, "must be a string (got %v)", v)
			}
			want = s
		case "width":
			c.width = size(k)
		case "height":
			c.height = size(k)
		default:
			bad(k, "unknown setting; a V4L2 camera takes device, width and height")
		}
	}
	return want, c, errors.Join(errs...)
}

// candidates lists the registered V4L2 cameras the profile's device
// setting matches, the system's first camera (video0) first.
func (v *V4L2) candidates() []string {
	var labels []string
	for _, d := range registered(func(l string) bool { return !strings.HasPrefix(l, SimLabelPrefix) }) {
		if d.Info().DeviceType == driver.Camera && strings.Contains(d.Info().Label, v.want) {
			labels = append(labels, d.Info().Label)
		}
	}
	slices.SortFunc(labels, func(a, b string) int {
		a0, b0 := strings.HasSuffix(a, mdcamera.LabelSeparator+"video0"), strings.HasSuffix(b, mdcamera.LabelSeparator+"video0")
		switch {
		case a0 && !b0:
			return -1
		case b0 && !a0:
			return 1
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(labels)
}

// open opens the stream of the first matching camera that opens, looking
// for newly plugged cameras if none is known (mu held).
func (v *V4L2) open() error {
	labels := v.candidates()
	if len(labels) == 0 {
		rescan(mdcamera.Initialize)
		labels = v.candidates()
	}
	if len(labels) == 0 {
		v.setHealth(device.StateDisconnected, "no camera found")
		return fmt.Errorf("%s: no camera found (settings.device = %q): %w; check that the camera is plugged in, that /dev/video* exists, and that the agent's user may open it (group video)",
			v.name, v.want, device.ErrDisconnected)
	}
	var errs []error
	for _, label := range labels {
		id, err := deviceID(label)
		if err == nil {
			var s *mdStream
			if s, err = openStream(id, v.c); err == nil {
				v.stream, v.label, v.started = s, label, time.Now()
				v.setHealth(device.StateOK, "")
				v.log.Info("camera opened", "camera", v.name, "label", label)
				return nil
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", label, err))
	}
	v.setHealth(device.StateFailed, "no matching camera opens")
	return fmt.Errorf("%s: no camera found that opens with the profile's settings (device %q, %d×%d): %w; check the camera's supported sizes (v4l2-ctl --list-formats-ext):\n%w",
		v.name, v.want, v.c.width, v.c.height, device.ErrDisconnected, errors.Join(errs...))
}

func (v *V4L2) setHealth(s device.State, detail string) {
	if s != v.health.State || detail != v.health.Detail {
		v.health = device.Health{State: s, Detail: detail, Since: time.Now()}
	}
}

// Capture returns n consecutive frames (*image.RGBA), dropping those of
// the warm-up after the stream (re)starts. A camera that went away is
// reopened on the next Capture.
func (v *V4L2) Capture(ctx context.Context, n int) ([]Frame, error) {
	if n < 1 || n > MaxFrames {
		return nil, fmt.Errorf("%s: capture: asked for %d frames; ask for 1 to %d", v.name, n, MaxFrames)
	}
	select {
	case v.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, v.ctxErr(ctx, "capture: waiting for the camera")
	}
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		<-v.sem
		return nil, fmt.Errorf("%s: capture: %w", v.name, device.ErrClosed)
	}
	if v.stream == nil {
		if err := v.open(); err != nil {
			v.mu.Unlock()
			<-v.sem
			return nil, err
		}
	}
	s, settled := v.stream, v.started.Add(v.warmup)
	v.mu.Unlock()

	type result struct {
		frames []Frame
		err    error
	}
	done, stop := make(chan result, 1), make(chan struct{})
	go func() {
		defer func() { <-v.sem }()
		frames := make([]Frame, 0, n)
		for len(frames) < n {
			select {
			case <-stop: // the Capture gave up: free the stream soon
				return
			default:
			}
			f, err := s.read()
			if err != nil {
				done <- result{err: v.readFailed(s, err)}
				return
			}
			if f.At.Before(settled) {
				continue // auto-exposure still settling
			}
			frames = append(frames, f)
		}
		done <- result{frames: frames}
	}()
	select {
	case r := <-done:
		return r.frames, r.err
	case <-ctx.Done():
		close(stop)
		return nil, v.ctxErr(ctx, "capture: waiting for frames")
	}
}

// ctxErr wraps ctx's error; a deadline means the camera did not answer in
// time.
func (v *V4L2) ctxErr(ctx context.Context, op string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s: %w: %w; power-cycle the camera if this persists", v.name, op, device.ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("%s: %s: %w", v.name, op, ctx.Err())
}

// readFailed turns a read error into the Camera's errors and drops the
// stream, so the next Capture reopens the camera.
func (v *V4L2) readFailed(s *mdStream, err error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return fmt.Errorf("%s: capture: %w", v.name, device.ErrClosed)
	}
	if v.stream == s {
		s.close()
		v.stream = nil
	}
	// mediadevices' V4L2 reader reports a silent camera as "read timeout"
	// (after PION_MEDIADEVICES_CAMERA_READ_TIMEOUT, 5 s by default).
	if strings.Contains(err.Error(), "timeout") {
		v.setHealth(device.StateFailed, "not answering: power-cycle the camera if this persists")
		return fmt.Errorf("%s: capture: %w: %w; power-cycle the camera if this persists", v.name, device.ErrTimeout, err)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("stream ended")
	}
	v.setHealth(device.StateDisconnected, "unplugged: check the cable")
	return fmt.Errorf("%s: capture: %w (%w); check its cable: the next capture reopens it", v.name, device.ErrDisconnected, err)
}

// Health reports the camera's health.
func (v *V4L2) Health() device.Health {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.health
}

// Close stops the stream and releases the camera; waiting Captures return
// device.ErrClosed.
func (v *V4L2) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	v.setHealth(device.StateFailed, "driver closed")
	if v.stream != nil {
		err := v.stream.close()
		v.stream = nil
		return err
	}
	return nil
}

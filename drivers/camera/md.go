package camera

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"sync"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// mdMu serialises our use of mediadevices' global driver manager:
// GetUserMedia opens and closes every closed driver to read its properties,
// and the drivers' state machine is not safe for concurrent use.
var mdMu sync.Mutex

// videoConstraints narrows the stream a device is asked for; zero fields
// leave the choice to the device.
type videoConstraints struct {
	width, height int
	fps           float32
}

// mdStream is one camera opened through mediadevices: the video track of
// one registered driver and a reader of its frames. Every frame the agent
// sees comes through here, from the simulator and from real cameras alike.
type mdStream struct {
	id     string // mediadevices device ID (the driver's registration)
	track  mediadevices.Track
	reader video.Reader
}

// openStream opens the registered video driver with mediadevices device ID
// id through GetUserMedia.
func openStream(id string, c videoConstraints) (*mdStream, error) {
	mdMu.Lock()
	defer mdMu.Unlock()
	ms, err := mediadevices.GetUserMedia(mediadevices.MediaStreamConstraints{
		Video: func(tc *mediadevices.MediaTrackConstraints) {
			tc.DeviceID = prop.StringExact(id)
			if c.width > 0 {
				tc.Width = prop.IntExact(c.width)
			}
			if c.height > 0 {
				tc.Height = prop.IntExact(c.height)
			}
			if c.fps > 0 {
				tc.FrameRate = prop.Float(c.fps)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	tracks := ms.GetVideoTracks()
	if len(tracks) != 1 {
		for _, t := range ms.GetTracks() {
			t.Close()
		}
		return nil, fmt.Errorf("mediadevices gave %d video tracks, want 1", len(tracks))
	}
	vt, ok := tracks[0].(*mediadevices.VideoTrack)
	if !ok {
		tracks[0].Close()
		return nil, fmt.Errorf("mediadevices gave a %T, not a video track", tracks[0])
	}
	// One reader for the stream's life: with a single reader the
	// broadcaster pulls every frame straight from the driver, in order.
	return &mdStream{id: id, track: vt, reader: vt.NewReader(false)}, nil
}

// read returns the next frame, converted to RGBA in memory of its own (a
// driver may reuse its buffers), and when it arrived.
func (m *mdStream) read() (Frame, error) {
	img, release, err := m.reader.Read()
	if err != nil {
		return Frame{}, err
	}
	if img == nil {
		return Frame{}, errors.New("the camera delivered an empty frame")
	}
	at := time.Now()
	out := toRGBA(img)
	if release != nil {
		release()
	}
	return Frame{Image: out, At: at}, nil
}

func (m *mdStream) close() error {
	mdMu.Lock()
	defer mdMu.Unlock()
	return m.track.Close()
}

// toRGBA copies img into a new RGBA image with the same bounds. Camera
// frames arrive as YCbCr (4:2:0 or 4:2:2 from YUV formats, any ratio from
// MJPEG), and the agent works on RGB: image/draw converts YCbCr and grey
// with the JFIF equations that are the exact inverse of image/color's
// RGBToYCbCr, which is what mediadevices' decoders assume.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}

// registered returns the mediadevices video drivers whose label satisfies
// match.
func registered(match func(label string) bool) []driver.Driver {
	return driver.GetManager().Query(driver.FilterAnd(driver.FilterVideoRecorder(), func(d driver.Driver) bool {
		return match(d.Info().Label)
	}))
}

// ours are the drivers this package registered, by label, so a V4L2
// rescan (mediadevices' camera.Initialize drops every video driver) can
// put them back.
var ours = map[string]ourDriver{}

type ourDriver struct {
	adapter driver.Adapter
	info    driver.Info
}

// register adds a video driver to mediadevices under info.Label, which
// must be unique.
func register(a driver.Adapter, info driver.Info) error {
	mdMu.Lock()
	defer mdMu.Unlock()
	if _, dup := ours[info.Label]; dup {
		return fmt.Errorf("mediadevices: a camera labelled %q is already registered", info.Label)
	}
	if err := driver.GetManager().Register(a, info); err != nil {
		return fmt.Errorf("mediadevices: registering %q: %w", info.Label, err)
	}
	ours[info.Label] = ourDriver{a, info}
	return nil
}

// unregister takes the driver labelled label off mediadevices' list.
func unregister(label string) {
	mdMu.Lock()
	defer mdMu.Unlock()
	delete(ours, label)
	for _, d := range registered(func(l string) bool { return l == label }) {
		driver.GetManager().Delete(d.ID())
	}
}

// deviceID is the mediadevices device ID of the driver labelled label.
func deviceID(label string) (string, error) {
	mdMu.Lock()
	defer mdMu.Unlock()
	ds := registered(func(l string) bool { return l == label })
	if len(ds) != 1 {
		return "", fmt.Errorf("mediadevices: %d devices labelled %q, want 1", len(ds), label)
	}
	return ds[0].ID(), nil
}

// rescan runs discover (which may drop every registered video driver) and
// registers ours again.
func rescan(discover func()) {
	mdMu.Lock()
	defer mdMu.Unlock()
	discover()
	m := driver.GetManager()
	for label, d := range ours {
		if len(registered(func(l string) bool { return l == label })) == 0 {
			_ = m.Register(d.adapter, d.info) // Register cannot fail
		}
	}
}

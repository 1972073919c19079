// Package camera drives the gate's face camera: the agent asks for a short
// burst of consecutive frames while the traveller looks at the camera, and
// picks the best for face detection, quality, presentation-attack checks and
// comparison with the chip's DG2 photo.
//
// A camera streams at a fixed frame interval once started, and needs a
// warm-up (auto-exposure and white balance settling) before its frames are
// usable — at start and again after it is re-plugged. Capture honours both.
//
// Every frame reaches the agent through github.com/pion/mediadevices: a
// camera is a mediadevices video driver, opened with GetUserMedia by its
// device ID and read from its video track. Frames arrive in the camera's
// pixel format (YUYV, I420, MJPEG: YCbCr in Go terms) and Capture converts
// each to a fresh *image.RGBA.
//
// Camera is what the agent uses; two implementations sit behind it:
//
//   - Sim, a simulator timed by a device profile
//     (firmware-config/devices/sim-camera.toml: warmup_ms, frame_ms;
//     settings width, height, pixel_format) that shows the images a test
//     or the border-post simulator puts in front of it. It registers
//     itself with mediadevices (one label per simulator) and sends each
//     picture in its pixel format, decoded by mediadevices' own decoder.
//   - V4L2, a real USB (UVC) camera through mediadevices' V4L2 camera
//     driver (firmware-config/devices/v4l2-camera.toml: driver "v4l2";
//     settings device, width, height).
package camera

// Package camera drives the gate's face camera: the agent asks for a short
// burst of consecutive frames while the traveller looks at the camera, and
// picks the best for face detection, quality, presentation-attack checks and
// comparison with the chip's DG2 photo.
//
// A camera streams at a fixed frame interval once started, and needs a
// warm-up (auto-exposure and white balance settling) before its frames are
// usable — at start and again after it is re-plugged. Capture honours both.
//
// Camera is what the agent uses. Sim is a simulator behind it, timed by a
// device profile (firmware-config/devices/sim-camera.toml: warmup_ms,
// frame_ms; settings width, height) that shows the images a test or the
// border-post simulator puts in front of it. The real driver (V4L2/UVC
// through github.com/pion/mediadevices) comes later behind the same
// interface.
package camera

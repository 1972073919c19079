// Package fingerprint drives the gate's fingerprint scanner: the traveller
// puts a finger on the platen and the scanner returns an 8-bit greyscale
// image of it, which the agent turns into minutiae (ISO/IEC 19794-2) and
// compares 1:1 with the reference where policy asks for it.
//
// The image is a finger image as ISO/IEC 19794-4 describes it: 8 bits per
// pixel, 0 black ridge to 255 white background, typically 500 ppi.
//
// Scanner is what the agent uses. Sim is a simulator behind it, timed by a
// device profile (firmware-config/devices/sim-fingerprint.toml: capture_ms);
// a test or the border-post simulator places the traveller's finger image on
// it. Real drivers for single-finger modules come later behind the same
// interface.
package fingerprint

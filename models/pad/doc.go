// Package pad scores presentation attacks on the face capture: how likely
// it is that the camera saw a printed photo or a still screen rather than
// the traveller's live face. The score is in [0, 1] (0 bona fide, 1
// attack) in steps of 1/Steps; at or above Config.Threshold the gate
// refers the traveller with reason ReasonCode.
//
// No presentation-attack model reachable for this project has proved
// trustworthy, so the score rests on what can be checked honestly from the
// capture burst's 68 face landmarks per frame (models/face):
//
//   - a blink: the eye aspect ratio dips and recovers;
//   - 3-D motion: a live head that turns even slightly moves its nose
//     against its cheeks and jaw in a way no homography explains, while a
//     photo, however it is moved or tilted, moves its points by a
//     homography (it is flat); what is left after the best homography is
//     compared with the landmark jitter, measured on the burst itself;
//   - total motion and exact repeats: a replayed still shows nothing but
//     jitter, a frozen feed not even that.
//
// Every Result explains itself (Cues, Reasons). A camera that senses
// attacks itself (near-infrared, 3-D) passes its verdict as a
// HardwareSignal, weighted by its confidence.
//
// Limits: a video replay of a blinking, turning face defeats these cues;
// so may a photo bent while moved. A blink is not required (in a 1–2 s
// burst most people do not blink), so 3-D motion carries most of the
// weight: a traveller who stands perfectly still may be referred.
//
// synth.go makes synthetic bursts from one still photo (clearly proxies,
// not real video) for tests, the simulator and models/cmd/pad-eval.
package pad

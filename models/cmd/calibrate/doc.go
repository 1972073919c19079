// Command calibrate fits the face comparison's constants on labelled photos
// and measures the error rates on identities it did not fit on:
//
//	go run ./models/cmd/calibrate [-data ../shared/testdata/faces] [-models models/cache/onnx]
//
// It embeds every photo of the LFW subset and the deepface set once
// (caching the embeddings under models/cache so a rerun takes seconds),
// scores all genuine and impostor pairs, splits the identities into two
// halves by a hash of their names, and on half A fits each model's
// z-normalisation (impostor mean and spread), the fusion weights (grid
// search for the lowest FNMR at FMR 0.1 %) and the thresholds at FMR 1 %,
// 0.1 % and 0.01 %. It reports FMR, FNMR and EER per model and fused on
// half B, and the same with the halves swapped, in
// benchmarks/results/face-calibration.md and a DET curve in
// benchmarks/results/face-det.png, and writes the constants fitted on half
// A to models/face/calibration.toml, which package face embeds.
package main

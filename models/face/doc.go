// Package face is the biometric core of the gate: it finds faces, measures
// their quality, embeds them with three networks and compares templates,
// deciding at a threshold chosen for a target false match rate.
//
// The pipeline, per image:
//
//   - DecodeImage reads the image header first and refuses an image that is
//     corrupt, empty or larger than a pixel limit before any pixel is
//     decoded; greyscale images become BGR.
//   - BlazeFace (256×256, 896 anchors decoded here in Go, weighted
//     non-maximum suppression) finds the faces.
//   - face-api's 68-point landmark net runs on a square crop around each
//     box; the points are mapped back to the image and a second pass
//     re-crops around them, since BlazeFace boxes are loose.
//   - Quality (ISO/IEC 29794-5 in spirit) is computed from the landmarks
//     and the pixels: inter-eye distance, sharpness, exposure, pose, eyes
//     open.
//   - Each embedder gets the alignment it was trained with: dlib's 150 px
//     face chip (similarity transform of the 68 points onto dlib's mean
//     face) for dlib_resnet, and the ArcFace 112×112 five-point template
//     (Umeyama similarity) for MobileFaceNet and fr_feature. The mirrored
//     chip is embedded too and the two vectors averaged.
//   - Only the embedders the calibration gives a fusion weight run; with
//     Config.Threads ≠ 1 they run side by side on the cores.
//   - Compare z-normalises each model's score with constants fitted on
//     impostor pairs, fuses them with learned weights and decides at the
//     threshold of the configured security level (FMR 1 %, 0.1 % or
//     0.01 %).
//
// The normalisation constants, fusion weights and thresholds live in
// calibration.toml, embedded in the binary and written by
// models/cmd/calibrate from labelled photos; nothing there is a guess.
//
// An Engine holds the networks; it is safe for concurrent use (each net
// has its own mutex, so a reference photo can be embedded while the live
// burst is analysed).
package face

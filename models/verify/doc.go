// Package verify proves that each converted face model (models/cache/onnx/,
// run by OpenCV's DNN module through gocv) computes what its source runtime
// computes: the package's own JavaScript on TF.js in Node, or the TFLite
// interpreter shipped as wasm in @tensorflow/tfjs-tflite.
//
// specs.toml (embedded) lists the models. For each one the same LFW face
// crops, preprocessed once in Go, are fed to the source runtime by a Node
// script (js/<script>, sharing js/io.cjs) and to the ONNX model; every output
// is compared per crop by cosine similarity and largest absolute difference.
// A model passes when the worst cosine of every output is ≥ MinCosine.
//
// The Node dependencies (package.json, package-lock.json, embedded) are
// installed with `npm ci` into the cache by NodeDeps.Ensure. The full run is
// `make models-verify` (models/cmd/verify); the unit tests use a tiny model.
package verify

// Command convert-tfjs-graph converts a TF.js graph model (model.json plus
// its weight shards, e.g. human-models' BlazeFace from the models cache) to
// an ONNX file that OpenCV's DNN module loads (see package
// autogate/models/convert/tfjsgraph):
//
//	convert-tfjs-graph models/cache/human-models/package/models/blazeface.json models/cache/onnx/blazeface.onnx
//
// A model named blazeface.json gets the project's detector outputs
// (`regressors` [1,896,16], `classificators` [1,896,1]); any other model keeps
// its graph outputs under their TF names. The ONNX model takes NCHW input with
// batch 1. OUT's folder is created if needed and OUT is replaced atomically.
// Exit status: 0 on success, 1 when the model cannot be read, converted or
// written, 2 for bad usage.
package main

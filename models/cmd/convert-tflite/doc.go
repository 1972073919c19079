// Command convert-tflite converts a float32 TFLite model (MobileFaceNet from
// the models cache) to an ONNX file that OpenCV's DNN module loads (see
// package autogate/models/convert/tflite):
//
//	convert-tflite models/cache/.../MobileFaceNet.tflite models/cache/mobilefacenet.onnx
//
// The ONNX model takes NCHW input with batch 1. Exit status: 0 on success,
// 1 when the model cannot be read, converted or written, 2 for bad usage.
package main

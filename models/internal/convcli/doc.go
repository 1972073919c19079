// Package convcli is the shared skeleton of the model converter commands
// (convert-tflite, convert-tfjs-graph, convert-faceapi): flags, usage,
// exit codes, slog, and an atomic write of the ONNX file.
package convcli

// Package onnx writes and reads ONNX models (the ModelProto protobuf of
// onnx/onnx.proto, IR version 3 and later) without generated code: every
// message is encoded field by field with protowire, using the public field
// numbers of onnx.proto.
//
// The writer covers what the project's converters emit (TF.js graph models,
// TF.js weight manifests, TFLite flatbuffers → ONNX): a Model with opset
// imports and a Graph of Nodes, float32 initializers stored as raw_data,
// inputs and outputs as ValueInfo with static or symbolic shapes, and node
// attributes of kinds int, ints, float, floats, string, strings, tensor and
// graph. Builder adds typed helpers for the operators the face models need
// (Conv, PRelu, pooling, Gemm, Clip, ...), choosing the encoding that
// OpenCV 4.6's DNN importer accepts: Clip takes min/max as attributes
// (OpenCV refuses the opset-11 input form) and SAME padding is written as
// explicit, possibly asymmetric, pads.
//
// ReadModel parses the same messages back; it also reads foreign ONNX files
// (unknown fields are skipped), which is how tests and tools inspect the
// models shipped in npm packages.
package onnx

// Package tflite reads TensorFlow Lite models and converts float32
// convolutional networks (MobileFaceNet) to ONNX for OpenCV's DNN module.
//
// A .tflite file is a FlatBuffers buffer of the TFLite schema
// (tensorflow/lite/schema/schema.fbs, file identifier "TFL3"). The reader is
// written by hand against the FlatBuffers binary format: a table starts with a
// signed 32-bit offset back to its vtable; the vtable lists, per field number,
// the field's offset inside the table (0 = absent, default value applies);
// tables, vectors and strings are reached through unsigned 32-bit offsets
// relative to where the offset is stored; vectors and strings start with a
// 32-bit element count. Every offset is bounds-checked and the total number of
// decoded elements is capped by the file size, so hostile files give an error
// rather than a panic or an endless loop.
//
// ToONNX maps the ops MobileFaceNet uses (CONV_2D, DEPTHWISE_CONV_2D, PRELU,
// ADD, MUL, FULLY_CONNECTED, RESHAPE and a few more) to ONNX through
// models/onnx. TFLite activations are NHWC; the ONNX graph keeps 4-D
// activations NCHW (what OpenCV blobs are), so the model takes
// [1,C,H,W] input, weights are transposed (OHWI → OIHW, 1HWC → C1HW), TF
// "SAME" padding becomes explicit asymmetric pads, and a Transpose back to
// NHWC precedes any reshape of a 4-D activation so TF's flatten order is kept.
// The batch dimension is forced to 1.
//
// TF exports PReLU as relu(x) + c·(x − |x|): RELU, ABS, SUB, MUL and ADD,
// five passes over the activation. The converter folds each such pattern
// (when its intermediates feed nothing else) into one PRelu with slope 2c,
// which OpenCV fuses into the preceding convolution: MobileFaceNet's 33
// PReLUs cost 18 → 12.5 ms CPU per Forward on one thread, with the same
// embedding (cosine 1.0000000 to the op-by-op conversion).
//
// Checked once (2026-11) against the TFLite runtime itself
// (@tensorflow/tfjs-tflite's wasm interpreter in Node): on 40 LFW crops the
// converted MobileFaceNet run by OpenCV 4.6 gave worst cosine 1.0000000 and
// max absolute difference 3.3e-5. The tests here prove the same without
// Node: an NHWC reference of every mapped op, and identity separation on LFW.
package tflite

// Package tfjsgraph converts TensorFlow.js graph models (model.json with a
// GraphDef in modelTopology plus a weights manifest and .bin shards) to ONNX
// for OpenCV 4.6's DNN module, through models/onnx's builder.
//
// model.json holds the TF GraphDef as JSON: nodes with name, op, inputs and
// attributes in the proto3 JSON mapping (bytes base64, int64 as strings);
// every Const's value lives in the weights manifest, decoded by
// models/convert/tfjs. Parse and Load read and check it; Convert maps the
// ops BlazeFace uses — Placeholder, Const, Identity, Conv2D and _FusedConv2D
// (BiasAdd + Relu/Relu6/Prelu), DepthwiseConv2dNative (and its fused form),
// AddV2, Relu, Relu6, MaxPool, Pad and Reshape — plus those of human's
// antispoof and liveness classifiers: Mul (folded batch norm), MatMul and
// _FusedMatMul (BiasAdd + Relu/Relu6) as Gemm, Sigmoid and 2-D Softmax —
// and refuses any other op with an error naming it.
//
// TF activations are NHWC; the ONNX graph keeps 4-D activations NCHW (what
// OpenCV blobs are): the input becomes [1,C,H,W], filters go HWIO → OIHW,
// depthwise filters H·W·C·M → (C·M)×1×H×W with group C, TF's SAME padding
// becomes explicit pads (the odd extra row/column at the bottom/right), a Pad
// op's NHWC paddings are reordered to NCHW (channel padding included:
// BlazeFace widens its residual shortcuts that way), and a Reshape of a 4-D
// activation is preceded by a Transpose back to NHWC so TF's flatten order
// is kept. Non-4-D tensors keep TF's layout.
//
// Outputs can be renamed and joined with Concat (Options.Outputs);
// BlazeFace gives the options that produce the project's contract:
// `regressors` [1,896,16] and `classificators` [1,896,1], the stride-16 head
// first.
package tfjsgraph

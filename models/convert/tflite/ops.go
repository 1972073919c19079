package tflite

import "fmt"

// BuiltinOp is the TFLite schema enum BuiltinOperator.
type BuiltinOp int32

// The builtin operators this package names (schema values).
const (
	OpAdd             BuiltinOp = 0
	OpAveragePool2D   BuiltinOp = 1
	OpConcatenation   BuiltinOp = 2
	OpConv2D          BuiltinOp = 3
	OpDepthwiseConv2D BuiltinOp = 4
	OpDequantize      BuiltinOp = 6
	OpFullyConnected  BuiltinOp = 9
	OpL2Normalization BuiltinOp = 11
	OpLogistic        BuiltinOp = 14
	OpMaxPool2D       BuiltinOp = 17
	OpMul             BuiltinOp = 18
	OpRelu            BuiltinOp = 19
	OpRelu6           BuiltinOp = 21
	OpReshape         BuiltinOp = 22
	OpSoftmax         BuiltinOp = 25
	OpCustom          BuiltinOp = 32
	OpPad             BuiltinOp = 34
	OpTranspose       BuiltinOp = 39
	OpMean            BuiltinOp = 40
	OpSub             BuiltinOp = 41
	OpSqueeze         BuiltinOp = 43
	OpPRelu           BuiltinOp = 54
	OpAbs             BuiltinOp = 101
)

var opNames = map[BuiltinOp]string{
	OpAdd: "ADD", OpAveragePool2D: "AVERAGE_POOL_2D", OpConcatenation: "CONCATENATION",
	OpConv2D: "CONV_2D", OpDepthwiseConv2D: "DEPTHWISE_CONV_2D", 5: "DEPTH_TO_SPACE",
	OpDequantize: "DEQUANTIZE", 7: "EMBEDDING_LOOKUP", 8: "FLOOR", OpFullyConnected: "FULLY_CONNECTED",
	10: "HASHTABLE_LOOKUP", OpL2Normalization: "L2_NORMALIZATION", 12: "L2_POOL_2D",
	13: "LOCAL_RESPONSE_NORMALIZATION", OpLogistic: "LOGISTIC", 15: "LSH_PROJECTION", 16: "LSTM",
	OpMaxPool2D: "MAX_POOL_2D", OpMul: "MUL", OpRelu: "RELU", 20: "RELU_N1_TO_1", OpRelu6: "RELU6",
	OpReshape: "RESHAPE", 23: "RESIZE_BILINEAR", 24: "RNN", OpSoftmax: "SOFTMAX", 26: "SPACE_TO_DEPTH",
	27: "SVDF", 28: "TANH", 29: "CONCAT_EMBEDDINGS", 30: "SKIP_GRAM", 31: "CALL", OpCustom: "CUSTOM",
	33: "EMBEDDING_LOOKUP_SPARSE", OpPad: "PAD", 35: "UNIDIRECTIONAL_SEQUENCE_RNN", 36: "GATHER",
	37: "BATCH_TO_SPACE_ND", 38: "SPACE_TO_BATCH_ND", OpTranspose: "TRANSPOSE", OpMean: "MEAN",
	OpSub: "SUB", 42: "DIV", OpSqueeze: "SQUEEZE", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM",
	45: "STRIDED_SLICE", 46: "BIDIRECTIONAL_SEQUENCE_RNN", 47: "EXP", 48: "TOPK_V2", 49: "SPLIT",
	50: "LOG_SOFTMAX", 51: "DELEGATE", 52: "BIDIRECTIONAL_SEQUENCE_LSTM", 53: "CAST", OpPRelu: "PRELU",
	55: "MAXIMUM", 56: "ARG_MAX", 57: "MINIMUM", 58: "LESS", 59: "NEG", 60: "PADV2", 61: "GREATER", OpAbs: "ABS",
}

func (o BuiltinOp) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("BuiltinOperator(%d)", int32(o))
}

// Padding is the schema enum Padding.
type Padding int8

// TF padding modes.
const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// Activation is the schema enum ActivationFunctionType (a fused activation).
type Activation int8

// Fused activations.
const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
)

// Conv2DOptions are CONV_2D's options (schema table Conv2DOptions).
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	Activation           Activation
	DilationW, DilationH int32
}

// DepthwiseConv2DOptions are DEPTHWISE_CONV_2D's options.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	DepthMultiplier      int32
	Activation           Activation
	DilationW, DilationH int32
}

// Conv2D decodes op's options as Conv2DOptions.
func (op Operator) Conv2D() Conv2DOptions {
	t := op.Options
	return Conv2DOptions{
		Padding: Padding(int8(t.uint8(0, 0))), StrideW: t.int32(1, 0), StrideH: t.int32(2, 0),
		Activation: Activation(int8(t.uint8(3, 0))), DilationW: t.int32(4, 1), DilationH: t.int32(5, 1),
	}
}

// DepthwiseConv2D decodes op's options as DepthwiseConv2DOptions.
func (op Operator) DepthwiseConv2D() DepthwiseConv2DOptions {
	t := op.Options
	return DepthwiseConv2DOptions{
		Padding: Padding(int8(t.uint8(0, 0))), StrideW: t.int32(1, 0), StrideH: t.int32(2, 0),
		DepthMultiplier: t.int32(3, 0), Activation: Activation(int8(t.uint8(4, 0))),
		DilationW: t.int32(5, 1), DilationH: t.int32(6, 1),
	}
}

// FusedActivation decodes the fused activation of ADD, SUB, MUL and
// FULLY_CONNECTED, whose options tables all keep it in field 0.
func (op Operator) FusedActivation() Activation { return Activation(int8(op.Options.uint8(0, 0))) }

// ReshapeNewShape decodes RESHAPE's new_shape option (nil when absent; then
// the shape comes from the op's second input).
func (op Operator) ReshapeNewShape() []int32 { return op.Options.int32s(0) }

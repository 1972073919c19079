package tflite

import (
	"fmt"

	"autogate/models/onnx"
)

// ToONNX converts the main subgraph of m to an ONNX model (opset 11) that
// OpenCV 4.6's DNN importer loads. 4-D inputs become NCHW with batch 1; the
// graph outputs keep their TFLite names. An op with no mapping gives an
// error naming it and its index. TF's decomposed PReLU
// (relu(x) + c·(x − |x|)) is folded into one PRelu.
func ToONNX(m *Model) (*onnx.Model, error) { return toONNX(m, true) }

// toONNX converts with or without folding patterns (the tests compare both).
func toONNX(m *Model, fold bool) (*onnx.Model, error) {
	if len(m.SubGraphs) == 0 {
		return nil, fmt.Errorf("tflite: model has no subgraphs")
	}
	c := &converter{m: m, sg: &m.SubGraphs[0], b: onnx.NewBuilder("tflite", onnx.DefaultOpset), val: map[int32]string{}}
	for _, in := range c.sg.Inputs {
		t := c.sg.Tensors[in]
		if t.Type != Float32 {
			return nil, fmt.Errorf("tflite: input %q is %v; only FLOAT32 inputs are supported", t.Name, t.Type)
		}
		c.val[in] = c.b.Input(c.name(in), onnxDims(t.Shape)...)
	}
	var fu fusions
	if fold {
		fu = c.findFusions()
	}
	for i, op := range c.sg.Operators {
		if fu.skip[i] {
			continue
		}
		var err error
		if p, ok := fu.prelu[i]; ok {
			var out string
			if out, err = c.foldedPRelu(p); err == nil {
				c.val[op.Outputs[0]] = out
			}
		} else {
			err = c.op(op)
		}
		if err != nil {
			return nil, fmt.Errorf("tflite: operator %d (%v): %w", i, m.Op(op), err)
		}
		if err := c.b.Err(); err != nil {
			return nil, fmt.Errorf("tflite: operator %d (%v): %w", i, m.Op(op), err)
		}
	}
	for _, out := range c.sg.Outputs {
		v, ok := c.val[out]
		if !ok {
			return nil, fmt.Errorf("tflite: output %q is produced by no operator", c.sg.Tensors[out].Name)
		}
		name := c.sg.Tensors[out].Name + "_out"
		c.b.NodeOut("Identity", []string{v}, []string{name})
		c.b.Output(name, onnxDims(c.sg.Tensors[out].Shape)...)
	}
	model, err := c.b.Model()
	if err != nil {
		return nil, fmt.Errorf("tflite: building the ONNX graph: %w", err)
	}
	return model, nil
}

type converter struct {
	m   *Model
	sg  *SubGraph
	b   *onnx.Builder
	val map[int32]string // tensor index → ONNX value holding it
}

// name is a unique ONNX value name for tensor i.
func (c *converter) name(i int32) string {
	if n := c.sg.Tensors[i].Name; n != "" {
		return n
	}
	return fmt.Sprintf("tensor_%d", i)
}

// onnxDims maps a TFLite activation shape to the ONNX one: batch forced to
// 1 (MobileFaceNet was exported with batch 2) and NHWC → NCHW.
func onnxDims(shape []int32) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	if len(d) > 0 {
		d[0] = 1
	}
	if len(d) == 4 {
		d = []int64{d[0], d[3], d[1], d[2]}
	}
	return d
}

func (c *converter) tensor(i int32) (Tensor, error) {
	if i < 0 || int(i) >= len(c.sg.Tensors) {
		return Tensor{}, fmt.Errorf("missing input tensor %d", i)
	}
	return c.sg.Tensors[i], nil
}

// activation returns the ONNX value of an activation input.
func (c *converter) activation(i int32) (string, []int32, error) {
	t, err := c.tensor(i)
	if err != nil {
		return "", nil, err
	}
	v, ok := c.val[i]
	if !ok {
		return "", nil, fmt.Errorf("input %q is neither a graph input, a constant nor an earlier output", t.Name)
	}
	return v, t.Shape, nil
}

// constant returns the float32 data of a constant input.
func (c *converter) constant(i int32) (Tensor, []float32, error) {
	t, err := c.tensor(i)
	if err != nil {
		return t, nil, err
	}
	data, ok, err := c.m.Float32s(t)
	if err != nil {
		return t, nil, err
	}
	if !ok {
		return t, nil, fmt.Errorf("input %q should be a constant but has no data", t.Name)
	}
	return t, data, nil
}

func (c *converter) isConst(i int32) bool {
	return i >= 0 && int(i) < len(c.sg.Tensors) && len(c.m.Buffers[c.sg.Tensors[i].Buffer]) > 0
}

func (c *converter) need(op Operator, ins, outs int) error {
	if len(op.Inputs) < ins || len(op.Outputs) < outs {
		return fmt.Errorf("has %d inputs and %d outputs, want at least %d and %d", len(op.Inputs), len(op.Outputs), ins, outs)
	}
	return nil
}

func (c *converter) op(op Operator) error {
	kind := c.m.Op(op)
	if err := c.need(op, 1, 1); err != nil {
		return err
	}
	var out string
	var err error
	switch kind {
	case OpConv2D:
		out, err = c.conv(op, false)
	case OpDepthwiseConv2D:
		out, err = c.conv(op, true)
	case OpAdd, OpSub, OpMul:
		out, err = c.binary(op, map[BuiltinOp]string{OpAdd: "Add", OpSub: "Sub", OpMul: "Mul"}[kind])
	case OpPRelu:
		out, err = c.prelu(op)
	case OpFullyConnected:
		out, err = c.fullyConnected(op)
	case OpReshape:
		out, err = c.reshape(op)
	case OpRelu, OpRelu6, OpAbs, OpLogistic:
		var x string
		if x, _, err = c.activation(op.Inputs[0]); err == nil {
			switch kind {
			case OpRelu:
				out = c.b.Relu(x)
			case OpRelu6:
				out = c.b.Clip(x, 0, 6)
			case OpAbs:
				out = c.b.Node("Abs", []string{x})
			case OpLogistic:
				out = c.b.Sigmoid(x)
			}
		}
	default:
		return fmt.Errorf("operator %v is not supported by the TFLite→ONNX converter (supported: CONV_2D, DEPTHWISE_CONV_2D, ADD, SUB, MUL, PRELU, FULLY_CONNECTED, RESHAPE, RELU, RELU6, ABS, LOGISTIC)", kind)
	}
	if err != nil {
		return err
	}
	c.val[op.Outputs[0]] = out
	return nil
}

// fused applies a fused activation.
func (c *converter) fused(x string, a Activation) (string, error) {
	switch a {
	case ActNone:
		return x, nil
	case ActRelu:
		return c.b.Relu(x), nil
	case ActRelu6:
		return c.b.Clip(x, 0, 6), nil
	case ActReluN1To1:
		return c.b.Clip(x, -1, 1), nil
	case ActTanh:
		return c.b.Node("Tanh", []string{x}), nil
	}
	return "", fmt.Errorf("fused activation %d is not supported", a)
}

func (c *converter) conv(op Operator, depthwise bool) (string, error) {
	if err := c.need(op, 2, 1); err != nil {
		return "", err
	}
	x, inShape, err := c.activation(op.Inputs[0])
	if err != nil {
		return "", err
	}
	wt, w, err := c.constant(op.Inputs[1])
	if err != nil {
		return "", err
	}
	if len(inShape) != 4 || len(wt.Shape) != 4 {
		return "", fmt.Errorf("input %v and weights %v must both be 4-D (NHWC, OHWI)", inShape, wt.Shape)
	}
	var p onnx.ConvParams
	var padding Padding
	var act Activation
	var dilH, dilW int32
	o, kh, kw, i := int64(wt.Shape[0]), int64(wt.Shape[1]), int64(wt.Shape[2]), int64(wt.Shape[3])
	var oihw []float32
	var wdims []int64
	if depthwise {
		opt := op.DepthwiseConv2D()
		padding, act, dilH, dilW = opt.Padding, opt.Activation, opt.DilationH, opt.DilationW
		p.Strides = []int64{int64(opt.StrideH), int64(opt.StrideW)}
		p.Group = int64(inShape[3])
		// Weights 1×H×W×(C·M) → (C·M)×1×H×W: TF's output channel c·M+m
		// is ONNX group c's m-th output, so only the axes move.
		if o != 1 || p.Group <= 0 || i%p.Group != 0 {
			return "", fmt.Errorf("depthwise weights %v do not fit %d input channels", wt.Shape, p.Group)
		}
		oihw = transpose4(w, [4]int64{1, kh, kw, i}, [4]int{3, 0, 1, 2})
		wdims = []int64{i, 1, kh, kw}
	} else {
		opt := op.Conv2D()
		padding, act, dilH, dilW = opt.Padding, opt.Activation, opt.DilationH, opt.DilationW
		p.Strides = []int64{int64(opt.StrideH), int64(opt.StrideW)}
		if i != int64(inShape[3]) {
			return "", fmt.Errorf("weights %v expect %d input channels, input %v has %d", wt.Shape, i, inShape, inShape[3])
		}
		oihw = transpose4(w, [4]int64{o, kh, kw, i}, [4]int{0, 3, 1, 2})
		wdims = []int64{o, i, kh, kw}
	}
	if p.Strides[0] < 1 || p.Strides[1] < 1 || dilH < 1 || dilW < 1 {
		return "", fmt.Errorf("strides %v and dilations [%d %d] must be positive", p.Strides, dilH, dilW)
	}
	p.Kernel = []int64{kh, kw}
	p.Dilations = []int64{int64(dilH), int64(dilW)}
	switch padding {
	case PaddingSame:
		t, b := onnx.SamePads(int64(inShape[1]), kh, p.Strides[0], int64(dilH))
		l, r := onnx.SamePads(int64(inShape[2]), kw, p.Strides[1], int64(dilW))
		p.Pads = []int64{t, l, b, r}
	case PaddingValid:
		p.Pads = []int64{0, 0, 0, 0}
	default:
		return "", fmt.Errorf("padding mode %d is neither SAME nor VALID", padding)
	}
	wname := c.b.Const(wt.Name+"_oihw", wdims, oihw)
	bias := ""
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		bt, bd, err := c.constant(op.Inputs[2])
		if err != nil {
			return "", err
		}
		bias = c.b.Const(bt.Name, []int64{int64(len(bd))}, bd)
	}
	return c.fused(c.b.Conv(x, wname, bias, p), act)
}

// transpose4 permutes a dense 4-D array of the given dims: output axis k is
// input axis perm[k].
func transpose4(src []float32, dims [4]int64, perm [4]int) []float32 {
	var od [4]int64
	for k := range od {
		od[k] = dims[perm[k]]
	}
	stride := [4]int64{dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1}
	dst := make([]float32, len(src))
	n := 0
	var idx [4]int64
	for idx[0] = 0; idx[0] < od[0]; idx[0]++ {
		for idx[1] = 0; idx[1] < od[1]; idx[1]++ {
			for idx[2] = 0; idx[2] < od[2]; idx[2]++ {
				for idx[3] = 0; idx[3] < od[3]; idx[3]++ {
					var off int64
					for k := range 4 {
						off += idx[k] * stride[perm[k]]
					}
					dst[n] = src[off]
					n++
				}
			}
		}
	}
	return dst
}

// operand returns the ONNX value for one input of an element-wise op. A
// per-channel constant ([C] or [1,1,1,C]) next to a 4-D activation becomes
// [C,1,1] so it broadcasts over NCHW.
func (c *converter) operand(i int32, other []int32) (string, error) {
	if !c.isConst(i) {
		v, _, err := c.activation(i)
		return v, err
	}
	t, data, err := c.constant(i)
	if err != nil {
		return "", err
	}
	dims := make([]int64, len(t.Shape))
	for k, d := range t.Shape {
		dims[k] = int64(d)
	}
	if len(other) == 4 && len(data) > 1 {
		if len(data) != int(other[3]) {
			return "", fmt.Errorf("constant %q %v is not per-channel for the 4-D input %v", t.Name, t.Shape, other)
		}
		dims = []int64{int64(len(data)), 1, 1}
	}
	return c.b.Const(t.Name, dims, data), nil
}

func (c *converter) shapeOf(i int32) []int32 {
	if i < 0 || int(i) >= len(c.sg.Tensors) || c.isConst(i) {
		return nil
	}
	return c.sg.Tensors[i].Shape
}

func (c *converter) binary(op Operator, onnxOp string) (string, error) {
	if err := c.need(op, 2, 1); err != nil {
		return "", err
	}
	a, b := op.Inputs[0], op.Inputs[1]
	if c.isConst(a) && c.isConst(b) {
		return "", fmt.Errorf("both inputs are constants; fold them before converting")
	}
	av, err := c.operand(a, c.shapeOf(b))
	if err != nil {
		return "", err
	}
	bv, err := c.operand(b, c.shapeOf(a))
	if err != nil {
		return "", err
	}
	return c.fused(c.b.Node(onnxOp, []string{av, bv}), op.FusedActivation())
}

func (c *converter) prelu(op Operator) (string, error) {
	if err := c.need(op, 2, 1); err != nil {
		return "", err
	}
	x, shape, err := c.activation(op.Inputs[0])
	if err != nil {
		return "", err
	}
	slope, err := c.operand(op.Inputs[1], shape)
	if err != nil {
		return "", err
	}
	return c.b.PRelu(x, slope), nil
}

// flattenNHWC turns a 4-D NCHW activation back into TF's NHWC order and
// flattens it to [1, H·W·C], the layout TF's reshape and dense layers see.
func (c *converter) flattenNHWC(x string, shape []int32) string {
	if len(shape) == 4 {
		x = c.b.Transpose(x, 0, 2, 3, 1)
	}
	return c.b.Reshape(x, 1, -1)
}

func (c *converter) fullyConnected(op Operator) (string, error) {
	if err := c.need(op, 2, 1); err != nil {
		return "", err
	}
	x, shape, err := c.activation(op.Inputs[0])
	if err != nil {
		return "", err
	}
	wt, w, err := c.constant(op.Inputs[1])
	if err != nil {
		return "", err
	}
	if len(wt.Shape) != 2 {
		return "", fmt.Errorf("weights %q %v must be 2-D [out, in]", wt.Name, wt.Shape)
	}
	wname := c.b.Const(wt.Name, []int64{int64(wt.Shape[0]), int64(wt.Shape[1])}, w)
	bias := ""
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		bt, bd, err := c.constant(op.Inputs[2])
		if err != nil {
			return "", err
		}
		bias = c.b.Const(bt.Name, []int64{int64(len(bd))}, bd)
	}
	y := c.b.Gemm(c.flattenNHWC(x, shape), wname, bias, onnx.GemmParams{TransB: true})
	return c.fused(y, op.FusedActivation())
}

func (c *converter) reshape(op Operator) (string, error) {
	x, shape, err := c.activation(op.Inputs[0])
	if err != nil {
		return "", err
	}
	out := c.sg.Tensors[op.Outputs[0]].Shape
	if len(out) == 0 {
		return "", fmt.Errorf("output %q has no shape", c.sg.Tensors[op.Outputs[0]].Name)
	}
	// The output tensor's static shape is authoritative; the batch is 1.
	dims := make([]int64, len(out))
	for k, d := range out {
		dims[k] = int64(d)
	}
	dims[0] = 1
	if len(shape) == 4 {
		x = c.b.Transpose(x, 0, 2, 3, 1)
	}
	y := c.b.Reshape(x, dims...)
	if len(out) == 4 {
		y = c.b.Transpose(y, 0, 3, 1, 2)
	}
	return y, nil
}

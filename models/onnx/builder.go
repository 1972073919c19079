package onnx

import (
	"errors"
	"fmt"
)

// Defaults that OpenCV 4.6's DNN importer and onnxruntime both load.
const (
	DefaultIRVersion = 6
	DefaultOpset     = 11
	Producer         = "autogate"
)

// AttrI makes an int attribute.
func AttrI(name string, v int64) *Attribute { return &Attribute{Name: name, Type: AttrInt, I: v} }

// AttrIs makes an ints attribute.
func AttrIs(name string, v ...int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInts, Ints: append([]int64(nil), v...)}
}

// AttrF makes a float attribute.
func AttrF(name string, v float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloat, F: v}
}

// AttrFs makes a floats attribute.
func AttrFs(name string, v ...float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloats, Floats: append([]float32(nil), v...)}
}

// AttrS makes a string attribute.
func AttrS(name, v string) *Attribute {
	return &Attribute{Name: name, Type: AttrString, S: []byte(v)}
}

// AttrT makes a tensor attribute (e.g. Constant's value).
func AttrT(name string, t *Tensor) *Attribute {
	return &Attribute{Name: name, Type: AttrTensor, T: t}
}

// Builder assembles a graph node by node. Each op helper returns the name of
// its output value so calls chain; the first error (bad weights, duplicate
// name) sticks and is returned by Model, so call sites need no checks.
type Builder struct {
	opset int64
	graph *Graph
	names map[string]bool
	seq   map[string]int
	err   error
}

// NewBuilder starts a graph for the given default-domain opset (the op
// helpers pick their encoding from it, e.g. Pad's pads attribute vs input).
func NewBuilder(graphName string, opset int64) *Builder {
	return &Builder{opset: opset, graph: &Graph{Name: graphName}, names: map[string]bool{}, seq: map[string]int{}}
}

// Opset is the builder's default-domain opset.
func (b *Builder) Opset() int64 { return b.opset }

// Err is the first error recorded so far.
func (b *Builder) Err() error { return b.err }

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Builder) claim(name string) string {
	if name == "" {
		b.fail(errors.New("onnx: empty value name"))
	} else if b.names[name] {
		b.fail(fmt.Errorf("onnx: graph %q: value %q is defined twice", b.graph.Name, name))
	}
	b.names[name] = true
	return name
}

// fresh makes a unique value name from a prefix.
func (b *Builder) fresh(prefix string) string {
	for {
		b.seq[prefix]++
		name := fmt.Sprintf("%s_%d", prefix, b.seq[prefix])
		if !b.names[name] {
			return name
		}
	}
}

func shapeOf(dims []int64) []Dim {
	s := make([]Dim, len(dims))
	for i, d := range dims {
		if d < 0 {
			s[i] = Dim{Param: fmt.Sprintf("d%d", i)}
		} else {
			s[i] = Dim{Value: d}
		}
	}
	return s
}

// Input declares a float32 graph input; a negative dim is symbolic.
func (b *Builder) Input(name string, dims ...int64) string {
	b.graph.Inputs = append(b.graph.Inputs, &ValueInfo{Name: b.claim(name), ElemType: Float, Shape: shapeOf(dims)})
	return name
}

// Output declares an existing value as a float32 graph output; with no dims
// its shape is left unknown.
func (b *Builder) Output(value string, dims ...int64) {
	if !b.names[value] {
		b.fail(fmt.Errorf("onnx: graph %q: output %q is not a value of the graph", b.graph.Name, value))
	}
	vi := &ValueInfo{Name: value, ElemType: Float}
	if len(dims) > 0 {
		vi.Shape = shapeOf(dims)
	}
	b.graph.Outputs = append(b.graph.Outputs, vi)
}

// Const adds a float32 initializer and returns its name.
func (b *Builder) Const(name string, dims []int64, data []float32) string {
	t, err := FloatTensor(b.claim(name), dims, data)
	if err != nil {
		b.fail(err)
		return name
	}
	b.graph.Initializers = append(b.graph.Initializers, t)
	return name
}

// ConstInt64 adds an int64 initializer (shapes, pads) and returns its name.
func (b *Builder) ConstInt64(name string, dims []int64, data []int64) string {
	t, err := Int64Tensor(b.claim(name), dims, data)
	if err != nil {
		b.fail(err)
		return name
	}
	b.graph.Initializers = append(b.graph.Initializers, t)
	return name
}

// Node appends a node with one output, named after the op, and returns it.
func (b *Builder) Node(opType string, inputs []string, attrs ...*Attribute) string {
	out := b.claim(b.fresh(opType))
	b.addNode(opType, inputs, []string{out}, attrs)
	return out
}

// NodeOut appends a node with explicitly named outputs.
func (b *Builder) NodeOut(opType string, inputs, outputs []string, attrs ...*Attribute) {
	if len(outputs) == 0 {
		b.fail(fmt.Errorf("onnx: graph %q: %s node without outputs", b.graph.Name, opType))
		return
	}
	for _, out := range outputs {
		b.claim(out)
	}
	b.addNode(opType, inputs, outputs, attrs)
}

func (b *Builder) addNode(opType string, inputs, outputs []string, attrs []*Attribute) {
	for _, in := range inputs {
		if in != "" && !b.names[in] {
			b.fail(fmt.Errorf("onnx: graph %q: %s input %q is not defined before use", b.graph.Name, opType, in))
		}
	}
	b.graph.Nodes = append(b.graph.Nodes, &Node{
		Name:       outputs[0],
		OpType:     opType,
		Inputs:     append([]string(nil), inputs...),
		Outputs:    append([]string(nil), outputs...),
		Attributes: attrs,
	})
}

// Graph returns the graph built so far, or the first error.
func (b *Builder) Graph() (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.graph.Outputs) == 0 {
		return nil, fmt.Errorf("onnx: graph %q has no outputs: call Output", b.graph.Name)
	}
	return b.graph, nil
}

// Model wraps the graph in a ModelProto with IR version 6 and the builder's
// opset.
func (b *Builder) Model() (*Model, error) {
	g, err := b.Graph()
	if err != nil {
		return nil, err
	}
	return &Model{
		IRVersion:    DefaultIRVersion,
		Opsets:       []OpsetID{{Version: b.opset}},
		ProducerName: Producer,
		Graph:        g,
	}, nil
}

// ConvParams are Conv's attributes. Pads are ONNX order
// [top, left, bottom, right]; TF's SAME padding puts the odd extra row and
// column at the bottom/right, so it is asymmetric and must be spelled out
// here (see SamePads). Zero values mean the ONNX defaults.
type ConvParams struct {
	Kernel    []int64
	Strides   []int64
	Pads      []int64
	Dilations []int64
	Group     int64
}

func (p ConvParams) attrs() []*Attribute {
	var a []*Attribute
	if len(p.Kernel) > 0 {
		a = append(a, AttrIs("kernel_shape", p.Kernel...))
	}
	if len(p.Strides) > 0 {
		a = append(a, AttrIs("strides", p.Strides...))
	}
	if len(p.Pads) > 0 {
		a = append(a, AttrIs("pads", p.Pads...))
	}
	if len(p.Dilations) > 0 {
		a = append(a, AttrIs("dilations", p.Dilations...))
	}
	if p.Group > 1 {
		a = append(a, AttrI("group", p.Group))
	}
	return a
}

// SamePads computes TF "SAME" padding for one spatial axis of the given
// input size: the total padding is split with the extra element at the end.
// It returns (begin, end).
func SamePads(in, kernel, stride, dilation int64) (begin, end int64) {
	if stride < 1 {
		stride = 1
	}
	if dilation < 1 {
		dilation = 1
	}
	out := (in + stride - 1) / stride
	eff := (kernel-1)*dilation + 1
	total := max((out-1)*stride+eff-in, 0)
	return total / 2, total - total/2
}

// Conv is a 2-D convolution with weights w (OIHW, O×(C/group)×kH×kW) and an
// optional bias ("" for none).
func (b *Builder) Conv(x, w, bias string, p ConvParams) string {
	in := []string{x, w}
	if bias != "" {
		in = append(in, bias)
	}
	return b.Node("Conv", in, p.attrs()...)
}

// Relu is max(x, 0).
func (b *Builder) Relu(x string) string { return b.Node("Relu", []string{x}) }

// PRelu is x for x ≥ 0 and slope·x otherwise; for NCHW input give the slope
// shape [C,1,1] (what OpenCV's importer maps to a per-channel PReLU).
func (b *Builder) PRelu(x, slope string) string { return b.Node("PRelu", []string{x, slope}) }

// Sigmoid is 1/(1+e^-x).
func (b *Builder) Sigmoid(x string) string { return b.Node("Sigmoid", []string{x}) }

// Add is element-wise a+b with numpy broadcasting.
func (b *Builder) Add(x, y string) string { return b.Node("Add", []string{x, y}) }

// Sub is element-wise a−b with numpy broadcasting.
func (b *Builder) Sub(x, y string) string { return b.Node("Sub", []string{x, y}) }

// Mul is element-wise a·b with numpy broadcasting.
func (b *Builder) Mul(x, y string) string { return b.Node("Mul", []string{x, y}) }

// PoolParams are MaxPool/AveragePool attributes; Pads as in ConvParams.
// CountIncludePad only matters for AveragePool.
type PoolParams struct {
	Kernel          []int64
	Strides         []int64
	Pads            []int64
	CeilMode        bool
	CountIncludePad bool
}

func (p PoolParams) attrs(avg bool) []*Attribute {
	a := []*Attribute{AttrIs("kernel_shape", p.Kernel...)}
	if len(p.Strides) > 0 {
		a = append(a, AttrIs("strides", p.Strides...))
	}
	if len(p.Pads) > 0 {
		a = append(a, AttrIs("pads", p.Pads...))
	}
	if p.CeilMode {
		a = append(a, AttrI("ceil_mode", 1))
	}
	if avg && p.CountIncludePad {
		a = append(a, AttrI("count_include_pad", 1))
	}
	return a
}

// MaxPool is 2-D max pooling.
func (b *Builder) MaxPool(x string, p PoolParams) string {
	if len(p.Kernel) == 0 {
		b.fail(errors.New("onnx: MaxPool needs a kernel shape"))
	}
	return b.Node("MaxPool", []string{x}, p.attrs(false)...)
}

// AveragePool is 2-D average pooling.
func (b *Builder) AveragePool(x string, p PoolParams) string {
	if len(p.Kernel) == 0 {
		b.fail(errors.New("onnx: AveragePool needs a kernel shape"))
	}
	return b.Node("AveragePool", []string{x}, p.attrs(true)...)
}

// GlobalAveragePool averages each channel over H and W (N×C×1×1).
func (b *Builder) GlobalAveragePool(x string) string {
	return b.Node("GlobalAveragePool", []string{x})
}

// BatchNormalization is inference-mode batch norm:
// scale·(x−mean)/sqrt(var+epsilon)+bias, per channel.
func (b *Builder) BatchNormalization(x, scale, bias, mean, variance string, epsilon float32) string {
	return b.Node("BatchNormalization", []string{x, scale, bias, mean, variance}, AttrF("epsilon", epsilon))
}

// GemmParams are Gemm's attributes; zero Alpha/Beta mean 1.
type GemmParams struct {
	Alpha, Beta    float32
	TransA, TransB bool
}

// Gemm is alpha·A'·B' + beta·C, with c "" for no bias. TF's MatMul with
// [in,out] weights becomes Gemm with the weights stored [out,in] and
// TransB set.
func (b *Builder) Gemm(a, bm, c string, p GemmParams) string {
	in := []string{a, bm}
	if c != "" {
		in = append(in, c)
	}
	var at []*Attribute
	if p.Alpha != 0 && p.Alpha != 1 {
		at = append(at, AttrF("alpha", p.Alpha))
	}
	if p.Beta != 0 && p.Beta != 1 {
		at = append(at, AttrF("beta", p.Beta))
	}
	if p.TransA {
		at = append(at, AttrI("transA", 1))
	}
	if p.TransB {
		at = append(at, AttrI("transB", 1))
	}
	return b.Node("Gemm", in, at...)
}

// MatMul is numpy matmul.
func (b *Builder) MatMul(x, y string) string { return b.Node("MatMul", []string{x, y}) }

// Reshape reshapes x to the given dims (0 copies the input dim, −1 is
// inferred); the shape becomes an int64 initializer (opset ≥ 5 form).
func (b *Builder) Reshape(x string, dims ...int64) string {
	shape := b.ConstInt64(b.fresh("shape"), []int64{int64(len(dims))}, dims)
	return b.Node("Reshape", []string{x, shape})
}

// Flatten reshapes x to 2-D, splitting the dims before axis from the rest.
func (b *Builder) Flatten(x string, axis int64) string {
	return b.Node("Flatten", []string{x}, AttrI("axis", axis))
}

// Concat joins xs along axis.
func (b *Builder) Concat(axis int64, xs ...string) string {
	return b.Node("Concat", xs, AttrI("axis", axis))
}

// Transpose permutes the dims of x (e.g. 0,2,3,1 for NCHW→NHWC, which keeps
// TF's flatten order before a Reshape).
func (b *Builder) Transpose(x string, perm ...int64) string {
	return b.Node("Transpose", []string{x}, AttrIs("perm", perm...))
}

// Clip bounds x to [lo, hi] with min/max as attributes: the opset ≤ 10 form.
// OpenCV 4.6 refuses the opset-11 input form ("input_size()==1"), so this
// form is written whatever the builder's opset; ReLU6 is Clip(x, 0, 6).
func (b *Builder) Clip(x string, lo, hi float32) string {
	return b.Node("Clip", []string{x}, AttrF("min", lo), AttrF("max", hi))
}

// Softmax normalises along axis (opset < 13: the dims from axis on are
// flattened, which for a 2-D N×K input and axis 1 is the usual softmax).
func (b *Builder) Softmax(x string, axis int64) string {
	return b.Node("Softmax", []string{x}, AttrI("axis", axis))
}

// Pad pads x with a constant. pads is ONNX order: all begins then all ends
// (for NCHW: [0,0,top,left, 0,0,bottom,right]). Opset ≥ 11 takes pads and
// value as inputs, older opsets as attributes.
func (b *Builder) Pad(x string, pads []int64, value float32) string {
	if b.opset >= 11 {
		p := b.ConstInt64(b.fresh("pads"), []int64{int64(len(pads))}, pads)
		in := []string{x, p}
		if value != 0 {
			in = append(in, b.Const(b.fresh("pad_value"), nil, []float32{value}))
		}
		return b.Node("Pad", in, AttrS("mode", "constant"))
	}
	return b.Node("Pad", []string{x}, AttrS("mode", "constant"), AttrIs("pads", pads...), AttrF("value", value))
}

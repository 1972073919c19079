package tfjsgraph

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// Options steer Convert. The zero value converts every graph output under
// its TF name.
type Options struct {
	// InputShapes gives the NHWC shape of a placeholder by name, for graphs
	// that leave spatial dims unknown (or to override them). Without it the
	// placeholder's own shape is used, an unknown batch becoming 1.
	InputShapes map[string][]int64
	// Outputs are the ONNX graph outputs. Empty means one per TF graph
	// output (the signature's outputs, else the nodes nobody consumes).
	Outputs []Output
}

// Output is one ONNX graph output made of one TF tensor, or several joined
// with Concat (e.g. the per-stride heads of a detector).
type Output struct {
	Name string
	// From names the TF nodes (optionally with ":0").
	From []string
	// Axis is the concatenation axis in TF's layout (NHWC for 4-D).
	Axis int
}

// Supported lists the TF ops Convert maps.
var Supported = []string{
	"Placeholder", "Const", "Identity",
	"Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative",
	"AddV2", "Add", "Relu", "Relu6", "MaxPool", "Pad", "Reshape",
	"Mul", "MatMul", "_FusedMatMul", "Sigmoid", "Softmax",
}

// value is a converted TF tensor: its ONNX name and TF shape. A 4-D value
// is NHWC in TF and NCHW in ONNX; other ranks keep TF's layout.
type value struct {
	name  string
	shape []int64
}

type converter struct {
	m      *Model
	w      map[string]tfjs.Tensor
	opt    Options
	b      *onnx.Builder
	nodes  map[string]*Node
	vals   map[string]value
	consts map[string]string // ONNX initializer per TF const and layout
}

// Convert maps the graph to an ONNX model (opset 11) that OpenCV 4.6's DNN
// importer loads, with weights from Load or tfjs.Decode. 4-D activations
// become NCHW with batch 1. Only the nodes the outputs depend on are
// converted; an op outside Supported gives an error naming it and the node.
func Convert(m *Model, weights map[string]tfjs.Tensor, opt Options) (*onnx.Model, error) {
	c := &converter{m: m, w: weights, opt: opt, b: onnx.NewBuilder("tfjs_graph", onnx.DefaultOpset),
		nodes: make(map[string]*Node, len(m.Nodes)), vals: map[string]value{}, consts: map[string]string{}}
	for i := range m.Nodes {
		c.nodes[m.Nodes[i].Name] = &m.Nodes[i]
	}
	outs := opt.Outputs
	if len(outs) == 0 {
		outs = c.defaultOutputs()
		if len(outs) == 0 {
			return nil, errors.New("tfjsgraph: the graph has no outputs")
		}
	}
	var roots []string
	for _, o := range outs {
		if o.Name == "" || len(o.From) == 0 {
			return nil, fmt.Errorf("tfjsgraph: output %q needs a name and at least one source", o.Name)
		}
		for _, f := range o.From {
			name, err := tensorRef(f)
			if err != nil {
				return nil, fmt.Errorf("tfjsgraph: output %q: %w", o.Name, err)
			}
			roots = append(roots, name)
		}
	}
	order, err := c.topoOrder(roots)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		if err := c.node(n); err != nil {
			return nil, fmt.Errorf("tfjsgraph: node %q (%s): %w", n.Name, n.Op, err)
		}
		if err := c.b.Err(); err != nil {
			return nil, fmt.Errorf("tfjsgraph: node %q (%s): %w", n.Name, n.Op, err)
		}
	}
	for _, o := range outs {
		if err := c.output(o); err != nil {
			return nil, fmt.Errorf("tfjsgraph: output %q: %w", o.Name, err)
		}
	}
	model, err := c.b.Model()
	if err != nil {
		return nil, fmt.Errorf("tfjsgraph: building the ONNX graph: %w", err)
	}
	return model, nil
}

// defaultOutputs are the signature outputs, or else the sink nodes.
func (c *converter) defaultOutputs() []Output {
	var names []string
	for _, s := range c.m.SignatureOutputs {
		if c.nodes[s] == nil {
			names = nil
			break
		}
		names = append(names, s)
	}
	if len(names) == 0 {
		used := map[string]bool{}
		for _, n := range c.m.Nodes {
			for _, in := range n.Input {
				if name, err := tensorRef(in); err == nil {
					used[name] = true
				}
			}
		}
		for _, n := range c.m.Nodes {
			if !used[n.Name] && n.Op != "Const" && n.Op != "NoOp" {
				names = append(names, n.Name)
			}
		}
	}
	outs := make([]Output, len(names))
	for i, n := range names {
		outs[i] = Output{Name: n, From: []string{n}}
	}
	return outs
}

// tensorRef turns a GraphDef input ("node", "node:0") into the node name.
// Only first outputs exist in the ops supported here.
func tensorRef(s string) (string, error) {
	name, idx, found := strings.Cut(s, ":")
	if name == "" || strings.HasPrefix(name, "^") {
		return "", fmt.Errorf("%q is not a tensor name", s)
	}
	if found && idx != "0" {
		return "", fmt.Errorf("tensor %q: only the first output of a node is supported", s)
	}
	return name, nil
}

// dataInputs are the node's inputs without control dependencies ("^node").
func dataInputs(n *Node) []string {
	var in []string
	for _, s := range n.Input {
		if !strings.HasPrefix(s, "^") {
			in = append(in, s)
		}
	}
	return in
}

// topoOrder returns the nodes the roots depend on, producers first. It
// walks with an explicit stack so a long chain cannot exhaust the Go stack.
func (c *converter) topoOrder(roots []string) ([]*Node, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []*Node
	type frame struct {
		n    *Node
		next int
	}
	for _, r := range roots {
		if state[r] == done {
			continue
		}
		root := c.nodes[r]
		if root == nil {
			return nil, fmt.Errorf("tfjsgraph: output source %q is not a node of the graph", r)
		}
		state[r] = visiting
		stack := []frame{{n: root}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			ins := dataInputs(top.n)
			if top.next == len(ins) {
				state[top.n.Name] = done
				order = append(order, top.n)
				stack = stack[:len(stack)-1]
				continue
			}
			ref := ins[top.next]
			top.next++
			name, err := tensorRef(ref)
			if err != nil {
				return nil, fmt.Errorf("tfjsgraph: node %q: %w", top.n.Name, err)
			}
			next := c.nodes[name]
			if next == nil {
				return nil, fmt.Errorf("tfjsgraph: node %q: input %q is not a node of the graph", top.n.Name, ref)
			}
			switch state[name] {
			case visiting:
				return nil, fmt.Errorf("tfjsgraph: node %q: the graph has a cycle through %q", top.n.Name, name)
			case 0:
				state[name] = visiting
				stack = append(stack, frame{n: next})
			}
		}
	}
	return order, nil
}

func (c *converter) node(n *Node) error {
	var v value
	var err error
	switch n.Op {
	case "Const":
		return nil // read by the ops that use it
	case "Placeholder":
		v, err = c.placeholder(n)
	case "Identity":
		if src, err := c.input(n, 0); err == nil && src.Op == "Const" {
			return nil // folded into the ops that read the constant
		}
		v, err = c.act(n, 0)
	case "Conv2D", "_FusedConv2D":
		v, err = c.conv(n, false)
	case "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		v, err = c.conv(n, true)
	case "AddV2", "Add":
		v, err = c.binary(n, c.b.Add)
	case "Mul":
		v, err = c.binary(n, c.b.Mul)
	case "MatMul", "_FusedMatMul":
		v, err = c.matMul(n)
	case "Sigmoid":
		if v, err = c.act(n, 0); err == nil {
			v.name = c.b.Sigmoid(v.name)
		}
	case "Softmax":
		v, err = c.softmax(n)
	case "Relu", "Relu6":
		if v, err = c.act(n, 0); err == nil {
			if n.Op == "Relu" {
				v.name = c.b.Relu(v.name)
			} else {
				v.name = c.b.Clip(v.name, 0, 6)
			}
		}
	case "MaxPool":
		v, err = c.maxPool(n)
	case "Pad":
		v, err = c.pad(n)
	case "Reshape":
		v, err = c.reshape(n)
	default:
		return fmt.Errorf("op %q is not supported by the TF.js graph converter (supported: %s)", n.Op, strings.Join(Supported, ", "))
	}
	if err != nil {
		return err
	}
	c.vals[n.Name] = v
	return nil
}

// Shape limits: outside files may claim any size; these keep every
// product far from overflowing int64.
const (
	maxDim   = 1 << 24
	maxElems = 1 << 40
)

func checkShape(s []int64) error {
	n := int64(1)
	for _, d := range s {
		if d < 1 || d > maxDim {
			return fmt.Errorf("shape %v: dims must lie in [1, %d]", s, maxDim)
		}
		if n *= d; n > maxElems {
			return fmt.Errorf("shape %v is too large", s)
		}
	}
	return nil
}

func numElems(s []int64) int64 {
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

// onnxDims is the ONNX shape of a TF shape: NHWC → NCHW for 4-D.
func onnxDims(s []int64) []int64 {
	if len(s) == 4 {
		return []int64{s[0], s[3], s[1], s[2]}
	}
	return slices.Clone(s)
}

func (c *converter) placeholder(n *Node) (value, error) {
	if a, ok := n.Attr["dtype"]; ok && a.Type != "" && a.Type != "DT_FLOAT" {
		return value{}, fmt.Errorf("input dtype %s: only DT_FLOAT inputs are supported", a.Type)
	}
	shape, given := c.opt.InputShapes[n.Name]
	if !given {
		a := n.Attr["shape"]
		shape = a.Shape.Dims()
		if shape == nil {
			return value{}, fmt.Errorf("input has no static shape: give it in Options.InputShapes")
		}
		shape = slices.Clone(shape)
		if len(shape) > 0 && shape[0] < 0 {
			shape[0] = 1 // batch: the ONNX model runs one image at a time
		}
	}
	if err := checkShape(shape); err != nil {
		return value{}, fmt.Errorf("input %w (give known dims in Options.InputShapes)", err)
	}
	return value{name: c.b.Input(n.Name, onnxDims(shape)...), shape: slices.Clone(shape)}, nil
}

// input returns the node producing data input i, looking through Identity
// nodes of constants.
func (c *converter) input(n *Node, i int) (*Node, error) {
	ins := dataInputs(n)
	if i >= len(ins) {
		return nil, fmt.Errorf("has %d inputs, needs at least %d", len(ins), i+1)
	}
	name, err := tensorRef(ins[i])
	if err != nil {
		return nil, err
	}
	src := c.nodes[name]
	// An Identity of a constant is still a constant.
	for probe, hops := src, 0; probe != nil && probe.Op == "Identity" && hops < len(c.nodes); hops++ {
		in := dataInputs(probe)
		if len(in) != 1 {
			break
		}
		next, err := tensorRef(in[0])
		if err != nil {
			break
		}
		if probe = c.nodes[next]; probe != nil && probe.Op == "Const" {
			src = probe
		}
	}
	if src == nil {
		return nil, fmt.Errorf("input %q is not a node of the graph", ins[i])
	}
	return src, nil
}

// act returns data input i as an activation.
func (c *converter) act(n *Node, i int) (value, error) {
	src, err := c.input(n, i)
	if err != nil {
		return value{}, err
	}
	if src.Op == "Const" {
		return value{}, fmt.Errorf("input %d (%q) is a constant; an activation is expected here", i, src.Name)
	}
	v, ok := c.vals[src.Name]
	if !ok {
		return value{}, fmt.Errorf("input %d (%q) has not been converted", i, src.Name)
	}
	return v, nil
}

// constant returns data input i as a weight of the manifest.
func (c *converter) constant(n *Node, i int) (tfjs.Tensor, error) {
	src, err := c.input(n, i)
	if err != nil {
		return tfjs.Tensor{}, err
	}
	if src.Op != "Const" {
		return tfjs.Tensor{}, fmt.Errorf("input %d (%q, a %s) must be a constant", i, src.Name, src.Op)
	}
	t, ok := c.w[src.Name]
	if !ok {
		return tfjs.Tensor{}, fmt.Errorf("constant %q is not in the weights manifest", src.Name)
	}
	n64 := int64(1)
	for _, d := range t.Shape {
		if d < 0 || d > maxDim {
			return tfjs.Tensor{}, fmt.Errorf("constant %q has shape %v", src.Name, t.Shape)
		}
		n64 *= int64(d)
	}
	if n64 != int64(t.Len()) {
		return tfjs.Tensor{}, fmt.Errorf("constant %q has shape %v but %d values", src.Name, t.Shape, t.Len())
	}
	return t, nil
}

func (c *converter) floatConst(n *Node, i int) (tfjs.Tensor, error) {
	t, err := c.constant(n, i)
	if err == nil && t.Float == nil && t.Len() > 0 {
		err = fmt.Errorf("constant %q is not float32", t.Name)
	}
	return t, err
}

func (c *converter) intConst(n *Node, i int) (tfjs.Tensor, error) {
	t, err := c.constant(n, i)
	if err == nil && t.Int == nil && t.Len() > 0 {
		err = fmt.Errorf("constant %q is not int32", t.Name)
	}
	return t, err
}

// actWithInts reads the (activation, int32 constant) inputs of Pad and
// Reshape.
func (c *converter) actWithInts(n *Node) (value, tfjs.Tensor, error) {
	x, err := c.act(n, 0)
	if err != nil {
		return value{}, tfjs.Tensor{}, err
	}
	t, err := c.intConst(n, 1)
	return x, t, err
}

// actWithFloats reads the (activation, float32 constant) inputs of the
// convolutions and MatMul.
func (c *converter) actWithFloats(n *Node) (value, tfjs.Tensor, error) {
	x, err := c.act(n, 0)
	if err != nil {
		return value{}, tfjs.Tensor{}, err
	}
	w, err := c.floatConst(n, 1)
	return x, w, err
}

// initializer adds a float initializer once per TF constant and layout.
func (c *converter) initializer(tfName, layout string, dims []int64, data []float32) string {
	key := tfName + "/" + layout
	if name, ok := c.consts[key]; ok {
		return name
	}
	name := c.b.Const(key, dims, data)
	c.consts[key] = name
	return name
}

// spatialAttr reads an NHWC attribute list (strides, dilations, ksize) whose
// batch and channel entries must be 1, returning [h, w]; def when absent.
func spatialAttr(n *Node, name string, def int64) ([2]int64, error) {
	v := n.attrInts(name)
	if len(v) == 0 {
		return [2]int64{def, def}, nil
	}
	if len(v) != 4 || v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1 || v[1] > maxDim || v[2] > maxDim {
		return [2]int64{}, fmt.Errorf("%s %v: want [1, h, w, 1] with positive h, w", name, v)
	}
	return [2]int64{v[1], v[2]}, nil
}

// window computes ONNX pads [top, left, bottom, right] and the output
// height and width of a convolution or pooling window over NHWC input in,
// following the node's padding attribute (SAME, VALID or EXPLICIT).
func window(n *Node, in []int64, kernel, strides, dil [2]int64) (pads []int64, oh, ow int64, err error) {
	if df := n.attrString("data_format"); df != "" && df != "NHWC" {
		return nil, 0, 0, fmt.Errorf("data_format %q: only NHWC is supported", df)
	}
	var begin, end [2]int64
	switch p := n.attrString("padding"); p {
	case "SAME":
		for k := range 2 {
			begin[k], end[k] = onnx.SamePads(in[1+k], kernel[k], strides[k], dil[k])
		}
	case "VALID":
	case "EXPLICIT":
		e := n.attrInts("explicit_paddings")
		if len(e) != 8 || e[0] != 0 || e[1] != 0 || e[6] != 0 || e[7] != 0 {
			return nil, 0, 0, fmt.Errorf("explicit_paddings %v: want 8 values, zero for batch and channels", e)
		}
		for k := range 2 {
			begin[k], end[k] = e[2+2*k], e[3+2*k]
			if begin[k] < 0 || end[k] < 0 || begin[k] > maxDim || end[k] > maxDim {
				return nil, 0, 0, fmt.Errorf("explicit_paddings %v must be non-negative", e)
			}
		}
	default:
		return nil, 0, 0, fmt.Errorf("padding %q: want SAME, VALID or EXPLICIT", p)
	}
	var out [2]int64
	for k := range 2 {
		eff := (kernel[k]-1)*dil[k] + 1
		span := in[1+k] + begin[k] + end[k]
		if span < eff {
			return nil, 0, 0, fmt.Errorf("window %v (dilation %v) does not fit the input %v", kernel, dil, in)
		}
		out[k] = (span-eff)/strides[k] + 1
	}
	return []int64{begin[0], begin[1], end[0], end[1]}, out[0], out[1], nil
}

// conv maps Conv2D / _FusedConv2D and the depthwise convolutions.
func (c *converter) conv(n *Node, depthwise bool) (value, error) {
	x, w, err := c.actWithFloats(n)
	if err != nil {
		return value{}, err
	}
	if len(x.shape) != 4 || len(w.Shape) != 4 {
		return value{}, fmt.Errorf("input %v and filter %v must both be 4-D (NHWC, HWIO)", x.shape, w.Shape)
	}
	kh, kw, ci, co := int64(w.Shape[0]), int64(w.Shape[1]), int64(w.Shape[2]), int64(w.Shape[3])
	if err := checkShape([]int64{kh, kw, ci, co}); err != nil {
		return value{}, fmt.Errorf("filter %q: %w", w.Name, err)
	}
	if ci != x.shape[3] {
		return value{}, fmt.Errorf("filter %v expects %d input channels, the input %v has %d", w.Shape, ci, x.shape, x.shape[3])
	}
	strides, err := spatialAttr(n, "strides", 1)
	if err != nil {
		return value{}, err
	}
	dil, err := spatialAttr(n, "dilations", 1)
	if err != nil {
		return value{}, err
	}
	pads, oh, ow, err := window(n, x.shape, [2]int64{kh, kw}, strides, dil)
	if err != nil {
		return value{}, err
	}
	p := onnx.ConvParams{Kernel: []int64{kh, kw}, Strides: strides[:], Dilations: dil[:], Pads: pads}
	var wname string
	outC := co
	if depthwise {
		// H×W×C×M → (C·M)×1×H×W: TF's output channel c·M+m is ONNX group
		// c's m-th filter, so flattening C·M keeps the order.
		outC = ci * co
		p.Group = ci
		wname = c.initializer(w.Name, "depthwise_oihw", []int64{outC, 1, kh, kw},
			permute(w.Float, []int64{kh, kw, outC}, []int{2, 0, 1}))
	} else {
		wname = c.initializer(w.Name, "oihw", []int64{co, ci, kh, kw},
			permute(w.Float, []int64{kh, kw, ci, co}, []int{3, 2, 0, 1}))
	}
	out := value{shape: []int64{x.shape[0], oh, ow, outC}}
	if err := checkShape(out.shape); err != nil {
		return value{}, err
	}
	err = c.fused(n, &out, outC, []int64{outC, 1, 1}, func(bias string) string { return c.b.Conv(x.name, wname, bias, p) })
	return out, err
}

// fused builds a node with node(bias) — bias "" when the op has no
// fused_ops — and applies the fused BiasAdd's activation (Relu, Relu6, or
// Prelu when slopeDims gives the ONNX shape of its alpha; nil refuses it).
func (c *converter) fused(n *Node, out *value, outC int64, slopeDims []int64, node func(bias string) string) error {
	ops := n.attrStrings("fused_ops")
	if len(ops) == 0 {
		if len(dataInputs(n)) > 2 {
			return fmt.Errorf("has %d inputs but no fused_ops", len(dataInputs(n)))
		}
		out.name = node("")
		return nil
	}
	if ops[0] != "BiasAdd" || len(ops) > 2 {
		return fmt.Errorf("fused_ops %q: only BiasAdd optionally followed by Relu, Relu6 or Prelu is supported", ops)
	}
	b, err := c.floatConst(n, 2)
	if err != nil {
		return err
	}
	if int64(len(b.Float)) != outC {
		return fmt.Errorf("bias %q has %d values for %d output channels", b.Name, len(b.Float), outC)
	}
	out.name = node(c.initializer(b.Name, "bias", []int64{outC}, b.Float))
	if len(ops) == 1 {
		return nil
	}
	switch {
	case ops[1] == "Relu":
		out.name = c.b.Relu(out.name)
	case ops[1] == "Relu6":
		out.name = c.b.Clip(out.name, 0, 6)
	case ops[1] == "Prelu" && slopeDims != nil:
		a, err := c.floatConst(n, 3)
		if err != nil {
			return err
		}
		if int64(len(a.Float)) != outC {
			return fmt.Errorf("PReLU alpha %q has %d values for %d channels", a.Name, len(a.Float), outC)
		}
		out.name = c.b.PRelu(out.name, c.initializer(a.Name, "slope", slopeDims, a.Float))
	default:
		return fmt.Errorf("fused activation %q: only Relu, Relu6 and Prelu are supported", ops[1])
	}
	return nil
}

// permute transposes a dense array of the given dims: output axis k is
// input axis perm[k].
func permute(src []float32, dims []int64, perm []int) []float32 {
	r := len(dims)
	stride := make([]int64, r)
	s := int64(1)
	for k := r - 1; k >= 0; k-- {
		stride[k] = s
		s *= dims[k]
	}
	od := make([]int64, r)
	for k, p := range perm {
		od[k] = dims[p]
	}
	dst := make([]float32, len(src))
	idx := make([]int64, r)
	for n := range dst {
		var off int64
		for k := range r {
			off += idx[k] * stride[perm[k]]
		}
		dst[n] = src[off]
		for k := r - 1; k >= 0; k-- { // odometer increment over od
			if idx[k]++; idx[k] < od[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dst
}

func (c *converter) maxPool(n *Node) (value, error) {
	x, err := c.act(n, 0)
	if err != nil {
		return value{}, err
	}
	if len(x.shape) != 4 {
		return value{}, fmt.Errorf("input %v must be 4-D NHWC", x.shape)
	}
	k, err := spatialAttr(n, "ksize", 0)
	if err == nil && k[0] == 0 {
		err = errors.New("ksize is missing")
	}
	if err != nil {
		return value{}, err
	}
	strides, err := spatialAttr(n, "strides", 1)
	if err != nil {
		return value{}, err
	}
	// ONNX MaxPool pads with −∞ like TF's SAME, so the pads carry over.
	pads, oh, ow, err := window(n, x.shape, k, strides, [2]int64{1, 1})
	if err != nil {
		return value{}, err
	}
	out := value{shape: []int64{x.shape[0], oh, ow, x.shape[3]}}
	out.name = c.b.MaxPool(x.name, onnx.PoolParams{Kernel: k[:], Strides: strides[:], Pads: pads})
	return out, nil
}

// binary maps AddV2/Add/Mul (op builds the ONNX node) of two activations,
// or of an activation and a scalar or per-channel constant — the form Keras
// batch normalisation takes once TF.js has folded it (Mul, then Add).
func (c *converter) binary(n *Node, op func(x, y string) string) (value, error) {
	var vs [2]value
	var cst []int
	for i := range 2 {
		src, err := c.input(n, i)
		if err != nil {
			return value{}, err
		}
		if src.Op == "Const" {
			cst = append(cst, i)
			continue
		}
		if vs[i], err = c.act(n, i); err != nil {
			return value{}, err
		}
	}
	switch len(cst) {
	case 2:
		return value{}, errors.New("both inputs are constants; fold them before converting")
	case 1:
		i := cst[0]
		x := vs[1-i]
		t, err := c.floatConst(n, i)
		if err != nil {
			return value{}, err
		}
		dims, err := broadcastConst(t, x.shape)
		if err != nil {
			return value{}, err
		}
		return value{name: op(x.name, c.initializer(t.Name, "operand", dims, t.Float)), shape: x.shape}, nil
	}
	a, b := vs[0], vs[1]
	if !slices.Equal(a.shape, b.shape) {
		// Broadcasting between activations would need the same layout
		// mapping on both sides; BlazeFace-like graphs never do it.
		return value{}, fmt.Errorf("inputs have shapes %v and %v; only equal shapes are supported", a.shape, b.shape)
	}
	return value{name: op(a.name, b.name), shape: a.shape}, nil
}

// matMul maps MatMul / _FusedMatMul of a 2-D activation and a constant
// weight matrix (a Keras Dense layer) to Gemm, with the fused BiasAdd and
// activation.
func (c *converter) matMul(n *Node) (value, error) {
	x, w, err := c.actWithFloats(n)
	if err != nil {
		return value{}, err
	}
	if len(x.shape) != 2 || len(w.Shape) != 2 {
		return value{}, fmt.Errorf("input %v and weights %v must both be 2-D", x.shape, w.Shape)
	}
	if n.attrBool("transpose_a") {
		return value{}, errors.New("transpose_a is not supported")
	}
	k, m := int64(w.Shape[0]), int64(w.Shape[1])
	transB := n.attrBool("transpose_b")
	if transB {
		k, m = m, k
	}
	if k != x.shape[1] {
		return value{}, fmt.Errorf("weights %v (transpose_b %v) do not fit the input %v", w.Shape, transB, x.shape)
	}
	// Gemm with TransB reads the weights as [out, in], TF's transposed form.
	data := w.Float
	layout := "gemm"
	if !transB {
		data = permute(w.Float, []int64{k, m}, []int{1, 0})
		layout = "gemm_t"
	}
	wname := c.initializer(w.Name, layout, []int64{m, k}, data)
	out := value{shape: []int64{x.shape[0], m}}
	// No fused Prelu: no TF.js model met so far has one after a MatMul, and
	// OpenCV's handling of it after Gemm is untested.
	err = c.fused(n, &out, m, nil, func(bias string) string {
		return c.b.Gemm(x.name, wname, bias, onnx.GemmParams{TransB: true})
	})
	return out, err
}

// softmax maps Softmax over TF's last axis of a 2-D activation (a
// classifier head): ONNX opset-11 Softmax flattens from its axis on, which
// matches TF only when that axis is the last one.
func (c *converter) softmax(n *Node) (value, error) {
	x, err := c.act(n, 0)
	if err != nil {
		return value{}, err
	}
	if len(x.shape) != 2 {
		return value{}, fmt.Errorf("input %v: only 2-D softmax is supported", x.shape)
	}
	return value{name: c.b.Softmax(x.name, 1), shape: x.shape}, nil
}

// broadcastConst returns the ONNX dims of a constant added to an activation
// of TF shape x: a scalar, or per-channel (TF's last axis) which for NCHW
// becomes [1,C,1,1].
func broadcastConst(t tfjs.Tensor, x []int64) ([]int64, error) {
	n := int64(len(t.Float))
	switch {
	case n == 1:
		return []int64{1}, nil
	case len(x) > 0 && n == x[len(x)-1]:
		for _, d := range t.Shape[:max(len(t.Shape)-1, 0)] {
			if d != 1 {
				return nil, fmt.Errorf("constant %q %v is neither a scalar nor per-channel for %v", t.Name, t.Shape, x)
			}
		}
		if len(x) == 4 {
			return []int64{1, n, 1, 1}, nil
		}
		return []int64{n}, nil
	}
	return nil, fmt.Errorf("constant %q %v is neither a scalar nor per-channel for %v", t.Name, t.Shape, x)
}

// pad maps Pad with constant zero; NHWC paddings become NCHW pads, channel
// padding included (BlazeFace widens its residual shortcuts that way).
func (c *converter) pad(n *Node) (value, error) {
	x, p, err := c.actWithInts(n)
	if err != nil {
		return value{}, err
	}
	r := len(x.shape)
	if len(p.Int) != 2*r {
		return value{}, fmt.Errorf("paddings %q %v do not fit the rank-%d input", p.Name, p.Shape, r)
	}
	out := value{shape: slices.Clone(x.shape)}
	begin, end := make([]int64, r), make([]int64, r)
	for k := range r {
		begin[k], end[k] = int64(p.Int[2*k]), int64(p.Int[2*k+1])
		if begin[k] < 0 || end[k] < 0 {
			return value{}, fmt.Errorf("paddings %v: negative padding is not supported", p.Int)
		}
		out.shape[k] += begin[k] + end[k]
	}
	if err := checkShape(out.shape); err != nil {
		return value{}, err
	}
	if slices.Equal(out.shape, x.shape) {
		out.name = x.name
		return out, nil
	}
	pads := append(onnxDims(begin), onnxDims(end)...)
	out.name = c.b.Pad(x.name, pads, 0)
	return out, nil
}

// reshape keeps TF's element order: a 4-D input goes back to NHWC before the
// Reshape, and a 4-D result is turned to NCHW after it.
func (c *converter) reshape(n *Node) (value, error) {
	x, s, err := c.actWithInts(n)
	if err != nil {
		return value{}, err
	}
	if len(s.Shape) != 1 || len(s.Int) == 0 {
		return value{}, fmt.Errorf("shape %q %v must be a non-empty 1-D constant", s.Name, s.Shape)
	}
	shape := make([]int64, len(s.Int))
	infer := -1
	known := int64(1)
	for k, d := range s.Int {
		switch {
		case d == -1 && infer < 0:
			infer = k
		case d < 1:
			return value{}, fmt.Errorf("shape %v: dims must be positive, with at most one −1", s.Int)
		default:
			shape[k] = int64(d)
			if known *= int64(d); known > maxElems {
				return value{}, fmt.Errorf("shape %v is too large", s.Int)
			}
		}
	}
	total := numElems(x.shape)
	if infer >= 0 {
		if total%known != 0 {
			return value{}, fmt.Errorf("cannot reshape %v to %v", x.shape, s.Int)
		}
		shape[infer] = total / known
	}
	if numElems(shape) != total {
		return value{}, fmt.Errorf("cannot reshape %v (%d values) to %v", x.shape, total, s.Int)
	}
	if err := checkShape(shape); err != nil {
		return value{}, err
	}
	v := x.name
	if len(x.shape) == 4 {
		v = c.b.Transpose(v, 0, 2, 3, 1)
	}
	v = c.b.Reshape(v, shape...)
	if len(shape) == 4 {
		v = c.b.Transpose(v, 0, 3, 1, 2)
	}
	return value{name: v, shape: shape}, nil
}

// output declares one ONNX output, concatenating several sources along the
// TF axis mapped to the ONNX layout.
func (c *converter) output(o Output) error {
	var srcs []value
	for _, f := range o.From {
		name, err := tensorRef(f)
		if err != nil {
			return err
		}
		v, ok := c.vals[name]
		if !ok {
			return fmt.Errorf("source %q is a constant or was not converted", f)
		}
		srcs = append(srcs, v)
	}
	shape := slices.Clone(srcs[0].shape)
	r := len(shape)
	if len(srcs) == 1 {
		c.b.NodeOut("Identity", []string{srcs[0].name}, []string{o.Name})
		c.b.Output(o.Name, onnxDims(shape)...)
		return c.b.Err()
	}
	axis := o.Axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return fmt.Errorf("axis %d is out of range for rank %d", o.Axis, r)
	}
	names := []string{srcs[0].name}
	for _, v := range srcs[1:] {
		if len(v.shape) != r {
			return fmt.Errorf("cannot concatenate shapes %v and %v", srcs[0].shape, v.shape)
		}
		for k := range r {
			if k != axis && v.shape[k] != shape[k] {
				return fmt.Errorf("cannot concatenate shapes %v and %v on axis %d", srcs[0].shape, v.shape, axis)
			}
		}
		shape[axis] += v.shape[axis]
		names = append(names, v.name)
	}
	onnxAxis := int64(axis)
	if r == 4 {
		onnxAxis = []int64{0, 2, 3, 1}[axis] // N H W C → position in N C H W
	}
	c.b.NodeOut("Concat", names, []string{o.Name}, onnx.AttrI("axis", onnxAxis))
	c.b.Output(o.Name, onnxDims(shape)...)
	return c.b.Err()
}

// String lists the model's ops with counts, for logs.
func (m *Model) String() string {
	count := map[string]int{}
	var ops []string
	for _, n := range m.Nodes {
		if count[n.Op] == 0 {
			ops = append(ops, n.Op)
		}
		count[n.Op]++
	}
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = op + "×" + strconv.Itoa(count[op])
	}
	return fmt.Sprintf("TF.js graph model, %d nodes: %s", len(m.Nodes), strings.Join(parts, " "))
}

// attrBool reads a bool attribute (transpose_a/b); absent is false.
func (n *Node) attrBool(name string) bool {
	a, ok := n.Attr[name]
	return ok && a.B != nil && *a.B
}

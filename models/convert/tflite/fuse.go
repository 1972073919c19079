package tflite

import "fmt"

// preluFold is TF's decomposed PReLU found in the graph: the ADD at the
// end of relu(x) + c·(x − |x|) becomes PRelu(x, 2c), and the RELU, ABS,
// SUB and MUL before it are dropped.
type preluFold struct {
	x, c int32 // activation and constant tensors
}

// fusions is what the converter folds instead of mapping op by op.
type fusions struct {
	skip  map[int]bool      // operator index → folded into a later one
	prelu map[int]preluFold // ADD operator index → the PReLU it ends
}

// findFusions looks for TF's decomposed PReLU (MobileFaceNet has 33):
// relu(x) + c·(x − |x|) equals x for x ≥ 0 and 2c·x below, which is
// PRelu with slope 2c. Five element-wise passes over the activation become
// one that OpenCV fuses into the convolution before it. A pattern is only
// folded when every intermediate tensor feeds nothing but the next op of
// the pattern, so no dropped value is needed elsewhere.
func (c *converter) findFusions() fusions {
	f := fusions{skip: map[int]bool{}, prelu: map[int]preluFold{}}
	producer := map[int32]int{}
	uses := map[int32]int{}
	for i, op := range c.sg.Operators {
		for _, o := range op.Outputs {
			producer[o] = i
		}
		for _, in := range op.Inputs {
			uses[in]++
		}
	}
	for _, o := range c.sg.Outputs {
		uses[o]++
	}
	// from returns the operator producing tensor t when it is of the given
	// kind, has no fused activation and t feeds only one op.
	from := func(t int32, kind BuiltinOp) (Operator, int, bool) {
		i, ok := producer[t]
		if !ok || uses[t] != 1 {
			return Operator{}, 0, false
		}
		op := c.sg.Operators[i]
		if c.m.Op(op) != kind || len(op.Outputs) != 1 {
			return Operator{}, 0, false
		}
		if kind != OpRelu && kind != OpAbs && op.FusedActivation() != ActNone {
			return Operator{}, 0, false
		}
		return op, i, true
	}
	for k, add := range c.sg.Operators {
		if c.m.Op(add) != OpAdd || len(add.Inputs) != 2 || add.FusedActivation() != ActNone {
			continue
		}
		for _, pair := range [2][2]int32{{add.Inputs[0], add.Inputs[1]}, {add.Inputs[1], add.Inputs[0]}} {
			relu, ri, ok1 := from(pair[0], OpRelu)
			mul, mi, ok2 := from(pair[1], OpMul)
			if !ok1 || !ok2 || len(relu.Inputs) != 1 || len(mul.Inputs) != 2 {
				continue
			}
			x := relu.Inputs[0]
			cst, s := mul.Inputs[0], mul.Inputs[1]
			if !c.isConst(cst) {
				cst, s = s, cst
			}
			if !c.isConst(cst) || c.isConst(s) {
				continue
			}
			sub, si, ok3 := from(s, OpSub)
			if !ok3 || len(sub.Inputs) != 2 || sub.Inputs[0] != x {
				continue
			}
			abs, ai, ok4 := from(sub.Inputs[1], OpAbs)
			if !ok4 || len(abs.Inputs) != 1 || abs.Inputs[0] != x {
				continue
			}
			f.prelu[k] = preluFold{x: x, c: cst}
			for _, i := range []int{ri, mi, si, ai} {
				f.skip[i] = true
			}
			break
		}
	}
	return f
}

// foldedPRelu emits PRelu(x, 2c) for a preluFold. The slope is per channel
// ([C,1,1], the shape OpenCV takes); a scalar c is repeated over the
// channels.
func (c *converter) foldedPRelu(p preluFold) (string, error) {
	x, shape, err := c.activation(p.x)
	if err != nil {
		return "", err
	}
	t, data, err := c.constant(p.c)
	if err != nil {
		return "", err
	}
	if len(shape) != 4 {
		return "", fmt.Errorf("decomposed PReLU on %q %v: want a 4-D NHWC activation", c.sg.Tensors[p.x].Name, shape)
	}
	ch := int(shape[3])
	slope := make([]float32, ch)
	switch len(data) {
	case 1:
		for i := range slope {
			slope[i] = 2 * data[0]
		}
	case ch:
		if len(t.Shape) == 0 || t.Shape[len(t.Shape)-1] != int32(ch) {
			return "", fmt.Errorf("decomposed PReLU: constant %q %v is not per-channel for %v", t.Name, t.Shape, shape)
		}
		for i, v := range data {
			slope[i] = 2 * v
		}
	default:
		return "", fmt.Errorf("decomposed PReLU: constant %q %v is neither a scalar nor per-channel for %v", t.Name, t.Shape, shape)
	}
	return c.b.PRelu(x, c.b.Const(t.Name+"_prelu_slope", []int64{int64(ch), 1, 1}, slope)), nil
}

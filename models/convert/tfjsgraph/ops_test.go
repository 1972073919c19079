package tfjsgraph

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestConvolutionsMatchTF: every convolution form with the layout traps —
// a 3×3 stride-2 SAME conv on 7×6 (pads 1/1 rows, 0/1 columns), a dilated
// depthwise conv with multiplier 2, a 1×1 conv with fused PReLU, a fused
// depthwise conv with EXPLICIT padding and Relu6, and a plain Conv2D with an
// even kernel under SAME (pad only at the bottom/right).
func TestConvolutionsMatchTF(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := nhwc{7, 6, 3, randData(r, 7*6*3, 1)}
	w1, b1 := randData(r, 3*3*3*4, 0.5), randData(r, 4, 0.2)
	wd1 := randData(r, 3*3*4*2, 0.5)
	w2, b2, a2 := randData(r, 8*5, 0.5), randData(r, 5, 0.2), randData(r, 5, 0.3)
	wd2, bd2 := randData(r, 3*3*5, 1), randData(r, 5, 1)
	for i := range bd2 {
		bd2[i] += 3 // push some values above 6 so Relu6's clip matters
	}
	w3 := randData(r, 2*2*5*3, 0.5)

	g := &testGraph{}
	g.placeholder("input", -1, 7, 6, 3)
	g.constF("w1", w1, 3, 3, 3, 4)
	g.constF("b1", b1, 4)
	g.op("c1", "_FusedConv2D", []string{"input", "w1", "b1"}, convAttr(2, 1, "SAME", "BiasAdd", "Relu"))
	g.constF("wd1", wd1, 3, 3, 4, 2)
	g.op("d1", "DepthwiseConv2dNative", []string{"c1", "wd1"}, convAttr(1, 2, "SAME"))
	g.constF("w2", w2, 1, 1, 8, 5)
	g.constF("b2", b2, 5)
	g.constF("a2", a2, 5)
	g.op("c2", "_FusedConv2D", []string{"d1", "w2", "b2", "a2"}, convAttr(1, 1, "VALID", "BiasAdd", "Prelu"))
	g.constF("wd2", wd2, 3, 3, 5, 1)
	g.constF("bd2", bd2, 5)
	explicit := convAttr(2, 1, "EXPLICIT", "BiasAdd", "Relu6")
	explicit["explicit_paddings"] = aInts(0, 0, 1, 0, 0, 2, 0, 0)
	g.op("d2", "FusedDepthwiseConv2dNative", []string{"c2", "wd2", "bd2"}, explicit)
	g.constF("w3", w3, 2, 2, 5, 3)
	g.op("c3", "Conv2D", []string{"d2", "w3", "^c1"}, convAttr(1, 1, "SAME"))
	g.op("Identity", "Identity", []string{"c3:0"}, nil)

	got := runOpenCV(t, g, Options{Outputs: []Output{{Name: "dw", From: []string{"d1"}}, {Name: "out", From: []string{"Identity"}}}}, x, "dw", "out")

	y := mapEach(refConv(x, w1, 3, 3, 4, false, 2, 1, [4]int{1, 0, 1, 1}, b1), relu)
	dw := refConv(y, wd1, 3, 3, 2, true, 1, 2, [4]int{2, 2, 2, 2}, nil)
	if dw.h != 4 || dw.w != 3 || dw.c != 8 {
		t.Fatalf("reference depthwise output %d×%d×%d, want 4×3×8", dw.h, dw.w, dw.c)
	}
	compare(t, "depthwise", got[0], dw.toNCHW())
	y = refConv(dw, w2, 1, 1, 5, false, 1, 1, [4]int{}, b2)
	y = mapEach(y, func(i int, v float32) float32 {
		if v < 0 {
			return v * a2[i%5]
		}
		return v
	})
	y = refConv(y, wd2, 3, 3, 1, true, 2, 1, [4]int{1, 0, 0, 2}, bd2) // rows 1/0, columns 0/2
	clipped := 0
	y = mapEach(y, func(_ int, v float32) float32 {
		if v > 6 {
			clipped++
		}
		return min(max(v, 0), 6)
	})
	if clipped == 0 {
		t.Fatal("test data never reaches Relu6's upper bound")
	}
	y = refConv(y, w3, 2, 2, 3, false, 1, 1, [4]int{0, 0, 1, 1}, nil)
	if y.h != 2 || y.w != 2 || y.c != 3 {
		t.Fatalf("reference output %d×%d×%d, want 2×2×3", y.h, y.w, y.c)
	}
	compare(t, "out", got[1], y.toNCHW())
}

// TestResidualBlockMatchesTF: BlazeFace's down-sampling residual block —
// depthwise stride 2 + 1×1 conv on one side, MaxPool and a Pad that widens
// the channels on the other, AddV2, Relu — then spatial Pad, Add of a
// per-channel and a scalar constant, a SAME MaxPool whose pads are
// asymmetric (and must never win over negative values) and Relu6.
func TestResidualBlockMatchesTF(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := nhwc{6, 6, 4, randData(r, 6*6*4, 1)}
	wd, wp, bp := randData(r, 3*3*4, 0.5), randData(r, 4*7, 0.5), randData(r, 7, 0.2)
	shift := randData(r, 7, 0.5)
	for i := range shift {
		shift[i] -= 1.5 // mostly negative so padded pooling windows see negatives
	}

	g := &testGraph{}
	g.placeholder("input", 1, 6, 6, 4)
	g.constF("wd", wd, 3, 3, 4, 1)
	g.op("dw", "DepthwiseConv2dNative", []string{"input", "wd"}, convAttr(2, 1, "SAME"))
	g.constF("wp", wp, 1, 1, 4, 7)
	g.constF("bp", bp, 7)
	g.op("pw", "_FusedConv2D", []string{"dw", "wp", "bp"}, convAttr(1, 1, "VALID", "BiasAdd"))
	pool := map[string]any{"ksize": aInts(1, 2, 2, 1), "strides": aInts(1, 2, 2, 1), "padding": aStr("SAME"), "data_format": aStr("NHWC")}
	g.op("mp", "MaxPool", []string{"input"}, pool)
	g.constI("chpad", []int32{0, 0, 0, 0, 0, 0, 0, 3}, 4, 2)
	g.op("widen", "Pad", []string{"mp", "chpad"}, nil)
	g.op("add", "AddV2", []string{"pw", "widen"}, nil)
	g.op("block", "Relu", []string{"add"}, nil)
	g.constI("sppad", []int32{0, 0, 1, 0, 0, 2, 0, 0}, 4, 2)
	g.op("sp", "Pad", []string{"block", "sppad"}, nil)
	g.constF("shift", shift, 1, 1, 1, 7)
	g.op("shifted", "Add", []string{"shift", "sp"}, nil)
	pool3 := map[string]any{"ksize": aInts(1, 3, 3, 1), "strides": aInts(1, 2, 2, 1), "padding": aStr("SAME")}
	g.op("pool", "MaxPool", []string{"shifted"}, pool3)
	g.constF("two", []float32{2.5})
	g.op("lifted", "AddV2", []string{"pool", "two"}, nil)
	g.op("out", "Relu6", []string{"lifted"}, nil)

	got := runOpenCV(t, g, Options{Outputs: []Output{
		{Name: "block", From: []string{"block"}}, {Name: "pool", From: []string{"pool"}}, {Name: "out", From: []string{"out"}},
	}}, x, "block", "pool", "out")

	a := refConv(refConv(x, wd, 3, 3, 1, true, 2, 1, [4]int{0, 0, 1, 1}, nil), wp, 1, 1, 7, false, 1, 1, [4]int{}, bp)
	b := refPad(refMaxPool(x, 2, 2, [4]int{}), 0, 0, 0, 0, 0, 3)
	block := mapEach(a, func(i int, v float32) float32 { return max(v+b.d[i], 0) })
	compare(t, "block", got[0], block.toNCHW())
	sp := refPad(block, 1, 0, 0, 2, 0, 0)
	shifted := mapEach(sp, func(i int, v float32) float32 { return v + shift[i%7] })
	// 4×5 input, 3×3 stride 2 SAME: rows padded 0 top / 1 bottom, columns 1 / 1.
	pooled := refMaxPool(shifted, 3, 2, [4]int{0, 1, 1, 1})
	if pooled.h != 2 || pooled.w != 3 {
		t.Fatalf("reference pool output %d×%d, want 2×3", pooled.h, pooled.w)
	}
	compare(t, "pool", got[1], pooled.toNCHW())
	out := mapEach(pooled, func(_ int, v float32) float32 { return min(max(v+2.5, 0), 6) })
	compare(t, "out", got[2], out.toNCHW())
}

// TestReshapeAndConcatKeepTFOrder: detector heads flattened by Reshape
// (which must see NHWC order) and joined by Options.Outputs on TF axis 1,
// a Reshape to 4-D (back to NCHW after it) and a channel Concat of 4-D
// tensors (TF axis 3 = ONNX axis 1).
func TestReshapeAndConcatKeepTFOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := nhwc{4, 4, 3, randData(r, 4*4*3, 1)}
	w1, b1 := randData(r, 3*2, 0.5), randData(r, 2, 0.2)
	w2, b2 := randData(r, 3*6, 0.5), randData(r, 6, 0.2)

	g := &testGraph{}
	g.placeholder("input", 1, 4, 4, 3)
	g.constF("w1", w1, 1, 1, 3, 2)
	g.constF("b1", b1, 2)
	g.op("h1", "_FusedConv2D", []string{"input", "w1", "b1"}, convAttr(1, 1, "SAME", "BiasAdd"))
	g.op("p", "MaxPool", []string{"input"}, map[string]any{"ksize": aInts(1, 2, 2, 1), "strides": aInts(1, 2, 2, 1), "padding": aStr("VALID")})
	g.constF("w2", w2, 1, 1, 3, 6)
	g.constF("b2", b2, 6)
	g.op("h2", "_FusedConv2D", []string{"p", "w2", "b2"}, convAttr(1, 1, "VALID", "BiasAdd"))
	g.constI("s1", []int32{1, -1, 1}, 3)
	g.constI("s2", []int32{1, -1, 2}, 3)
	g.constI("s4", []int32{1, 2, 6, 2}, 4)
	g.op("c1", "Reshape", []string{"h1", "s1"}, nil)
	g.op("c2", "Reshape", []string{"h2", "s1"}, nil)
	g.op("r1", "Reshape", []string{"h1", "s2"}, nil)
	g.op("r2", "Reshape", []string{"h2", "s2"}, nil)
	g.op("r4", "Reshape", []string{"h2", "s4"}, nil)
	g.op("Identity", "Identity", []string{"c1"}, nil)
	g.op("Identity_1", "Identity", []string{"c2"}, nil)

	got := runOpenCV(t, g, Options{Outputs: []Output{
		{Name: "cls", From: []string{"Identity", "Identity_1:0"}, Axis: 1},
		{Name: "reg", From: []string{"r1", "r2"}, Axis: -2},
		{Name: "r4", From: []string{"r4"}},
		{Name: "cat4", From: []string{"h2", "p"}, Axis: 3},
	}}, x, "cls", "reg", "r4", "cat4")

	h1 := refConv(x, w1, 1, 1, 2, false, 1, 1, [4]int{}, b1)
	p := refMaxPool(x, 2, 2, [4]int{})
	h2 := refConv(p, w2, 1, 1, 6, false, 1, 1, [4]int{}, b2)
	// In NHWC a Reshape and a Concat on the anchor axis only chain the data.
	flat := slices.Concat(h1.d, h2.d)
	compare(t, "cls", got[0], flat)
	compare(t, "reg", got[1], flat)
	compare(t, "r4", got[2], nhwc{2, 6, 2, h2.d}.toNCHW())
	cat := newNHWC(2, 2, 9)
	for i := range 4 {
		copy(cat.d[i*9:], h2.d[i*6:(i+1)*6])
		copy(cat.d[i*9+6:], p.d[i*3:(i+1)*3])
	}
	compare(t, "cat4", got[3], cat.toNCHW())
}

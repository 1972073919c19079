package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gocv.io/x/gocv"
)

const maxAbsErr = 1e-4

// runOpenCV loads model bytes with OpenCV's ONNX importer, feeds one input
// blob and returns the named outputs with their shapes.
func runOpenCV(t *testing.T, model []byte, input string, x tensor, outputs ...string) []tensor {
	t.Helper()
	net, err := gocv.ReadNetFromONNXBytes(model)
	if err != nil {
		t.Fatalf("OpenCV refused the model: %v", err)
	}
	defer net.Close()
	raw := make([]byte, 4*len(x.data))
	for i, v := range x.data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	blob, err := gocv.NewMatWithSizesFromBytes(x.shape, gocv.MatTypeCV32F, raw)
	if err != nil {
		t.Fatalf("input blob: %v", err)
	}
	defer blob.Close()
	net.SetInput(blob, input)
	mats := net.ForwardLayers(outputs)
	defer func() {
		for _, m := range mats {
			m.Close()
		}
	}()
	if len(mats) != len(outputs) {
		t.Fatalf("OpenCV returned %d outputs for %v", len(mats), outputs)
	}
	res := make([]tensor, len(mats))
	for i, out := range mats {
		if out.Empty() {
			t.Fatalf("OpenCV produced no output %q", outputs[i])
		}
		data, err := out.DataPtrFloat32()
		if err != nil {
			t.Fatalf("output %q: %v", outputs[i], err)
		}
		res[i] = tensor{shape: out.Size(), data: slices.Clone(data)}
	}
	return res
}

func compare(t *testing.T, got, want tensor) {
	t.Helper()
	if len(got.data) != len(want.data) {
		t.Fatalf("OpenCV output shape %v (%d values), Go reference %v (%d values)", got.shape, len(got.data), want.shape, len(want.data))
	}
	worst, at := 0.0, 0
	for i := range want.data {
		if d := math.Abs(float64(got.data[i] - want.data[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if !(worst <= maxAbsErr) {
		t.Fatalf("max |OpenCV − Go| = %g at %d (OpenCV %g, Go %g), want ≤ %g", worst, at, got.data[at], want.data[at], maxAbsErr)
	}
	t.Logf("output %v: max |OpenCV − Go| = %.3g over %d values", want.shape, worst, len(want.data))
}

// roundTrip marshals the model and reads it back, so every OpenCV test also
// checks that the reader sees what the writer wrote.
func roundTrip(t *testing.T, m *Model) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(b)
	if err != nil {
		t.Fatalf("reading our own model: %v", err)
	}
	again, err := back.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Fatal("write → read → write changed the bytes")
	}
	ops, _ := back.Graph.OpTypes()
	t.Logf("model: %d bytes, ops %v", len(b), ops)
	return b
}

// TestOpenCVConvChain: strided conv with TF-SAME (asymmetric) pads, PRelu,
// depthwise conv, batch norm, Relu, dilated grouped conv with explicit
// asymmetric pads, Clip, padded MaxPool, per-channel Add/Mul/Sub,
// Transpose + Reshape (TF flatten order) and Gemm transB.
func TestOpenCVConvChain(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 1))
	x := randTensor(r, 1, 1, 3, 16, 21)

	w1, b1 := randTensor(r, 0.4, 8, 3, 3, 3), randTensor(r, 0.1, 8)
	slope := randTensor(r, 0.5, 8, 1, 1)
	wdw := randTensor(r, 0.5, 8, 1, 3, 3)
	bnScale, bnBias := randTensor(r, 1, 8), randTensor(r, 0.2, 8)
	bnMean, bnVar := randTensor(r, 0.3, 8), randTensor(r, 0.5, 8)
	for i := range bnVar.data {
		bnVar.data[i] += 0.6 // variances must be positive
	}
	wg, bg := randTensor(r, 0.3, 6, 4, 3, 3), randTensor(r, 0.1, 6)
	kAdd, kMul, kSub := randTensor(r, 0.5, 6), randTensor(r, 1.5, 6), randTensor(r, 0.5, 6)
	wfc, bfc := randTensor(r, 0.2, 10, 120), randTensor(r, 0.1, 10)

	hb, he := SamePads(16, 3, 2, 1)
	wb, we := SamePads(21, 3, 2, 1)
	samePads := []int64{hb, wb, he, we}
	if !slices.Equal(samePads, []int64{0, 1, 1, 1}) {
		t.Fatalf("SamePads for 16×21, 3×3 stride 2 = %v, want [0 1 1 1]", samePads)
	}
	gPads := []int64{2, 1, 2, 3}
	pool := PoolParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: []int64{0, 0, 1, 1}}

	b := NewBuilder("conv_chain", DefaultOpset)
	in := b.Input("input", 1, 3, 16, 21)
	v := b.Conv(in, b.Const("w1", w1.dims64(), w1.data), b.Const("b1", b1.dims64(), b1.data),
		ConvParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: samePads})
	v = b.PRelu(v, b.Const("slope", slope.dims64(), slope.data))
	v = b.Conv(v, b.Const("wdw", wdw.dims64(), wdw.data), "",
		ConvParams{Kernel: []int64{3, 3}, Pads: []int64{1, 1, 1, 1}, Group: 8})
	v = b.BatchNormalization(v, b.Const("bn_scale", []int64{8}, bnScale.data), b.Const("bn_bias", []int64{8}, bnBias.data),
		b.Const("bn_mean", []int64{8}, bnMean.data), b.Const("bn_var", []int64{8}, bnVar.data), 1e-3)
	v = b.Relu(v)
	v = b.Conv(v, b.Const("wg", wg.dims64(), wg.data), b.Const("bg", bg.dims64(), bg.data),
		ConvParams{Kernel: []int64{3, 3}, Pads: gPads, Dilations: []int64{2, 2}, Group: 2})
	v = b.Clip(v, -0.4, 0.6)
	v = b.MaxPool(v, pool)
	v = b.Add(v, b.Const("k_add", []int64{1, 6, 1, 1}, kAdd.data))
	v = b.Mul(v, b.Const("k_mul", []int64{1, 6, 1, 1}, kMul.data))
	v = b.Sub(v, b.Const("k_sub", []int64{1, 6, 1, 1}, kSub.data))
	features := v
	b.Output(features, 1, 6, 4, 5)
	v = b.Transpose(v, 0, 2, 3, 1)
	v = b.Reshape(v, 1, -1)
	v = b.Gemm(v, b.Const("w_fc", wfc.dims64(), wfc.data), b.Const("b_fc", bfc.dims64(), bfc.data), GemmParams{TransB: true})
	b.Output(v, 1, 10)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	got := runOpenCV(t, roundTrip(t, m), "input", x, features, v)

	one := []int{1, 1}
	y := conv2d(x, w1, b1.data, []int{2, 2}, []int{0, 1, 1, 1}, one, 1)
	y = perChannel(y, slope.data, func(v, s float32) float32 {
		if v < 0 {
			return v * s
		}
		return v
	})
	y = conv2d(y, wdw, nil, one, []int{1, 1, 1, 1}, one, 8)
	y = batchNorm(y, bnScale.data, bnBias.data, bnMean.data, bnVar.data, 1e-3)
	y = mapT(y, func(v float32) float32 { return max(v, 0) })
	y = conv2d(y, wg, bg.data, one, []int{2, 1, 2, 3}, []int{2, 2}, 2)
	y = mapT(y, func(v float32) float32 { return min(max(v, -0.4), 0.6) })
	y = pool2d(y, []int{3, 3}, []int{2, 2}, []int{0, 0, 1, 1}, false, false)
	y = perChannel(y, kAdd.data, func(v, k float32) float32 { return v + k })
	y = perChannel(y, kMul.data, func(v, k float32) float32 { return v * k })
	y = perChannel(y, kSub.data, func(v, k float32) float32 { return v - k })
	if !slices.Equal(y.shape, []int{1, 6, 4, 5}) {
		t.Fatalf("reference shape before the head is %v, want [1 6 4 5]", y.shape)
	}
	compare(t, got[0], y)
	y = nchwToNHWC(y)
	y.shape = []int{1, 120}
	y = matmul(y, wfc, bfc.data, true)
	compare(t, got[1], y)
}

// TestOpenCVPoolConcatHead: padded AveragePool (count_include_pad 0),
// constant Pad + MaxPool, Concat, Relu, 1×1 Conv, Sigmoid,
// GlobalAveragePool, Flatten, MatMul, Softmax — at opset 9 (Pad with
// attributes) and opset 11 (Pad with inputs).
func TestOpenCVPoolConcatHead(t *testing.T) {
	for _, opset := range []int64{9, 11} {
		t.Run(fmt.Sprintf("opset%d", opset), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(opset), 2))
			x := randTensor(r, 1, 1, 4, 9, 9)
			w1, b1 := randTensor(r, 0.5, 5, 8, 1, 1), randTensor(r, 0.2, 5)
			wm := randTensor(r, 2, 5, 3)

			b := NewBuilder("pool_concat_head", opset)
			in := b.Input("input", 1, 4, 9, 9)
			avg := b.AveragePool(in, PoolParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}})
			padded := b.Pad(in, []int64{0, 0, 1, 0, 0, 0, 0, 1}, 0.75)
			mx := b.MaxPool(padded, PoolParams{Kernel: []int64{2, 2}, Strides: []int64{2, 2}})
			joined := b.Concat(1, avg, mx)
			b.Output(joined, 1, 8, 5, 5)
			v := b.Relu(joined)
			v = b.Conv(v, b.Const("w1", w1.dims64(), w1.data), b.Const("b1", b1.dims64(), b1.data), ConvParams{Kernel: []int64{1, 1}})
			v = b.Sigmoid(v)
			v = b.GlobalAveragePool(v)
			v = b.Flatten(v, 1)
			v = b.MatMul(v, b.Const("wm", wm.dims64(), wm.data))
			v = b.Softmax(v, 1)
			b.Output(v, 1, 3)
			m, err := b.Model()
			if err != nil {
				t.Fatal(err)
			}
			got := runOpenCV(t, roundTrip(t, m), "input", x, joined, v)

			a := pool2d(x, []int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}, true, false)
			p := pool2d(padConst(x, 1, 0, 0, 1, 0.75), []int{2, 2}, []int{2, 2}, []int{0, 0, 0, 0}, false, false)
			y := concatChannels(a, p)
			compare(t, got[0], y)
			y = mapT(y, func(v float32) float32 { return max(v, 0) })
			y = conv2d(y, w1, b1.data, []int{1, 1}, []int{0, 0, 0, 0}, []int{1, 1}, 1)
			y = mapT(y, sigmoid)
			y = globalAvg(y)
			y = matmul(y, wm, nil, false)
			y = softmaxRows(y)
			compare(t, got[1], y)
		})
	}
}

// TestSamePadsMatchesTF checks SamePads against TF's rule as recorded for
// the face models: 3×3 stride 2 on 112 pads [0, 1]; stride 1 is symmetric.
func TestSamePadsMatchesTF(t *testing.T) {
	for _, c := range []struct{ in, k, s, d, wantB, wantE int64 }{
		{112, 3, 2, 1, 0, 1},
		{112, 3, 1, 1, 1, 1},
		{113, 3, 2, 1, 1, 1},
		{7, 5, 1, 2, 4, 4},
		{10, 1, 2, 1, 0, 0},
		{256, 5, 2, 1, 1, 2},
	} {
		b, e := SamePads(c.in, c.k, c.s, c.d)
		if b != c.wantB || e != c.wantE {
			t.Errorf("SamePads(in %d, k %d, s %d, d %d) = (%d, %d), want (%d, %d)", c.in, c.k, c.s, c.d, b, e, c.wantB, c.wantE)
		}
	}
}

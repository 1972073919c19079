package tflite

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * 0.5)
	}
	return v
}

// conv2DNHWC is TF's convolution written out plainly as the reference:
// NHWC input (batch 1), weights OHWI, or 1HWC·M for depthwise (multiplier
// mult > 0), SAME padding with the extra row/column at the bottom/right.
func conv2DNHWC(x []float32, h, w, c int, wt []float32, kh, kw, outC, stride int, same bool, mult int, bias []float32) ([]float32, int, int) {
	oh, ow := (h-kh)/stride+1, (w-kw)/stride+1
	top, left := 0, 0
	if same {
		oh, ow = (h+stride-1)/stride, (w+stride-1)/stride
		top = max((oh-1)*stride+kh-h, 0) / 2
		left = max((ow-1)*stride+kw-w, 0) / 2
	}
	out := make([]float32, oh*ow*outC)
	for oy := range oh {
		for ox := range ow {
			for oc := range outC {
				sum := float64(bias[oc])
				for ky := range kh {
					for kx := range kw {
						iy, ix := oy*stride+ky-top, ox*stride+kx-left
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						if mult > 0 {
							ic := oc / mult
							sum += float64(x[(iy*w+ix)*c+ic]) * float64(wt[(ky*kw+kx)*outC+oc])
							continue
						}
						for ic := range c {
							sum += float64(x[(iy*w+ix)*c+ic]) * float64(wt[((oc*kh+ky)*kw+kx)*c+ic])
						}
					}
				}
				out[(oy*ow+ox)*outC+oc] = float32(sum)
			}
		}
	}
	return out, oh, ow
}

// smallNet is a model with every mapped op and the layout traps: a 3×3
// stride-2 SAME conv on an even size (asymmetric pads), a depthwise conv
// with multiplier 2, PRELU, per-channel MUL, ADD of two activations,
// a RESHAPE that flattens NHWC, FULLY_CONNECTED and fused RELU.
type smallNet struct {
	convW, convB, dwW, dwB, alpha, scale, fcW, fcB []float32
}

func newSmallNet(r *rand.Rand) smallNet {
	return smallNet{
		convW: randFloats(r, 4*3*3*2), convB: randFloats(r, 4),
		dwW: randFloats(r, 3*3*8), dwB: randFloats(r, 8),
		alpha: randFloats(r, 8), scale: randFloats(r, 8),
		fcW: randFloats(r, 5*72), fcB: randFloats(r, 5),
	}
}

func (n smallNet) model() testModel {
	act := func(name string, shape ...int32) testTensor {
		return testTensor{name: name, shape: shape, typ: Float32}
	}
	cst := func(name string, data []float32, shape ...int32) testTensor {
		return testTensor{name: name, shape: shape, typ: Float32, data: floatBytes(data)}
	}
	return testModel{
		tensors: []testTensor{
			act("input", 2, 6, 6, 2), // 0; batch 2 as in MobileFaceNet; 6→3 at stride 2 pads 0 top, 1 bottom
			cst("conv_w", n.convW, 4, 3, 3, 2), cst("conv_b", n.convB, 4),
			act("conv", 2, 3, 3, 4), // 3
			cst("dw_w", n.dwW, 1, 3, 3, 8), cst("dw_b", n.dwB, 8),
			act("dw", 2, 3, 3, 8), // 6
			cst("alpha", n.alpha, 1, 1, 8),
			act("prelu", 2, 3, 3, 8), // 8
			cst("scale", n.scale, 8),
			act("mul", 2, 3, 3, 8), // 10
			act("add", 2, 3, 3, 8), // 11
			act("flat", 2, 72),     // 12
			cst("fc_w", n.fcW, 5, 72), cst("fc_b", n.fcB, 5),
			act("logits", 2, 5), // 15
		},
		ops: []testOp{
			{code: OpConv2D, inputs: []int32{0, 1, 2}, outputs: []int32{3}, options: []any{uint8(PaddingSame), int32(2), int32(2), uint8(ActRelu)}},
			{code: OpDepthwiseConv2D, inputs: []int32{3, 4, 5}, outputs: []int32{6}, options: []any{uint8(PaddingSame), int32(1), int32(1), int32(2), uint8(ActNone)}},
			{code: OpPRelu, inputs: []int32{6, 7}, outputs: []int32{8}},
			{code: OpMul, inputs: []int32{9, 8}, outputs: []int32{10}, options: []any{uint8(ActNone)}},
			{code: OpAdd, inputs: []int32{10, 6}, outputs: []int32{11}, options: []any{uint8(ActNone)}},
			{code: OpReshape, inputs: []int32{11}, outputs: []int32{12}, options: []any{fbRef{}}},
			{code: OpFullyConnected, inputs: []int32{12, 13, 14}, outputs: []int32{15}, options: []any{uint8(ActRelu)}},
		},
		inputs: []int32{0}, outpts: []int32{15},
	}
}

// reference computes the model in NHWC, the way TFLite does.
func (n smallNet) reference(x []float32) []float32 {
	relu := func(v []float32) {
		for i := range v {
			v[i] = max(v[i], 0)
		}
	}
	conv, _, _ := conv2DNHWC(x, 6, 6, 2, n.convW, 3, 3, 4, 2, true, 0, n.convB)
	relu(conv)
	dw, _, _ := conv2DNHWC(conv, 3, 3, 4, n.dwW, 3, 3, 8, 1, true, 2, n.dwB)
	flat := make([]float32, len(dw))
	for i, v := range dw {
		ch := i % 8
		p := v
		if p < 0 {
			p *= n.alpha[ch]
		}
		flat[i] = p*n.scale[ch] + v
	}
	out := make([]float32, 5)
	for o := range out {
		sum := float64(n.fcB[o])
		for i, v := range flat {
			sum += float64(n.fcW[o*72+i]) * float64(v)
		}
		out[o] = float32(sum)
	}
	relu(out)
	return out
}

func runConverted(t *testing.T, m *Model, nhwc []float32, h, w, c int) []float32 {
	t.Helper()
	om, err := ToONNX(m)
	if err != nil {
		t.Fatalf("ToONNX: %v", err)
	}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	net, err := gocv.ReadNetFromONNXBytes(b)
	if err != nil || net.Empty() {
		t.Fatalf("OpenCV refused the converted model: %v", err)
	}
	defer net.Close()
	raw := make([]byte, 4*len(nhwc))
	for ch := range c {
		for y := range h {
			for x := range w {
				i := (ch*h+y)*w + x
				binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(nhwc[(y*w+x)*c+ch]))
			}
		}
	}
	blob, err := gocv.NewMatWithSizesFromBytes([]int{1, c, h, w}, gocv.MatTypeCV32F, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("")
	defer out.Close()
	data, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(data)
}

func TestToONNXMatchesNHWCReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	n := newSmallNet(r)
	m, err := Read(n.model().build())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for trial := range 3 {
		x := randFloats(r, 6*6*2)
		got := runConverted(t, m, x, 6, 6, 2)
		want := n.reference(x)
		if len(got) != len(want) {
			t.Fatalf("output has %d values, want %d", len(got), len(want))
		}
		nonzero := 0
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Errorf("trial %d: output[%d] = %v, reference %v", trial, i, got[i], want[i])
			}
			if want[i] != 0 {
				nonzero++
			}
		}
		if nonzero == 0 {
			t.Fatalf("trial %d: reference output is all zero; the comparison would prove nothing", trial)
		}
	}
}

func TestReadDecodesTheFields(t *testing.T) {
	n := newSmallNet(rand.New(rand.NewPCG(1, 1)))
	m, err := Read(n.model().build())
	if err != nil {
		t.Fatal(err)
	}
	sg := m.SubGraphs[0]
	if m.Version != 3 || len(sg.Tensors) != 16 || len(sg.Operators) != 7 || len(m.Buffers) != 17 {
		t.Fatalf("version %d, %d tensors, %d operators, %d buffers", m.Version, len(sg.Tensors), len(sg.Operators), len(m.Buffers))
	}
	if tt := sg.Tensors[1]; tt.Name != "conv_w" || !slices.Equal(tt.Shape, []int32{4, 3, 3, 2}) || tt.Buffer != 2 {
		t.Errorf("tensor 1 = %+v", tt)
	}
	w, ok, err := m.Float32s(sg.Tensors[1])
	if err != nil || !ok || !slices.Equal(w, n.convW) {
		t.Errorf("conv weights round trip: ok=%v err=%v", ok, err)
	}
	if got := sg.Operators[0].Conv2D(); got != (Conv2DOptions{Padding: PaddingSame, StrideW: 2, StrideH: 2, Activation: ActRelu, DilationW: 1, DilationH: 1}) {
		t.Errorf("conv options %+v", got)
	}
	if got := sg.Operators[1].DepthwiseConv2D(); got.DepthMultiplier != 2 || got.StrideH != 1 {
		t.Errorf("depthwise options %+v", got)
	}
	if got := sg.Operators[5].ReshapeNewShape(); !slices.Equal(got, []int32{2, 72}) {
		t.Errorf("reshape new_shape %v", got)
	}
	if m.Op(sg.Operators[6]) != OpFullyConnected || sg.Operators[6].FusedActivation() != ActRelu {
		t.Errorf("operator 6 is %v with activation %v", m.Op(sg.Operators[6]), sg.Operators[6].FusedActivation())
	}
}

func TestToONNXNamesAnUnsupportedOp(t *testing.T) {
	tm := testModel{
		tensors: []testTensor{{name: "x", shape: []int32{1, 4}, typ: Float32}, {name: "y", shape: []int32{1, 4}, typ: Float32}},
		ops:     []testOp{{code: 28, inputs: []int32{0}, outputs: []int32{1}}}, // TANH
		inputs:  []int32{0}, outpts: []int32{1},
	}
	m, err := Read(tm.build())
	if err != nil {
		t.Fatal(err)
	}
	_, err = ToONNX(m)
	if err == nil || !strings.Contains(err.Error(), "TANH") || !strings.Contains(err.Error(), "operator 0") {
		t.Fatalf("error %v, want one naming operator 0 and TANH", err)
	}
}

func TestToONNXRefusesQuantisedWeights(t *testing.T) {
	n := newSmallNet(rand.New(rand.NewPCG(1, 2)))
	tm := n.model()
	tm.tensors[1].typ = Uint8
	tm.tensors[1].data = make([]byte, 4*3*3*2)
	m, err := Read(tm.build())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ToONNX(m); err == nil || !strings.Contains(err.Error(), "conv_w") || !strings.Contains(err.Error(), "UINT8") {
		t.Fatalf("error %v, want one naming conv_w and UINT8", err)
	}
}

func TestReadRejectsCorruptFiles(t *testing.T) {
	good := newSmallNet(rand.New(rand.NewPCG(1, 3))).model().build()
	cases := map[string][]byte{
		"empty":         nil,
		"not tflite":    []byte("\x08\x00\x00\x00ONNXxxxxxxxxxxxx"),
		"truncated":     good[:len(good)/2],
		"root past end": append([]byte{0xff, 0xff, 0xff, 0x7f}, good[4:]...),
		"header only":   good[:8],
	}
	// A vector whose length claims more elements than the file holds.
	huge := slices.Clone(good)
	sg := bytesIndex(huge, []byte("conv_w"))
	binary.LittleEndian.PutUint32(huge[sg-4:], 0x7fffffff)
	cases["string length past end"] = huge
	for name, b := range cases {
		m, err := Read(b)
		if err == nil {
			t.Errorf("%s: Read accepted it (%d subgraphs)", name, len(m.SubGraphs))
			continue
		}
		if !strings.HasPrefix(err.Error(), "tflite: ") {
			t.Errorf("%s: error %q does not say it comes from the TFLite reader", name, err)
		}
	}
}

func bytesIndex(b, sub []byte) int {
	for i := range len(b) - len(sub) + 1 {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	panic("bytesIndex: not found")
}

func FuzzReadTFLite(f *testing.F) {
	good := newSmallNet(rand.New(rand.NewPCG(7, 7))).model().build()
	f.Add(good)
	f.Add(good[:len(good)/3])
	r := rand.New(rand.NewPCG(7, 8))
	f.Add(decomposedPReLUNet(randFloats(r, 4*3*3*3), randFloats(r, 4), randFloats(r, 4), false).build())
	f.Add([]byte("\x10\x00\x00\x00TFL3\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(b)
		if err != nil {
			return
		}
		// A model that reads must convert or fail cleanly, never panic.
		_, _ = ToONNX(m)
	})
}

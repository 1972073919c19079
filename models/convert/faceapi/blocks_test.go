package faceapi

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"autogate/models/convert/tfjs"
)

// The block tests build single face-api blocks with random weights and
// compare OpenCV's result with a direct NHWC implementation of the TF.js ops
// face-api runs (conv2d/separableConv2d with SAME or VALID padding, pools,
// zero concats). Odd and even sizes exercise TF's asymmetric SAME padding
// and the residual-down size fix-up.

// act is an NHWC activation with batch 1.
type act struct {
	h, w, c int
	d       []float32
}

func (a act) at(y, x, c int) float32 {
	if y < 0 || x < 0 || y >= a.h || x >= a.w {
		return 0 // SAME padding is zeros
	}
	return a.d[(y*a.w+x)*a.c+c]
}

// refConv is TF's conv2d (f HWIO) or, with depthwise, depthwiseConv2d
// (f [k,k,C,1]), plus bias when non-nil.
func refConv(x act, f, bias []float32, k, outC, stride int, same, depthwise bool) act {
	oh, pb, _ := outSize(x.h, k, stride, same)
	ow, pl, _ := outSize(x.w, k, stride, same)
	o := act{oh, ow, outC, make([]float32, oh*ow*outC)}
	for y := range oh {
		for xx := range ow {
			for oc := range outC {
				var s float32
				for ky := range k {
					for kx := range k {
						iy, ix := y*stride+ky-pb, xx*stride+kx-pl
						if depthwise {
							s += x.at(iy, ix, oc) * f[(ky*k+kx)*x.c+oc]
							continue
						}
						for ic := range x.c {
							s += x.at(iy, ix, ic) * f[((ky*k+kx)*x.c+ic)*outC+oc]
						}
					}
				}
				if bias != nil {
					s += bias[oc]
				}
				o.d[(y*ow+xx)*outC+oc] = s
			}
		}
	}
	return o
}

func refPool(x act, k, stride int, avg bool) act {
	oh, _, _ := outSize(x.h, k, stride, false)
	ow, _, _ := outSize(x.w, k, stride, false)
	o := act{oh, ow, x.c, make([]float32, oh*ow*x.c)}
	for y := range oh {
		for xx := range ow {
			for c := range x.c {
				s, m := float32(0), float32(math.Inf(-1))
				for ky := range k {
					for kx := range k {
						v := x.at(y*stride+ky, xx*stride+kx, c)
						s += v
						m = max(m, v)
					}
				}
				if avg {
					m = s / float32(k*k)
				}
				o.d[(y*ow+xx)*x.c+c] = m
			}
		}
	}
	return o
}

func refAdd(a, b act) act {
	o := act{a.h, a.w, a.c, make([]float32, len(a.d))}
	for i := range a.d {
		o.d[i] = a.d[i] + b.d[i]
	}
	return o
}

func refRelu(a act) act {
	o := act{a.h, a.w, a.c, make([]float32, len(a.d))}
	for i, v := range a.d {
		o.d[i] = max(v, 0)
	}
	return o
}

// refPad appends zero channels, rows and columns (TF.js concat with zeros).
func refPad(a act, extraC, extraH, extraW int) act {
	o := act{a.h + extraH, a.w + extraW, a.c + extraC, nil}
	o.d = make([]float32, o.h*o.w*o.c)
	for y := range a.h {
		for x := range a.w {
			for c := range a.c {
				o.d[(y*o.w+x)*o.c+c] = a.at(y, x, c)
			}
		}
	}
	return o
}

// randWeights adds a random float32 tensor to m and returns its values.
func randWeights(r *rand.Rand, m map[string]tfjs.Tensor, name string, scale float32, shape ...int) []float32 {
	d := make([]float32, product(shape))
	for i := range d {
		d[i] = (r.Float32()*2 - 1) * scale
	}
	m[name] = tfjs.Tensor{Name: name, Shape: shape, Float: d}
	return d
}

func randAct(r *rand.Rand, h, w, c int) act {
	a := act{h, w, c, make([]float32, h*w*c)}
	for i := range a.d {
		a.d[i] = r.Float32()*2 - 1
	}
	return a
}

// runBlock builds a graph from block (given a raw NCHW input of x's size)
// and runs it through OpenCV, returning the output as NHWC.
func runBlock(t *testing.T, m map[string]tfjs.Tensor, x act, block func(g *graph, x value) value) act {
	t.Helper()
	g := newGraph("block", &weights{m: m})
	in := value{g.b.Input("input", 1, int64(x.c), int64(x.h), int64(x.w)), x.c, x.h, x.w}
	out := block(g, in)
	g.b.NodeOut("Identity", []string{out.name}, []string{"out"})
	g.b.Output("out", 1, int64(out.c), int64(out.h), int64(out.w))
	model, err := g.model()
	if err != nil {
		t.Fatal(err)
	}
	blob := make([]float32, len(x.d))
	for y := range x.h {
		for xx := range x.w {
			for c := range x.c {
				blob[(c*x.h+y)*x.w+xx] = x.d[(y*x.w+xx)*x.c+c]
			}
		}
	}
	got := forward(t, openCVNet(t, model), blob, []int{1, x.c, x.h, x.w}, "out")
	if len(got) != out.c*out.h*out.w {
		t.Fatalf("OpenCV gave %d values for %d×%d×%d", len(got), out.c, out.h, out.w)
	}
	o := act{out.h, out.w, out.c, make([]float32, len(got))}
	for c := range o.c {
		for y := range o.h {
			for xx := range o.w {
				o.d[(y*o.w+xx)*o.c+c] = got[(c*o.h+y)*o.w+xx]
			}
		}
	}
	return o
}

func compareAct(t *testing.T, got, want act) {
	t.Helper()
	if got.h != want.h || got.w != want.w || got.c != want.c {
		t.Fatalf("OpenCV %d×%d×%d, reference %d×%d×%d", got.h, got.w, got.c, want.h, want.w, want.c)
	}
	worst := 0.0
	for i := range want.d {
		worst = max(worst, math.Abs(float64(got.d[i]-want.d[i])))
	}
	if !(worst <= 1e-4) {
		t.Errorf("max |OpenCV − reference| = %g", worst)
	}
	t.Logf("%d×%d×%d: max |OpenCV − reference| = %.3g", want.h, want.w, want.c, worst)
}

func TestDenseBlockMatchesReference(t *testing.T) {
	for _, c := range []struct {
		size, inC, outC int
		first           bool
	}{{12, 3, 5, true}, {9, 3, 4, true}, {8, 4, 6, false}, {7, 6, 6, false}} {
		r := rand.New(rand.NewPCG(uint64(c.size), uint64(c.inC)))
		m := map[string]tfjs.Tensor{}
		x := randAct(r, c.size, c.size, c.inC)
		sep := func(in act, p string, stride int) act {
			dw := randWeights(r, m, p+"/depthwise_filter", 0.5, 3, 3, in.c, 1)
			pw := randWeights(r, m, p+"/pointwise_filter", 0.5, 1, 1, in.c, c.outC)
			b := randWeights(r, m, p+"/bias", 0.5, c.outC)
			return refConv(refConv(in, dw, nil, 3, in.c, stride, true, true), pw, b, 1, c.outC, 1, true, false)
		}
		var out1 act
		if c.first {
			f := randWeights(r, m, "blk/conv0/filters", 0.5, 3, 3, c.inC, c.outC)
			b := randWeights(r, m, "blk/conv0/bias", 0.5, c.outC)
			out1 = refConv(x, f, b, 3, c.outC, 2, true, false)
		} else {
			out1 = sep(x, "blk/conv0", 2)
		}
		out1 = refRelu(out1)
		out2 := sep(out1, "blk/conv1", 1)
		out3 := sep(refRelu(refAdd(out1, out2)), "blk/conv2", 1)
		out4 := sep(refRelu(refAdd(out1, refAdd(out2, out3))), "blk/conv3", 1)
		want := refRelu(refAdd(out1, refAdd(out2, refAdd(out3, out4))))
		got := runBlock(t, m, x, func(g *graph, v value) value { return g.denseBlock(v, "blk", c.inC, c.outC, c.first) })
		compareAct(t, got, want)
	}
}

// refScaledConv is face-api's dlib conv layer without ReLU, unfolded:
// conv + bias, then ·scale + shift.
func refScaledConv(r *rand.Rand, m map[string]tfjs.Tensor, x act, p string, k, outC, stride int, same bool) act {
	f := randWeights(r, m, p+"/conv/filters", 0.3, k, k, x.c, outC)
	b := randWeights(r, m, p+"/conv/bias", 0.3, outC)
	s := randWeights(r, m, p+"/scale/weights", 2, outC)
	sh := randWeights(r, m, p+"/scale/biases", 0.5, outC)
	o := refConv(x, f, b, k, outC, stride, same, false)
	for i := range o.d {
		o.d[i] = o.d[i]*s[i%outC] + sh[i%outC]
	}
	return o
}

func TestResidualBlocksMatchReference(t *testing.T) {
	// 8 → main path 3, shortcut 4: the row/column fix-up; 7 → both 3;
	// channels doubled in both.
	for _, size := range []int{8, 7, 4} {
		r := rand.New(rand.NewPCG(uint64(size), 2))
		m := map[string]tfjs.Tensor{}
		x := randAct(r, size, size, 3)
		a := refRelu(refScaledConv(r, m, x, "down/conv1", 3, 6, 2, false))
		a = refScaledConv(r, m, a, "down/conv2", 3, 6, 1, true)
		pooled := refPool(x, 2, 2, true)
		if a.h != pooled.h {
			a = refPad(a, 0, 1, 1)
		}
		down := refRelu(refAdd(refPad(pooled, 3, 0, 0), a))
		b := refRelu(refScaledConv(r, m, down, "res/conv1", 3, 6, 1, true))
		b = refScaledConv(r, m, b, "res/conv2", 3, 6, 1, true)
		want := refRelu(refAdd(b, down))
		got := runBlock(t, m, x, func(g *graph, v value) value {
			return g.residual(g.residualDown(v, "down"), "res")
		})
		compareAct(t, got, want)
	}
}

func TestStemMatchesReference(t *testing.T) {
	// face-api's normalisation, the dlib stem conv (7×7 stride 2 VALID) and
	// its 3×3 stride-2 max pool, on pixel values.
	r := rand.New(rand.NewPCG(7, 7))
	m := map[string]tfjs.Tensor{}
	x := randAct(r, 23, 23, 3)
	for i := range x.d {
		x.d[i] = float32(int((x.d[i] + 1) * 127.5))
	}
	norm := act{x.h, x.w, 3, make([]float32, len(x.d))}
	for i, v := range x.d {
		norm.d[i] = (v - faceAPIMeanRGB[i%3]) / 255
	}
	want := refPool(refRelu(refScaledConv(r, m, norm, "stem", 7, 4, 2, false)), 3, 2, false)
	got := runBlock(t, m, x, func(g *graph, v value) value {
		mean := g.konst("mean_rgb", []int64{1, 3, 1, 1}, faceAPIMeanRGB[:])
		inv := g.konst("inv255", nil, []float32{1.0 / 255})
		v.name = g.b.Mul(g.b.Sub(v.name, mean), inv)
		return g.pool(g.relu(g.scaledConv(v, "stem", 7, 2, false)), 3, 2, false)
	})
	compareAct(t, got, want)
}

func TestBuildErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	lm := map[string]tfjs.Tensor{}
	randWeights(r, lm, "dense0/conv0/filters", 1, 3, 3, 3, 32)
	if _, err := Landmark68(lm); err == nil || !strings.Contains(err.Error(), `"dense0/conv0/bias" missing`) {
		t.Errorf("Landmark68 without weights: %v", err)
	}
	lm["dense0/conv0/bias"] = tfjs.Tensor{Name: "dense0/conv0/bias", Shape: []int{31}, Float: make([]float32, 31)}
	if _, err := Landmark68(lm); err == nil || !strings.Contains(err.Error(), "shape [31], want [32]") {
		t.Errorf("Landmark68 with a wrong shape: %v", err)
	}
	lm["dense0/conv0/bias"] = tfjs.Tensor{Name: "dense0/conv0/bias", Shape: []int{32}, Int: make([]int32, 32)}
	if _, err := Landmark68(lm); err == nil || !strings.Contains(err.Error(), "not float32") {
		t.Errorf("Landmark68 with int weights: %v", err)
	}
	if _, err := DlibResNet(map[string]tfjs.Tensor{}); err == nil || !strings.Contains(err.Error(), "conv32_down/conv/filters") {
		t.Errorf("DlibResNet without weights: %v", err)
	}
	if _, err := Build("mobilenet", nil); err == nil {
		t.Error("unknown net accepted")
	}
	// A down block whose shortcut does not double the channels is not
	// face-api's and must not be papered over.
	m := map[string]tfjs.Tensor{}
	refScaledConv(r, m, act{8, 8, 4, make([]float32, 8*8*4)}, "d/conv1", 3, 5, 2, false)
	refScaledConv(r, m, act{3, 3, 5, make([]float32, 3*3*5)}, "d/conv2", 3, 5, 1, true)
	g := newGraph("bad", &weights{m: m})
	g.residualDown(value{g.b.Input("input", 1, 4, 8, 8), 4, 8, 8}, "d")
	if g.err == nil || !strings.Contains(g.err.Error(), "doubles") {
		t.Errorf("residualDown 4→5 channels: %v", g.err)
	}
}

package faceapi

import (
	"fmt"

	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// faceAPIMeanRGB is the per-channel mean face-api subtracts before dividing
// by 255 (ops/normalize and both nets' forwardInput).
var faceAPIMeanRGB = [3]float32{122.782, 117.001, 104.298}

// value is an NCHW activation with batch 1 and its static size.
type value struct {
	name    string
	c, h, w int
}

// graph wraps the ONNX builder with shape bookkeeping, so every layer knows
// its input size (SAME padding depends on it) and mismatches surface as
// errors at conversion time rather than in OpenCV.
type graph struct {
	b   *onnx.Builder
	w   *weights
	n   int // const counter
	err error
}

func newGraph(name string, w *weights) *graph {
	return &graph{b: onnx.NewBuilder(name, onnx.DefaultOpset), w: w}
}

func (g *graph) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, args...)
	}
}

func (g *graph) konst(prefix string, dims []int64, data []float32) string {
	g.n++
	return g.b.Const(fmt.Sprintf("%s_%d", prefix, g.n), dims, data)
}

// input declares the raw RGB input and applies face-api's normalisation.
func (g *graph) input(size int) value {
	x := g.b.Input("input", 1, 3, int64(size), int64(size))
	mean := g.konst("mean_rgb", []int64{1, 3, 1, 1}, faceAPIMeanRGB[:])
	inv := g.konst("inv255", nil, []float32{1.0 / 255})
	return value{g.b.Mul(g.b.Sub(x, mean), inv), 3, size, size}
}

// outSize is a conv/pool output size; same selects TF's SAME padding and
// returns the (begin, end) pads, VALID has none.
func outSize(in, k, stride int, same bool) (out, padBegin, padEnd int) {
	if same {
		b, e := onnx.SamePads(int64(in), int64(k), int64(stride), 1)
		return (in + stride - 1) / stride, int(b), int(e)
	}
	if in < k {
		return 0, 0, 0
	}
	return (in-k)/stride + 1, 0, 0
}

// conv is a TF conv2d (filters OIHW already, bias "" for none); groups == c
// is the depthwise case.
func (g *graph) conv(x value, wOIHW []float32, bias []float32, outC, k, stride int, same bool, groups int) value {
	oh, pb, pe := outSize(x.h, k, stride, same)
	ow, _, _ := outSize(x.w, k, stride, same)
	if oh <= 0 || ow <= 0 {
		g.fail("conv %d×%d stride %d on a %d×%d input leaves nothing", k, k, stride, x.h, x.w)
		return x
	}
	inPerGroup := x.c / groups
	w := g.konst("w", []int64{int64(outC), int64(inPerGroup), int64(k), int64(k)}, wOIHW)
	b := ""
	if bias != nil {
		b = g.konst("b", []int64{int64(outC)}, bias)
	}
	p := onnx.ConvParams{
		Kernel:  []int64{int64(k), int64(k)},
		Strides: []int64{int64(stride), int64(stride)},
		Pads:    []int64{int64(pb), int64(pb), int64(pe), int64(pe)},
		Group:   int64(groups),
	}
	return value{g.b.Conv(x.name, w, b, p), outC, oh, ow}
}

func (g *graph) relu(x value) value { return value{g.b.Relu(x.name), x.c, x.h, x.w} }

func (g *graph) add(x, y value) value {
	if x.c != y.c || x.h != y.h || x.w != y.w {
		g.fail("adding %d×%d×%d to %d×%d×%d", x.c, x.h, x.w, y.c, y.h, y.w)
	}
	return value{g.b.Add(x.name, y.name), x.c, x.h, x.w}
}

// pool is a VALID max or average pool.
func (g *graph) pool(x value, k, stride int, avg bool) value {
	oh, _, _ := outSize(x.h, k, stride, false)
	ow, _, _ := outSize(x.w, k, stride, false)
	if oh <= 0 || ow <= 0 {
		g.fail("pool %d×%d on a %d×%d input leaves nothing", k, k, x.h, x.w)
		return x
	}
	p := onnx.PoolParams{Kernel: []int64{int64(k), int64(k)}, Strides: []int64{int64(stride), int64(stride)}}
	if avg {
		return value{g.b.AveragePool(x.name, p), x.c, oh, ow}
	}
	return value{g.b.MaxPool(x.name, p), x.c, oh, ow}
}

// pad zero-pads channels and the bottom/right edges.
func (g *graph) pad(x value, extraC, extraH, extraW int) value {
	pads := []int64{0, 0, 0, 0, 0, int64(extraC), int64(extraH), int64(extraW)}
	return value{g.b.Pad(x.name, pads, 0), x.c + extraC, x.h + extraH, x.w + extraW}
}

// dense is TF's matMul(x, W) (+ bias) on a 1×1 activation, written to the
// named graph output.
func (g *graph) dense(x value, w []float32, bias []float32, out int, output string) {
	if x.h != 1 || x.w != 1 {
		g.fail("fully connected layer on a %d×%d activation", x.h, x.w)
		return
	}
	flat := g.b.Flatten(x.name, 1)
	wt := g.konst("fc_w", []int64{int64(out), int64(x.c)}, transpose2D(w, x.c, out))
	in := []string{flat, wt}
	if bias != nil {
		in = append(in, g.konst("fc_b", []int64{int64(out)}, bias))
	}
	g.b.NodeOut("Gemm", in, []string{output}, onnx.AttrI("transB", 1))
	g.b.Output(output, 1, int64(out))
}

// build runs body on a fresh graph over the weights m and returns the model
// or the first weight, shape or builder error, naming the net.
func build(graphName, netName string, m map[string]tfjs.Tensor, body func(g *graph)) (*onnx.Model, error) {
	g := newGraph(graphName, &weights{m: m})
	body(g)
	model, err := g.model()
	if err != nil {
		return nil, fmt.Errorf("faceapi: %s: %w", netName, err)
	}
	return model, nil
}

// model finishes the graph, reporting the first weight, shape or builder
// error.
func (g *graph) model() (*onnx.Model, error) {
	if g.w.err != nil {
		return nil, g.w.err
	}
	if g.err != nil {
		return nil, g.err
	}
	return g.b.Model()
}

package tfjsgraph

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"gocv.io/x/gocv"

	"autogate/models/convert/tfjs"
)

// testGraph builds a TF.js graph model.json and its single weight shard the
// way the TF.js converter lays them out, so tests go through Parse and the
// manifest decoder like a real model.
type testGraph struct {
	nodes     []map[string]any
	manifest  []map[string]any
	shard     []byte
	signature map[string]any
}

func (g *testGraph) placeholder(name string, shape ...int) {
	dims := make([]map[string]string, len(shape))
	for i, d := range shape {
		dims[i] = map[string]string{"size": strconv.Itoa(d)}
	}
	g.op(name, "Placeholder", nil, map[string]any{
		"dtype": map[string]any{"type": "DT_FLOAT"},
		"shape": map[string]any{"shape": map[string]any{"dim": dims}},
	})
}

func (g *testGraph) constF(name string, data []float32, shape ...int) {
	for _, v := range data {
		g.shard = binary.LittleEndian.AppendUint32(g.shard, math.Float32bits(v))
	}
	g.manifest = append(g.manifest, map[string]any{"name": name, "shape": shape, "dtype": "float32"})
	g.op(name, "Const", nil, map[string]any{"dtype": map[string]any{"type": "DT_FLOAT"}})
}

func (g *testGraph) constI(name string, data []int32, shape ...int) {
	for _, v := range data {
		g.shard = binary.LittleEndian.AppendUint32(g.shard, uint32(v))
	}
	g.manifest = append(g.manifest, map[string]any{"name": name, "shape": shape, "dtype": "int32"})
	g.op(name, "Const", nil, map[string]any{"dtype": map[string]any{"type": "DT_INT32"}})
}

func (g *testGraph) op(name, op string, inputs []string, attr map[string]any) {
	n := map[string]any{"name": name, "op": op, "input": inputs}
	if attr != nil {
		n["attr"] = attr
	}
	g.nodes = append(g.nodes, n)
}

func (g *testGraph) json(t testing.TB) []byte {
	t.Helper()
	m := map[string]any{
		"format":          "graph-model",
		"generatedBy":     "test",
		"modelTopology":   map[string]any{"node": g.nodes, "library": map[string]any{}, "versions": map[string]any{}},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1.bin"}, "weights": g.manifest}},
	}
	if g.signature != nil {
		m["signature"] = g.signature
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parse runs the JSON through Parse and the weights through tfjs.Decode.
func (g *testGraph) parse(t testing.TB) (*Model, map[string]tfjs.Tensor) {
	t.Helper()
	m, err := Parse(g.json(t))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	w, err := tfjs.Decode(m.Manifest, func(string) ([]byte, error) { return g.shard, nil })
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return m, w
}

// Attribute values in TF.js's JSON encoding.
func aInts(v ...int) map[string]any {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return map[string]any{"list": map[string]any{"i": s}}
}

func aStr(s string) map[string]any { return map[string]any{"s": []byte(s)} } // json encodes []byte as base64

func aStrs(v ...string) map[string]any {
	b := make([][]byte, len(v))
	for i, s := range v {
		b[i] = []byte(s)
	}
	return map[string]any{"list": map[string]any{"s": b}}
}

// convAttr is a Conv/DepthwiseConv/MaxPool attribute set.
func convAttr(stride, dilation int, padding string, fused ...string) map[string]any {
	a := map[string]any{
		"data_format": aStr("NHWC"),
		"strides":     aInts(1, stride, stride, 1),
		"dilations":   aInts(1, dilation, dilation, 1),
		"padding":     aStr(padding),
	}
	if len(fused) > 0 {
		a["fused_ops"] = aStrs(fused...)
	}
	return a
}

// nhwc is a batch-1 activation in TF's layout.
type nhwc struct {
	h, w, c int
	d       []float32
}

func newNHWC(h, w, c int) nhwc { return nhwc{h, w, c, make([]float32, h*w*c)} }

func (x nhwc) at(y, xx, c int) float32 { return x.d[(y*x.w+xx)*x.c+c] }

func randData(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// refConv is TF's convolution written out: filter HWIO, or H×W×C×M for
// depthwise (output channel c·M+m), pads [top, left, bottom, right].
func refConv(x nhwc, f []float32, kh, kw, fo int, depthwise bool, stride, dil int, pads [4]int, bias []float32) nhwc {
	oh := (x.h+pads[0]+pads[2]-((kh-1)*dil+1))/stride + 1
	ow := (x.w+pads[1]+pads[3]-((kw-1)*dil+1))/stride + 1
	outC := fo
	if depthwise {
		outC = x.c * fo
	}
	out := newNHWC(oh, ow, outC)
	for oy := range oh {
		for ox := range ow {
			for oc := range outC {
				var sum float64
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ky := range kh {
					for kx := range kw {
						iy, ix := oy*stride+ky*dil-pads[0], ox*stride+kx*dil-pads[1]
						if iy < 0 || iy >= x.h || ix < 0 || ix >= x.w {
							continue
						}
						if depthwise {
							sum += float64(x.at(iy, ix, oc/fo)) * float64(f[(ky*kw+kx)*outC+oc])
							continue
						}
						for ic := range x.c {
							sum += float64(x.at(iy, ix, ic)) * float64(f[((ky*kw+kx)*x.c+ic)*fo+oc])
						}
					}
				}
				out.d[(oy*ow+ox)*outC+oc] = float32(sum)
			}
		}
	}
	return out
}

// refMaxPool pools with pads that never win (−∞).
func refMaxPool(x nhwc, k, stride int, pads [4]int) nhwc {
	oh := (x.h+pads[0]+pads[2]-k)/stride + 1
	ow := (x.w+pads[1]+pads[3]-k)/stride + 1
	out := newNHWC(oh, ow, x.c)
	for oy := range oh {
		for ox := range ow {
			for c := range x.c {
				m := float32(math.Inf(-1))
				for ky := range k {
					for kx := range k {
						iy, ix := oy*stride+ky-pads[0], ox*stride+kx-pads[1]
						if iy >= 0 && iy < x.h && ix >= 0 && ix < x.w {
							m = max(m, x.at(iy, ix, c))
						}
					}
				}
				out.d[(oy*ow+ox)*x.c+c] = m
			}
		}
	}
	return out
}

// refPad zero-pads [top, bottom, left, right, channels before, after].
func refPad(x nhwc, t, b, l, r, c0, c1 int) nhwc {
	out := newNHWC(x.h+t+b, x.w+l+r, x.c+c0+c1)
	for y := range x.h {
		for xx := range x.w {
			for c := range x.c {
				out.d[((y+t)*out.w+xx+l)*out.c+c+c0] = x.at(y, xx, c)
			}
		}
	}
	return out
}

func mapEach(x nhwc, f func(i int, v float32) float32) nhwc {
	out := nhwc{x.h, x.w, x.c, make([]float32, len(x.d))}
	for i, v := range x.d {
		out.d[i] = f(i, v)
	}
	return out
}

func relu(_ int, v float32) float32 { return max(v, 0) }

// toNCHW reorders a reference activation to the ONNX layout.
func (x nhwc) toNCHW() []float32 {
	out := make([]float32, len(x.d))
	for y := range x.h {
		for xx := range x.w {
			for c := range x.c {
				out[(c*x.h+y)*x.w+xx] = x.at(y, xx, c)
			}
		}
	}
	return out
}

// runOpenCV converts the graph, loads it with OpenCV's ONNX importer, feeds
// x (NHWC, reordered to an NCHW blob) and returns the named outputs.
func runOpenCV(t *testing.T, g *testGraph, opt Options, x nhwc, outputs ...string) [][]float32 {
	t.Helper()
	m, w := g.parse(t)
	om, err := Convert(m, w, opt)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := om.Graph.OpTypes()
	t.Logf("ONNX ops %v", ops)
	net, err := gocv.ReadNetFromONNXBytes(b)
	if err != nil {
		t.Fatalf("OpenCV refused the model: %v", err)
	}
	defer net.Close()
	in := x.toNCHW()
	raw := make([]byte, 4*len(in))
	for i, v := range in {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	blob, err := gocv.NewMatWithSizesFromBytes([]int{1, x.c, x.h, x.w}, gocv.MatTypeCV32F, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	net.SetInput(blob, "input")
	mats := net.ForwardLayers(outputs)
	res := make([][]float32, len(mats))
	for i, o := range mats {
		d, err := o.DataPtrFloat32()
		if err != nil {
			t.Fatalf("output %q: %v", outputs[i], err)
		}
		res[i] = slices.Clone(d)
		o.Close()
	}
	if len(res) != len(outputs) {
		t.Fatalf("OpenCV returned %d outputs for %v", len(res), outputs)
	}
	return res
}

func compare(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: OpenCV gave %d values, the Go reference %d", name, len(got), len(want))
	}
	worst, at := 0.0, 0
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if !(worst <= 1e-4) {
		t.Fatalf("%s: max |OpenCV − Go| = %g at %d (OpenCV %g, Go %g)", name, worst, at, got[at], want[at])
	}
	t.Logf("%s: max |OpenCV − Go| = %.2g over %d values", name, worst, len(want))
}

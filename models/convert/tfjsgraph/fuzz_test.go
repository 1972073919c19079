package tfjsgraph

import (
	"testing"

	"autogate/models/convert/tfjs"
)

// FuzzParse feeds arbitrary model.json bytes (graph and weights manifest)
// to Parse and, when they parse, converts the graph with zero weights of the
// manifest's shapes: neither may panic, loop or allocate without bound.
func FuzzParse(f *testing.F) {
	f.Add(tinyGraph().json(f))
	g := tinyGraph()
	g.constI("s", []int32{1, -1, 1}, 3)
	g.op("flat", "Reshape", []string{"act", "s"}, nil)
	g.constI("p", []int32{0, 0, 1, 0, 0, 1, 0, 2}, 4, 2)
	g.op("pad", "Pad", []string{"act", "p"}, nil)
	g.op("mp", "MaxPool", []string{"pad"}, map[string]any{"ksize": aInts(1, 2, 2, 1), "strides": aInts(1, 2, 2, 1), "padding": aStr("SAME")})
	f.Add(g.json(f))
	d := tinyGraph() // a dense head: folded batch norm, Dense, Softmax/Sigmoid
	d.constF("k", []float32{0.5}, 1)
	d.op("bn", "Mul", []string{"act", "k"}, nil)
	d.constI("s2", []int32{1, 4}, 2)
	d.op("flat", "Reshape", []string{"bn", "s2"}, nil)
	d.constF("wd", make([]float32, 8), 4, 2)
	d.constF("bd", make([]float32, 2), 2)
	d.op("dense", "_FusedMatMul", []string{"flat", "wd", "bd"}, map[string]any{"fused_ops": aStrs("BiasAdd", "Relu")})
	d.op("sm", "Softmax", []string{"dense"}, nil)
	d.op("sg", "Sigmoid", []string{"dense"}, nil)
	f.Add(d.json(f))
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"a","op":"Identity","input":["a"]}]}}`))
	f.Add([]byte(`{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"-1"},{"size":"9"}]}}}}]},"weightsManifest":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		weights := map[string]tfjs.Tensor{}
		total := 0
		for _, grp := range m.Manifest {
			for _, w := range grp.Weights {
				n := 1
				for _, d := range w.Shape {
					n *= d
					if n > 1<<16 {
						return // the decoder checks real sizes against the shards
					}
				}
				if total += n; total > 1<<18 {
					return
				}
				tt := tfjs.Tensor{Name: w.Name, Shape: w.Shape}
				if w.Dtype == "int32" {
					tt.Int = make([]int32, n)
				} else {
					tt.Float = make([]float32, n)
				}
				weights[w.Name] = tt
			}
		}
		om, err := Convert(m, weights, Options{})
		if err == nil {
			if _, err := om.Marshal(); err != nil {
				t.Fatalf("converted model does not marshal: %v", err)
			}
		}
	})
}

package tfjsgraph

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyGraph is input → 1×1 conv → Relu, the base the error cases alter.
func tinyGraph() *testGraph {
	g := &testGraph{}
	g.placeholder("input", 1, 2, 2, 1)
	g.constF("w", []float32{2}, 1, 1, 1, 1)
	g.op("conv", "Conv2D", []string{"input", "w"}, convAttr(1, 1, "VALID"))
	g.op("act", "Relu", []string{"conv"}, nil)
	return g
}

func TestParseReadsTheTFJSEncoding(t *testing.T) {
	g := tinyGraph()
	g.signature = map[string]any{"inputs": map[string]any{"input:0": map[string]any{}}, "outputs": map[string]any{"act:0": map[string]any{}}}
	m, w := g.parse(t)
	if len(m.Nodes) != 4 || m.Nodes[2].Op != "Conv2D" || m.Nodes[2].attrString("padding") != "VALID" {
		t.Fatalf("nodes %+v", m.Nodes)
	}
	if s := m.Nodes[2].attrInts("strides"); !slices.Equal(s, []int64{1, 1, 1, 1}) {
		t.Errorf("strides %v, want [1 1 1 1] (int64 strings)", s)
	}
	if d := m.Nodes[0].Attr["shape"].Shape.Dims(); !slices.Equal(d, []int64{1, 2, 2, 1}) {
		t.Errorf("placeholder shape %v", d)
	}
	if !slices.Equal(m.SignatureInputs, []string{"input"}) || !slices.Equal(m.SignatureOutputs, []string{"act"}) {
		t.Errorf("signature %v → %v, want [input] → [act]", m.SignatureInputs, m.SignatureOutputs)
	}
	if got := w["w"].Float; !slices.Equal(got, []float32{2}) {
		t.Errorf("weight w = %v", got)
	}
	if !strings.Contains(m.String(), "Conv2D×1") {
		t.Errorf("String() = %q", m.String())
	}
}

func TestDefaultOutputs(t *testing.T) {
	g := tinyGraph()
	g.op("dead", "Relu", []string{"conv"}, nil) // a second sink
	m, w := g.parse(t)
	om, err := Convert(m, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range om.Graph.Outputs {
		names = append(names, o.Name)
	}
	if !slices.Equal(names, []string{"act", "dead"}) {
		t.Errorf("outputs without a signature %v, want the sinks [act dead]", names)
	}
	// With a signature, only its outputs are converted.
	m.SignatureOutputs = []string{"act"}
	if om, err = Convert(m, w, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(om.Graph.Outputs) != 1 || om.Graph.Outputs[0].Name != "act" {
		t.Errorf("outputs %+v, want the signature's [act]", om.Graph.Outputs)
	}
	if _, count := om.Graph.OpTypes(); count["Relu"] != 1 {
		t.Errorf("%d Relu nodes: the unused branch should not be converted", count["Relu"])
	}
	// An explicit input shape overrides the placeholder's.
	om, err = Convert(m, w, Options{InputShapes: map[string][]int64{"input": {1, 5, 3, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := om.Graph.Inputs[0].Shape; len(s) != 4 || s[1].Value != 1 || s[2].Value != 5 || s[3].Value != 3 {
		t.Errorf("input shape %+v, want NCHW [1 1 5 3]", s)
	}
}

func TestParseRefusesMalformedModels(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"not json", `{"format":`, "parsing model.json"},
		{"layers model", `{"format":"layers-model","modelTopology":{"node":[{"name":"a","op":"Relu"}]}}`, "layers-model"},
		{"no nodes", `{"format":"graph-model","modelTopology":{}}`, "no modelTopology.node"},
		{"unnamed node", `{"modelTopology":{"node":[{"op":"Relu"}]}}`, "has no name"},
		{"no op", `{"modelTopology":{"node":[{"name":"a"}]}}`, "has no op"},
		{"duplicate", `{"modelTopology":{"node":[{"name":"a","op":"Relu"},{"name":"a","op":"Relu"}]}}`, "used twice"},
		{"bad int", `{"modelTopology":{"node":[{"name":"a","op":"Relu","attr":{"x":{"i":"1.5"}}}]}}`, "not an int64"},
		{"bad manifest", `{"modelTopology":{"node":[{"name":"a","op":"Relu"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[-1],"dtype":"float32"}]}]}`, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestConvertRefusesWhatItCannotMap(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(g *testGraph)
		opt    Options
		want   string
	}{
		{"unsupported op", func(g *testGraph) { g.op("th", "Tanh", []string{"act"}, nil) }, Options{}, `"th" (Tanh): op "Tanh" is not supported`},
		{"4-D softmax", func(g *testGraph) { g.op("sm", "Softmax", []string{"act"}, nil) }, Options{}, "only 2-D softmax"},
		{"matmul on 4-D", func(g *testGraph) { g.op("mm", "MatMul", []string{"act", "w"}, nil) }, Options{}, "must both be 2-D"},
		{"missing input", func(g *testGraph) { g.op("x", "Relu", []string{"nowhere"}, nil) }, Options{}, `input "nowhere" is not a node`},
		{"cycle", func(g *testGraph) {
			g.op("p", "Relu", []string{"q"}, nil)
			g.op("q", "Relu", []string{"p"}, nil)
		}, Options{Outputs: []Output{{Name: "o", From: []string{"q"}}}}, "cycle"},
		{"second output", func(g *testGraph) { g.op("x", "Relu", []string{"conv:1"}, nil) }, Options{}, "only the first output"},
		{"unknown output", nil, Options{Outputs: []Output{{Name: "o", From: []string{"nope"}}}}, `"nope" is not a node`},
		{"const output", nil, Options{Outputs: []Output{{Name: "o", From: []string{"w"}}}}, "constant"},
		{"concat mismatch", func(g *testGraph) {
			g.constI("s", []int32{1, 4, 1}, 3)
			g.op("flat", "Reshape", []string{"act", "s"}, nil)
		}, Options{Outputs: []Output{{Name: "o", From: []string{"act", "flat"}, Axis: 1}}}, "cannot concatenate"},
		{"nchw", func(g *testGraph) {
			a := convAttr(1, 1, "VALID")
			a["data_format"] = aStr("NCHW")
			g.op("x", "Conv2D", []string{"input", "w"}, a)
		}, Options{}, "only NHWC"},
		{"unknown padding", func(g *testGraph) { g.op("x", "Conv2D", []string{"input", "w"}, convAttr(1, 1, "CAUSAL")) }, Options{}, `padding "CAUSAL"`},
		{"fused batch norm", func(g *testGraph) {
			g.op("x", "_FusedConv2D", []string{"input", "w", "w"}, convAttr(1, 1, "VALID", "FusedBatchNorm"))
		}, Options{}, "only BiasAdd"},
		{"weight not in manifest", func(g *testGraph) {
			g.op("w2", "Const", nil, nil)
			g.op("x", "Conv2D", []string{"input", "w2"}, convAttr(1, 1, "VALID"))
		}, Options{}, "not in the weights manifest"},
		{"activation as filter", func(g *testGraph) { g.op("x", "Conv2D", []string{"input", "act"}, convAttr(1, 1, "VALID")) }, Options{}, "must be a constant"},
		{"channel mismatch", func(g *testGraph) {
			g.constF("w3", make([]float32, 3), 1, 1, 3, 1)
			g.op("x", "Conv2D", []string{"input", "w3"}, convAttr(1, 1, "VALID"))
		}, Options{}, "expects 3 input channels"},
		{"window too big", func(g *testGraph) {
			g.constF("w5", make([]float32, 25), 5, 5, 1, 1)
			g.op("x", "Conv2D", []string{"input", "w5"}, convAttr(1, 1, "VALID"))
		}, Options{}, "does not fit"},
		{"bad reshape", func(g *testGraph) {
			g.constI("s", []int32{3, -1}, 2)
			g.op("x", "Reshape", []string{"act", "s"}, nil)
		}, Options{}, "cannot reshape"},
		{"negative pad", func(g *testGraph) {
			g.constI("p", []int32{0, 0, -1, 0, 0, 0, 0, 0}, 4, 2)
			g.op("x", "Pad", []string{"act", "p"}, nil)
		}, Options{}, "negative padding"},
		{"add broadcast", func(g *testGraph) {
			g.op("mp", "MaxPool", []string{"act"}, map[string]any{"ksize": aInts(1, 2, 2, 1), "padding": aStr("VALID")})
			g.op("x", "AddV2", []string{"act", "mp"}, nil)
		}, Options{}, "only equal shapes"},
		{"unknown dims", nil, Options{InputShapes: map[string][]int64{"input": {1, -1, 2, 1}}}, "dims must lie"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := tinyGraph()
			if c.change != nil {
				c.change(g)
			}
			m, w := g.parse(t)
			_, err := Convert(m, w, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Convert: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestLoadReadsShardsBesideTheModel(t *testing.T) {
	dir := t.TempDir()
	g := tinyGraph()
	if err := os.WriteFile(filepath.Join(dir, "model.json"), g.json(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(filepath.Join(dir, "model.json")); err == nil || !strings.Contains(err.Error(), "group1-shard1of1.bin") {
		t.Fatalf("Load without the shard: %v, want an error naming it", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "group1-shard1of1.bin"), g.shard, 0o644); err != nil {
		t.Fatal(err)
	}
	m, w, err := Load(filepath.Join(dir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 4 || !slices.Equal(w["w"].Float, []float32{2}) {
		t.Fatalf("loaded %d nodes, weight %v", len(m.Nodes), w["w"].Float)
	}
}

func TestLoadRefusesShardsOutsideTheModelFolder(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "model")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.bin"), make([]byte, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../secret.bin", "/etc/passwd", "a/../../secret.bin"} {
		json := `{"modelTopology":{"node":[{"name":"w","op":"Const"}]},"weightsManifest":[{"paths":["` + p + `"],"weights":[{"name":"w","shape":[1],"dtype":"float32"}]}]}`
		if err := os.WriteFile(filepath.Join(inner, "model.json"), []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(filepath.Join(inner, "model.json")); err == nil {
			t.Errorf("shard path %q was read", p)
		}
	}
}

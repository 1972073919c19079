package onnx

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"
)

// handModel is a ModelProto assembled by hand from the protobuf wire format
// and onnx.proto's field numbers, independent of the writer: a Relu node
// with an ints attribute, an input with a fixed and a symbolic dim, opset 11.
var handModel = strings.Join([]string{
	"0806",         // ir_version = 6
	"3a41",         // graph, 65 bytes
	"0a1b",         //   node, 27 bytes
	"0a0178",       //     input "x"
	"120179",       //     output "y"
	"1a016e",       //     name "n"
	"220452656c75", //     op_type "Relu"
	"2a0a",         //     attribute, 10 bytes
	"0a0161",       //       name "a"
	"42020102",     //       ints [1 2], packed
	"a00107",       //       type = INTS (field 20)
	"120167",       //   name "g"
	"5a14",         //   input, 20 bytes
	"0a0178",       //     name "x"
	"120f0a0d",     //     type { tensor_type {
	"0801",         //       elem_type FLOAT
	"1209",         //       shape {
	"0a020803",     //         dim { dim_value 3 }
	"0a0312014e",   //         dim { dim_param "N" } } } }
	"6209",         //   output, 9 bytes
	"0a0179",       //     name "y"
	"12040a020801", //     type { tensor_type { elem_type FLOAT } }
	"4202100b",     // opset_import { version 11 }
}, "")

func handModelWant() *Model {
	return &Model{
		IRVersion: 6,
		Opsets:    []OpsetID{{Version: 11}},
		Graph: &Graph{
			Name: "g",
			Nodes: []*Node{{
				Name: "n", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"},
				Attributes: []*Attribute{{Name: "a", Type: AttrInts, Ints: []int64{1, 2}}},
			}},
			Inputs:  []*ValueInfo{{Name: "x", ElemType: Float, Shape: []Dim{{Value: 3}, {Param: "N"}}}},
			Outputs: []*ValueInfo{{Name: "y", ElemType: Float}},
		},
	}
}

func TestReadHandAssembledModel(t *testing.T) {
	raw, err := hex.DecodeString(handModel)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadModel(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := handModelWant(); !reflect.DeepEqual(m, want) {
		t.Fatalf("read %+v\nwant %+v", m.Graph, want.Graph)
	}
	// The writer must produce exactly these bytes for this model.
	out, err := handModelWant().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, raw) {
		t.Fatalf("writer output\n%x\nwant\n%x", out, raw)
	}
	// proto2 writers (onnx's own) emit repeated ints unpacked: same model.
	unpacked, _ := hex.DecodeString(strings.Replace(handModel, "2a0a0a016142020102a00107", "2a0a0a016140014002a00107", 1))
	m2, err := ReadModel(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	if got := m2.Graph.Nodes[0].Attributes[0].Ints; !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Fatalf("unpacked ints read as %v, want [1 2]", got)
	}
}

// TestRoundTripEveryField writes every field the package models and reads
// it back unchanged.
func TestRoundTripEveryField(t *testing.T) {
	w, err := FloatTensor("w", []int64{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.125})
	if err != nil {
		t.Fatal(err)
	}
	shape, err := Int64Tensor("shape", []int64{2}, []int64{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	typed := &Tensor{Name: "typed", DataType: Float, Dims: []int64{2}, FloatData: []float32{0.5, -7}}
	ints := &Tensor{Name: "ints", DataType: Int32, Dims: []int64{3}, Int32Data: []int32{-1, 0, 1 << 30}}
	longs := &Tensor{Name: "longs", DataType: Int64, Dims: []int64{1}, Int64Data: []int64{-1 << 40}}
	doubles := &Tensor{Name: "doubles", DataType: Double, Dims: []int64{2}, DoubleData: []float64{math.Pi, -1e300}}
	scalar := &Tensor{Name: "scalar", DataType: Float, RawData: []byte{0, 0, 0x80, 0x3f}}
	body := &Graph{
		Name:    "body",
		Nodes:   []*Node{{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"b"}}},
		Inputs:  []*ValueInfo{{Name: "a", ElemType: Float, Shape: []Dim{}}},
		Outputs: []*ValueInfo{{Name: "b", ElemType: Float, Shape: []Dim{}}},
	}
	m := &Model{
		IRVersion: 7, ProducerName: "autogate", ProducerVersion: "0.1", Domain: "org.autogate",
		ModelVersion: 3, DocString: "round trip",
		Opsets: []OpsetID{{Version: 11}, {Domain: "com.microsoft", Version: 1}},
		Graph: &Graph{
			Name:      "main",
			DocString: "graph doc",
			Nodes: []*Node{
				{
					Name: "conv", OpType: "Conv", Domain: "", DocString: "node doc",
					Inputs: []string{"x", "w", ""}, Outputs: []string{"y"},
					Attributes: []*Attribute{
						AttrI("group", -3), AttrIs("pads", 0, 1, 1, 1), AttrF("alpha", 0.25),
						AttrFs("scales", 1, 2.5), AttrS("auto_pad", "NOTSET"),
						{Name: "names", Type: AttrStrings, Strings: [][]byte{[]byte("a"), {}}},
						AttrT("value", typed), {Name: "body", Type: AttrGraph, G: body},
					},
				},
				{Name: "custom", OpType: "Fused", Domain: "com.microsoft", Inputs: []string{"y"}, Outputs: []string{"z", "z2"}},
			},
			Initializers: []*Tensor{w, shape, ints, longs, doubles, scalar},
			Inputs:       []*ValueInfo{{Name: "x", ElemType: Float, Shape: []Dim{{Param: "batch"}, {Value: 3}}}},
			Outputs:      []*ValueInfo{{Name: "z", ElemType: Float16}},
			ValueInfo:    []*ValueInfo{{Name: "y", ElemType: Float, Shape: []Dim{{Value: 1}}}},
		},
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip changed the model:\n got %+v\nwant %+v", back.Graph, m.Graph)
	}
	got, err := back.Graph.Initializer("w").Float32s()
	if err != nil || got[1] != -2 || !math.IsInf(float64(got[3]), 1) {
		t.Fatalf("w = %v, %v", got, err)
	}
	if v, err := typed.Float32s(); err != nil || v[1] != -7 {
		t.Fatalf("float_data tensor = %v, %v", v, err)
	}
	if v, err := back.Graph.Initializer("shape").Int64s(); err != nil || !reflect.DeepEqual(v, []int64{1, -1}) {
		t.Fatalf("shape = %v, %v", v, err)
	}
	ops, count := back.Graph.OpTypes()
	if !reflect.DeepEqual(ops, []string{"Conv", "com.microsoft:Fused"}) || count["Conv"] != 1 {
		t.Fatalf("op types %v %v", ops, count)
	}
}

func TestReadModelRejectsBadInput(t *testing.T) {
	good, _ := hex.DecodeString(handModel)
	for _, c := range []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "no graph"},
		{"not protobuf", []byte("this is a JPEG, not a model"), "not a readable ONNX model"},
		{"truncated", good[:len(good)-9], "not a readable ONNX model"},
		{"graph as varint", []byte{0x38, 0x01}, "wire type"},
		{"node bytes cut", append([]byte{0x3a, 0x03, 0x0a, 0x05}, 1, 2, 3), "GraphProto"},
		{"packed floats cut", []byte{0x3a, 0x0c, 0x0a, 0x0a, 0x2a, 0x08, 0x0a, 0x01, 0x66, 0x3a, 0x03, 1, 2, 3}, "not a multiple of 4"},
		{"nested graphs", nestedGraphs(maxGraphNestings + 2), "nest deeper"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := ReadModel(c.input)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadModel = %v, %v; want an error containing %q", m, err, c.want)
			}
		})
	}
}

// nestedGraphs encodes a model whose graph holds a node whose graph
// attribute holds a node ... depth times.
func nestedGraphs(depth int) []byte {
	g := []byte{0x12, 0x01, 'g'} // GraphProto{name: "g"}
	for range depth {
		attr := appendString(nil, attrName, "body")
		attr = appendMessage(attr, attrG, g)
		node := appendString(nil, nodeOpType, "If")
		node = appendMessage(node, nodeAttribute, attr)
		g = appendMessage(nil, graphNode, node)
	}
	return appendMessage(nil, modelGraph, g)
}

func TestTensorDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		t    *Tensor
		want string
	}{
		{&Tensor{Name: "short", DataType: Float, Dims: []int64{2, 2}, RawData: make([]byte, 12)}, "need 16 bytes"},
		{&Tensor{Name: "int", DataType: Int64, Dims: []int64{1}}, "not FLOAT"},
		{&Tensor{Name: "neg", DataType: Float, Dims: []int64{-1}}, "negative dim"},
		{&Tensor{Name: "huge", DataType: Float, Dims: []int64{1 << 40, 1 << 40}}, "too large"},
		{&Tensor{Name: "few", DataType: Float, Dims: []int64{3}, FloatData: []float32{1}}, "need 3 floats"},
	} {
		if _, err := c.t.Float32s(); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.t.Name) {
			t.Errorf("tensor %q: err %v, want one naming it and containing %q", c.t.Name, err, c.want)
		}
	}
	bad := &Model{Graph: &Graph{Initializers: []*Tensor{{Name: "w", DataType: Float, Dims: []int64{4}, RawData: make([]byte, 8)}}}}
	if _, err := bad.Marshal(); err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("Marshal of a short raw_data tensor: %v", err)
	}
	if _, err := (&Model{}).Marshal(); err == nil {
		t.Error("Marshal of a model without graph succeeded")
	}
}

func TestBuilderReportsMistakes(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"undefined input", func(b *Builder) { b.Output(b.Relu("nope"), 1) }, `input "nope" is not defined`},
		{"duplicate", func(b *Builder) { x := b.Input("x", 1); b.Const("x", []int64{1}, []float32{1}); b.Output(x) }, `"x" is defined twice`},
		{"weights length", func(b *Builder) {
			x := b.Input("x", 1, 1, 2, 2)
			b.Output(b.Conv(x, b.Const("w", []int64{1, 1, 2, 2}, []float32{1, 2, 3}), "", ConvParams{}))
		}, "hold 4 values, got 3"},
		{"no outputs", func(b *Builder) { b.Relu(b.Input("x", 1)) }, "no outputs"},
		{"unknown output", func(b *Builder) { b.Input("x", 1); b.Output("y") }, `output "y"`},
		{"pool without kernel", func(b *Builder) { b.Output(b.MaxPool(b.Input("x", 1), PoolParams{})) }, "kernel"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder("g", DefaultOpset)
			c.build(b)
			if _, err := b.Model(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Model() error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestBuilderEncodings(t *testing.T) {
	// Clip keeps min/max as attributes at every opset (OpenCV 4.6 needs
	// it); Pad switches to inputs at opset 11.
	for _, opset := range []int64{9, 11, 13} {
		b := NewBuilder("g", opset)
		x := b.Input("x", 1, 1, 2, 2)
		b.Output(b.Pad(b.Clip(x, 0, 6), []int64{0, 0, 1, 1, 0, 0, 0, 0}, 0))
		m, err := b.Model()
		if err != nil {
			t.Fatal(err)
		}
		clip, pad := m.Graph.Nodes[0], m.Graph.Nodes[1]
		if len(clip.Inputs) != 1 || clip.Attr("min").F != 0 || clip.Attr("max").F != 6 {
			t.Errorf("opset %d: Clip = %+v", opset, clip)
		}
		if opset >= 11 {
			p, err := m.Graph.Initializer(pad.Inputs[1]).Int64s()
			if err != nil || pad.Attr("pads") != nil || !reflect.DeepEqual(p, []int64{0, 0, 1, 1, 0, 0, 0, 0}) {
				t.Errorf("opset %d: Pad %+v, pads input %v (%v)", opset, pad, p, err)
			}
		} else if len(pad.Inputs) != 1 || pad.Attr("pads") == nil {
			t.Errorf("opset %d: Pad %+v, want pads as attribute", opset, pad)
		}
	}
}

func FuzzReadModel(f *testing.F) {
	hand, _ := hex.DecodeString(handModel)
	f.Add(hand)
	f.Add(hand[:20])
	f.Add([]byte{})
	f.Add(nestedGraphs(3))
	b := NewBuilder("seed", DefaultOpset)
	x := b.Input("x", 1, 2, 3, 3)
	v := b.Conv(x, b.Const("w", []int64{2, 1, 1, 1}, []float32{1, -1}), "", ConvParams{Group: 2, Pads: []int64{0, 0, 1, 1}})
	v = b.Reshape(b.Clip(v, 0, 6), 1, -1)
	b.Output(b.Softmax(v, 1))
	if m, err := b.Model(); err == nil {
		if seed, err := m.Marshal(); err == nil {
			f.Add(seed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(data)
		if err != nil {
			return
		}
		// Whatever the reader accepts, the writer either refuses with an
		// error or writes bytes that read back to the same model.
		b1, err := m.Marshal()
		if err != nil {
			return
		}
		m2, err := ReadModel(b1)
		if err != nil {
			t.Fatalf("re-reading written model: %v", err)
		}
		b2, err := m2.Marshal()
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("write → read → write is not stable (%v)", err)
		}
		if m.Graph != nil {
			m.Graph.OpTypes()
			for _, init := range m.Graph.Initializers {
				init.Float32s()
				init.Int64s()
			}
		}
	})
}

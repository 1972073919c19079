package onnx

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx/onnx.proto.
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelDomain          = 4
	modelModelVersion    = 5
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDocString   = 10
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDocString = 6
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrT       = 5
	attrG       = 6
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrType    = 20

	tensorDims       = 1
	tensorDataType   = 2
	tensorFloatData  = 4
	tensorInt32Data  = 5
	tensorInt64Data  = 7
	tensorName       = 8
	tensorRawData    = 9
	tensorDoubleData = 10

	valueInfoName = 1
	valueInfoType = 2

	typeTensor       = 1
	typeTensorElem   = 1
	typeTensorShape  = 2
	shapeDim         = 1
	dimValue         = 1
	dimParam         = 2
	maxGraphNestings = 16
)

// Marshal encodes the model as ModelProto bytes. It checks what a reader
// would otherwise choke on: a missing graph, nodes without op type or
// outputs, and raw_data whose length does not match the tensor's dims.
func (m *Model) Marshal() ([]byte, error) {
	if m.Graph == nil {
		return nil, errors.New("onnx: model has no graph")
	}
	var b []byte
	b = appendVarint(b, modelIRVersion, uint64(m.IRVersion))
	b = appendString(b, modelProducerName, m.ProducerName)
	b = appendString(b, modelProducerVersion, m.ProducerVersion)
	b = appendString(b, modelDomain, m.Domain)
	b = appendVarint(b, modelModelVersion, uint64(m.ModelVersion))
	b = appendString(b, modelDocString, m.DocString)
	g, err := marshalGraph(m.Graph, 0)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, modelGraph, protowire.BytesType)
	b = protowire.AppendBytes(b, g)
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendString(ob, opsetDomain, o.Domain)
		ob = protowire.AppendTag(ob, opsetVersion, protowire.VarintType)
		ob = protowire.AppendVarint(ob, uint64(o.Version))
		b = appendMessage(b, modelOpsetImport, ob)
	}
	return b, nil
}

func marshalGraph(g *Graph, depth int) ([]byte, error) {
	if depth > maxGraphNestings {
		return nil, fmt.Errorf("onnx: graph %q nests subgraphs deeper than %d", g.Name, maxGraphNestings)
	}
	var b []byte
	for i, n := range g.Nodes {
		if n == nil || n.OpType == "" || len(n.Outputs) == 0 {
			return nil, fmt.Errorf("onnx: graph %q node %d has no op type or no outputs", g.Name, i)
		}
		nb, err := marshalNode(n, depth)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, graphNode, nb)
	}
	b = appendString(b, graphName, g.Name)
	for _, t := range g.Initializers {
		tb, err := marshalTensor(t)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, graphInitializer, tb)
	}
	b = appendString(b, graphDocString, g.DocString)
	for _, set := range []struct {
		num   protowire.Number
		infos []*ValueInfo
	}{{graphInput, g.Inputs}, {graphOutput, g.Outputs}, {graphValueInfo, g.ValueInfo}} {
		for _, vi := range set.infos {
			if vi == nil {
				return nil, fmt.Errorf("onnx: graph %q has a nil value info", g.Name)
			}
			b = appendMessage(b, set.num, marshalValueInfo(vi))
		}
	}
	return b, nil
}

func marshalNode(n *Node, depth int) ([]byte, error) {
	var b []byte
	for _, in := range n.Inputs {
		// An empty input name is ONNX's "optional input left out"; it
		// must still be written to keep later inputs in position.
		b = protowire.AppendTag(b, nodeInput, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range n.Outputs {
		b = protowire.AppendTag(b, nodeOutput, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendString(b, nodeName, n.Name)
	b = appendString(b, nodeOpType, n.OpType)
	for _, a := range n.Attributes {
		if a == nil {
			return nil, fmt.Errorf("onnx: node %q (%s) has a nil attribute", n.Name, n.OpType)
		}
		ab, err := marshalAttribute(a, depth)
		if err != nil {
			return nil, fmt.Errorf("onnx: node %q (%s): %w", n.Name, n.OpType, err)
		}
		b = appendMessage(b, nodeAttribute, ab)
	}
	b = appendString(b, nodeDocString, n.DocString)
	b = appendString(b, nodeDomain, n.Domain)
	return b, nil
}

func marshalAttribute(a *Attribute, depth int) ([]byte, error) {
	var b []byte
	b = appendString(b, attrName, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = protowire.AppendTag(b, attrI, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case AttrString:
		b = protowire.AppendTag(b, attrS, protowire.BytesType)
		b = protowire.AppendBytes(b, a.S)
	case AttrTensor:
		if a.T == nil {
			return nil, fmt.Errorf("attribute %q is a tensor attribute without a tensor", a.Name)
		}
		tb, err := marshalTensor(a.T)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, attrT, tb)
	case AttrGraph:
		if a.G == nil {
			return nil, fmt.Errorf("attribute %q is a graph attribute without a graph", a.Name)
		}
		gb, err := marshalGraph(a.G, depth+1)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, attrG, gb)
	case AttrFloats:
		var pb []byte
		for _, f := range a.Floats {
			pb = protowire.AppendFixed32(pb, math.Float32bits(f))
		}
		b = appendMessage(b, attrFloats, pb)
	case AttrInts:
		b = appendPackedVarints(b, attrInts, a.Ints)
	case AttrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, attrStrings, protowire.BytesType)
			b = protowire.AppendBytes(b, s)
		}
	default:
		return nil, fmt.Errorf("attribute %q has type %d, which this writer does not support", a.Name, a.Type)
	}
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Type))
	return b, nil
}

func marshalTensor(t *Tensor) ([]byte, error) {
	if t == nil {
		return nil, errors.New("onnx: nil tensor")
	}
	if t.RawData != nil {
		n, err := t.NumElements()
		if err != nil {
			return nil, err
		}
		if sz := t.DataType.elemSize(); sz > 0 && len(t.RawData) != sz*n {
			return nil, fmt.Errorf("onnx: tensor %q (%v, dims %v) needs %d bytes of raw_data, has %d", t.Name, t.DataType, t.Dims, sz*n, len(t.RawData))
		}
	}
	var b []byte
	b = appendPackedVarints(b, tensorDims, t.Dims)
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DataType))
	if len(t.FloatData) > 0 {
		var pb []byte
		for _, f := range t.FloatData {
			pb = protowire.AppendFixed32(pb, math.Float32bits(f))
		}
		b = appendMessage(b, tensorFloatData, pb)
	}
	if len(t.Int32Data) > 0 {
		var pb []byte
		for _, v := range t.Int32Data {
			pb = protowire.AppendVarint(pb, uint64(int64(v)))
		}
		b = appendMessage(b, tensorInt32Data, pb)
	}
	if len(t.Int64Data) > 0 {
		b = appendPackedVarints(b, tensorInt64Data, t.Int64Data)
	}
	b = appendString(b, tensorName, t.Name)
	if t.RawData != nil {
		b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
		b = protowire.AppendBytes(b, t.RawData)
	}
	if len(t.DoubleData) > 0 {
		var pb []byte
		for _, f := range t.DoubleData {
			pb = protowire.AppendFixed64(pb, math.Float64bits(f))
		}
		b = appendMessage(b, tensorDoubleData, pb)
	}
	return b, nil
}

func marshalValueInfo(vi *ValueInfo) []byte {
	var tt []byte
	tt = protowire.AppendTag(tt, typeTensorElem, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(vi.ElemType))
	if vi.Shape != nil {
		var sb []byte
		for _, d := range vi.Shape {
			var db []byte
			if d.Param != "" {
				db = appendString(db, dimParam, d.Param)
			} else {
				db = protowire.AppendTag(db, dimValue, protowire.VarintType)
				db = protowire.AppendVarint(db, uint64(d.Value))
			}
			sb = appendMessage(sb, shapeDim, db)
		}
		// An empty but present shape means "scalar", so it is written even
		// when it has no dims.
		tt = protowire.AppendTag(tt, typeTensorShape, protowire.BytesType)
		tt = protowire.AppendBytes(tt, sb)
	}
	var b []byte
	b = appendString(b, valueInfoName, vi.Name)
	b = appendMessage(b, valueInfoType, appendMessage(nil, typeTensor, tt))
	return b
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendPackedVarints(b []byte, num protowire.Number, vs []int64) []byte {
	if len(vs) == 0 {
		return b
	}
	var pb []byte
	for _, v := range vs {
		pb = protowire.AppendVarint(pb, uint64(v))
	}
	return appendMessage(b, num, pb)
}

// field is one decoded protobuf field: u holds varint/fixed values, b the
// bytes of a length-delimited one.
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
}

// eachField walks the fields of one message; unknown fields reach fn too and
// are ignored there.
func eachField(msg string, b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: bad field tag: %w", msg, protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%s: field %d: %w", msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func wantType(msg string, f field, want protowire.Type) error {
	if f.typ != want {
		return fmt.Errorf("%s: field %d has wire type %d, want %d", msg, f.num, f.typ, want)
	}
	return nil
}

// ReadModel parses ModelProto bytes. Fields this package does not model
// (training info, functions, metadata, sparse initializers, ...) are skipped.
func ReadModel(b []byte) (*Model, error) {
	m := &Model{}
	err := eachField("ModelProto", b, func(f field) error {
		const msg = "ModelProto"
		var err error
		switch f.num {
		case modelIRVersion:
			err = wantType(msg, f, protowire.VarintType)
			m.IRVersion = int64(f.u)
		case modelProducerName:
			err = wantType(msg, f, protowire.BytesType)
			m.ProducerName = string(f.b)
		case modelProducerVersion:
			err = wantType(msg, f, protowire.BytesType)
			m.ProducerVersion = string(f.b)
		case modelDomain:
			err = wantType(msg, f, protowire.BytesType)
			m.Domain = string(f.b)
		case modelModelVersion:
			err = wantType(msg, f, protowire.VarintType)
			m.ModelVersion = int64(f.u)
		case modelDocString:
			err = wantType(msg, f, protowire.BytesType)
			m.DocString = string(f.b)
		case modelGraph:
			if err = wantType(msg, f, protowire.BytesType); err == nil {
				m.Graph, err = readGraph(f.b, 0)
			}
		case modelOpsetImport:
			if err = wantType(msg, f, protowire.BytesType); err == nil {
				var o OpsetID
				o, err = readOpset(f.b)
				m.Opsets = append(m.Opsets, o)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("onnx: not a readable ONNX model: %w", err)
	}
	if m.Graph == nil {
		return nil, errors.New("onnx: not a readable ONNX model: ModelProto has no graph (field 7)")
	}
	return m, nil
}

func readOpset(b []byte) (OpsetID, error) {
	var o OpsetID
	err := eachField("OperatorSetIdProto", b, func(f field) error {
		switch f.num {
		case opsetDomain:
			o.Domain = string(f.b)
			return wantType("OperatorSetIdProto", f, protowire.BytesType)
		case opsetVersion:
			o.Version = int64(f.u)
			return wantType("OperatorSetIdProto", f, protowire.VarintType)
		}
		return nil
	})
	return o, err
}

func readGraph(b []byte, depth int) (*Graph, error) {
	if depth > maxGraphNestings {
		return nil, fmt.Errorf("GraphProto: subgraphs nest deeper than %d", maxGraphNestings)
	}
	g := &Graph{}
	err := eachField("GraphProto", b, func(f field) error {
		const msg = "GraphProto"
		switch f.num {
		case graphNode, graphName, graphInitializer, graphDocString, graphInput, graphOutput, graphValueInfo:
			if err := wantType(msg, f, protowire.BytesType); err != nil {
				return err
			}
		default:
			return nil
		}
		switch f.num {
		case graphNode:
			n, err := readNode(f.b, depth)
			if err != nil {
				return fmt.Errorf("%s %q node %d: %w", msg, g.Name, len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name = string(f.b)
		case graphInitializer:
			t, err := readTensor(f.b)
			if err != nil {
				return fmt.Errorf("%s %q initializer %d: %w", msg, g.Name, len(g.Initializers), err)
			}
			g.Initializers = append(g.Initializers, t)
		case graphDocString:
			g.DocString = string(f.b)
		case graphInput, graphOutput, graphValueInfo:
			vi, err := readValueInfo(f.b)
			if err != nil {
				return fmt.Errorf("%s %q: %w", msg, g.Name, err)
			}
			switch f.num {
			case graphInput:
				g.Inputs = append(g.Inputs, vi)
			case graphOutput:
				g.Outputs = append(g.Outputs, vi)
			default:
				g.ValueInfo = append(g.ValueInfo, vi)
			}
		}
		return nil
	})
	return g, err
}

func readNode(b []byte, depth int) (*Node, error) {
	n := &Node{}
	err := eachField("NodeProto", b, func(f field) error {
		const msg = "NodeProto"
		switch f.num {
		case nodeInput, nodeOutput, nodeName, nodeOpType, nodeAttribute, nodeDocString, nodeDomain:
			if err := wantType(msg, f, protowire.BytesType); err != nil {
				return err
			}
		}
		switch f.num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(f.b))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(f.b))
		case nodeName:
			n.Name = string(f.b)
		case nodeOpType:
			n.OpType = string(f.b)
		case nodeAttribute:
			a, err := readAttribute(f.b, depth)
			if err != nil {
				return fmt.Errorf("%s %q (%s) attribute %d: %w", msg, n.Name, n.OpType, len(n.Attributes), err)
			}
			n.Attributes = append(n.Attributes, a)
		case nodeDocString:
			n.DocString = string(f.b)
		case nodeDomain:
			n.Domain = string(f.b)
		}
		return nil
	})
	return n, err
}

func readAttribute(b []byte, depth int) (*Attribute, error) {
	a := &Attribute{}
	err := eachField("AttributeProto", b, func(f field) error {
		const msg = "AttributeProto"
		var err error
		switch f.num {
		case attrName:
			err = wantType(msg, f, protowire.BytesType)
			a.Name = string(f.b)
		case attrType:
			err = wantType(msg, f, protowire.VarintType)
			a.Type = AttributeType(int32(f.u))
		case attrF:
			err = wantType(msg, f, protowire.Fixed32Type)
			a.F = math.Float32frombits(uint32(f.u))
		case attrI:
			err = wantType(msg, f, protowire.VarintType)
			a.I = int64(f.u)
		case attrS:
			err = wantType(msg, f, protowire.BytesType)
			a.S = append([]byte{}, f.b...)
		case attrT:
			if err = wantType(msg, f, protowire.BytesType); err == nil {
				a.T, err = readTensor(f.b)
			}
		case attrG:
			if err = wantType(msg, f, protowire.BytesType); err == nil {
				a.G, err = readGraph(f.b, depth+1)
			}
		case attrFloats:
			a.Floats, err = readFloats(msg, f, a.Floats)
		case attrInts:
			a.Ints, err = readVarints(msg, f, a.Ints)
		case attrStrings:
			err = wantType(msg, f, protowire.BytesType)
			a.Strings = append(a.Strings, append([]byte{}, f.b...))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if a.Type == AttrUndefined {
		// IR version 1 files carry no type; infer it from the one value
		// field present, as onnx.proto tells readers of old files to do.
		switch {
		case a.T != nil:
			a.Type = AttrTensor
		case a.G != nil:
			a.Type = AttrGraph
		case a.Floats != nil:
			a.Type = AttrFloats
		case a.Ints != nil:
			a.Type = AttrInts
		case a.Strings != nil:
			a.Type = AttrStrings
		case a.S != nil:
			a.Type = AttrString
		}
	}
	return a, nil
}

func readTensor(b []byte) (*Tensor, error) {
	t := &Tensor{}
	err := eachField("TensorProto", b, func(f field) error {
		const msg = "TensorProto"
		var err error
		switch f.num {
		case tensorDims:
			t.Dims, err = readVarints(msg, f, t.Dims)
		case tensorDataType:
			err = wantType(msg, f, protowire.VarintType)
			t.DataType = DataType(int32(f.u))
		case tensorFloatData:
			t.FloatData, err = readFloats(msg, f, t.FloatData)
		case tensorInt32Data:
			var vs []int64
			vs, err = readVarints(msg, f, nil)
			for _, v := range vs {
				t.Int32Data = append(t.Int32Data, int32(v))
			}
		case tensorInt64Data:
			t.Int64Data, err = readVarints(msg, f, t.Int64Data)
		case tensorName:
			err = wantType(msg, f, protowire.BytesType)
			t.Name = string(f.b)
		case tensorRawData:
			err = wantType(msg, f, protowire.BytesType)
			t.RawData = append([]byte{}, f.b...)
		case tensorDoubleData:
			t.DoubleData, err = readDoubles(msg, f, t.DoubleData)
		}
		return err
	})
	return t, err
}

func readValueInfo(b []byte) (*ValueInfo, error) {
	vi := &ValueInfo{}
	err := eachField("ValueInfoProto", b, func(f field) error {
		switch f.num {
		case valueInfoName:
			vi.Name = string(f.b)
			return wantType("ValueInfoProto", f, protowire.BytesType)
		case valueInfoType:
			if err := wantType("ValueInfoProto", f, protowire.BytesType); err != nil {
				return err
			}
			return eachField("TypeProto", f.b, func(f field) error {
				if f.num != typeTensor {
					return nil // sequence/map/optional types: not modelled
				}
				if err := wantType("TypeProto", f, protowire.BytesType); err != nil {
					return err
				}
				return readTensorType(vi, f.b)
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("value info %q: %w", vi.Name, err)
	}
	return vi, nil
}

func readTensorType(vi *ValueInfo, b []byte) error {
	return eachField("TypeProto.Tensor", b, func(f field) error {
		switch f.num {
		case typeTensorElem:
			vi.ElemType = DataType(int32(f.u))
			return wantType("TypeProto.Tensor", f, protowire.VarintType)
		case typeTensorShape:
			if err := wantType("TypeProto.Tensor", f, protowire.BytesType); err != nil {
				return err
			}
			vi.Shape = []Dim{}
			return eachField("TensorShapeProto", f.b, func(f field) error {
				if f.num != shapeDim {
					return nil
				}
				if err := wantType("TensorShapeProto", f, protowire.BytesType); err != nil {
					return err
				}
				var d Dim
				err := eachField("TensorShapeProto.Dimension", f.b, func(f field) error {
					switch f.num {
					case dimValue:
						d.Value = int64(f.u)
						return wantType("Dimension", f, protowire.VarintType)
					case dimParam:
						d.Param = string(f.b)
						return wantType("Dimension", f, protowire.BytesType)
					}
					return nil
				})
				vi.Shape = append(vi.Shape, d)
				return err
			})
		}
		return nil
	})
}

// readVarints accepts a repeated varint field both packed and unpacked, as
// protobuf parsers must.
func readVarints(msg string, f field, dst []int64) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.u)), nil
	case protowire.BytesType:
		b := f.b
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return dst, fmt.Errorf("%s: packed field %d: %w", msg, f.num, protowire.ParseError(n))
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: field %d has wire type %d, want varint or packed", msg, f.num, f.typ)
}

func readFloats(msg string, f field, dst []float32) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.u))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return dst, fmt.Errorf("%s: packed float field %d is %d bytes, not a multiple of 4", msg, f.num, len(f.b))
		}
		for i := 0; i < len(f.b); i += 4 {
			v, _ := protowire.ConsumeFixed32(f.b[i:])
			dst = append(dst, math.Float32frombits(v))
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: field %d has wire type %d, want fixed32 or packed", msg, f.num, f.typ)
}

func readDoubles(msg string, f field, dst []float64) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(f.u)), nil
	case protowire.BytesType:
		if len(f.b)%8 != 0 {
			return dst, fmt.Errorf("%s: packed double field %d is %d bytes, not a multiple of 8", msg, f.num, len(f.b))
		}
		for i := 0; i < len(f.b); i += 8 {
			v, _ := protowire.ConsumeFixed64(f.b[i:])
			dst = append(dst, math.Float64frombits(v))
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: field %d has wire type %d, want fixed64 or packed", msg, f.num, f.typ)
}

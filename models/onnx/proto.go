package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DataType is TensorProto.DataType.
type DataType int32

// The tensor element types of onnx.proto.
const (
	Undefined DataType = 0
	Float     DataType = 1
	Uint8     DataType = 2
	Int8      DataType = 3
	Uint16    DataType = 4
	Int16     DataType = 5
	Int32     DataType = 6
	Int64     DataType = 7
	String    DataType = 8
	Bool      DataType = 9
	Float16   DataType = 10
	Double    DataType = 11
	Uint32    DataType = 12
	Uint64    DataType = 13
)

var dataTypeNames = map[DataType]string{
	Undefined: "UNDEFINED", Float: "FLOAT", Uint8: "UINT8", Int8: "INT8",
	Uint16: "UINT16", Int16: "INT16", Int32: "INT32", Int64: "INT64",
	String: "STRING", Bool: "BOOL", Float16: "FLOAT16", Double: "DOUBLE",
	Uint32: "UINT32", Uint64: "UINT64",
}

func (d DataType) String() string {
	if s, ok := dataTypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// elemSize is the raw_data width of one element, 0 when not fixed-size.
func (d DataType) elemSize() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Int64, Double, Uint64:
		return 8
	}
	return 0
}

// AttributeType is AttributeProto.AttributeType.
type AttributeType int32

// The attribute kinds this package writes and reads.
const (
	AttrUndefined AttributeType = 0
	AttrFloat     AttributeType = 1
	AttrInt       AttributeType = 2
	AttrString    AttributeType = 3
	AttrTensor    AttributeType = 4
	AttrGraph     AttributeType = 5
	AttrFloats    AttributeType = 6
	AttrInts      AttributeType = 7
	AttrStrings   AttributeType = 8
)

// Model is ModelProto.
type Model struct {
	IRVersion       int64
	Opsets          []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
}

// OpsetID is OperatorSetIdProto; an empty Domain is the default ONNX domain.
type OpsetID struct {
	Domain  string
	Version int64
}

// Graph is GraphProto.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	DocString    string
}

// Node is NodeProto.
type Node struct {
	Name       string
	OpType     string
	Domain     string
	Inputs     []string
	Outputs    []string
	Attributes []*Attribute
	DocString  string
}

// Attribute is AttributeProto. Only the field selected by Type is meaningful.
type Attribute struct {
	Name    string
	Type    AttributeType
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings [][]byte
}

// Tensor is TensorProto. Writers in this package fill RawData
// (little-endian); foreign files may use the typed *Data fields instead.
type Tensor struct {
	Name       string
	DataType   DataType
	Dims       []int64
	RawData    []byte
	FloatData  []float32
	Int32Data  []int32
	Int64Data  []int64
	DoubleData []float64
}

// ValueInfo is ValueInfoProto restricted to tensor types. A nil Shape means
// "shape unknown"; a Dim with Param set is a symbolic dimension.
type ValueInfo struct {
	Name     string
	ElemType DataType
	Shape    []Dim
}

// Dim is TensorShapeProto.Dimension.
type Dim struct {
	Value int64
	Param string
}

// Attr returns the node's attribute with the given name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// NumElements is the product of the dims (1 for a scalar), or an error when a
// dim is negative or the product overflows.
func (t *Tensor) NumElements() (int, error) {
	n := 1
	for _, d := range t.Dims {
		if d < 0 {
			return 0, fmt.Errorf("onnx: tensor %q has negative dim %d", t.Name, d)
		}
		if d != 0 && n > math.MaxInt32/int(min(d, math.MaxInt32)) {
			return 0, fmt.Errorf("onnx: tensor %q dims %v are too large", t.Name, t.Dims)
		}
		n *= int(d)
	}
	return n, nil
}

// Float32s decodes a FLOAT tensor from raw_data or float_data.
func (t *Tensor) Float32s() ([]float32, error) {
	if t.DataType != Float {
		return nil, fmt.Errorf("onnx: tensor %q is %v, not FLOAT", t.Name, t.DataType)
	}
	n, err := t.NumElements()
	if err != nil {
		return nil, err
	}
	if t.RawData != nil {
		if len(t.RawData) != 4*n {
			return nil, fmt.Errorf("onnx: tensor %q dims %v need %d bytes of raw_data, have %d", t.Name, t.Dims, 4*n, len(t.RawData))
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
		return out, nil
	}
	if len(t.FloatData) != n {
		return nil, fmt.Errorf("onnx: tensor %q dims %v need %d floats, have %d", t.Name, t.Dims, n, len(t.FloatData))
	}
	return append([]float32(nil), t.FloatData...), nil
}

// Int64s decodes an INT64 tensor from raw_data or int64_data.
func (t *Tensor) Int64s() ([]int64, error) {
	if t.DataType != Int64 {
		return nil, fmt.Errorf("onnx: tensor %q is %v, not INT64", t.Name, t.DataType)
	}
	n, err := t.NumElements()
	if err != nil {
		return nil, err
	}
	if t.RawData != nil {
		if len(t.RawData) != 8*n {
			return nil, fmt.Errorf("onnx: tensor %q dims %v need %d bytes of raw_data, have %d", t.Name, t.Dims, 8*n, len(t.RawData))
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.RawData[8*i:]))
		}
		return out, nil
	}
	if len(t.Int64Data) != n {
		return nil, fmt.Errorf("onnx: tensor %q dims %v need %d int64s, have %d", t.Name, t.Dims, n, len(t.Int64Data))
	}
	return append([]int64(nil), t.Int64Data...), nil
}

// FloatTensor makes a FLOAT tensor stored as raw_data. It fails when the data
// length does not match the dims.
func FloatTensor(name string, dims []int64, data []float32) (*Tensor, error) {
	t := &Tensor{Name: name, DataType: Float, Dims: append([]int64(nil), dims...)}
	n, err := t.NumElements()
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("onnx: tensor %q dims %v hold %d values, got %d", name, dims, n, len(data))
	}
	t.RawData = make([]byte, 4*n)
	for i, v := range data {
		binary.LittleEndian.PutUint32(t.RawData[4*i:], math.Float32bits(v))
	}
	return t, nil
}

// Int64Tensor makes an INT64 tensor stored as raw_data (shapes, pads, axes).
func Int64Tensor(name string, dims []int64, data []int64) (*Tensor, error) {
	t := &Tensor{Name: name, DataType: Int64, Dims: append([]int64(nil), dims...)}
	n, err := t.NumElements()
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("onnx: tensor %q dims %v hold %d values, got %d", name, dims, n, len(data))
	}
	t.RawData = make([]byte, 8*n)
	for i, v := range data {
		binary.LittleEndian.PutUint64(t.RawData[8*i:], uint64(v))
	}
	return t, nil
}

// OpTypes lists the distinct op types of the graph (with their domain
// prefixed as "domain:Op" when not the default), in first-use order, with
// counts.
func (g *Graph) OpTypes() (ops []string, count map[string]int) {
	count = map[string]int{}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			op = n.Domain + ":" + op
		}
		if count[op] == 0 {
			ops = append(ops, op)
		}
		count[op]++
	}
	return ops, count
}

// Initializer returns the initializer with the given name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

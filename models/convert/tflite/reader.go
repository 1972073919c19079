package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// TensorType is the TFLite element type (schema enum TensorType).
type TensorType int8

// The element types this package names; others are reported by number.
const (
	Float32 TensorType = 0
	Float16 TensorType = 1
	Int32   TensorType = 2
	Uint8   TensorType = 3
	Int64   TensorType = 4
	Int8    TensorType = 9
)

func (t TensorType) String() string {
	switch t {
	case Float32:
		return "FLOAT32"
	case Float16:
		return "FLOAT16"
	case Int32:
		return "INT32"
	case Uint8:
		return "UINT8"
	case Int64:
		return "INT64"
	case Int8:
		return "INT8"
	}
	return fmt.Sprintf("TensorType(%d)", int8(t))
}

// Model is the part of a TFLite model the converter needs.
type Model struct {
	Version       uint32
	Description   string
	OperatorCodes []OperatorCode
	SubGraphs     []SubGraph
	// Buffers[i] is the raw little-endian data of buffer i (nil when empty;
	// buffer 0 is empty by convention). The slices alias the input bytes.
	Buffers [][]byte
}

// OperatorCode names an operator kind used by the model.
type OperatorCode struct {
	Builtin BuiltinOp
	Custom  string
	Version int32
}

// SubGraph is one graph of the model; SubGraphs[0] is the main one.
type SubGraph struct {
	Name      string
	Tensors   []Tensor
	Inputs    []int32
	Outputs   []int32
	Operators []Operator
}

// Tensor describes one value of a subgraph: an activation or, when its
// buffer holds data, a constant.
type Tensor struct {
	Name   string
	Shape  []int32
	Type   TensorType
	Buffer uint32
}

// Operator is one node. Options is the builtin options table, decoded on
// demand by the typed accessors (Conv2D, DepthwiseConv2D, ...).
type Operator struct {
	OpcodeIndex uint32
	Inputs      []int32
	Outputs     []int32
	OptionsType uint8
	Options     Table
}

// Field numbers of the TFLite schema tables read here.
const (
	modelVersion, modelOperatorCodes, modelSubgraphs, modelDescription, modelBuffers = 0, 1, 2, 3, 4

	opcodeDeprecatedBuiltin, opcodeCustom, opcodeVersion, opcodeBuiltin = 0, 1, 2, 3

	subgraphTensors, subgraphInputs, subgraphOutputs, subgraphOperators, subgraphName = 0, 1, 2, 3, 4

	tensorShape, tensorType, tensorBuffer, tensorName = 0, 1, 2, 3

	operatorOpcodeIndex, operatorInputs, operatorOutputs, operatorOptionsType, operatorOptions = 0, 1, 2, 3, 4

	bufferData, bufferOffset, bufferSize = 0, 1, 2
)

// decoder walks one FlatBuffers buffer. budget caps the number of elements
// decoded so aliased offsets (a hostile file pointing many vectors at the
// same large vector) cannot make the work quadratic.
type decoder struct {
	b      []byte
	budget int
	err    error
}

// Table is a FlatBuffers table inside a buffer; the zero value is an absent
// table whose fields all read as their defaults.
type Table struct {
	d   *decoder
	pos int // table start
	vt  int // vtable start
	vtn int // vtable length in bytes
}

var errBudget = errors.New("more elements than the file can hold (offsets point at shared data)")

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) spend(n int) bool {
	if d.err != nil {
		return false
	}
	d.budget -= n
	if d.budget < 0 {
		d.fail("%v", errBudget)
		return false
	}
	return true
}

func (d *decoder) u32(pos int) (uint32, bool) {
	if pos < 0 || pos > len(d.b)-4 {
		d.fail("offset %d: 4 bytes past the end of the %d-byte file", pos, len(d.b))
		return 0, false
	}
	return binary.LittleEndian.Uint32(d.b[pos:]), true
}

// table reads the table whose start is at pos.
func (d *decoder) table(pos int, what string) Table {
	soff, ok := d.u32(pos)
	if !ok {
		return Table{}
	}
	vt := pos - int(int32(soff))
	if vt < 0 || vt > len(d.b)-4 {
		d.fail("%s at %d: vtable offset %d outside the file", what, pos, vt)
		return Table{}
	}
	vtn := int(binary.LittleEndian.Uint16(d.b[vt:]))
	objn := int(binary.LittleEndian.Uint16(d.b[vt+2:]))
	if vtn < 4 || vtn%2 != 0 || vt+vtn > len(d.b) || pos+objn > len(d.b) {
		d.fail("%s at %d: malformed vtable at %d (size %d, table size %d)", what, pos, vt, vtn, objn)
		return Table{}
	}
	if !d.spend(1) {
		return Table{}
	}
	return Table{d: d, pos: pos, vt: vt, vtn: vtn}
}

// field returns the absolute position of field n, or -1 when absent. size is
// the field's inline size, which must fit in the file.
func (t Table) field(n, size int) int {
	if t.d == nil || t.d.err != nil {
		return -1
	}
	slot := 4 + 2*n
	if slot+2 > t.vtn {
		return -1
	}
	off := int(binary.LittleEndian.Uint16(t.d.b[t.vt+slot:]))
	if off == 0 {
		return -1
	}
	p := t.pos + off
	if p+size > len(t.d.b) {
		t.d.fail("table at %d: field %d at %d runs past the end of the file", t.pos, n, p)
		return -1
	}
	return p
}

func (t Table) uint8(n int, def uint8) uint8 {
	if p := t.field(n, 1); p >= 0 {
		return t.d.b[p]
	}
	return def
}

func (t Table) int32(n int, def int32) int32 {
	if p := t.field(n, 4); p >= 0 {
		return int32(binary.LittleEndian.Uint32(t.d.b[p:]))
	}
	return def
}

func (t Table) uint64(n int, def uint64) uint64 {
	if p := t.field(n, 8); p >= 0 {
		return binary.LittleEndian.Uint64(t.d.b[p:])
	}
	return def
}

// ref follows the offset stored in field n; -1 when absent or broken.
func (t Table) ref(n int) int {
	p := t.field(n, 4)
	if p < 0 {
		return -1
	}
	off := int(binary.LittleEndian.Uint32(t.d.b[p:]))
	target := p + off
	if off == 0 || target > len(t.d.b)-4 {
		t.d.fail("table at %d: field %d points to %d, outside the %d-byte file", t.pos, n, target, len(t.d.b))
		return -1
	}
	return target
}

// subtable reads the table in field n (zero Table when absent).
func (t Table) subtable(n int, what string) Table {
	p := t.ref(n)
	if p < 0 {
		return Table{}
	}
	return t.d.table(p, what)
}

// vector returns the start of the elements and the element count of the
// vector in field n, checked to fit the file.
func (t Table) vector(n, elemSize int) (start, count int) {
	p := t.ref(n)
	if p < 0 {
		return 0, 0
	}
	c := int(binary.LittleEndian.Uint32(t.d.b[p:]))
	start = p + 4
	if c < 0 || c > (len(t.d.b)-start)/elemSize {
		t.d.fail("table at %d: field %d: vector of %d elements does not fit the file", t.pos, n, c)
		return 0, 0
	}
	return start, c
}

func (t Table) bytes(n int) []byte {
	start, c := t.vector(n, 1)
	if c == 0 || !t.d.spend(1) {
		return nil
	}
	return t.d.b[start : start+c : start+c]
}

func (t Table) string(n int) string {
	b := t.bytes(n)
	if len(b) > 4096 { // names only; a longer "string" is a broken file
		t.d.fail("table at %d: field %d: string of %d bytes is too long", t.pos, n, len(b))
		return ""
	}
	return string(b)
}

func (t Table) int32s(n int) []int32 {
	start, c := t.vector(n, 4)
	if c == 0 || !t.d.spend(c) {
		return nil
	}
	v := make([]int32, c)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.d.b[start+4*i:]))
	}
	return v
}

// tables reads the vector of tables in field n.
func (t Table) tables(n int, what string) []Table {
	start, c := t.vector(n, 4)
	if c == 0 || !t.d.spend(c) {
		return nil
	}
	v := make([]Table, c)
	for i := range v {
		p := start + 4*i
		off := int(binary.LittleEndian.Uint32(t.d.b[p:]))
		v[i] = t.d.table(p+off, fmt.Sprintf("%s %d", what, i))
		if t.d.err != nil {
			return nil
		}
	}
	return v
}

// Read decodes a .tflite file. The returned model's buffers alias b.
func Read(b []byte) (*Model, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("tflite: %d bytes is too short for a TFLite model (want a FlatBuffers file with identifier TFL3)", len(b))
	}
	if id := string(b[4:8]); id != "TFL3" {
		return nil, fmt.Errorf("tflite: file identifier %q, want \"TFL3\": not a TFLite model", id)
	}
	d := &decoder{b: b, budget: len(b)/2 + 64}
	root, _ := d.u32(0)
	if int64(root) > int64(len(b)) {
		return nil, fmt.Errorf("tflite: root table offset %d is outside the %d-byte file", root, len(b))
	}
	mt := d.table(int(root), "model")
	m := &Model{
		Version:     uint32(mt.int32(modelVersion, 0)),
		Description: mt.string(modelDescription),
	}
	for _, ct := range mt.tables(modelOperatorCodes, "operator code") {
		code := BuiltinOp(ct.int32(opcodeBuiltin, 0))
		// Files from before schema v3a only set the deprecated byte field;
		// newer writers set both and the larger value wins.
		if dep := BuiltinOp(int8(ct.uint8(opcodeDeprecatedBuiltin, 0))); dep > code {
			code = dep
		}
		m.OperatorCodes = append(m.OperatorCodes, OperatorCode{Builtin: code, Custom: ct.string(opcodeCustom), Version: ct.int32(opcodeVersion, 1)})
	}
	for _, bt := range mt.tables(modelBuffers, "buffer") {
		data := bt.bytes(bufferData)
		// Models over 2 GB keep data outside the FlatBuffer at an offset
		// from the file start.
		if off, size := bt.uint64(bufferOffset, 0), bt.uint64(bufferSize, 0); off > 1 && data == nil {
			if off > uint64(len(b)) || size > uint64(len(b))-off {
				d.fail("buffer %d: data at %d+%d is outside the %d-byte file", len(m.Buffers), off, size, len(b))
				break
			}
			data = b[off : off+size : off+size]
		}
		m.Buffers = append(m.Buffers, data)
	}
	for si, st := range mt.tables(modelSubgraphs, "subgraph") {
		sg := SubGraph{
			Name:    st.string(subgraphName),
			Inputs:  st.int32s(subgraphInputs),
			Outputs: st.int32s(subgraphOutputs),
		}
		for _, tt := range st.tables(subgraphTensors, fmt.Sprintf("subgraph %d tensor", si)) {
			sg.Tensors = append(sg.Tensors, Tensor{
				Name:   tt.string(tensorName),
				Shape:  tt.int32s(tensorShape),
				Type:   TensorType(int8(tt.uint8(tensorType, 0))),
				Buffer: uint32(tt.int32(tensorBuffer, 0)),
			})
		}
		for _, ot := range st.tables(subgraphOperators, fmt.Sprintf("subgraph %d operator", si)) {
			sg.Operators = append(sg.Operators, Operator{
				OpcodeIndex: uint32(ot.int32(operatorOpcodeIndex, 0)),
				Inputs:      ot.int32s(operatorInputs),
				Outputs:     ot.int32s(operatorOutputs),
				OptionsType: ot.uint8(operatorOptionsType, 0),
				Options:     ot.subtable(operatorOptions, "builtin options"),
			})
		}
		m.SubGraphs = append(m.SubGraphs, sg)
	}
	if d.err != nil {
		return nil, fmt.Errorf("tflite: corrupt model: %w", d.err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("tflite: inconsistent model: %w", err)
	}
	return m, nil
}

// validate checks the cross references so later code can index freely.
func (m *Model) validate() error {
	if len(m.SubGraphs) == 0 {
		return errors.New("no subgraphs")
	}
	for si, sg := range m.SubGraphs {
		idx := func(what string, ids []int32, optional bool) error {
			for _, id := range ids {
				if optional && id == -1 { // -1 marks an omitted optional input
					continue
				}
				if id < 0 || int(id) >= len(sg.Tensors) {
					return fmt.Errorf("subgraph %d: %s refers to tensor %d of %d", si, what, id, len(sg.Tensors))
				}
			}
			return nil
		}
		if err := idx("inputs", sg.Inputs, false); err != nil {
			return err
		}
		if err := idx("outputs", sg.Outputs, false); err != nil {
			return err
		}
		for ti, t := range sg.Tensors {
			if int(t.Buffer) >= len(m.Buffers) {
				return fmt.Errorf("subgraph %d: tensor %d %q uses buffer %d of %d", si, ti, t.Name, t.Buffer, len(m.Buffers))
			}
		}
		for oi, op := range sg.Operators {
			if int(op.OpcodeIndex) >= len(m.OperatorCodes) {
				return fmt.Errorf("subgraph %d: operator %d uses opcode %d of %d", si, oi, op.OpcodeIndex, len(m.OperatorCodes))
			}
			if err := idx(fmt.Sprintf("operator %d inputs", oi), op.Inputs, true); err != nil {
				return err
			}
			if err := idx(fmt.Sprintf("operator %d outputs", oi), op.Outputs, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Op returns the builtin operator of op in m.
func (m *Model) Op(op Operator) BuiltinOp { return m.OperatorCodes[op.OpcodeIndex].Builtin }

// Float32s returns the constant data of tensor t as float32 values; ok is
// false when the tensor has no data (an activation).
func (m *Model) Float32s(t Tensor) ([]float32, bool, error) {
	data := m.Buffers[t.Buffer]
	if len(data) == 0 {
		return nil, false, nil
	}
	if t.Type != Float32 {
		return nil, true, fmt.Errorf("tensor %q is %v; only FLOAT32 constants are supported", t.Name, t.Type)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return nil, true, fmt.Errorf("tensor %q: negative dim in shape %v", t.Name, t.Shape)
		}
		n *= int(d)
		if n > len(data) {
			break
		}
	}
	if n*4 != len(data) {
		return nil, true, fmt.Errorf("tensor %q: shape %v needs %d bytes, buffer %d has %d", t.Name, t.Shape, n*4, t.Buffer, len(data))
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return v, true, nil
}

// Int32s returns the constant data of an INT32 tensor (e.g. a reshape's
// shape input).
func (m *Model) Int32s(t Tensor) ([]int32, error) {
	data := m.Buffers[t.Buffer]
	if t.Type != Int32 || len(data)%4 != 0 {
		return nil, fmt.Errorf("tensor %q: want INT32 constant data, have %v with %d bytes", t.Name, t.Type, len(data))
	}
	v := make([]int32, len(data)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return v, nil
}

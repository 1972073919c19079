package tflite

import (
	"encoding/binary"
	"math"
)

// fbWriter lays out a FlatBuffers buffer front to back for tests: a table's
// children are written after it, so every stored offset points forward as
// the format requires. It writes just what the TFLite reader reads.
type fbWriter struct{ b []byte }

// fbRef marks a table field holding an offset to be patched later.
type fbRef struct{}

func (w *fbWriter) align() {
	for len(w.b)%4 != 0 {
		w.b = append(w.b, 0)
	}
}

// table writes a vtable and its table. fields[i] is field i: nil (absent),
// uint8, int32, uint64 or fbRef. It returns the table position and, per
// field number, where fbRef offsets must be patched.
func (w *fbWriter) table(fields ...any) (int, map[int]int) {
	w.align()
	vtLen := 4 + 2*len(fields)
	vt := len(w.b)
	w.b = append(w.b, make([]byte, vtLen)...)
	w.align()
	pos := len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(int32(pos-vt)))
	slots := map[int]int{}
	for i, f := range fields {
		off := len(w.b) - pos
		switch v := f.(type) {
		case nil:
			continue
		case uint8:
			w.b = append(w.b, v)
		case int32:
			w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v))
		case uint64:
			w.b = binary.LittleEndian.AppendUint64(w.b, v)
		case fbRef:
			slots[i] = len(w.b)
			w.b = binary.LittleEndian.AppendUint32(w.b, 0)
		default:
			panic("fbWriter: unsupported field type")
		}
		binary.LittleEndian.PutUint16(w.b[vt+4+2*i:], uint16(off))
	}
	binary.LittleEndian.PutUint16(w.b[vt:], uint16(vtLen))
	binary.LittleEndian.PutUint16(w.b[vt+2:], uint16(len(w.b)-pos))
	return pos, slots
}

func (w *fbWriter) patch(slot, target int) {
	binary.LittleEndian.PutUint32(w.b[slot:], uint32(target-slot))
}

func (w *fbWriter) int32s(v []int32) int {
	w.align()
	pos := len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(len(v)))
	for _, x := range v {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(x))
	}
	return pos
}

func (w *fbWriter) bytes(v []byte) int {
	w.align()
	pos := len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(len(v)))
	w.b = append(w.b, v...)
	return pos
}

// refs writes a vector of n offsets and returns its position and the slots.
func (w *fbWriter) refs(n int) (int, []int) {
	w.align()
	pos := len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(n))
	slots := make([]int, n)
	for i := range slots {
		slots[i] = len(w.b)
		w.b = binary.LittleEndian.AppendUint32(w.b, 0)
	}
	return pos, slots
}

type testTensor struct {
	name  string
	shape []int32
	typ   TensorType
	data  []byte // nil for an activation
}

type testOp struct {
	code    BuiltinOp
	inputs  []int32
	outputs []int32
	options []any // builtin options table fields; nil for none
}

type testModel struct {
	tensors        []testTensor
	ops            []testOp
	inputs, outpts []int32
}

func floatBytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// build encodes the model as a .tflite file: buffer 0 is empty, tensor i
// uses buffer i+1, operator codes are deduplicated in first-use order.
func (tm testModel) build() []byte {
	w := &fbWriter{b: make([]byte, 8)}
	copy(w.b[4:], "TFL3")
	var codes []BuiltinOp
	codeIndex := map[BuiltinOp]int32{}
	for _, op := range tm.ops {
		if _, ok := codeIndex[op.code]; !ok {
			codeIndex[op.code] = int32(len(codes))
			codes = append(codes, op.code)
		}
	}
	root, rs := w.table(int32(3), fbRef{}, fbRef{}, nil, fbRef{})
	binary.LittleEndian.PutUint32(w.b, uint32(root))

	vec, slots := w.refs(len(codes))
	w.patch(rs[modelOperatorCodes], vec)
	for i, c := range codes {
		dep := uint8(min(int32(c), 127))
		t, _ := w.table(dep, nil, int32(1), int32(c))
		w.patch(slots[i], t)
	}

	vec, slots = w.refs(len(tm.tensors) + 1)
	w.patch(rs[modelBuffers], vec)
	t, _ := w.table()
	w.patch(slots[0], t)
	for i, tt := range tm.tensors {
		if tt.data == nil {
			t, _ := w.table()
			w.patch(slots[i+1], t)
			continue
		}
		t, s := w.table(fbRef{})
		w.patch(slots[i+1], t)
		w.patch(s[bufferData], w.bytes(tt.data))
	}

	vec, slots = w.refs(1)
	w.patch(rs[modelSubgraphs], vec)
	sg, ss := w.table(fbRef{}, fbRef{}, fbRef{}, fbRef{})
	w.patch(slots[0], sg)
	w.patch(ss[subgraphInputs], w.int32s(tm.inputs))
	w.patch(ss[subgraphOutputs], w.int32s(tm.outpts))
	vec, slots = w.refs(len(tm.tensors))
	w.patch(ss[subgraphTensors], vec)
	for i, tt := range tm.tensors {
		t, s := w.table(fbRef{}, uint8(tt.typ), int32(i+1), fbRef{})
		w.patch(slots[i], t)
		w.patch(s[tensorShape], w.int32s(tt.shape))
		w.patch(s[tensorName], w.bytes([]byte(tt.name)))
	}
	vec, slots = w.refs(len(tm.ops))
	w.patch(ss[subgraphOperators], vec)
	for i, op := range tm.ops {
		fields := []any{codeIndex[op.code], fbRef{}, fbRef{}}
		if op.options != nil {
			fields = append(fields, uint8(1), fbRef{})
		}
		t, s := w.table(fields...)
		w.patch(slots[i], t)
		w.patch(s[operatorInputs], w.int32s(op.inputs))
		w.patch(s[operatorOutputs], w.int32s(op.outputs))
		if op.options != nil {
			ot, os := w.table(op.options...)
			w.patch(s[operatorOptions], ot)
			for field, slot := range os {
				// The only offset option the tests use is RESHAPE's new_shape.
				_ = field
				w.patch(slot, w.int32s(tm.tensors[op.outputs[0]].shape))
			}
		}
	}
	return w.b
}

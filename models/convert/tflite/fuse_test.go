package tflite

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decomposedPReLUNet is conv → relu(x) + c·(x − |x|) → flatten, the way TF
// exports PReLU. With keepAbs the |x| tensor also feeds a final ADD, so
// the pattern must not be folded (its intermediate is needed elsewhere).
func decomposedPReLUNet(convW, convB, c []float32, keepAbs bool) testModel {
	act := func(name string, shape ...int32) testTensor {
		return testTensor{name: name, shape: shape, typ: Float32}
	}
	cst := func(name string, data []float32, shape ...int32) testTensor {
		return testTensor{name: name, shape: shape, typ: Float32, data: floatBytes(data)}
	}
	none := []any{uint8(ActNone)}
	tm := testModel{
		tensors: []testTensor{
			act("input", 1, 4, 4, 3), // 0
			cst("conv_w", convW, 4, 3, 3, 3), cst("conv_b", convB, 4),
			act("x", 1, 4, 4, 4),        // 3
			act("relu", 1, 4, 4, 4),     // 4
			act("abs", 1, 4, 4, 4),      // 5
			act("sub", 1, 4, 4, 4),      // 6
			cst("c", c, 4),              // 7
			act("mul", 1, 4, 4, 4),      // 8
			act("prelu", 1, 4, 4, 4),    // 9
			act("flat", 1, 64),          // 10
			act("plus_abs", 1, 4, 4, 4), // 11
		},
		ops: []testOp{
			{code: OpConv2D, inputs: []int32{0, 1, 2}, outputs: []int32{3}, options: []any{uint8(PaddingSame), int32(1), int32(1), uint8(ActNone)}},
			{code: OpRelu, inputs: []int32{3}, outputs: []int32{4}},
			{code: OpAbs, inputs: []int32{3}, outputs: []int32{5}},
			{code: OpSub, inputs: []int32{3, 5}, outputs: []int32{6}, options: none},
			{code: OpMul, inputs: []int32{7, 6}, outputs: []int32{8}, options: none},
			// The product first: the matcher must take either order.
			{code: OpAdd, inputs: []int32{8, 4}, outputs: []int32{9}, options: none},
		},
		inputs: []int32{0}, outpts: []int32{10},
	}
	last := int32(9)
	if keepAbs {
		tm.ops = append(tm.ops, testOp{code: OpAdd, inputs: []int32{9, 5}, outputs: []int32{11}, options: none})
		last = 11
	}
	tm.ops = append(tm.ops, testOp{code: OpReshape, inputs: []int32{last}, outputs: []int32{10}, options: []any{fbRef{}}})
	return tm
}

func TestToONNXFoldsDecomposedPReLU(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	convW, convB, c := randFloats(r, 4*3*3*3), randFloats(r, 4), randFloats(r, 4)
	for _, tc := range []struct {
		name    string
		keepAbs bool
		wantOps map[string]int
	}{
		{"folded", false, map[string]int{"PRelu": 1, "Abs": 0, "Relu": 0, "Sub": 0, "Mul": 0}},
		{"abs used elsewhere", true, map[string]int{"PRelu": 0, "Abs": 1, "Relu": 1, "Sub": 1, "Mul": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Read(decomposedPReLUNet(convW, convB, c, tc.keepAbs).build())
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			om, err := ToONNX(m)
			if err != nil {
				t.Fatalf("ToONNX: %v", err)
			}
			count := map[string]int{}
			for _, n := range om.Graph.Nodes {
				count[n.OpType]++
			}
			for op, n := range tc.wantOps {
				if count[op] != n {
					t.Errorf("%d %s nodes, want %d (graph: %v)", count[op], op, n, count)
				}
			}
			x := randFloats(r, 4*4*3)
			got := runConverted(t, m, x, 4, 4, 3)
			conv, _, _ := conv2DNHWC(x, 4, 4, 3, convW, 3, 3, 4, 1, true, 0, convB)
			neg := 0
			for i, v := range conv {
				want := v
				if v < 0 {
					want = 2 * c[i%4] * v
					neg++
				}
				if tc.keepAbs {
					want += float32(math.Abs(float64(v)))
				}
				if math.Abs(float64(got[i]-want)) > 1e-4 {
					t.Errorf("output[%d] = %v, reference %v", i, got[i], want)
				}
			}
			if neg == 0 || neg == len(conv) {
				t.Fatalf("%d of %d conv outputs negative: the test would not exercise both slopes", neg, len(conv))
			}
		})
	}
}

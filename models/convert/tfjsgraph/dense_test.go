package tfjsgraph

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDenseHeadMatchesTF: a Keras classifier head as TF.js exports it —
// folded batch normalisation (Mul then Add by per-channel constants) on a
// 4-D activation, Flatten (Reshape, NHWC order), _FusedMatMul with
// BiasAdd+Relu, a 1-D batch norm (Mul, AddV2), a _FusedMatMul with
// transposed weights, and the Softmax and Sigmoid outputs of the human
// liveness and antispoof nets.
func TestDenseHeadMatchesTF(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := nhwc{2, 3, 4, randData(r, 2*3*4, 1)}
	scale, offset := randData(r, 4, 1), randData(r, 4, 0.5)
	w1, b1 := randData(r, 24*6, 0.5), randData(r, 6, 0.2)
	s2, o2 := randData(r, 6, 1), randData(r, 6, 0.3)
	w2, b2 := randData(r, 3*6, 0.5), randData(r, 3, 0.2) // [out=3, in=6]: transpose_b
	w3 := randData(r, 6, 0.5)

	g := &testGraph{}
	g.placeholder("input", -1, 2, 3, 4)
	g.constF("scale", scale, 4)
	g.constF("offset", offset, 4)
	g.op("bn_mul", "Mul", []string{"input", "scale"}, nil)
	g.op("bn", "Add", []string{"bn_mul", "offset"}, nil)
	g.constI("flat", []int32{-1, 24}, 2)
	g.op("flatten", "Reshape", []string{"bn", "flat"}, nil)
	g.constF("w1", w1, 24, 6)
	g.constF("b1", b1, 6)
	dense := func(transB bool, fused ...string) map[string]any {
		return map[string]any{"transpose_a": map[string]any{"b": false}, "transpose_b": map[string]any{"b": transB}, "fused_ops": aStrs(fused...)}
	}
	g.op("d1", "_FusedMatMul", []string{"flatten", "w1", "b1"}, dense(false, "BiasAdd", "Relu"))
	g.constF("s2", s2, 6)
	g.constF("o2", o2, 6)
	g.op("bn2_mul", "Mul", []string{"s2", "d1"}, nil)
	g.op("bn2", "AddV2", []string{"bn2_mul", "o2"}, nil)
	g.constF("w2", w2, 3, 6)
	g.constF("b2", b2, 3)
	g.op("logits", "_FusedMatMul", []string{"bn2", "w2", "b2"}, dense(true, "BiasAdd"))
	g.op("probs", "Softmax", []string{"logits"}, nil)
	g.constF("w3", w3, 6, 1)
	g.op("d3", "MatMul", []string{"bn2", "w3"}, nil)
	g.op("real", "Sigmoid", []string{"d3"}, nil)

	got := runOpenCV(t, g, Options{Outputs: []Output{{Name: "probs", From: []string{"probs"}}, {Name: "real", From: []string{"real"}}}}, x, "probs", "real")

	flat := mapEach(x, func(i int, v float32) float32 { return v*scale[i%4] + offset[i%4] }).d
	h := make([]float32, 6)
	for j := range 6 {
		s := b1[j]
		for k := range 24 {
			s += flat[k] * w1[k*6+j]
		}
		h[j] = max(s, 0)*s2[j] + o2[j]
	}
	logits := make([]float64, 3)
	var sum float64
	for j := range 3 {
		s := float64(b2[j])
		for k := range 6 {
			s += float64(h[k] * w2[j*6+k])
		}
		logits[j] = math.Exp(s)
		sum += logits[j]
	}
	probs := make([]float32, 3)
	for j := range probs {
		probs[j] = float32(logits[j] / sum)
	}
	compare(t, "probs", got[0], probs)
	var z float64
	for k := range 6 {
		z += float64(h[k] * w3[k])
	}
	compare(t, "real", got[1], []float32{float32(1 / (1 + math.Exp(-z)))})
}

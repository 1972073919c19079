package verify

import (
	"fmt"
	"os"
	"slices"

	"gocv.io/x/gocv"

	"autogate/models/onnx"
)

// checkGraph refuses, before OpenCV sees the model, what OpenCV would
// answer with a C++ exception (which aborts the process): unknown input or
// output names, or an input shape other than [1|N, 3, size, size].
func checkGraph(model []byte, spec Spec) error {
	m, err := onnx.ReadModel(model)
	if err != nil {
		return fmt.Errorf("reading the ONNX model: %w", err)
	}
	var inNames, outNames []string
	var in *onnx.ValueInfo
	for _, v := range m.Graph.Inputs {
		if m.Graph.Initializer(v.Name) != nil {
			continue // old exporters list weights as inputs too
		}
		inNames = append(inNames, v.Name)
		if v.Name == spec.Input {
			in = v
		}
	}
	for _, v := range m.Graph.Outputs {
		outNames = append(outNames, v.Name)
	}
	if in == nil {
		return fmt.Errorf("the ONNX model has no input %q (inputs %q)", spec.Input, inNames)
	}
	if len(in.Shape) == 4 {
		want := []int64{3, int64(spec.Size), int64(spec.Size)}
		got := []int64{in.Shape[1].Value, in.Shape[2].Value, in.Shape[3].Value}
		for i := range want {
			if got[i] != 0 && got[i] != want[i] { // 0: symbolic dimension
				return fmt.Errorf("the ONNX input %q is %v, want [N 3 %d %d]", spec.Input, in.Shape, spec.Size, spec.Size)
			}
		}
	} else if in.Shape != nil {
		return fmt.Errorf("the ONNX input %q has rank %d, want 4 (NCHW)", spec.Input, len(in.Shape))
	}
	for _, o := range spec.Outputs {
		if !slices.Contains(outNames, o) {
			return fmt.Errorf("the ONNX model has no output %q (outputs %q)", o, outNames)
		}
	}
	return nil
}

// runONNX runs each NHWC image of in through the model with OpenCV and
// returns, per image, the outputs in spec order. done is called after each
// image.
func runONNX(path string, spec Spec, in []float32, n int, done func()) ([][][]float32, error) {
	model, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkGraph(model, spec); err != nil {
		return nil, err
	}
	net, err := gocv.ReadNetFromONNXBytes(model)
	if err != nil {
		return nil, fmt.Errorf("OpenCV: %w", err)
	}
	defer net.Close()
	if net.Empty() {
		return nil, fmt.Errorf("OpenCV loaded an empty net from %s", path)
	}
	s := spec.Size
	per := s * s * 3
	blob := gocv.NewMatWithSizes([]int{1, 3, s, s}, gocv.MatTypeCV32F)
	defer blob.Close()
	res := make([][][]float32, n)
	for i := range n {
		dst, err := blob.DataPtrFloat32()
		if err != nil {
			return nil, err
		}
		copy(dst, ToNCHW(in[i*per:(i+1)*per], s, s, 3))
		net.SetInput(blob, spec.Input)
		mats := net.ForwardLayers(spec.Outputs)
		outs, err := matValues(mats, spec.Outputs)
		for _, m := range mats {
			m.Close()
		}
		if err != nil {
			return nil, err
		}
		res[i] = outs
		if done != nil {
			done()
		}
	}
	return res, nil
}

func matValues(mats []gocv.Mat, names []string) ([][]float32, error) {
	if len(mats) != len(names) {
		return nil, fmt.Errorf("OpenCV returned %d outputs for %q", len(mats), names)
	}
	out := make([][]float32, len(mats))
	for i, m := range mats {
		if m.Empty() {
			return nil, fmt.Errorf("OpenCV produced no output %q", names[i])
		}
		v, err := m.DataPtrFloat32()
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", names[i], err)
		}
		out[i] = slices.Clone(v)
	}
	return out, nil
}

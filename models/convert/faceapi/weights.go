package faceapi

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"autogate/models/convert/tfjs"
)

// LoadWeights reads a TF.js weights manifest and its shards, which are
// resolved relative to the manifest's directory.
func LoadWeights(manifestPath string) (map[string]tfjs.Tensor, error) {
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, err
	}
	groups, err := tfjs.ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	dir := filepath.Dir(manifestPath)
	w, err := tfjs.Decode(groups, func(p string) ([]byte, error) {
		if filepath.IsAbs(p) || !filepath.IsLocal(filepath.FromSlash(p)) {
			return nil, fmt.Errorf("shard path %q leaves the manifest's directory", p)
		}
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	return w, nil
}

// weights looks up float32 tensors by name, checking their shapes, and
// remembers the first failure so graph code can read straight through.
type weights struct {
	m   map[string]tfjs.Tensor
	err error
}

func (w *weights) get(name string, shape ...int) []float32 {
	if w.err != nil {
		return make([]float32, product(shape))
	}
	t, ok := w.m[name]
	switch {
	case !ok:
		w.err = fmt.Errorf("weight %q missing", name)
	case t.Float == nil:
		w.err = fmt.Errorf("weight %q is not float32", name)
	case !slices.Equal(t.Shape, shape):
		w.err = fmt.Errorf("weight %q has shape %v, want %v", name, t.Shape, shape)
	}
	if w.err != nil {
		return make([]float32, product(shape))
	}
	return t.Float
}

// dims returns the shape of a weight, or nil when it is missing.
func (w *weights) dims(name string) []int {
	return w.m[name].Shape
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// hwioToOIHW reorders TF conv filters [kh,kw,in,out] to ONNX [out,in,kh,kw].
func hwioToOIHW(w []float32, kh, kw, in, out int) []float32 {
	r := make([]float32, len(w))
	for y := range kh {
		for x := range kw {
			for i := range in {
				for o := range out {
					r[((o*in+i)*kh+y)*kw+x] = w[((y*kw+x)*in+i)*out+o]
				}
			}
		}
	}
	return r
}

// transpose2D turns a TF MatMul weight [rows,cols] into [cols,rows] for
// Gemm with transB.
func transpose2D(w []float32, rows, cols int) []float32 {
	r := make([]float32, len(w))
	for i := range rows {
		for j := range cols {
			r[j*rows+i] = w[i*cols+j]
		}
	}
	return r
}

package tfjs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// WeightGroup is one entry of a weights manifest: shard files and the
// weights stored in their concatenation, in order.
type WeightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one weight (TF.js's WeightsManifestEntry).
type WeightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *Quantization `json:"quantization,omitempty"`
}

// Quantization says how a weight is stored when it is not stored as its own
// dtype. Dtype is "uint8", "uint16" (affine: value = q·Scale + Min) or
// "float16". TF.js 4.x defines no other field.
type Quantization struct {
	Dtype string  `json:"dtype"`
	Scale float64 `json:"scale,omitempty"`
	Min   float64 `json:"min,omitempty"`
}

// Tensor is one decoded weight. Float holds float32 weights, Int holds int32
// and bool weights (bool as the stored byte values, as TF.js keeps them).
type Tensor struct {
	Name  string
	Shape []int
	Float []float32
	Int   []int32
}

// Len is the number of values of the tensor.
func (t Tensor) Len() int {
	if t.Float != nil {
		return len(t.Float)
	}
	return len(t.Int)
}

// UnmarshalJSON refuses affine quantisation without its scale and min, as
// TF.js does; a zero value would silently decode to constants.
func (q *Quantization) UnmarshalJSON(data []byte) error {
	var raw struct {
		Dtype string   `json:"dtype"`
		Scale *float64 `json:"scale"`
		Min   *float64 `json:"min"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if (raw.Dtype == "uint8" || raw.Dtype == "uint16") && (raw.Scale == nil || raw.Min == nil) {
		return fmt.Errorf("tfjs: %s quantization without min and scale", raw.Dtype)
	}
	q.Dtype = raw.Dtype
	if raw.Scale != nil {
		q.Scale = *raw.Scale
	}
	if raw.Min != nil {
		q.Min = *raw.Min
	}
	return nil
}

// ParseManifest parses a weights manifest: a JSON array of groups, or a
// model.json object whose weightsManifest holds them.
func ParseManifest(data []byte) ([]WeightGroup, error) {
	data = bytes.TrimSpace(data)
	var groups []WeightGroup
	if len(data) > 0 && data[0] == '{' {
		var model struct {
			WeightsManifest *[]WeightGroup `json:"weightsManifest"`
		}
		if err := json.Unmarshal(data, &model); err != nil {
			return nil, fmt.Errorf("tfjs: parsing model.json: %w", err)
		}
		if model.WeightsManifest == nil {
			return nil, errors.New("tfjs: model.json has no weightsManifest")
		}
		groups = *model.WeightsManifest
	} else if err := json.Unmarshal(data, &groups); err != nil {
		return nil, fmt.Errorf("tfjs: parsing weights manifest: %w", err)
	}
	for gi, g := range groups {
		for _, w := range g.Weights {
			if _, _, err := valueCount(w); err != nil {
				return nil, fmt.Errorf("tfjs: group %d: %w", gi, err)
			}
		}
	}
	return groups, nil
}

// storedSize is the number of bytes one stored value of a weight takes.
func storedSize(w WeightSpec) (int, error) {
	if q := w.Quantization; q != nil {
		switch q.Dtype {
		case "uint8", "uint16":
			if w.Dtype != "float32" && w.Dtype != "int32" {
				return 0, fmt.Errorf("weight %q: %s quantization of a %s weight (only float32 and int32 can be)", w.Name, q.Dtype, w.Dtype)
			}
			if q.Dtype == "uint8" {
				return 1, nil
			}
			return 2, nil
		case "float16":
			if w.Dtype != "float32" {
				return 0, fmt.Errorf("weight %q: float16 quantization of a %s weight (only float32 can be)", w.Name, w.Dtype)
			}
			return 2, nil
		}
		return 0, fmt.Errorf("weight %q: unknown quantization dtype %q (want uint8, uint16 or float16)", w.Name, q.Dtype)
	}
	switch w.Dtype {
	case "float32", "int32":
		return 4, nil
	case "bool":
		return 1, nil
	case "string", "complex64":
		return 0, fmt.Errorf("weight %q: dtype %s is not supported", w.Name, w.Dtype)
	}
	return 0, fmt.Errorf("weight %q: unknown dtype %q", w.Name, w.Dtype)
}

// maxValues bounds a weight's value count so that sizes never overflow an
// int, whatever the manifest claims; shards are checked against it later.
const maxValues = 1 << 40

// valueCount returns the number of values of a weight and the bytes they
// take stored.
func valueCount(w WeightSpec) (n, nbytes int, err error) {
	per, err := storedSize(w)
	if err != nil {
		return 0, 0, err
	}
	n = 1
	for _, d := range w.Shape {
		if d < 0 {
			return 0, 0, fmt.Errorf("weight %q: negative dimension in shape %v", w.Name, w.Shape)
		}
		if d != 0 && n > maxValues/d {
			return 0, 0, fmt.Errorf("weight %q: shape %v has too many values", w.Name, w.Shape)
		}
		n *= d
	}
	return n, n * per, nil
}

// Decode reads every weight of the groups, fetching shard bytes through
// shard (called once per path, in manifest order). Weight names must be
// unique. Bytes left over at the end of a group are ignored, as TF.js does.
func Decode(groups []WeightGroup, shard func(path string) ([]byte, error)) (map[string]Tensor, error) {
	out := map[string]Tensor{}
	for gi, g := range groups {
		var buf []byte
		for _, p := range g.Paths {
			b, err := shard(p)
			if err != nil {
				return nil, fmt.Errorf("tfjs: group %d: reading shard %q: %w", gi, p, err)
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			n, nb, err := valueCount(w)
			if err != nil {
				return nil, fmt.Errorf("tfjs: group %d: %w", gi, err)
			}
			if nb > len(buf)-off {
				return nil, fmt.Errorf("tfjs: group %d: weight %q needs %d bytes at offset %d but the shards %v hold %d bytes", gi, w.Name, nb, off, g.Paths, len(buf))
			}
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("tfjs: group %d: weight %q appears twice", gi, w.Name)
			}
			out[w.Name] = decodeWeight(w, n, buf[off:off+nb])
			off += nb
		}
	}
	return out, nil
}

// decodeWeight turns the n stored values in b (already size-checked) into a
// tensor, following TF.js's decodeWeight.
func decodeWeight(w WeightSpec, n int, b []byte) Tensor {
	t := Tensor{Name: w.Name, Shape: append([]int{}, w.Shape...)}
	le := binary.LittleEndian
	if q := w.Quantization; q != nil {
		stored := func(i int) float64 {
			if q.Dtype == "uint8" {
				return float64(b[i])
			}
			return float64(le.Uint16(b[2*i:]))
		}
		switch {
		case q.Dtype == "float16":
			t.Float = make([]float32, n)
			for i := range n {
				t.Float[i] = Float16(le.Uint16(b[2*i:]))
			}
		case w.Dtype == "float32":
			t.Float = make([]float32, n)
			for i := range n {
				t.Float[i] = float32(stored(i)*q.Scale + q.Min)
			}
		default: // int32
			t.Int = make([]int32, n)
			for i := range n {
				t.Int[i] = jsRoundInt32(stored(i)*q.Scale + q.Min)
			}
		}
		return t
	}
	switch w.Dtype {
	case "float32":
		t.Float = make([]float32, n)
		for i := range n {
			t.Float[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "int32":
		t.Int = make([]int32, n)
		for i := range n {
			t.Int[i] = int32(le.Uint32(b[4*i:]))
		}
	default: // bool
		t.Int = make([]int32, n)
		for i := range n {
			t.Int[i] = int32(b[i])
		}
	}
	return t
}

// jsRoundInt32 is JavaScript's Math.round (halves towards +∞) stored into an
// Int32Array (ToInt32: modulo 2³², NaN and ±∞ to 0).
func jsRoundInt32(x float64) int32 {
	r := math.Floor(x + 0.5)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return 0
	}
	return int32(uint32(int64(math.Mod(r, 1<<32))))
}

// Float16 converts IEEE 754 half-precision bits to float32 exactly
// (subnormals, infinities and NaNs included).
func Float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: normalise the mantissa.
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

package tfjs

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"autogate/internal/testenv"
)

// decodeOne parses a manifest and decodes it from the shards in files.
func decodeOne(t *testing.T, manifest string, files map[string][]byte) (map[string]Tensor, error) {
	t.Helper()
	groups, err := ParseManifest([]byte(manifest))
	if err != nil {
		return nil, err
	}
	return Decode(groups, func(p string) ([]byte, error) {
		b, ok := files[p]
		if !ok {
			return nil, os.ErrNotExist
		}
		return b, nil
	})
}

func le32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

func le16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

func TestDecodeEachDtype(t *testing.T) {
	// One group over two shards; the int32 weight straddles the boundary.
	manifest := `[{"paths":["a.bin","b.bin"],"weights":[
	 {"name":"f32","shape":[2],"dtype":"float32"},
	 {"name":"i32","shape":[2],"dtype":"int32"},
	 {"name":"b","shape":[3],"dtype":"bool"},
	 {"name":"f16","shape":[2,3],"dtype":"float32","quantization":{"dtype":"float16"}},
	 {"name":"u8","shape":[3],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1}},
	 {"name":"u16","shape":[1,1],"dtype":"float32","quantization":{"dtype":"uint16","scale":0.25,"min":10}},
	 {"name":"u8int","shape":[4],"dtype":"int32","quantization":{"dtype":"uint8","scale":0.5,"min":-2}},
	 {"name":"scalar","shape":[],"dtype":"float32"},
	 {"name":"empty","shape":[0,5],"dtype":"float32"}
	]},
	{"paths":["c.bin"],"weights":[{"name":"g2","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.1,"min":0}}]}]`
	var all []byte
	all = append(all, le32(0x3fc00000, 0xc0000000)...)                         // 1.5, -2
	all = append(all, le32(0xffffffff, 7)...)                                  // -1, 7
	all = append(all, 0, 1, 2)                                                 // bool bytes kept as stored
	all = append(all, le16(0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555, 0x8000)...) // 1, -2, +Inf, 2^-24, 0.333251953125, -0
	all = append(all, 0, 3, 255)                                               // -1, 0.5, 126.5
	all = append(all, le16(0x0102)...)                                         // 258·0.25+10 = 74.5
	all = append(all, 0, 1, 3, 5)                                              // -2, -1.5→-1, -0.5→-0, 0.5→1 (JS Math.round)
	all = append(all, le32(0x40490fdb)...)                                     // float32 π
	all = append(all, 0xee, 0xee)                                              // trailing bytes: ignored, as TF.js does
	files := map[string][]byte{"a.bin": all[:10], "b.bin": all[10:], "c.bin": {3}}

	got, err := decodeOne(t, manifest, files)
	if err != nil {
		t.Fatal(err)
	}
	checkF := func(name string, shape []int, want ...float32) {
		t.Helper()
		tt, ok := got[name]
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if tt.Name != name || !slices.Equal(tt.Shape, shape) || tt.Int != nil {
			t.Errorf("%s: name %q shape %v int %v", name, tt.Name, tt.Shape, tt.Int)
		}
		if len(tt.Float) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(tt.Float), len(want))
		}
		for i := range want {
			if math.Float32bits(tt.Float[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v (%#x), want %v", name, i, tt.Float[i], math.Float32bits(tt.Float[i]), want[i])
			}
		}
	}
	checkI := func(name string, want ...int32) {
		t.Helper()
		tt := got[name]
		if tt.Float != nil || !slices.Equal(tt.Int, want) {
			t.Errorf("%s = %v (float %v), want %v", name, tt.Int, tt.Float, want)
		}
	}
	checkF("f32", []int{2}, 1.5, -2)
	checkI("i32", -1, 7)
	checkI("b", 0, 1, 2)
	checkF("f16", []int{2, 3}, 1, -2, float32(math.Inf(1)), float32(math.Ldexp(1, -24)), 0.333251953125, float32(math.Copysign(0, -1)))
	checkF("u8", []int{3}, -1, 0.5, 126.5)
	checkF("u16", []int{1, 1}, 74.5)
	checkI("u8int", -2, -1, 0, 1)
	checkF("scalar", nil, float32(math.Pi))
	checkF("empty", []int{0, 5})
	// 3·0.1 in float64 is 0.30000000000000004, rounded to float32 as TF.js's Float32Array does.
	checkF("g2", []int{1}, float32(3*0.1))
	if len(got) != 10 {
		t.Errorf("%d tensors, want 10", len(got))
	}
}

func TestFloat16MatchesTFJSTables(t *testing.T) {
	// TF.js converts halves with the table method of fox-toolkit's
	// "fast half float conversion"; rebuild those tables and compare all 65536.
	mant := make([]uint32, 2048)
	for i := 1; i < 1024; i++ {
		m, e := uint32(i)<<13, uint32(0)
		for m&0x00800000 == 0 {
			e -= 0x00800000
			m <<= 1
		}
		mant[i] = (m &^ 0x00800000) | (e + 0x38800000)
	}
	for i := 1024; i < 2048; i++ {
		mant[i] = 0x38000000 + uint32(i-1024)<<13
	}
	exp := make([]uint32, 64)
	off := make([]uint32, 64)
	for i := range 64 {
		switch {
		case i == 31:
			exp[i] = 0x47800000
		case i == 32:
			exp[i] = 0x80000000
		case i == 63:
			exp[i] = 0xc7800000
		case i > 0 && i < 31:
			exp[i] = uint32(i) << 23
		case i > 32:
			exp[i] = 0x80000000 + uint32(i-32)<<23
		}
		if i != 0 && i != 32 {
			off[i] = 1024
		}
	}
	for h := range 1 << 16 {
		want := mant[off[h>>10]+uint32(h&0x3ff)] + exp[h>>10]
		if got := math.Float32bits(Float16(uint16(h))); got != want {
			t.Fatalf("Float16(%#04x) = %#08x, want %#08x", h, got, want)
		}
	}
}

func TestParseModelJSON(t *testing.T) {
	groups, err := ParseManifest([]byte(` {"modelTopology":{},"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"x","shape":[1],"dtype":"float32"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Paths[0] != "w.bin" || groups[0].Weights[0].Name != "x" {
		t.Errorf("groups %+v", groups)
	}
	if _, err := ParseManifest([]byte(`{"modelTopology":{}}`)); err == nil {
		t.Error("model.json without weightsManifest accepted")
	}
}

func TestDecodeErrors(t *testing.T) {
	one := func(w string) string { return `[{"paths":["a"],"weights":[` + w + `]}]` }
	cases := []struct {
		name, manifest string
		shard          []byte
		want           string
	}{
		{"short shard", one(`{"name":"w","shape":[3],"dtype":"float32"}`), make([]byte, 11), `"w" needs 12 bytes`},
		{"short quantised", one(`{"name":"w","shape":[2,2],"dtype":"float32","quantization":{"dtype":"uint16","scale":1,"min":0}}`), make([]byte, 7), `needs 8 bytes`},
		{"negative dim", one(`{"name":"w","shape":[2,-1],"dtype":"float32"}`), nil, "negative dimension"},
		{"overflow", one(`{"name":"w","shape":[4294967296,4294967296,4],"dtype":"float32"}`), nil, "too many values"},
		{"huge", one(`{"name":"w","shape":[1099511627776],"dtype":"float32"}`), make([]byte, 8), "needs 4398046511104 bytes"},
		{"unknown dtype", one(`{"name":"w","shape":[1],"dtype":"float64"}`), nil, `unknown dtype "float64"`},
		{"string", one(`{"name":"w","shape":[1],"dtype":"string"}`), nil, "string is not supported"},
		{"unknown quant", one(`{"name":"w","shape":[1],"dtype":"float32","quantization":{"dtype":"int4"}}`), nil, `unknown quantization dtype "int4"`},
		{"no min", one(`{"name":"w","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","scale":1}}`), nil, "without min and scale"},
		{"f16 int", one(`{"name":"w","shape":[1],"dtype":"int32","quantization":{"dtype":"float16"}}`), nil, "float16 quantization of a int32"},
		{"u8 bool", one(`{"name":"w","shape":[1],"dtype":"bool","quantization":{"dtype":"uint8","scale":1,"min":0}}`), nil, "uint8 quantization of a bool"},
		{"duplicate", one(`{"name":"w","shape":[1],"dtype":"bool"},{"name":"w","shape":[1],"dtype":"bool"}`), []byte{1, 1}, "appears twice"},
		{"not json", `[{"paths":`, nil, "parsing weights manifest"},
		{"missing shard", `[{"paths":["nope"],"weights":[]}]`, nil, `reading shard "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeOne(t, c.manifest, map[string][]byte{"a": c.shard})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Decode checks sizes itself too, for groups built in Go rather than parsed.
	_, err := Decode([]WeightGroup{{Weights: []WeightSpec{{Name: "w", Shape: []int{-3}, Dtype: "float32"}}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Decode of a negative shape: %v", err)
	}
	shardErr := errors.New("boom")
	_, err = Decode([]WeightGroup{{Paths: []string{"x"}}}, func(string) ([]byte, error) { return nil, shardErr })
	if !errors.Is(err, shardErr) {
		t.Errorf("shard error not wrapped: %v", err)
	}
}

// faceAPIModelDir is where `make models` puts face-api's weights.
const faceAPIModelDir = "models/cache/face-api/package/model"

func TestDecodeFaceAPIManifests(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(faceAPIModelDir))
	for _, c := range []struct {
		manifest        string
		tensors, uint8s int
	}{
		{"face_landmark_68_model-weights_manifest.json", 49, 49},
		{"face_recognition_model-weights_manifest.json", 117, 109},
	} {
		t.Run(c.manifest, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.manifest))
			if os.IsNotExist(err) {
				t.Skipf("%s not found: run `make models` (needs network) to test the real face-api weights", c.manifest)
			}
			if err != nil {
				t.Fatal(err)
			}
			groups, err := ParseManifest(data)
			if err != nil {
				t.Fatal(err)
			}
			var shardBytes []byte
			got, err := Decode(groups, func(p string) ([]byte, error) {
				b, err := os.ReadFile(filepath.Join(dir, p))
				shardBytes = append(shardBytes, b...)
				return b, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 || len(got) != c.tensors {
				t.Fatalf("%d groups, %d tensors; want 1 group, %d tensors", len(groups), len(got), c.tensors)
			}
			// Every byte of the shard belongs to exactly one weight.
			total, uint8s := 0, 0
			for _, w := range groups[0].Weights {
				tt := got[w.Name]
				n := 1
				for _, d := range w.Shape {
					n *= d
				}
				if len(tt.Float) != n || !slices.Equal(tt.Shape, w.Shape) {
					t.Errorf("%s: %d values shape %v, want %d shape %v", w.Name, len(tt.Float), tt.Shape, n, w.Shape)
				}
				for i, v := range tt.Float {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s[%d] = %v", w.Name, i, v)
					}
				}
				if w.Quantization != nil && w.Quantization.Dtype == "uint8" {
					uint8s++
					total += n
				} else {
					total += 4 * n
				}
			}
			if total != len(shardBytes) {
				t.Errorf("weights take %d bytes, shards hold %d", total, len(shardBytes))
			}
			if uint8s != c.uint8s {
				t.Errorf("%d uint8-quantised tensors, want %d", uint8s, c.uint8s)
			}
			// The last weight ends at the last byte: its last value is that
			// byte dequantised, which pins the offset bookkeeping.
			last := groups[0].Weights[len(groups[0].Weights)-1]
			lt := got[last.Name]
			q := last.Quantization
			want := float32(float64(shardBytes[len(shardBytes)-1])*q.Scale + q.Min)
			if v := lt.Float[len(lt.Float)-1]; v != want {
				t.Errorf("%s last value %v, want %v", last.Name, v, want)
			}
		})
	}
}

// FuzzDecode feeds hostile manifests and shard bytes: Decode must return an
// error or tensors whose sizes match their shapes, never panic or allocate
// beyond the shard.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"paths":["a"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}]`), make([]byte, 8))
	f.Add([]byte(`[{"paths":["a","a"],"weights":[{"name":"w","shape":[3],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1}},{"name":"h","shape":[1,1],"dtype":"float32","quantization":{"dtype":"float16"}}]}]`), []byte{1, 2, 3})
	f.Add([]byte(`[{"paths":["a"],"weights":[{"name":"i","shape":[1],"dtype":"int32","quantization":{"dtype":"uint16","scale":0.5,"min":-1}},{"name":"b","shape":[2],"dtype":"bool"}]}]`), []byte{1, 2, 3, 4})
	f.Add([]byte(`{"weightsManifest":[{"paths":["a"],"weights":[{"name":"w","shape":[65536,65536,65536],"dtype":"int32"}]}]}`), []byte{0})
	f.Fuzz(func(t *testing.T, manifest, shard []byte) {
		groups, err := ParseManifest(manifest)
		if err != nil {
			return
		}
		got, err := Decode(groups, func(string) ([]byte, error) { return shard, nil })
		if err != nil {
			return
		}
		for name, tt := range got {
			n := 1
			for _, d := range tt.Shape {
				n *= d
			}
			if tt.Len() != n || tt.Name != name {
				t.Fatalf("%s: %d values for shape %v", name, tt.Len(), tt.Shape)
			}
		}
	})
}

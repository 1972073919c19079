package faceapi

import (
	"fmt"

	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// DlibSize is the input side of FaceRecognitionNet (a dlib face chip).
const DlibSize = 150

// DlibResNet builds FaceRecognitionNet from the weights of
// face_recognition_model-weights_manifest.json.
//
// The net: a 7×7 stride-2 VALID conv (32 ch) and a 3×3 stride-2 max pool,
// then residual stages of 32, 64, 128 and 256 channels, each opened by a
// down-sampling residual block, a last down-sampling block at 256, the mean
// over the spatial positions and a 256×128 matrix. Sizes: 150 → 72 → 35 →
// 17 → 8 → 3 (padded to 4) → 1 (padded to 2).
func DlibResNet(m map[string]tfjs.Tensor) (*onnx.Model, error) {
	return build("dlib_resnet", "FaceRecognitionNet", m, func(g *graph) {
		x := g.input(DlibSize)
		x = g.relu(g.scaledConv(x, "conv32_down", 7, 2, false))
		x = g.pool(x, 3, 2, false)
		for _, s := range []struct {
			name string
			n    int
			down bool
		}{
			{"conv32", 3, false}, {"conv64", 3, true}, {"conv128", 2, true}, {"conv256", 2, true},
		} {
			if s.down {
				x = g.residualDown(x, s.name+"_down")
			}
			for i := 1; i <= s.n; i++ {
				x = g.residual(x, fmt.Sprintf("%s_%d", s.name, i))
			}
		}
		x = g.residualDown(x, "conv256_down_out")
		x = value{g.b.GlobalAveragePool(x.name), x.c, 1, 1}
		g.dense(x, g.w.get("fc", x.c, 128), nil, 128, "descriptor")
	})
}

// scaledConv is face-api's dlib convLayer without the ReLU: conv + bias,
// then the per-channel scale layer (·weights + biases), folded into the
// conv's weights and bias. Stride 1 convs use SAME padding, stride-2 ones
// VALID, as face-api's conv/convDown do.
func (g *graph) scaledConv(x value, prefix string, k, stride int, same bool) value {
	shape := g.w.dims(prefix + "/conv/filters")
	outC := 0
	if len(shape) == 4 {
		outC = shape[3]
	}
	f := g.w.get(prefix+"/conv/filters", k, k, x.c, outC)
	bias := g.w.get(prefix+"/conv/bias", outC)
	scale := g.w.get(prefix+"/scale/weights", outC)
	shift := g.w.get(prefix+"/scale/biases", outC)
	wt := hwioToOIHW(f, k, k, x.c, outC)
	fb := make([]float32, outC)
	per := len(wt) / max(outC, 1)
	for o := range outC {
		for i := range per {
			wt[o*per+i] *= scale[o]
		}
		fb[o] = bias[o]*scale[o] + shift[o]
	}
	return g.conv(x, wt, fb, outC, k, stride, same, 1)
}

// residual: ReLU(x + conv2(ReLU(conv1(x)))), both 3×3 SAME.
func (g *graph) residual(x value, prefix string) value {
	out := g.relu(g.scaledConv(x, prefix+"/conv1", 3, 1, true))
	out = g.scaledConv(out, prefix+"/conv2", 3, 1, true)
	return g.relu(g.add(out, x))
}

// residualDown: the main path starts with a 3×3 stride-2 VALID conv; the
// shortcut is a 2×2 stride-2 average pool with the channels doubled by
// zeros. Where the main path came out one smaller (odd sizes), face-api
// appends a zero row and column to it, as dlib zero-pads on mismatch.
func (g *graph) residualDown(x value, prefix string) value {
	out := g.relu(g.scaledConv(x, prefix+"/conv1", 3, 2, false))
	out = g.scaledConv(out, prefix+"/conv2", 3, 1, true)
	pooled := g.pool(x, 2, 2, true)
	if out.h != pooled.h || out.w != pooled.w {
		if pooled.h-out.h != 1 || pooled.w-out.w != 1 {
			g.fail("%s: main path %d×%d against shortcut %d×%d: face-api only pads by one", prefix, out.h, out.w, pooled.h, pooled.w)
			return out
		}
		out = g.pad(out, 0, 1, 1)
	}
	if pooled.c != out.c {
		if out.c != 2*pooled.c {
			g.fail("%s: %d channels against a shortcut of %d: face-api doubles them", prefix, out.c, pooled.c)
			return out
		}
		pooled = g.pad(pooled, pooled.c, 0, 0)
	}
	return g.relu(g.add(pooled, out))
}

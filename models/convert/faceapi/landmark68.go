package faceapi

import (
	"fmt"

	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// Landmark68Size is the input side of FaceLandmark68Net.
const Landmark68Size = 112

// Landmark68 builds FaceLandmark68Net from the weights of
// face_landmark_68_model-weights_manifest.json.
//
// The net: four dense blocks (32, 64, 128, 256 channels), each halving the
// size (112 → 7), a 7×7 average pool and a fully connected layer to 136
// values. A dense block's first conv (plain 3×3 in the first block,
// depthwise-separable after) has stride 2; its three further
// depthwise-separable convs each take the ReLU of the sum of all previous
// outputs of the block, and the block returns the ReLU of the sum of all four.
func Landmark68(m map[string]tfjs.Tensor) (*onnx.Model, error) {
	return build("face_landmark_68", "FaceLandmark68Net", m, func(g *graph) {
		x := g.input(Landmark68Size)
		inC := 3
		for i, c := range []int{32, 64, 128, 256} {
			x = g.denseBlock(x, fmt.Sprintf("dense%d", i), inC, c, i == 0)
			inC = c
		}
		x = g.pool(x, 7, 2, true)
		g.dense(x, g.w.get("fc/weights", inC, 136), g.w.get("fc/bias", 136), 136, "landmarks")
	})
}

// denseBlock is face-api's denseBlock4 with scale-down.
func (g *graph) denseBlock(x value, prefix string, inC, outC int, first bool) value {
	var out1 value
	if first {
		f := g.w.get(prefix+"/conv0/filters", 3, 3, inC, outC)
		out1 = g.conv(x, hwioToOIHW(f, 3, 3, inC, outC), g.w.get(prefix+"/conv0/bias", outC), outC, 3, 2, true, 1)
	} else {
		out1 = g.separable(x, prefix+"/conv0", outC, 2)
	}
	out1 = g.relu(out1)
	out2 := g.separable(out1, prefix+"/conv1", outC, 1)
	out3 := g.separable(g.relu(g.add(out1, out2)), prefix+"/conv2", outC, 1)
	out4 := g.separable(g.relu(g.add(out1, g.add(out2, out3))), prefix+"/conv3", outC, 1)
	return g.relu(g.add(out1, g.add(out2, g.add(out3, out4))))
}

// separable is TF's separableConv2d (3×3 depthwise with SAME padding and the
// stride, then 1×1 pointwise) plus bias.
func (g *graph) separable(x value, prefix string, outC, stride int) value {
	dw := g.w.get(prefix+"/depthwise_filter", 3, 3, x.c, 1)
	pw := g.w.get(prefix+"/pointwise_filter", 1, 1, x.c, outC)
	// Depthwise [kh,kw,C,1] is HWIO with one output per group: as OIHW
	// it is [C,1,kh,kw].
	d := g.conv(x, hwioToOIHW(dw, 3, 3, x.c, 1), nil, x.c, 3, stride, true, x.c)
	return g.conv(d, hwioToOIHW(pw, 1, 1, x.c, outC), g.w.get(prefix+"/bias", outC), outC, 1, 1, true, 1)
}

package faceapi

import (
	"fmt"

	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// Net names a convertible face-api network.
type Net string

// The nets this package rebuilds.
const (
	NetLandmark68 Net = "landmark68"
	NetDlib       Net = "dlib"
)

// Build builds the named net from its decoded weights.
func Build(net Net, w map[string]tfjs.Tensor) (*onnx.Model, error) {
	switch net {
	case NetLandmark68:
		return Landmark68(w)
	case NetDlib:
		return DlibResNet(w)
	}
	return nil, fmt.Errorf("faceapi: unknown net %q (want %q or %q)", net, NetLandmark68, NetDlib)
}

// Convert reads a weights manifest (shards next to it), builds the named
// net and returns the serialised ONNX model.
func Convert(net Net, manifestPath string) ([]byte, error) {
	w, err := LoadWeights(manifestPath)
	if err != nil {
		return nil, err
	}
	m, err := Build(net, w)
	if err != nil {
		return nil, err
	}
	return m.Marshal()
}

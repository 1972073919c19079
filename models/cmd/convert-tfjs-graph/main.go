package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"autogate/models/convert/tfjsgraph"
	"autogate/models/internal/convcli"
)

var command = convcli.Command{
	Name: "convert-tfjs-graph",
	Usage: "usage: convert-tfjs-graph IN/model.json OUT.onnx\n\n" +
		"Converts a TF.js graph model (model.json + weight shards beside it) to ONNX\n" +
		"(NCHW input, batch 1) for OpenCV's DNN. blazeface.json gets the outputs\n" +
		"regressors [1,896,16] and classificators [1,896,1]; other models keep\n" +
		"their graph outputs. Supported ops: " + strings.Join(tfjsgraph.Supported, ", ") + ".\n",
	Hint: "run `make models` to fetch the TF.js model",
	Convert: func(log *slog.Logger, in string) ([]byte, error) {
		if _, err := os.Stat(in); err != nil {
			return nil, fmt.Errorf("reading the TF.js model: %w", err)
		}
		m, weights, err := tfjsgraph.Load(in)
		if err != nil {
			return nil, err
		}
		log.Info("read", "model", m.String(), "weights", len(weights))
		var opt tfjsgraph.Options
		if strings.EqualFold(filepath.Base(in), "blazeface.json") {
			opt = tfjsgraph.BlazeFace()
		}
		om, err := tfjsgraph.Convert(m, weights, opt)
		if err != nil {
			return nil, err
		}
		data, err := om.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encoding the ONNX model: %w", err)
		}
		return data, nil
	},
}

func main() { os.Exit(command.Run(os.Args[1:], os.Stderr)) }

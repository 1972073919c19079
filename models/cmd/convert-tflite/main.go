package main

import (
	"fmt"
	"log/slog"
	"os"

	"autogate/models/convert/tflite"
	"autogate/models/internal/convcli"
)

var command = convcli.Command{
	Name:  "convert-tflite",
	Usage: "usage: convert-tflite IN.tflite OUT.onnx\n\nConverts a float32 TFLite model to ONNX (NCHW input, batch 1) for OpenCV's DNN.\n",
	Hint:  "run `make models` to fetch the TFLite model",
	Convert: func(_ *slog.Logger, in string) ([]byte, error) {
		b, err := os.ReadFile(in)
		if err != nil {
			return nil, fmt.Errorf("reading the TFLite model: %w", err)
		}
		m, err := tflite.Read(b)
		if err != nil {
			return nil, err
		}
		om, err := tflite.ToONNX(m)
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

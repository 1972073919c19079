package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"autogate/models/convert/tflite"
)

const (
	exitOK      = 0
	exitConvert = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert-tflite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: convert-tflite IN.tflite OUT.onnx\n\nConverts a float32 TFLite model to ONNX (NCHW input, batch 1) for OpenCV's DNN.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	in, out := fs.Arg(0), fs.Arg(1)
	if err := convert(in, out); err != nil {
		log.Error("conversion failed", "in", in, "out", out, "err", err)
		return exitConvert
	}
	log.Info("converted", "in", in, "out", out)
	return exitOK
}

func convert(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("reading the TFLite model: %w (run `make models` to fetch it)", err)
	}
	m, err := tflite.Read(b)
	if err != nil {
		return err
	}
	om, err := tflite.ToONNX(m)
	if err != nil {
		return err
	}
	data, err := om.Marshal()
	if err != nil {
		return fmt.Errorf("encoding the ONNX model: %w", err)
	}
	// Write to a temporary file and rename so a failed run never leaves a
	// truncated model behind for the face matcher to load.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".convert-tflite-*")
	if err != nil {
		return fmt.Errorf("writing the ONNX model: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("writing the ONNX model: %w", err)
	}
	return nil
}

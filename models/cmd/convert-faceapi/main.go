package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"autogate/models/convert/faceapi"
	"autogate/models/internal/convcli"
)

var net string

var command = convcli.Command{
	Name: "convert-faceapi",
	Usage: "usage: convert-faceapi --net landmark68|dlib MANIFEST.json OUT.onnx\n\n" +
		"Rebuilds a face-api network from its TF.js weights manifest (shards next to it)\n" +
		"as ONNX for OpenCV's DNN: input `input` NCHW raw RGB 0-255, batch 1;\n" +
		"output `landmarks` [1,136] (landmark68) or `descriptor` [1,128] (dlib).\n\n",
	Flags: func(fs *flag.FlagSet) {
		fs.StringVar(&net, "net", "", "network: landmark68 (FaceLandmark68Net) or dlib (FaceRecognitionNet)")
	},
	Check: func() error {
		if n := faceapi.Net(net); n != faceapi.NetLandmark68 && n != faceapi.NetDlib {
			return fmt.Errorf("--net must be landmark68 or dlib, not %q", net)
		}
		return nil
	},
	Hint: "run `make models` to fetch face-api's weights",
	Convert: func(log *slog.Logger, in string) ([]byte, error) {
		log.Info("converting", "net", net)
		return faceapi.Convert(faceapi.Net(net), in)
	},
}

func main() { os.Exit(command.Run(os.Args[1:], os.Stderr)) }

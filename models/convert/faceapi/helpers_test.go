package faceapi

import (
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gocv.io/x/gocv"

	"autogate/internal/testenv"
	"autogate/models/convert/tfjs"
	"autogate/models/onnx"
)

// modelDir is where `make models` puts face-api's weights.
const modelDir = "models/cache/face-api/package/model"

var manifests = map[Net]string{
	NetLandmark68: "face_landmark_68_model-weights_manifest.json",
	NetDlib:       "face_recognition_model-weights_manifest.json",
}

// realWeights decodes the real weights of net, skipping when they are absent.
func realWeights(t testing.TB, net Net) map[string]tfjs.Tensor {
	t.Helper()
	path := filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(modelDir), manifests[net])
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("%s not found: run `make models` (needs network) to test the real face-api nets", path)
	}
	w, err := LoadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// openCVNet loads a built model into OpenCV.
func openCVNet(t testing.TB, m *onnx.Model) gocv.Net {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	net, err := gocv.ReadNetFromONNXBytes(b)
	if err != nil {
		t.Fatalf("OpenCV refused the model: %v", err)
	}
	t.Cleanup(func() { net.Close() })
	return net
}

// realNet converts net from the real weights and loads it into OpenCV.
func realNet(t testing.TB, net Net) gocv.Net {
	t.Helper()
	m, err := Build(net, realWeights(t, net))
	if err != nil {
		t.Fatal(err)
	}
	return openCVNet(t, m)
}

// forward runs an NCHW float32 blob of the given shape through the net and
// returns the named output.
func forward(t testing.TB, net gocv.Net, x []float32, shape []int, output string) []float32 {
	t.Helper()
	raw := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	blob, err := gocv.NewMatWithSizesFromBytes(shape, gocv.MatTypeCV32F, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	net.SetInput(blob, "input")
	out := net.Forward(output)
	defer out.Close()
	if out.Empty() {
		t.Fatalf("OpenCV produced no %q", output)
	}
	data, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(data)
}

// lfwCrop reads an LFW photo (250×250, face centred), keeps the central
// 150×150 and resizes it to size: NHWC RGB 0–255.
func lfwCrop(t testing.TB, path string, size int) []float32 {
	t.Helper()
	img := gocv.IMRead(path, gocv.IMReadColor)
	if img.Empty() {
		t.Fatalf("cannot read %s", path)
	}
	defer img.Close()
	cx, cy := img.Cols()/2, img.Rows()/2
	roi := img.Region(image.Rect(cx-75, cy-75, cx+75, cy+75))
	defer roi.Close()
	rgb := gocv.NewMat()
	defer rgb.Close()
	gocv.CvtColor(roi, &rgb, gocv.ColorBGRToRGB)
	if size != 150 {
		gocv.Resize(rgb, &rgb, image.Pt(size, size), 0, 0, gocv.InterpolationArea)
	}
	b := rgb.ToBytes()
	x := make([]float32, len(b))
	for i, v := range b {
		x[i] = float32(v)
	}
	return x
}

// nchw turns one size×size×3 NHWC image into a [1,3,size,size] blob.
func nchw(x []float32, size int) []float32 {
	r := make([]float32, len(x))
	for y := range size {
		for xx := range size {
			for c := range 3 {
				r[(c*size+y)*size+xx] = x[(y*size+xx)*3+c]
			}
		}
	}
	return r
}

// lfwFiles lists LFW photos: up to perPerson of each of the first people
// (sorted), with the person's name.
func lfwFiles(t testing.TB, people, perPerson int) (files, ids []string) {
	t.Helper()
	root := testenv.SharedTestdata(t, "faces/lfw")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || people == 0 {
			continue
		}
		imgs, _ := filepath.Glob(filepath.Join(root, d.Name(), "*.jpg"))
		slices.Sort(imgs)
		if len(imgs) < perPerson {
			continue
		}
		for _, f := range imgs[:perPerson] {
			files = append(files, f)
			ids = append(ids, d.Name())
		}
		people--
	}
	if len(files) == 0 {
		t.Fatalf("no LFW photos under %s", root)
	}
	return files, ids
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

package verify

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"

	"gocv.io/x/gocv"
)

// Crop is one face photo used as verification input.
type Crop struct {
	// File is the photo's path relative to the LFW folder, slash-separated.
	File     string `json:"file"`
	Identity string `json:"identity"`
}

// Label is one row of LFW's labels.csv.
type Label struct {
	File, Identity string
}

// ParseLabels reads labels.csv ("file,identity" header, one photo a row).
// Files must be relative slash paths inside the LFW folder.
func ParseLabels(data []byte) ([]Label, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("labels.csv: header: %w", err)
	}
	if head[0] != "file" || head[1] != "identity" {
		return nil, fmt.Errorf("labels.csv: header %q, want file,identity", head)
	}
	var out []Label
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("labels.csv: %w", err)
		}
		if !localPath(rec[0]) || rec[1] == "" {
			line, _ := r.FieldPos(0)
			return nil, fmt.Errorf("labels.csv line %d: bad row %q", line, rec)
		}
		out = append(out, Label{File: rec[0], Identity: rec[1]})
	}
}

// PickCrops chooses n photos deterministically: the first photo listed for
// each of the first n identities in labels.csv order, so every crop is a
// different person.
func PickCrops(labels []Label, n int) ([]Crop, error) {
	seen := map[string]bool{}
	var out []Crop
	for _, l := range labels {
		if len(out) == n {
			break
		}
		if seen[l.Identity] {
			continue
		}
		seen[l.Identity] = true
		out = append(out, Crop{File: l.File, Identity: l.Identity})
	}
	if len(out) < n {
		return nil, fmt.Errorf("labels.csv names %d people, %d crops wanted", len(out), n)
	}
	return out, nil
}

// ReadLabels reads lfwDir/labels.csv.
func ReadLabels(lfwDir string) ([]Label, error) {
	data, err := os.ReadFile(filepath.Join(lfwDir, "labels.csv"))
	if err != nil {
		return nil, err
	}
	return ParseLabels(data)
}

// LabelFiles reads lfwDir/labels.csv and returns its photo files, sorted.
func LabelFiles(lfwDir string) ([]string, error) {
	labels, err := ReadLabels(lfwDir)
	if err != nil {
		return nil, fmt.Errorf("LFW photos: %w (set -data to the shared LFW folder)", err)
	}
	if len(labels) == 0 {
		return nil, errors.New("labels.csv lists no photos")
	}
	files := make([]string, len(labels))
	for i, l := range labels {
		files[i] = l.File
	}
	slices.Sort(files)
	return files, nil
}

// LoadLFWCrops reads lfwDir/labels.csv and picks n crops.
func LoadLFWCrops(lfwDir string, n int) ([]Crop, error) {
	labels, err := ReadLabels(lfwDir)
	if err != nil {
		return nil, err
	}
	return PickCrops(labels, n)
}

// Face is a decoded face crop: BGR, 8-bit, square.
type Face struct {
	Name string
	Mat  gocv.Mat
}

// LoadFaces decodes the crops and keeps the central 60 % of each photo
// (150×150 of LFW's 250×250, where the face sits). Close the faces when done.
func LoadFaces(lfwDir string, crops []Crop) ([]Face, error) {
	var faces []Face
	for _, c := range crops {
		p := filepath.Join(lfwDir, filepath.FromSlash(c.File))
		img := gocv.IMRead(p, gocv.IMReadColor)
		if img.Empty() {
			img.Close()
			CloseFaces(faces)
			return nil, fmt.Errorf("cannot decode %s", p)
		}
		w, h := img.Cols(), img.Rows()
		side := min(w, h) * 3 / 5
		r := image.Rect((w-side)/2, (h-side)/2, (w-side)/2+side, (h-side)/2+side)
		region := img.Region(r)
		face := region.Clone()
		region.Close()
		img.Close()
		faces = append(faces, Face{Name: path.Base(c.File), Mat: face})
	}
	return faces, nil
}

// CloseFaces releases the faces' Mats.
func CloseFaces(faces []Face) {
	for _, f := range faces {
		f.Mat.Close()
	}
}

// Preprocess resizes each face to spec.Size and returns them as one NHWC
// float32 tensor, RGB, value = pixel × Scale + Offset: the source runtimes'
// layout. ToNCHW gives the ONNX layout of one image.
func Preprocess(faces []Face, spec Spec) ([]float32, error) {
	s := spec.Size
	per := s * s * 3
	out := make([]float32, 0, len(faces)*per)
	resized, rgb := gocv.NewMat(), gocv.NewMat()
	defer resized.Close()
	defer rgb.Close()
	for _, f := range faces {
		if f.Mat.Type() != gocv.MatTypeCV8UC3 {
			return nil, fmt.Errorf("%s: want an 8-bit BGR image, got %v", f.Name, f.Mat.Type())
		}
		gocv.Resize(f.Mat, &resized, image.Pt(s, s), 0, 0, gocv.InterpolationArea)
		gocv.CvtColor(resized, &rgb, gocv.ColorBGRToRGB)
		px, err := rgb.DataPtrUint8()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if len(px) != per {
			return nil, fmt.Errorf("%s: %d bytes after resize, want %d", f.Name, len(px), per)
		}
		for _, v := range px {
			out = append(out, float32(float64(v)*spec.Scale+spec.Offset))
		}
	}
	return out, nil
}

// ToNCHW transposes one H×W×C image to C×H×W.
func ToNCHW(nhwc []float32, h, w, c int) []float32 {
	out := make([]float32, len(nhwc))
	for y := range h {
		for x := range w {
			for ch := range c {
				out[(ch*h+y)*w+x] = nhwc[(y*w+x)*c+ch]
			}
		}
	}
	return out
}

package face

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gocv.io/x/gocv"
)

// DefaultDir is where `make models` puts the ONNX files, relative to the
// repository root.
const DefaultDir = "models/cache/onnx"

// Names of the embedders: the keys of Template.Embeddings and of the
// calibration.
const (
	ModelMobileFaceNet = "mobilefacenet"
	ModelFRFeature     = "fr_feature"
	ModelDlib          = "dlib_resnet"
)

// EmbedderNames lists the embedders in the order they run.
var EmbedderNames = []string{ModelMobileFaceNet, ModelFRFeature, ModelDlib}

// Detection settings.
const (
	// minDetectScore is BlazeFace's sigmoid score a box needs.
	minDetectScore = 0.5
	// nmsIoU merges boxes overlapping by more than this.
	nmsIoU = 0.3
	// MinFacePx is the smallest face box side (image pixels) Detect
	// reports; smaller faces hold too little detail to compare.
	MinFacePx = 24
	// landmarkSize is the 68-point net's input side.
	landmarkSize = 112
	// boxEnlarge makes the landmark net's square crop around a BlazeFace
	// box; landmarkEnlarge makes the second crop around the points of the
	// first pass. face-api's net was trained on detector boxes that show
	// the whole face with some margin.
	boxEnlarge      = 1.5
	landmarkEnlarge = 1.25
)

// Config configures Load.
type Config struct {
	// Dir holds the ONNX files; empty means DefaultDir.
	Dir string
	// Threads sizes OpenCV's worker pool (shared by the whole process);
	// 0 keeps OpenCV's default. Unless it is 1, EnrolFace also runs the
	// embedders side by side: small nets parallelise poorly inside one
	// Forward, so whole nets on different cores use two cores better.
	Threads int
	// Level is the security level Compare decides at; empty means
	// DefaultLevel (0.1 %).
	Level Level
	// Calibration replaces the embedded calibration (models/cmd/calibrate
	// uses it before a calibration exists).
	Calibration *Calibration
}

type netSpec struct {
	file  string
	input string
	out   []string
}

var (
	specBlaze     = netSpec{"blazeface.onnx", "input", []string{"regressors", "classificators"}}
	specLandmarks = netSpec{"face_landmark_68.onnx", "input", []string{"landmarks"}}
	specMFN       = netSpec{"mobilefacenet.onnx", "input", []string{"embeddings_out"}}
	specFRF       = netSpec{"fr_feature.onnx", "input", []string{"output"}}
	specDlib      = netSpec{"dlib_resnet.onnx", "input", []string{"descriptor"}}
)

// CheckDir reports, without loading anything, whether dir holds every
// model file Load needs; the error names the missing ones and `make models`.
func CheckDir(dir string) error {
	var missing []string
	for _, f := range ModelFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("face: %s lacks %s: run `make models` to fetch and convert the face models", dir, strings.Join(missing, ", "))
	}
	return nil
}

// ModelFiles lists the ONNX files Load needs.
func ModelFiles() []string {
	return []string{specBlaze.file, specLandmarks.file, specMFN.file, specFRF.file, specDlib.file}
}

// net is one network with its own lock: OpenCV's Net is not safe for
// concurrent Forward calls, but different nets may run at once.
type net struct {
	mu   sync.Mutex
	spec netSpec
	n    gocv.Net
}

// run feeds one blob and returns copies of the outputs.
func (n *net) run(blob gocv.Mat) ([][]float32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n.SetInput(blob, n.spec.input)
	mats := n.n.ForwardLayers(n.spec.out)
	defer func() {
		for _, m := range mats {
			m.Close()
		}
	}()
	if len(mats) != len(n.spec.out) {
		return nil, fmt.Errorf("face: %s returned %d outputs, want %d", n.spec.file, len(mats), len(n.spec.out))
	}
	out := make([][]float32, len(mats))
	for i, m := range mats {
		if m.Empty() {
			return nil, fmt.Errorf("face: %s produced no %q", n.spec.file, n.spec.out[i])
		}
		d, err := m.DataPtrFloat32()
		if err != nil {
			return nil, fmt.Errorf("face: %s output %q: %w", n.spec.file, n.spec.out[i], err)
		}
		out[i] = slices.Clone(d)
	}
	return out, nil
}

// Engine runs the face pipeline. It is safe for concurrent use.
type Engine struct {
	blaze, landmarks, mfn, frf, dlib *net
	anchors                          []Point
	cal                              *Calibration
	level                            Level
	threshold                        float64
	// parallel runs the embedders concurrently (Config.Threads ≠ 1).
	parallel bool
}

// Load reads every network and the calibration. A missing file is named
// with the command that produces it.
func Load(cfg Config) (*Engine, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	if cfg.Level == "" {
		cfg.Level = DefaultLevel
	}
	if _, err := cfg.Level.FMR(); err != nil {
		return nil, err
	}
	cal := cfg.Calibration
	if cal == nil {
		var err error
		if cal, err = ShippedCalibration(); err != nil {
			return nil, fmt.Errorf("%w (run `go run ./models/cmd/calibrate` to calibrate)", err)
		}
	} else if err := cal.Check(); err != nil {
		return nil, err
	}
	thr, err := cal.Threshold(cfg.Level)
	if err != nil {
		return nil, err
	}
	setNumThreads(cfg.Threads)
	e := &Engine{anchors: blazeAnchorCentres(), cal: cal, level: cfg.Level, threshold: thr, parallel: cfg.Threads != 1}
	for _, p := range []struct {
		dst  **net
		spec netSpec
	}{{&e.blaze, specBlaze}, {&e.landmarks, specLandmarks}, {&e.mfn, specMFN}, {&e.frf, specFRF}, {&e.dlib, specDlib}} {
		path := filepath.Join(cfg.Dir, p.spec.file)
		model, err := os.ReadFile(path)
		if err != nil {
			e.Close()
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("face: model file %s is missing: run `make models` to fetch and convert the face models", path)
			}
			return nil, fmt.Errorf("face: model file %s: %w", path, err)
		}
		if err := checkONNX(model); err != nil {
			e.Close()
			return nil, fmt.Errorf("face: OpenCV cannot load %s (%v): run `make models` to rebuild it", path, err)
		}
		n, err := gocv.ReadNetFromONNXBytes(model)
		if err != nil || n.Empty() {
			e.Close()
			return nil, fmt.Errorf("face: OpenCV could not load %s (%v): run `make models` to rebuild it", path, err)
		}
		*p.dst = &net{spec: p.spec, n: n}
	}
	return e, nil
}

// Close frees the networks.
func (e *Engine) Close() error {
	for _, n := range []*net{e.blaze, e.landmarks, e.mfn, e.frf, e.dlib} {
		if n != nil {
			n.mu.Lock()
			n.n.Close()
			n.mu.Unlock()
		}
	}
	return nil
}

// Level returns the security level the engine decides at.
func (e *Engine) Level() Level { return e.level }

// Calibration returns the calibration in use.
func (e *Engine) Calibration() *Calibration { return e.cal }

// Face is one face found in an image.
type Face struct {
	// Box is BlazeFace's box in image pixels.
	Box image.Rectangle
	// Score is BlazeFace's confidence, 0.5–1.
	Score float64
	// Landmarks are the 68 points (iBUG 300-W order) in image pixels.
	Landmarks [68]Point
	Quality   Quality
}

// Detect finds every face of usable size, with landmarks and quality but
// no embedding. Faces are ordered by box size, largest first.
func (e *Engine) Detect(img gocv.Mat) ([]Face, error) {
	bgr, err := asBGR(img)
	if err != nil {
		return nil, err
	}
	defer bgr.done()
	dets, err := e.detectBoxes(bgr.Mat)
	if err != nil {
		return nil, err
	}
	var faces []Face
	for _, d := range dets {
		f := Face{
			Box:   image.Rect(int(math.Floor(d.X0)), int(math.Floor(d.Y0)), int(math.Ceil(d.X1)), int(math.Ceil(d.Y1))),
			Score: d.Score,
		}
		side := max(d.X1-d.X0, d.Y1-d.Y0) * boxEnlarge
		lm, err := e.landmarksIn(bgr.Mat, Point{(d.X0 + d.X1) / 2, (d.Y0 + d.Y1) / 2}, side)
		if err != nil {
			return nil, err
		}
		// Second pass on a crop centred on the points themselves: the
		// BlazeFace box is centred on the inner face and varies from frame
		// to frame more than the landmarks do.
		c, s := landmarkSquare(&lm)
		if lm, err = e.landmarksIn(bgr.Mat, c, s*landmarkEnlarge); err != nil {
			return nil, err
		}
		f.Landmarks = lm
		f.Quality = e.quality(bgr.Mat, &lm)
		faces = append(faces, f)
	}
	slices.SortStableFunc(faces, func(a, b Face) int { return b.Box.Dx() - a.Box.Dx() })
	return faces, nil
}

// bgrImage is an 8-bit 3-channel image: the caller's own Mat, or a
// converted copy that done frees.
type bgrImage struct {
	gocv.Mat
	owned bool
}

func (b bgrImage) done() {
	if b.owned {
		b.Close()
	}
}

// asBGR returns img as 8-bit BGR (converting grey and BGRA), or
// ErrBadImage.
func asBGR(img gocv.Mat) (bgrImage, error) {
	if img.Empty() || img.Rows() < minSide || img.Cols() < minSide {
		return bgrImage{}, fmt.Errorf("%w: empty or tiny image (%d×%d)", ErrBadImage, img.Cols(), img.Rows())
	}
	if img.Type() == gocv.MatTypeCV8UC3 {
		return bgrImage{Mat: img}, nil
	}
	out := gocv.NewMat()
	switch img.Type() {
	case gocv.MatTypeCV8UC1:
		gocv.CvtColor(img, &out, gocv.ColorGrayToBGR)
	case gocv.MatTypeCV8UC4:
		gocv.CvtColor(img, &out, gocv.ColorBGRAToBGR)
	default:
		out.Close()
		return bgrImage{}, fmt.Errorf("%w: OpenCV type %v, want 8-bit grey, BGR or BGRA", ErrBadImage, img.Type())
	}
	return bgrImage{Mat: out, owned: true}, nil
}

// detectBoxes runs BlazeFace on the image letterboxed into 256×256 (top
// left, black padding) and returns boxes and keypoints in image pixels.
func (e *Engine) detectBoxes(bgr gocv.Mat) ([]detection, error) {
	w, h := bgr.Cols(), bgr.Rows()
	scale := float64(blazeSize) / float64(max(w, h))
	in := warp(bgr, Affine{scale, 0, 0, 0, scale, 0}, blazeSize)
	defer in.Close()
	// RGB scaled to [−1, 1].
	blob := gocv.BlobFromImage(in, 1/127.5, imagePoint(blazeSize, blazeSize), gocv.NewScalar(127.5, 127.5, 127.5, 0), true, false)
	defer blob.Close()
	out, err := e.blaze.run(blob)
	if err != nil {
		return nil, err
	}
	dets := weightedNMS(decodeBlaze(out[0], out[1], e.anchors, minDetectScore), nmsIoU)
	var kept []detection
	for _, d := range dets {
		d.X0, d.Y0, d.X1, d.Y1 = d.X0/scale, d.Y0/scale, d.X1/scale, d.Y1/scale
		for k := range d.Keypoints {
			d.Keypoints[k] = Point{d.Keypoints[k][0] / scale, d.Keypoints[k][1] / scale}
		}
		// A box mostly outside the picture is a false detection in the
		// padding or a face cut by the frame: neither is usable.
		cx, cy := (d.X0+d.X1)/2, (d.Y0+d.Y1)/2
		if min(d.X1-d.X0, d.Y1-d.Y0) < MinFacePx || cx < 0 || cy < 0 || cx >= float64(w) || cy >= float64(h) {
			continue
		}
		kept = append(kept, d)
	}
	return kept, nil
}

// landmarkSquare is the centre and side of the square bounding the points.
func landmarkSquare(lm *[68]Point) (Point, float64) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range lm {
		x0, y0, x1, y1 = min(x0, p[0]), min(y0, p[1]), max(x1, p[0]), max(y1, p[1])
	}
	return Point{(x0 + x1) / 2, (y0 + y1) / 2}, max(x1-x0, y1-y0)
}

// landmarksIn runs the 68-point net on the square of the given side
// centred on c, and maps the points back to the image.
func (e *Engine) landmarksIn(bgr gocv.Mat, c Point, side float64) ([68]Point, error) {
	var lm [68]Point
	if !(side >= 1) || math.IsInf(side, 0) {
		return lm, fmt.Errorf("%w: degenerate face crop", ErrNoFace)
	}
	k := landmarkSize / side
	m := Affine{k, 0, landmarkSize/2 - k*c[0], 0, k, landmarkSize/2 - k*c[1]}
	crop := warp(bgr, m, landmarkSize)
	defer crop.Close()
	// Raw RGB 0–255: the net normalises inside the graph.
	blob := gocv.BlobFromImage(crop, 1, imagePoint(landmarkSize, landmarkSize), gocv.NewScalar(0, 0, 0, 0), true, false)
	defer blob.Close()
	out, err := e.landmarks.run(blob)
	if err != nil {
		return lm, err
	}
	if len(out[0]) != 136 {
		return lm, fmt.Errorf("face: landmark net returned %d values, want 136", len(out[0]))
	}
	inv, _ := m.Invert()
	for i := range lm {
		lm[i] = inv.Apply(Point{float64(out[0][2*i]) * landmarkSize, float64(out[0][2*i+1]) * landmarkSize})
	}
	return lm, nil
}

// quality measures the face on its grey ArcFace crop.
func (e *Engine) quality(bgr gocv.Mat, lm *[68]Point) Quality {
	m, ok := arcFaceTransform(lm)
	if !ok {
		q := measureQuality(lm, gocv.NewMat())
		q.Score = 0
		return q
	}
	crop := warp(bgr, m, 112)
	defer crop.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(crop, &grey, gocv.ColorBGRToGray)
	return measureQuality(lm, grey)
}

// Template is what is kept of a face for comparison: the face found and
// one embedding per model (mirror-averaged).
type Template struct {
	Face       Face
	Embeddings map[string][]float32
}

// Enrol finds exactly one face in the image and embeds it: no face is
// ErrNoFace, several are ErrMultipleFaces.
func (e *Engine) Enrol(img gocv.Mat) (*Template, error) {
	faces, err := e.Detect(img)
	if err != nil {
		return nil, err
	}
	switch len(faces) {
	case 0:
		return nil, ErrNoFace
	case 1:
		return e.EnrolFace(img, faces[0])
	}
	return nil, fmt.Errorf("%w: %d faces in the image", ErrMultipleFaces, len(faces))
}

// EnrolFace embeds a face Detect found in img. Only the embedders the
// calibration gives a weight run: one weighted 0 adds nothing to the
// fused score, so its cost is saved.
func (e *Engine) EnrolFace(img gocv.Mat, f Face) (*Template, error) {
	bgr, err := asBGR(img)
	if err != nil {
		return nil, err
	}
	defer bgr.done()
	arc, ok1 := arcFaceTransform(&f.Landmarks)
	chip, ok2 := dlibChipTransform(&f.Landmarks)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: the landmarks are degenerate", ErrNoFace)
	}
	// Each crop is made only when an embedder that reads it runs.
	var arcCrop, dlibCrop gocv.Mat
	if e.cal.weight(ModelMobileFaceNet) > 0 || e.cal.weight(ModelFRFeature) > 0 {
		arcCrop = warp(bgr.Mat, arc, 112)
		defer arcCrop.Close()
	}
	if e.cal.weight(ModelDlib) > 0 {
		dlibCrop = warp(bgr.Mat, chip, dlibChipSize)
		defer dlibCrop.Close()
	}
	type job struct {
		name  string
		n     *net
		crop  gocv.Mat
		scale float64
		mean  float64
		norm  bool
	}
	// MobileFaceNet: (x − 127.5)/128; fr_feature: (x − 127)/128, as
	// faceplugin's preprocessFeature; dlib: raw 0–255 (normalised in the
	// graph). Cosine models are L2-normalised before averaging.
	var jobs []job
	for _, j := range []job{
		{ModelMobileFaceNet, e.mfn, arcCrop, 1.0 / 128, 127.5, true},
		{ModelFRFeature, e.frf, arcCrop, 1.0 / 128, 127, true},
		{ModelDlib, e.dlib, dlibCrop, 1, 0, false},
	} {
		if e.cal.weight(j.name) > 0 {
			jobs = append(jobs, j)
		}
	}
	vecs := make([][]float32, len(jobs))
	errs := make([]error, len(jobs))
	run := func(i int) {
		j := jobs[i]
		vecs[i], errs[i] = embedMirrored(j.n, j.crop, j.scale, j.mean, j.norm)
	}
	if e.parallel {
		var wg sync.WaitGroup
		for i := range jobs {
			wg.Go(func() { run(i) })
		}
		wg.Wait()
	} else {
		for i := range jobs {
			run(i)
		}
	}
	t := &Template{Face: f, Embeddings: make(map[string][]float32, len(jobs))}
	for i, j := range jobs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		t.Embeddings[j.name] = vecs[i]
	}
	return t, nil
}

// embedMirrored embeds the crop and its mirror image and averages them.
func embedMirrored(n *net, crop gocv.Mat, scale, mean float64, norm bool) ([]float32, error) {
	flipped := gocv.NewMat()
	defer flipped.Close()
	gocv.Flip(crop, &flipped, 1)
	var sum []float32
	for _, c := range []gocv.Mat{crop, flipped} {
		sz := imagePoint(c.Cols(), c.Rows())
		blob := gocv.BlobFromImage(c, scale, sz, gocv.NewScalar(mean, mean, mean, 0), true, false)
		out, err := n.run(blob)
		blob.Close()
		if err != nil {
			return nil, err
		}
		v := out[0]
		if norm {
			normalise(v)
		}
		if sum == nil {
			sum = make([]float32, len(v))
		}
		for i := range v {
			sum[i] += v[i] / 2
		}
	}
	return sum, nil
}

func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}

// Comparison is the outcome of comparing two templates.
type Comparison struct {
	// Score is the fused, z-normalised similarity: in impostor standard
	// deviations above the impostor mean (NaN when it could not be
	// computed, which never matches).
	Score     float64
	Threshold float64
	Match     bool
	Level     Level
	// PerModel holds the z-normalised score of each model in the fusion
	// (weight > 0).
	PerModel map[string]float64
}

// Compare scores two templates and decides at the engine's level.
func (e *Engine) Compare(a, b *Template) Comparison {
	c := Comparison{Score: math.NaN(), Threshold: e.threshold, Level: e.level}
	if a == nil || b == nil {
		return c
	}
	c.Score, c.PerModel = e.cal.Fuse(a.Embeddings, b.Embeddings)
	c.Match = c.Score >= c.Threshold // false for NaN
	return c
}

func imagePoint(x, y int) image.Point { return image.Pt(x, y) }

var blackColor = color.RGBA{}

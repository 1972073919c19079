package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"gocv.io/x/gocv"

	"autogate/models/face"
)

// childArg is the hidden first argument that makes the binary a measuring
// child; the JSON request follows it.
const childArg = "-face-bench-child"

const (
	modeLoad    = "load"
	modeMeasure = "measure"
)

// burstFrames is how many camera frames the gate analyses per traveller.
const burstFrames = 20

// childRequest is what the parent asks a child to measure.
type childRequest struct {
	Mode       string   `json:"mode"`
	Threads    int      `json:"threads"`
	Models     string   `json:"models"`
	Photos     []string `json:"photos"`
	Travellers int      `json:"travellers"`
	NetRuns    int      `json:"net_runs"`
	Label      string   `json:"label"`
	Quiet      bool     `json:"quiet"`
}

// childResult is a child's raw samples, in milliseconds.
type childResult struct {
	LoadMS       float64     `json:"load_ms"`
	FirstEnrolMS float64     `json:"first_enrol_ms"`
	DetectMS     []float64   `json:"detect_ms"`
	EmbedMS      []float64   `json:"embed_ms"`
	EnrolMS      []float64   `json:"enrol_ms"`
	EnrolCPUMS   []float64   `json:"enrol_cpu_ms"`
	CompareMS    []float64   `json:"compare_ms"`
	GateMS       []float64   `json:"gate_ms"`
	NetMS        [][]float64 `json:"net_ms"`
	NetCPUMS     [][]float64 `json:"net_cpu_ms"`
	FacesUsed    int         `json:"faces_used"`
	Photos       int         `json:"photos"`
	RSS          memory      `json:"memory"`
}

// childSpec reports whether args make this process a child, and its request.
func childSpec(args []string) (childRequest, bool) {
	var req childRequest
	if len(args) != 2 || args[0] != childArg {
		return req, false
	}
	if err := json.Unmarshal([]byte(args[1]), &req); err != nil {
		fmt.Fprintln(os.Stderr, "face: bad child request:", err)
		os.Exit(2)
	}
	return req, true
}

// runChildProcess re-executes the binary to measure req and reads its
// figures from its standard output; its standard error (progress, errors)
// goes to stderr.
func runChildProcess(exe string, req childRequest, stderr io.Writer) (childResult, error) {
	var res childResult
	b, err := json.Marshal(req)
	if err != nil {
		return res, err
	}
	cmd := exec.Command(exe, childArg, string(b))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("measuring process (%s, %d threads): %w", req.Mode, req.Threads, err)
	}
	if out.Len() == 0 {
		return res, errNoOutput
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("measuring process output: %w", err)
	}
	return res, nil
}

// runChild measures in this process and prints the samples as JSON.
func runChild(req childRequest, stdout, stderr io.Writer) int {
	res, err := childMeasure(req, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "face:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "face:", err)
		return 1
	}
	return 0
}

func childMeasure(req childRequest, stderr io.Writer) (childResult, error) {
	var res childResult
	cfg := face.Config{Dir: req.Models, Threads: req.Threads, Level: face.Level01}
	photos, err := readPhotos(req.Photos)
	if err != nil {
		return res, err
	}
	start := time.Now()
	eng, err := face.Load(cfg)
	res.LoadMS = since(start)
	if err != nil {
		return res, err
	}
	defer eng.Close()
	if res.RSS.AfterLoadMB, _, err = residentMB(); err != nil {
		return res, err
	}
	if req.Mode == modeLoad {
		return res, nil
	}

	mats := make([]gocv.Mat, len(photos))
	for i, p := range photos {
		if mats[i], err = face.DecodeImage(p, 0); err != nil {
			return res, fmt.Errorf("%s: %w", req.Photos[i], err)
		}
		defer mats[i].Close()
	}
	res.Photos = len(mats)
	// The first face pays for OpenCV's set-up of every network; it is
	// reported apart and left out of the steady figures.
	start = time.Now()
	if _, err := eng.Enrol(mats[0]); err != nil && !errors.Is(err, face.ErrMultipleFaces) && !errors.Is(err, face.ErrNoFace) {
		return res, err
	}
	res.FirstEnrolMS = since(start)

	// A bar only on a terminal: in a log it would be hundreds of lines.
	var bar *progressbar.ProgressBar
	if !req.Quiet && isTerminal(stderr) {
		bar = progressbar.NewOptions(len(mats)+req.Travellers, progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(req.Label), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	var templates []*face.Template
	var enrolled []int
	for i, m := range mats {
		if bar != nil {
			bar.Add(1)
		}
		start := time.Now()
		faces, err := eng.Detect(m)
		detect := since(start)
		if err != nil {
			return res, fmt.Errorf("%s: %w", req.Photos[i], err)
		}
		if len(faces) != 1 {
			continue
		}
		start = time.Now()
		if _, err := eng.EnrolFace(m, faces[0]); err != nil {
			return res, fmt.Errorf("%s: %w", req.Photos[i], err)
		}
		embed := since(start)
		start, cpu := time.Now(), cpuTime()
		t, err := eng.Enrol(m)
		enrol, enrolCPU := since(start), cpuTime()-cpu
		if err != nil {
			return res, fmt.Errorf("%s: %w", req.Photos[i], err)
		}
		res.DetectMS = append(res.DetectMS, detect)
		res.EmbedMS = append(res.EmbedMS, embed)
		res.EnrolMS = append(res.EnrolMS, enrol)
		res.EnrolCPUMS = append(res.EnrolCPUMS, enrolCPU)
		templates = append(templates, t)
		enrolled = append(enrolled, i)
	}
	res.FacesUsed = len(templates)
	res.CompareMS = timeCompare(eng, templates)

	// Travellers are photos with one face: a photo of two people would
	// make every frame of its burst unusable.
	for t := range req.Travellers {
		if bar != nil {
			bar.Add(1)
		}
		if len(enrolled) == 0 {
			break
		}
		i := enrolled[t%len(enrolled)]
		ms, err := gateTraveller(eng, photos[i], mats[i], t)
		if err != nil {
			return res, fmt.Errorf("gate figure, %s: %w", req.Photos[i], err)
		}
		res.GateMS = append(res.GateMS, ms)
	}
	if bar != nil {
		bar.Finish()
	}
	if res.RSS.AfterRunsMB, res.RSS.PeakMB, err = residentMB(); err != nil {
		return res, err
	}
	// Last, so that its own copies of the networks do not count in the
	// memory figures.
	if res.NetMS, res.NetCPUMS, err = timeNets(req.Models, max(1, req.NetRuns)); err != nil {
		return res, err
	}
	return res, nil
}

func readPhotos(paths []string) ([][]byte, error) {
	if len(paths) == 0 {
		return nil, errors.New("no photos to measure")
	}
	out := make([][]byte, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func since(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }

// timeCompare times Compare over every pair of templates, in batches (one
// call takes microseconds, below the clock's useful resolution); each
// sample is one batch's time per call.
func timeCompare(eng *face.Engine, ts []*face.Template) []float64 {
	if len(ts) < 2 {
		return nil
	}
	const batch = 200
	var out []float64
	for i := 0; i+1 < len(ts); i++ {
		start := time.Now()
		for k := range batch {
			eng.Compare(ts[i], ts[(i+1+k)%len(ts)])
		}
		out = append(out, since(start)/batch)
	}
	return out
}

// gateTraveller does what the gate's face stage computes for one
// traveller (gate-agent/internal/flow/face.go): the chip's portrait is
// decoded and enrolled while a burst of camera frames is detected; the
// best frame is embedded and compared with the portrait. The frames are
// made (untimed) from the photo on a 640×480 canvas, shifted a little from
// frame to frame as a traveller moves.
func gateTraveller(eng *face.Engine, portrait []byte, photo gocv.Mat, seed int) (float64, error) {
	frames := make([]gocv.Mat, burstFrames)
	for i := range frames {
		frames[i] = cameraFrame(photo, (seed*7+i*3)%24-12, (i*5)%16-8)
		defer frames[i].Close()
	}
	start := time.Now()
	type ref struct {
		t   *face.Template
		err error
	}
	refCh := make(chan ref, 1)
	go func() {
		m, err := face.DecodeImage(portrait, 0)
		if err != nil {
			refCh <- ref{err: err}
			return
		}
		defer m.Close()
		t, err := eng.Enrol(m)
		refCh <- ref{t, err}
	}()
	best, bestAt := face.Face{}, -1
	for i, f := range frames {
		faces, err := eng.Detect(f)
		if err != nil {
			return 0, err
		}
		if len(faces) == 1 && (bestAt < 0 || faces[0].Quality.Score > best.Quality.Score) {
			best, bestAt = faces[0], i
		}
	}
	if bestAt < 0 {
		<-refCh
		return 0, fmt.Errorf("no frame of the burst holds one face")
	}
	live, err := eng.EnrolFace(frames[bestAt], best)
	if err != nil {
		return 0, err
	}
	r := <-refCh
	if r.err != nil {
		return 0, r.err
	}
	eng.Compare(r.t, live)
	return since(start), nil
}

// cameraFrame places the photo, enlarged to 400 px, on a grey 640×480
// frame at an offset from the centre.
func cameraFrame(photo gocv.Mat, dx, dy int) gocv.Mat {
	const w, h, side = 640, 480, 400
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 110, 110, 0), h, w, gocv.MatTypeCV8UC3)
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(photo, &big, image.Pt(side, side), 0, 0, gocv.InterpolationLinear)
	x0, y0 := (w-side)/2+dx, (h-side)/2+dy
	roi := frame.Region(image.Rect(x0, y0, x0+side, y0+side))
	big.CopyTo(&roi)
	roi.Close()
	return frame
}

// netTimings are the networks timed alone: file, input side, and how many
// times one face runs it (BlazeFace once per image, the landmark net twice,
// each embedder on the chip and its mirror).
var netTimings = []struct {
	name    string
	file    string
	side    int
	perFace int
}{
	{"blazeface", "blazeface.onnx", 256, 1},
	{"landmarks_68", "face_landmark_68.onnx", 112, 2},
	{face.ModelMobileFaceNet, "mobilefacenet.onnx", 112, 2},
	{face.ModelFRFeature, "fr_feature.onnx", 112, 2},
	{face.ModelDlib, "dlib_resnet.onnx", 150, 2},
}

// timeNets times each network's Forward on a noise image, all outputs
// computed, after one untimed set-up run: wall and process CPU time.
func timeNets(dir string, reps int) (wall, cpu [][]float64, err error) {
	wall, cpu = make([][]float64, len(netTimings)), make([][]float64, len(netTimings))
	for i, nt := range netTimings {
		n := gocv.ReadNetFromONNX(filepath.Join(dir, nt.file))
		if n.Empty() {
			return nil, nil, fmt.Errorf("OpenCV could not load %s", nt.file)
		}
		var names []string
		for _, id := range n.GetUnconnectedOutLayers() {
			l := n.GetLayer(id)
			names = append(names, l.GetName())
			l.Close()
		}
		img := gocv.NewMatWithSize(nt.side, nt.side, gocv.MatTypeCV8UC3)
		gocv.RandU(&img, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
		blob := gocv.BlobFromImage(img, 1.0/128, image.Pt(nt.side, nt.side), gocv.NewScalar(127.5, 127.5, 127.5, 0), true, false)
		for r := range reps + 1 {
			start, c := time.Now(), cpuTime()
			n.SetInput(blob, "")
			for _, m := range n.ForwardLayers(names) {
				m.Close()
			}
			if r > 0 {
				wall[i] = append(wall[i], since(start))
				cpu[i] = append(cpu[i], cpuTime()-c)
			}
		}
		blob.Close()
		img.Close()
		n.Close()
	}
	return wall, cpu, nil
}

// cpuTime is the CPU time of the whole process (every thread, OpenCV's
// workers included) in milliseconds. Unlike the wall clock it does not
// count the time other processes hold the cores, so on a busy machine it
// tells what the work itself costs.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// residentMB reads VmRSS and VmHWM (the peak) of this process.
func residentMB() (rss, hwm float64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("resident memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("resident memory: %q: %w", sc.Text(), err)
		}
		if k == "VmRSS" {
			rss = kb / 1024
		} else {
			hwm = kb / 1024
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("resident memory: no VmRSS in /proc/self/status")
	}
	return rss, hwm, sc.Err()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

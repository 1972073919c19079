package main

import (
	"encoding/csv"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"autogate/models/face"
)

// pipelineVersion changes whenever the embeddings would change for the
// same model files (alignment, preprocessing), invalidating the cache.
const pipelineVersion = "face-pipeline-1"

// photo is one labelled image.
type photo struct {
	Rel      string // dataset/relative path
	Identity string // dataset/identity
	Dataset  string
}

// record is what the cache keeps per photo.
type record struct {
	Embeddings map[string][]float32
	Quality    face.Quality
	Faces      int
	Err        string
	Millis     float64
}

type cache struct {
	Key     string
	Records map[string]record
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	data, models, cachePath, results, calibration string
	threads, workers                              int
	// without lists embedders left out of the shipped fusion (weight 0,
	// so the gate does not run them); they are still embedded and
	// reported, alone and in an all-model fusion, to show the trade-off.
	without []string
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "../shared/testdata/faces", "folder with lfw/ and deepface/, each with labels.csv")
	fs.StringVar(&o.models, "models", face.DefaultDir, "folder with the ONNX models")
	fs.StringVar(&o.cachePath, "cache", "models/cache/calibrate-embeddings.gob", "embedding cache")
	fs.StringVar(&o.results, "results", "benchmarks/results", "folder for face-calibration.md and face-det.png")
	fs.StringVar(&o.calibration, "calibration", "models/face/calibration.toml", "calibration file to write")
	fs.IntVar(&o.threads, "threads", 1, "OpenCV threads per worker")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "photos embedded in parallel")
	without := fs.String("without", face.ModelDlib, "comma-separated embedders left out of the shipped fusion (\"\" fuses all of "+strings.Join(face.EmbedderNames, ", ")+"); dlib_resnet by default: it costs 24 ms per face and adds at most 0.14 points of held-out FNMR at FMR 0.1 % (face-calibration.md)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	for _, v := range strings.Split(*without, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if !slices.Contains(face.EmbedderNames, v) {
			fmt.Fprintf(stderr, "calibrate: -without: unknown embedder %q\n", v)
			return 2
		}
		o.without = append(o.without, v)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := calibrate(o, log, stderr); err != nil {
		log.Error("calibration failed", "err", err)
		return 1
	}
	return 0
}

func calibrate(o options, log *slog.Logger, progress io.Writer) error {
	start := time.Now()
	photos, err := readPhotos(o.data)
	if err != nil {
		return err
	}
	log.Info("photos", "count", len(photos))
	recs, embedded, err := embedAll(o, photos, log, progress)
	if err != nil {
		return err
	}
	if len(o.without) == len(face.EmbedderNames) {
		return fmt.Errorf("-without leaves no embedder in the fusion")
	}
	r := analyse(photos, recs, o.without)
	r.elapsed, r.embedded = time.Since(start), embedded
	if err := os.MkdirAll(o.results, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.results, "face-calibration.md"), []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	if err := writeDET(filepath.Join(o.results, "face-det.png"), r.detCurves()); err != nil {
		return err
	}
	b, err := r.calA.Marshal("Written by `go run ./models/cmd/calibrate`; do not edit by hand.\n" +
		"Fitted on half A of the identities; held_out_* are measured on half B.\n" +
		"See benchmarks/results/face-calibration.md.")
	if err != nil {
		return err
	}
	if _, err := face.ParseCalibration(b); err != nil {
		return fmt.Errorf("the calibration written does not read back: %w", err)
	}
	if err := os.WriteFile(o.calibration, b, 0o644); err != nil {
		return err
	}
	for _, l := range r.calA.Levels {
		log.Info("level", "level", l.Level, "threshold", l.Threshold, "held_out_fmr", l.HeldOutFMR, "held_out_fnmr", l.HeldOutFNMR)
	}
	log.Info("written", "calibration", o.calibration, "results", o.results, "elapsed", r.elapsed.Round(time.Second))
	return nil
}

// readPhotos reads lfw/labels.csv and deepface/labels.csv (file,identity).
func readPhotos(dir string) ([]photo, error) {
	var out []photo
	for _, ds := range []string{"lfw", "deepface"} {
		f, err := os.Open(filepath.Join(dir, ds, "labels.csv"))
		if err != nil {
			return nil, fmt.Errorf("labelled photos: %w (set -data to the shared faces folder)", err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/labels.csv: %w", ds, err)
		}
		for i, row := range rows {
			if i == 0 || len(row) < 2 {
				continue
			}
			out = append(out, photo{Rel: ds + "/" + row[0], Identity: ds + "/" + row[1], Dataset: ds})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, nil
}

// cacheKey names the model files (size and time) and the pipeline version.
func cacheKey(dir string) (string, error) {
	parts := []string{pipelineVersion}
	for _, f := range face.ModelFiles() {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return "", fmt.Errorf("model %s: %w (run `make models`)", f, err)
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", f, st.Size(), st.ModTime().UnixNano()))
	}
	return strings.Join(parts, ";"), nil
}

// bootstrap is a calibration that lets the engine load before one exists;
// only its embeddings are used here.
func bootstrap() *face.Calibration {
	c := &face.Calibration{Provenance: "bootstrap"}
	for _, n := range face.EmbedderNames {
		c.Models = append(c.Models, face.ModelCalibration{Name: n, Metric: metricOf(n), Std: 1, Weight: 1})
	}
	for _, l := range face.Levels {
		c.Levels = append(c.Levels, face.LevelThreshold{Level: l})
	}
	return c
}

func metricOf(model string) string {
	if model == face.ModelDlib {
		return face.MetricL2
	}
	return face.MetricCosine
}

// embedAll returns every photo's record and how many were embedded now
// rather than taken from the cache.
func embedAll(o options, photos []photo, log *slog.Logger, progress io.Writer) (map[string]record, int, error) {
	key, err := cacheKey(o.models)
	if err != nil {
		return nil, 0, err
	}
	c := cache{Key: key, Records: map[string]record{}}
	if f, err := os.Open(o.cachePath); err == nil {
		var old cache
		if gob.NewDecoder(f).Decode(&old) == nil && old.Key == key {
			c = old
		}
		f.Close()
	}
	var todo []photo
	for _, p := range photos {
		if _, ok := c.Records[p.Rel]; !ok {
			todo = append(todo, p)
		}
	}
	log.Info("embedding", "cached", len(photos)-len(todo), "to_do", len(todo))
	if len(todo) > 0 {
		eng, err := face.Load(face.Config{Dir: o.models, Threads: o.threads, Calibration: bootstrap()})
		if err != nil {
			return nil, 0, err
		}
		defer eng.Close()
		bar := progressbar.NewOptions(len(todo), progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("embedding photos"), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
		var mu sync.Mutex
		jobs := make(chan photo)
		var wg sync.WaitGroup
		for range max(1, o.workers) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range jobs {
					rec := embedPhoto(eng, filepath.Join(o.data, p.Rel))
					mu.Lock()
					c.Records[p.Rel] = rec
					mu.Unlock()
					bar.Add(1)
				}
			}()
		}
		for _, p := range todo {
			jobs <- p
		}
		close(jobs)
		wg.Wait()
		bar.Finish()
		fmt.Fprintln(progress)
		if err := os.MkdirAll(filepath.Dir(o.cachePath), 0o755); err != nil {
			return nil, 0, err
		}
		f, err := os.Create(o.cachePath)
		if err != nil {
			return nil, 0, err
		}
		err = gob.NewEncoder(f).Encode(&c)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, 0, fmt.Errorf("writing the embedding cache: %w", err)
		}
	}
	return c.Records, len(todo), nil
}

// embedPhoto decodes a photo and embeds its subject. LFW photos often show
// other people behind the subject, so of several faces the one nearest the
// centre (among the larger ones) is taken, as LFW's crops centre the
// subject; the count is kept for the report.
func embedPhoto(eng *face.Engine, path string) record {
	t0 := time.Now()
	data, err := os.ReadFile(path)
	if err != nil {
		return record{Err: err.Error()}
	}
	img, err := face.DecodeImage(data, 0)
	if err != nil {
		return record{Err: err.Error()}
	}
	defer img.Close()
	faces, err := eng.Detect(img)
	if err != nil {
		return record{Err: err.Error()}
	}
	if len(faces) == 0 {
		return record{Err: face.ErrNoFace.Error()}
	}
	cx, cy := float64(img.Cols())/2, float64(img.Rows())/2
	best, bestD := -1, math.Inf(1)
	for i, f := range faces {
		if f.Box.Dx() < faces[0].Box.Dx()/2 {
			continue
		}
		fx, fy := float64(f.Box.Min.X+f.Box.Max.X)/2, float64(f.Box.Min.Y+f.Box.Max.Y)/2
		if d := math.Hypot(fx-cx, fy-cy); d < bestD {
			best, bestD = i, d
		}
	}
	t, err := eng.EnrolFace(img, faces[best])
	if err != nil {
		return record{Err: err.Error(), Faces: len(faces)}
	}
	return record{Embeddings: t.Embeddings, Quality: faces[best].Quality, Faces: len(faces),
		Millis: float64(time.Since(t0).Microseconds()) / 1000}
}

// identityHalf puts an identity in half A (true) or B by a hash of its
// name: deterministic and independent of the order photos are listed in.
func identityHalf(ids []string) map[string]bool {
	sorted := slices.Clone(ids)
	h := func(s string) uint64 {
		f := fnv.New64a()
		f.Write([]byte(s))
		return f.Sum64()
	}
	sort.Slice(sorted, func(i, j int) bool { return h(sorted[i]) < h(sorted[j]) })
	out := make(map[string]bool, len(ids))
	for i, id := range sorted {
		out[id] = i%2 == 0
	}
	return out
}

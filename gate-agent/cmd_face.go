package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/models/face"
	"autogate/models/pad"
)

const faceUsage = `usage: gate-agent face verify A B [flags]
       gate-agent face verify --pairs FILE.csv [flags]

Compares faces with the gate's own models (detection, landmarks,
alignment, the fused embeddings, the calibrated threshold). A is the
reference (e.g. a passport photo), B the probe (e.g. a live capture); JPEG,
JPEG 2000 or PNG.

With A and B it prints one JSON object: score, threshold, match, level, the
per-model scores, each image's face quality, and B's presentation-attack
score (a single still image shows no liveness: expect a high score).

With --pairs it reads a CSV whose header is "a,b" and prints one JSON object
per line with a, b, score, threshold and match (or error). Each distinct
image is processed once. Relative paths are taken from the working
directory, else from the CSV file's folder.

  --models DIR   the converted face models (default models/cache/onnx;
                 "make models" makes them)
  --level L      security level: the false-match rate of the threshold,
                 1%, 0.1% (default) or 0.01%
  --threads N    threads for the models (0 = all cores; default 1)
  --max-pixels N refuse larger images (default 24000000)

Exit status: A B: 0 match, 1 no match, 2 error (no face, several faces,
unreadable image — the message says which). --pairs: 0 every pair scored,
1 never, 2 when any pair or the file could not be processed.
`

// faceVerifyReport is the JSON printed for one pair.
type faceVerifyReport struct {
	A         string             `json:"a"`
	B         string             `json:"b"`
	Score     *float64           `json:"score,omitempty"`
	Threshold *float64           `json:"threshold,omitempty"`
	Match     *bool              `json:"match,omitempty"`
	Level     string             `json:"level,omitempty"`
	PerModel  map[string]float64 `json:"per_model,omitempty"`
	QualityA  *face.Quality      `json:"quality_a,omitempty"`
	QualityB  *face.Quality      `json:"quality_b,omitempty"`
	PAD       *padReport         `json:"pad,omitempty"`
	Error     string             `json:"error,omitempty"`
}

type padReport struct {
	Score  float64 `json:"score"`
	Detail string  `json:"detail"`
}

func cmdFace(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, faceUsage)
			return 0
		}
		if len(args) > 0 {
			fmt.Fprintf(stderr, "gate-agent face: unknown subcommand %q\n\n", args[0])
		}
		fmt.Fprint(stderr, faceUsage)
		return 2
	}
	fs := flag.NewFlagSet("gate-agent face verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	models := fs.String("models", config.DefaultFaceModelsDir, "")
	level := fs.String("level", config.DefaultFaceLevel, "")
	threads := fs.Int("threads", 1, "")
	maxPixels := fs.Int("max-pixels", face.DefaultMaxPixels, "")
	pairs := fs.String("pairs", "", "")
	files, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, faceUsage)
		return 0
	}
	if err == nil && *pairs == "" && len(files) != 2 {
		err = fmt.Errorf("want two images A B, or --pairs FILE.csv; got %d arguments", len(files))
	}
	if err == nil && *pairs != "" && len(files) != 0 {
		err = errors.New("--pairs takes no image arguments")
	}
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent face verify: %v\n\n%s", err, faceUsage)
		return 2
	}
	eng, err := face.Load(face.Config{Dir: *models, Threads: *threads, Level: face.Level(*level)})
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent face verify: %v\n", err)
		return 2
	}
	defer eng.Close()
	v := &faceVerifier{eng: eng, maxPixels: *maxPixels, cache: map[string]enrolled{}}
	if *pairs != "" {
		return v.pairs(*pairs, stdout, stderr)
	}
	rep, err := v.verify(files[0], files[1], true)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent face verify: %v\n", err)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
	if *rep.Match {
		return 0
	}
	return 1
}

// enrolled is an image's template, or why it has none.
type enrolled struct {
	t   *face.Template
	err error
}

type faceVerifier struct {
	eng       *face.Engine
	maxPixels int
	cache     map[string]enrolled
}

// enrol returns the template of the image at path, computing it once.
func (v *faceVerifier) enrol(path string) (*face.Template, error) {
	if e, ok := v.cache[path]; ok {
		return e.t, e.err
	}
	t, err := v.enrolFile(path)
	v.cache[path] = enrolled{t, err}
	return t, err
}

func (v *faceVerifier) enrolFile(path string) (*face.Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mat, err := face.DecodeImage(data, v.maxPixels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer mat.Close()
	t, err := v.eng.Enrol(mat)
	switch {
	case errors.Is(err, face.ErrNoFace):
		return nil, fmt.Errorf("%s: no face found: use a photo showing one face, frontal, at least about 60 pixels between the eyes (%w)", path, err)
	case errors.Is(err, face.ErrMultipleFaces):
		return nil, fmt.Errorf("%s: several faces found: use a photo of one person (%w)", path, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// verify compares the faces of images a and b.
func (v *faceVerifier) verify(a, b string, detail bool) (*faceVerifyReport, error) {
	ta, err := v.enrol(a)
	if err != nil {
		return nil, err
	}
	tb, err := v.enrol(b)
	if err != nil {
		return nil, err
	}
	c := v.eng.Compare(ta, tb)
	rep := &faceVerifyReport{A: a, B: b, Score: &c.Score, Threshold: &c.Threshold, Match: &c.Match, Level: string(c.Level)}
	if detail {
		rep.PerModel = c.PerModel
		rep.QualityA, rep.QualityB = &ta.Face.Quality, &tb.Face.Quality
		score, why := stillLiveness(tb.Face)
		rep.PAD = &padReport{Score: score, Detail: why}
	}
	return rep, nil
}

// pairs runs verify over a CSV of pairs, one JSON line each.
func (v *faceVerifier) pairs(path string, stdout, stderr io.Writer) int {
	rows, err := readPairs(path)
	if err != nil {
		fmt.Fprintf(stderr, "gate-agent face verify: %v\n", err)
		return 2
	}
	bar := newBar(stderr, int64(len(rows)), "pairs", false)
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, r := range rows {
		a, b := resolveBeside(path, r[0]), resolveBeside(path, r[1])
		rep, err := v.verify(a, b, false)
		if err != nil {
			failed++
			rep = &faceVerifyReport{A: r[0], B: r[1], Error: err.Error()}
		} else {
			rep.A, rep.B = r[0], r[1]
		}
		enc.Encode(rep)
		if bar != nil {
			bar.Add(1)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "gate-agent face verify: %d of %d pairs could not be scored (see their \"error\")\n", failed, len(rows))
		return 2
	}
	return 0
}

// readPairs reads a CSV with header "a,b".
func readPairs(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: want a CSV with header \"a,b\": %v", path, err)
	}
	if strings.TrimPrefix(strings.TrimSpace(header[0]), "\ufeff") != "a" || strings.TrimSpace(header[1]) != "b" {
		return nil, fmt.Errorf("%s: header is %q, want \"a,b\"", path, strings.Join(header, ","))
	}
	var rows [][2]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		rows = append(rows, [2]string{rec[0], rec[1]})
	}
	return rows, nil
}

// resolveBeside takes a relative image path from the working directory, or
// else from the folder of the CSV that names it.
func resolveBeside(csvPath, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	alt := filepath.Join(filepath.Dir(csvPath), p)
	if _, err := os.Stat(alt); err == nil {
		return alt
	}
	return p
}

// stillLiveness is the presentation-attack score of a single still image:
// the burst cues have one frame to work from, so it is high by design.
func stillLiveness(f face.Face) (float64, string) {
	obs := flow.Observations([]flow.LiveFrame{{Face: f, Found: true, At: time.Now()}})
	r := pad.DefaultConfig().Assess(obs, nil)
	return r.Score, "single still image: " + strings.Join(r.Reasons, "; ")
}

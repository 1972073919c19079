package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
	"autogate/models/face"
)

// TestMain lets the test binary act as the measuring child the program
// re-executes.
func TestMain(m *testing.M) {
	if spec, ok := childSpec(os.Args[1:]); ok {
		os.Exit(runChild(spec, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// modelsDir returns the folder of the ONNX models, or skips naming
// `make models`.
func modelsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), face.DefaultDir)
	if err := face.CheckDir(dir); err != nil {
		t.Skip(err)
	}
	return dir
}

// sharedDir returns the shared testdata folder holding faces/lfw, or skips.
func sharedDir(t *testing.T) string {
	t.Helper()
	return filepath.Dir(filepath.Dir(testenv.SharedTestdata(t, "faces/lfw")))
}

// TestMeasureWritesEveryFigure runs the program's core on 2 photos with
// one process per setting and checks face.json and face.svg.
func TestMeasureWritesEveryFigure(t *testing.T) {
	models, shared := modelsDir(t), sharedDir(t)
	out := t.TempDir()
	o := options{photos: 2, rounds: 1, loads: 1, travellers: 1, netRuns: 1, threads: []int{1, 2},
		results: out, shared: shared, models: models, quiet: true}
	rep, err := measure(o, io.Discard, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeResults(out, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "face.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Photos != 2 || got.CPUs < 1 || got.When == "" {
		t.Errorf("photos %d, cpus %d, when %q", got.Photos, got.CPUs, got.When)
	}
	if len(got.Configs) != 2 || got.Configs[0].Threads != 1 || got.Configs[1].Threads != 2 {
		t.Fatalf("configs %+v, want 1 and 2 threads", got.Configs)
	}
	for _, c := range got.Configs {
		if c.Photos != 2 || c.FacesUsed < 1 || c.Children != 1 {
			t.Errorf("%d threads: %d of %d photos used by %d processes", c.Threads, c.FacesUsed, c.Photos, c.Children)
		}
		for _, name := range []string{"detect", "embed", "enrol"} {
			checkFigure(t, c.Threads, c.stage(name), c.FacesUsed)
		}
		checkFigure(t, c.Threads, c.EnrolCPU, c.FacesUsed)
		checkFigure(t, c.Threads, c.FirstEnrol, 1)
		checkFigure(t, c.Threads, c.Gate, 1)
		if c.Compare.Runs != c.FacesUsed-1 {
			t.Errorf("%d threads: %d compare samples from %d templates", c.Threads, c.Compare.Runs, c.FacesUsed)
		}
		if len(c.Nets) != len(netTimings) {
			t.Fatalf("%d threads: %d networks timed, want %d", c.Threads, len(c.Nets), len(netTimings))
		}
		for i, n := range c.Nets {
			if n.Name != netTimings[i].name || n.PerFace != netTimings[i].perFace {
				t.Errorf("network %d: %s ×%d, want %s ×%d", i, n.Name, n.PerFace, netTimings[i].name, netTimings[i].perFace)
			}
			checkFigure(t, c.Threads, n.figure, 1)
			if !(n.CPU.P50MS > 0) {
				t.Errorf("%d threads, %s: CPU time %v", c.Threads, n.Name, n.CPU.P50MS)
			}
		}
		if !(c.RSS.AfterLoadMB > 0) || c.RSS.PeakMB < c.RSS.AfterRunsMB || c.RSS.PeakMB < c.RSS.AfterLoadMB {
			t.Errorf("%d threads: memory %+v", c.Threads, c.RSS)
		}
	}
	checkFigure(t, 0, got.Load, 1)
	if !(got.LoadRSSMB > 0) || !(got.Speedup > 0) {
		t.Errorf("load RSS %v MB, speedup %v", got.LoadRSSMB, got.Speedup)
	}
	if len(got.Targets) != 4 {
		t.Fatalf("%d targets, want enrol ×2, load, memory", len(got.Targets))
	}
	for _, tg := range got.Targets {
		if tg.Pass != (tg.Value > 0 && tg.Value <= tg.Limit) {
			t.Errorf("target %s: value %v, limit %v, pass %v", tg.Name, tg.Value, tg.Limit, tg.Pass)
		}
		if !tg.Pass && strings.HasPrefix(tg.Name, "enrol") && !strings.Contains(tg.Note, "embed") {
			t.Errorf("target %s missed without saying what dominates: %q", tg.Name, tg.Note)
		}
	}
	svg, err := os.ReadFile(filepath.Join(out, "face.svg"))
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, svg)
	if !strings.Contains(string(svg), "2 threads") || !strings.Contains(string(svg), "enrol target") {
		t.Errorf("face.svg lacks the thread legend or the target lines")
	}
}

func checkFigure(t *testing.T, threads int, f figure, runs int) {
	t.Helper()
	if f.Runs != runs || !(f.P50MS > 0) || f.P95MS < f.P50MS || !(f.MeanMS > 0) {
		t.Errorf("%d threads, %q: %+v, want %d runs of positive times with p95 ≥ p50", threads, f.Name, f, runs)
	}
}

func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("face.svg is not well-formed: %v", err)
		}
	}
}

func TestMeasureNamesMakeModelsWhenModelsAreAbsent(t *testing.T) {
	o := options{photos: 2, rounds: 1, loads: 1, threads: []int{1}, models: t.TempDir(), quiet: true}
	_, err := measure(o, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "make models") {
		t.Fatalf("error %v, want one naming `make models`", err)
	}
}

func TestLFWPhotosTakeOnePersonAfterAnother(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b/b1.jpg", "b/b2.jpg", "a/a2.jpg", "a/a1.jpg", "a/a3.jpg", "c/notes.txt"} {
		p := filepath.Join(dir, "faces", "lfw", filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lfwPhotos(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if want := "a1.jpg b1.jpg a2.jpg b2.jpg a3.jpg"; strings.Join(names, " ") != want {
		t.Errorf("photos %v, want %s", names, want)
	}
	if got, _ := lfwPhotos(dir, 3); len(got) != 3 {
		t.Errorf("%d photos, want 3", len(got))
	}
	if _, err := lfwPhotos(t.TempDir(), 3); err == nil || !strings.Contains(err.Error(), "AUTOGATE_TESTDATA") {
		t.Errorf("error %v, want one naming AUTOGATE_TESTDATA", err)
	}
}

func TestTargetsReportWhatDominates(t *testing.T) {
	c := config{Threads: 1, Stages: []figure{{Name: "detect", P50MS: 30}, {Name: "embed", P50MS: 90}, {Name: "enrol", P50MS: 120, Runs: 40}},
		Nets: []netFigure{
			{figure: figure{Name: "small"}, CPU: figure{P50MS: 5}, PerFace: 2},
			{figure: figure{Name: "big"}, CPU: figure{P50MS: 20}, PerFace: 2},
			{figure: figure{Name: "once"}, CPU: figure{P50MS: 30}, PerFace: 1},
		},
		RSS: memory{PeakMB: 410}}
	fast := config{Threads: 2, Stages: []figure{{Name: "enrol", P50MS: 50, Runs: 40}}, RSS: memory{PeakMB: 300}}
	ts := checkTargets(report{Configs: []config{c, fast}, Load: figure{P50MS: 900, Runs: 5}})
	want := map[string]bool{"enrol per face, 1 thread": false, "enrol per face, 2 threads": true, "model load": true, "resident memory, models loaded": false}
	for _, tg := range ts {
		if pass, ok := want[tg.Name]; !ok || pass != tg.Pass {
			t.Errorf("target %s: pass %v", tg.Name, tg.Pass)
		}
		delete(want, tg.Name)
	}
	if len(want) != 0 {
		t.Errorf("targets missing: %v", want)
	}
	note := ts[0].Note
	if !strings.Contains(note, "embed 75 %") || !strings.Contains(note, "big 2×20.0 ms, once 1×30.0 ms, small") {
		t.Errorf("note %q does not rank the stages and networks", note)
	}
	if ts[3].Value != 410 {
		t.Errorf("memory figure %v, want the largest peak 410", ts[3].Value)
	}
}

func TestQuantileIsNearestRank(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if q := quantile(v, 0.5); q != 5 {
		t.Errorf("p50 %v, want 5", q)
	}
	if q := quantile(v, 0.95); q != 10 {
		t.Errorf("p95 %v, want 10", q)
	}
	if v[0] != 5 {
		t.Error("quantile sorted its input in place")
	}
}

func TestResidentMemoryIsRead(t *testing.T) {
	rss, hwm, err := residentMB()
	if err != nil {
		t.Fatal(err)
	}
	if !(rss > 1) || hwm < rss {
		t.Errorf("VmRSS %v MB, VmHWM %v MB", rss, hwm)
	}
}

func TestChildSpecNeedsTheHiddenArgument(t *testing.T) {
	if _, ok := childSpec([]string{"-photos", "3"}); ok {
		t.Error("ordinary flags taken for a child request")
	}
	req, ok := childSpec([]string{childArg, `{"mode":"load","threads":2}`})
	if !ok || req.Mode != modeLoad || req.Threads != 2 {
		t.Errorf("request %+v, %v", req, ok)
	}
}

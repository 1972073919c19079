package onnx

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modelCache is where the fetcher unpacks npm packages:
// $AUTOGATE_MODEL_CACHE, else models/cache under the repository root.
func modelCache(t *testing.T) string {
	if dir := os.Getenv("AUTOGATE_MODEL_CACHE"); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "models", "cache")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// findCached returns the first file called name under the model cache, or
// "" when the cache or the file is absent.
func findCached(t *testing.T, name string) string {
	root := modelCache(t)
	found := ""
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == name {
			found = path
			return fs.SkipAll
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("searching the model cache %s: %v", root, err)
	}
	return found
}

// TestReadFacepluginFrFeature reads the real fr_feature.onnx of
// faceplugin-face-recognition-js@0.0.1 (written by a foreign exporter),
// checks the graph is consistent, prints its op set, and proves that
// rewriting it with this package changes nothing OpenCV computes.
func TestReadFacepluginFrFeature(t *testing.T) {
	path := findCached(t, "fr_feature.onnx")
	if path == "" {
		t.Skipf("fr_feature.onnx (npm faceplugin-face-recognition-js@0.0.1, package/model/) is not in the model cache %s: run the model fetcher first, or point AUTOGATE_MODEL_CACHE at an unpacked copy", modelCache(t))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadModel(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g := m.Graph
	ops, count := g.OpTypes()
	var set []string
	for _, op := range ops {
		set = append(set, op+"×"+strconv.Itoa(count[op]))
	}
	t.Logf("%s: IR %d, opsets %v, producer %q %q, %d nodes, %d initializers", filepath.Base(path), m.IRVersion, m.Opsets, m.ProducerName, m.ProducerVersion, len(g.Nodes), len(g.Initializers))
	t.Logf("op set: %s", strings.Join(set, " "))

	defined := map[string]bool{"": true}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, init := range g.Initializers {
		defined[init.Name] = true
		if init.DataType == Float {
			if _, err := init.Float32s(); err != nil {
				t.Errorf("initializer: %v", err)
			}
		}
	}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if !defined[in] {
				t.Fatalf("node %d %q (%s) reads %q before anything defines it", i, n.Name, n.OpType, in)
			}
		}
		for _, out := range n.Outputs {
			defined[out] = true
		}
	}
	if len(g.Nodes) == 0 || len(g.Outputs) == 0 {
		t.Fatalf("graph has %d nodes and %d outputs", len(g.Nodes), len(g.Outputs))
	}
	for _, out := range g.Outputs {
		if !defined[out.Name] {
			t.Fatalf("graph output %q is produced by no node", out.Name)
		}
	}

	rewritten, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(rewritten)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatal("reading the rewritten model gives a different model")
	}

	// Same random input through OpenCV for the original and the rewrite.
	var input *ValueInfo
	for _, in := range g.Inputs {
		if g.Initializer(in.Name) == nil { // opset-9 exporters list weights as inputs too
			input = in
			break
		}
	}
	if input == nil {
		t.Fatal("graph has no non-initializer input")
	}
	shape := make([]int, len(input.Shape))
	for i, d := range input.Shape {
		shape[i] = max(int(d.Value), 1) // symbolic (batch) dims become 1
	}
	x := randTensor(rand.New(rand.NewPCG(9, 9)), 1, shape...)
	out := g.Outputs[0].Name
	orig := runOpenCV(t, raw, input.Name, x, out)[0]
	mine := runOpenCV(t, rewritten, input.Name, x, out)[0]
	if !slices.Equal(orig.data, mine.data) || len(orig.data) == 0 {
		t.Fatalf("OpenCV output %q differs between the original (%d values) and the rewrite (%d values)", out, len(orig.data), len(mine.data))
	}
	t.Logf("input %q %v → output %q %v: original and rewrite agree bit for bit", input.Name, shape, out, orig.shape)
}

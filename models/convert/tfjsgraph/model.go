package tfjsgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"autogate/models/convert/tfjs"
)

// Model is a parsed TF.js graph model: the GraphDef nodes of model.json's
// modelTopology and its weights manifest.
type Model struct {
	Format   string
	Nodes    []Node
	Manifest []tfjs.WeightGroup
	// SignatureInputs and SignatureOutputs are the tensor names of the
	// model's signature (sorted, ":0" suffix removed); empty when model.json
	// has none.
	SignatureInputs  []string
	SignatureOutputs []string
}

// Node is one GraphDef NodeDef as TF.js writes it.
type Node struct {
	Name  string               `json:"name"`
	Op    string               `json:"op"`
	Input []string             `json:"input"`
	Attr  map[string]AttrValue `json:"attr"`
}

// AttrValue is TF's AttrValue in the proto3 JSON mapping that TF.js's
// converter writes: bytes as base64, int64 as strings.
type AttrValue struct {
	S      []byte       `json:"s"`
	I      *Int64       `json:"i"`
	F      *Float       `json:"f"`
	B      *bool        `json:"b"`
	Type   string       `json:"type"`
	Shape  *TensorShape `json:"shape"`
	List   *AttrList    `json:"list"`
	Tensor *TensorValue `json:"tensor"`
}

// AttrList is AttrValue.ListValue.
type AttrList struct {
	S    [][]byte `json:"s"`
	I    []Int64  `json:"i"`
	F    []Float  `json:"f"`
	B    []bool   `json:"b"`
	Type []string `json:"type"`
}

// TensorShape is TensorShapeProto; a size of −1 is unknown.
type TensorShape struct {
	Dim []struct {
		Size Int64 `json:"size"`
	} `json:"dim"`
	UnknownRank bool `json:"unknownRank"`
}

// TensorValue is the part of TensorProto that TF.js keeps in the graph (the
// values themselves go to the weights manifest).
type TensorValue struct {
	Dtype       string       `json:"dtype"`
	TensorShape *TensorShape `json:"tensorShape"`
}

// Int64 reads a JSON int64 written as a string (proto3 JSON) or a number.
type Int64 int64

// UnmarshalJSON accepts "12", 12 and 12.0.
func (v *Int64) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = Int64(i)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return fmt.Errorf("tfjsgraph: %s is not an int64", data)
	}
	*v = Int64(f)
	return nil
}

// Float reads a JSON float written as a number or as proto3 JSON's "NaN",
// "Infinity" and "-Infinity" strings.
type Float float32

// UnmarshalJSON accepts numbers and the proto3 special strings.
func (v *Float) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(strings.Trim(string(data), `"`), 32)
	if err != nil {
		return fmt.Errorf("tfjsgraph: %s is not a float", data)
	}
	*v = Float(f)
	return nil
}

// Dims returns the shape's sizes (−1 for unknown), or nil for unknown rank.
func (s *TensorShape) Dims() []int64 {
	if s == nil || s.UnknownRank {
		return nil
	}
	d := make([]int64, len(s.Dim))
	for i, x := range s.Dim {
		d[i] = int64(x.Size)
	}
	return d
}

type modelJSON struct {
	Format        string `json:"format"`
	ModelTopology *struct {
		Node []Node `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest     json.RawMessage `json:"weightsManifest"`
	Signature           *signatureJSON  `json:"signature"`
	UserDefinedMetadata *struct {
		Signature *signatureJSON `json:"signature"`
	} `json:"userDefinedMetadata"`
}

type signatureJSON struct {
	Inputs  map[string]json.RawMessage `json:"inputs"`
	Outputs map[string]json.RawMessage `json:"outputs"`
}

func (s *signatureJSON) names(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, strings.TrimSuffix(k, ":0"))
	}
	slices.Sort(out)
	return out
}

// Parse reads a TF.js graph model.json. It checks the structure (format,
// unique non-empty node names, a valid weights manifest) but not the ops:
// Convert refuses what it cannot map.
func Parse(data []byte) (*Model, error) {
	var raw modelJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("tfjsgraph: parsing model.json: %w", err)
	}
	if raw.Format != "" && raw.Format != "graph-model" {
		return nil, fmt.Errorf("tfjsgraph: model.json has format %q; only TF.js graph models (\"graph-model\") are supported", raw.Format)
	}
	if raw.ModelTopology == nil || len(raw.ModelTopology.Node) == 0 {
		return nil, errors.New("tfjsgraph: model.json has no modelTopology.node list (not a TF.js graph model?)")
	}
	m := &Model{Format: raw.Format, Nodes: raw.ModelTopology.Node}
	seen := make(map[string]bool, len(m.Nodes))
	for i, n := range m.Nodes {
		switch {
		case n.Name == "":
			return nil, fmt.Errorf("tfjsgraph: node %d has no name", i)
		case n.Op == "":
			return nil, fmt.Errorf("tfjsgraph: node %q has no op", n.Name)
		case seen[n.Name]:
			return nil, fmt.Errorf("tfjsgraph: node name %q is used twice", n.Name)
		}
		seen[n.Name] = true
	}
	if len(raw.WeightsManifest) > 0 && string(raw.WeightsManifest) != "null" {
		groups, err := tfjs.ParseManifest(raw.WeightsManifest)
		if err != nil {
			return nil, err
		}
		m.Manifest = groups
	}
	sig := raw.Signature
	if sig == nil && raw.UserDefinedMetadata != nil {
		sig = raw.UserDefinedMetadata.Signature
	}
	if sig != nil {
		m.SignatureInputs = sig.names(sig.Inputs)
		m.SignatureOutputs = sig.names(sig.Outputs)
	}
	return m, nil
}

// Load reads model.json at path and the weight shards its manifest names,
// which must lie in the same folder or below it (a manifest is outside
// input: it must not make us read other files).
func Load(modelPath string) (*Model, map[string]tfjs.Tensor, error) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, nil, fmt.Errorf("tfjsgraph: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	root, err := os.OpenRoot(filepath.Dir(modelPath))
	if err != nil {
		return nil, nil, fmt.Errorf("tfjsgraph: %w", err)
	}
	defer root.Close()
	weights, err := tfjs.Decode(m.Manifest, func(p string) ([]byte, error) {
		// Shard paths are URL paths relative to model.json.
		clean := path.Clean(p)
		if !fs.ValidPath(clean) {
			return nil, fmt.Errorf("shard path %q leaves the model's folder", p)
		}
		return root.ReadFile(clean)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	return m, weights, nil
}

// attr helpers: a missing attribute gives the zero value; Convert checks
// what it needs.

func (n *Node) attrString(name string) string {
	if a, ok := n.Attr[name]; ok {
		return string(a.S)
	}
	return ""
}

func (n *Node) attrInts(name string) []int64 {
	return listAttr(n, name, func(l *AttrList) []Int64 { return l.I }, func(v Int64) int64 { return int64(v) })
}

func (n *Node) attrStrings(name string) []string {
	return listAttr(n, name, func(l *AttrList) [][]byte { return l.S }, func(v []byte) string { return string(v) })
}

// listAttr converts one field of a list attribute; nil when absent.
func listAttr[T, U any](n *Node, name string, field func(*AttrList) []T, conv func(T) U) []U {
	a, ok := n.Attr[name]
	if !ok || a.List == nil {
		return nil
	}
	in := field(a.List)
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = conv(v)
	}
	return out
}

func (n *Node) attrInt(name string) (int64, bool) {
	if a, ok := n.Attr[name]; ok && a.I != nil {
		return int64(*a.I), true
	}
	return 0, false
}

